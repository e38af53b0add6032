// Deep links: a signed-out visitor is sent to sign in and brought back; a
// signed-in page survives a reload; unknown paths get the 404 page.
import { expect, test } from "./fixtures/test";
import { APP_HEADERS, PASSWORD, confirmedAccount } from "./fixtures/accounts";
import { SignInPage } from "./fixtures/sign_in_page";

test("a deep link survives sign-in and a reload", async ({ page, request }) => {
  const { email } = await confirmedAccount(request);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/signin\?next=\/settings$/);

  await new SignInPage(page).signIn(email, PASSWORD);
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();

  await page.reload();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
});

test("a session ended elsewhere sends the page to sign in on its next request", async ({ page, request }) => {
  const { email } = await confirmedAccount(request);
  await new SignInPage(page).goto();
  await new SignInPage(page).signIn(email, PASSWORD);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await page.getByRole("link", { name: "Settings" }).first().click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();

  // Sign out from "another tab": the server ends the session.
  await page.context().request.delete("/api/session", {
    headers: APP_HEADERS,
  });
  await page.getByLabel("Full name").fill("Ada King");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page).toHaveURL(/\/signin\?next=\/settings$/);
  await expect(page.getByRole("status")).toContainText("Your session has ended.");
});

test("an unknown address shows the 404 page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Go to the overview" }).click();
  await expect(page).toHaveURL(/\/signin$/);
});
