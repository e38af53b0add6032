// Settings: name, password, PIN and the organisation.
import { expect, test } from "./fixtures/test";
import { APP_HEADERS, PASSWORD, PIN, confirmedAccount } from "./fixtures/accounts";
import { signOut } from "./fixtures/shell";
import { SignInPage } from "./fixtures/sign_in_page";

test.beforeEach(async ({ page, request }) => {
  const { email } = await confirmedAccount(request);
  await new SignInPage(page).goto();
  await new SignInPage(page).signIn(email, PASSWORD);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
});

test("changing the name shows in the user menu", async ({ page }) => {
  await page.getByLabel("Full name").fill("Ada King");
  await page.getByLabel("Full name").press("Enter");
  await expect(page.getByRole("status")).toContainText("Your name is saved.");
  await expect(page.getByRole("button", { name: "Ada King" })).toBeVisible();
});

test("changing the password needs the current one, then only the new one works", async ({ page }) => {
  const email = await page.locator(".menu-email").textContent();
  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#current_password-error")).toHaveText("That's not your current password.");

  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password is changed.");
  await expect(page.getByLabel("Current password")).toHaveValue("");

  await signOut(page);
  const signIn = new SignInPage(page);
  await signIn.signIn(email!, PASSWORD);
  await expect(signIn.formError).toHaveText("That email and password don't match an account.");
  await signIn.signIn(email!, "a brand new passphrase");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
});

test("changing the PIN needs the password and a strong PIN, then the new PIN is the one asked", async ({ page }) => {
  const pinForm = page.locator("section", { has: page.getByRole("heading", { name: "Security PIN" }) });
  await pinForm.getByLabel("Password", { exact: true }).fill("not my password");
  await pinForm.getByLabel("New PIN").fill("731902");
  await pinForm.getByRole("button", { name: "Change PIN" }).click();
  await expect(page.locator("#pin-password-error")).toHaveText("That's not your current password.");

  await pinForm.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await pinForm.getByLabel("New PIN").fill("123456");
  await pinForm.getByRole("button", { name: "Change PIN" }).click();
  await expect(page.locator("#new_pin-error")).toHaveText("Don't use a run like 123456.");

  await pinForm.getByLabel("New PIN").fill("731902");
  await pinForm.getByRole("button", { name: "Change PIN" }).click();
  await expect(page.getByRole("status")).toContainText("Your security PIN is changed.");

  // Creating a credential asks for the PIN: the old one is wrong now.
  const project = await (
    await page.request.post("/api/projects", { headers: APP_HEADERS, data: { name: "Checkout", environment: "sandbox" } })
  ).json();
  await page.goto(`/projects/${project.id}`);
  await page.getByRole("button", { name: "New credential" }).click();
  const dialog = page.getByRole("dialog", { name: "New credential" });
  await dialog.getByLabel("Description").fill("Checkout backend");
  await dialog.getByLabel("Your security PIN").fill(PIN);
  await dialog.getByRole("button", { name: "Create credential" }).click();
  await expect(page.locator("#pin-error")).toHaveText(
    "That PIN is wrong. 4 more wrong tries will lock it for 15 minutes.",
  );
  await dialog.getByLabel("Your security PIN").fill("731902");
  await dialog.getByRole("button", { name: "Create credential" }).click();
  await expect(page.getByRole("dialog", { name: "Store your new credential" })).toBeVisible();
});

test("a superadmin renames the organisation", async ({ page }) => {
  await page.getByLabel("Organisation name").fill("Acme Global");
  await page.getByRole("button", { name: "Save organisation" }).click();
  await expect(page.getByRole("status")).toContainText("The organisation's name is saved.");
  await expect(page.getByRole("navigation", { name: "Main" })).toContainText("Acme Global");
});

test("the organisation's usage of its quotas shows, and follows what it adds", async ({ page }) => {
  const usage = page.getByRole("region", { name: "Usage" });
  await expect(usage.getByRole("meter", { name: "Projects" })).toHaveAttribute("value", "0");
  await expect(usage.getByText("0 of 50")).toBeVisible();
  await expect(usage.getByRole("meter", { name: "Event storage" })).toHaveAttribute("max", String(1024 * 1024 * 1024));
  await expect(usage.getByText("0 B of 1,024 MB")).toBeVisible();

  const created = await page.request.post("/api/projects", {
    headers: APP_HEADERS,
    data: { name: "Checkout", environment: "sandbox" },
  });
  expect(created.status()).toBe(201);
  await page.reload();
  await expect(usage.getByRole("meter", { name: "Projects" })).toHaveAttribute("value", "1");
  await expect(usage.getByText("1 of 50")).toBeVisible();
});
