// The first journey: sign up → read the mail → open the link → overview →
// sign out → sign in again.
import { expect, test } from "./fixtures/test";
import { PASSWORD, PIN, uniqueEmail } from "./fixtures/accounts";
import { confirmationLink } from "./fixtures/mail";
import { signOut } from "./fixtures/shell";
import { SignInPage } from "./fixtures/sign_in_page";
import { SignUpPage } from "./fixtures/sign_up_page";

test("a new partner signs up, confirms by mail, signs out and back in", async ({ page }) => {
  const email = uniqueEmail("grace");
  const signUp = new SignUpPage(page);
  await signUp.goto();
  await signUp.signUp({ organisation: "Hopper Labs", name: "Grace Hopper", email, password: PASSWORD, pin: PIN });
  await expect(page.getByRole("heading", { name: "Check your inbox" })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();

  const link = await confirmationLink(email);
  await page.goto(link);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByText("Welcome, Grace Hopper.")).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toContainText("Hopper Labs");
  await expect(page.getByRole("status")).toContainText("Your email address is confirmed.");
  // The one-time token is gone from the address bar.
  expect(page.url()).not.toContain("token=");

  await signOut(page, "Grace Hopper");
  // The server ended the session: the app can't get back in without signing in.
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin$/);

  const signIn = new SignInPage(page);
  await signIn.signIn(email, PASSWORD);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
});

test("the link works only once", async ({ page }) => {
  const email = uniqueEmail("once");
  const signUp = new SignUpPage(page);
  await signUp.goto();
  await signUp.signUp({ organisation: "Once Ltd", name: "Ada Lovelace", email, password: PASSWORD, pin: PIN });
  const link = await confirmationLink(email);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This link doesn't work" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("already been used");
});

test("sign-up shows the rules by each field before sending anything", async ({ page }) => {
  const signUp = new SignUpPage(page);
  await signUp.goto();
  await signUp.signUp({ organisation: "A", name: "", email: "not-an-email", password: "short", pin: "111111" });
  await expect(page.locator("#organisation_name-error")).toHaveText("Use at least 2 characters.");
  await expect(page.locator("#full_name-error")).toHaveText("Enter your full name.");
  await expect(page.locator("#email-error")).toHaveText("Enter an email address like name@example.com.");
  await expect(page.locator("#password-error")).toHaveText("Use at least 12 characters.");
  await expect(page.locator("#pin-error")).toHaveText("Don't use one digit repeated.");
  // Focus goes to the first field to fix.
  await expect(page.getByLabel("Organisation name")).toBeFocused();
});
