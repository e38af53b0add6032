// Signing in: wrong password, unconfirmed address, keyboard only.
import { mailSinkUrl } from "../support/urls";
import { expect, test } from "./fixtures/test";
import { APP_HEADERS, PASSWORD, PIN, confirmedAccount, uniqueEmail } from "./fixtures/accounts";
import { waitForMail } from "./fixtures/mail";
import { SignInPage } from "./fixtures/sign_in_page";

test("a wrong password says so and keeps the address", async ({ page, request }) => {
  const { email } = await confirmedAccount(request);
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn(email, "not the password");
  await expect(signIn.formError).toHaveText("That email and password don't match an account.");
  await expect(signIn.email).toHaveValue(email);
  await expect(page).toHaveURL(/\/signin$/);
});

test("an unconfirmed account is told to confirm and can get the link again", async ({ page, request }) => {
  const email = uniqueEmail("late");
  const signup = await request.post("/api/signup", {
    headers: APP_HEADERS,
    data: { organisation_name: "Late Ltd", full_name: "Ada Lovelace", email, password: PASSWORD, pin: PIN },
  });
  expect(signup.status()).toBe(202);
  await waitForMail(email, "Confirm your email address");

  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.signIn(email, PASSWORD);
  await expect(signIn.formError).toContainText("Confirm your email address first");
  await page.getByRole("button", { name: "Send the link again" }).click();
  await expect(page.getByRole("status")).toContainText("Check your inbox");
  await expect
    .poll(async () => {
      const res = await fetch(`${mailSinkUrl()}/messages?to=${encodeURIComponent(email)}`);
      return ((await res.json()) as unknown[]).length;
    })
    .toBe(2);
});

test("signing in works with the keyboard alone", async ({ page, request }) => {
  const { email } = await confirmedAccount(request);
  await page.goto("/signin");
  // The email field has focus on arrival.
  await expect(page.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  // The user menu opens and closes by keyboard too.
  await page.getByRole("button", { name: "Ada Lovelace" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeHidden();
  // Clicking elsewhere closes it too.
  await page.getByRole("button", { name: "Ada Lovelace" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await page.getByRole("heading", { name: "Overview" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeHidden();
});
