// An admin deactivates a member: the member's open page goes to sign-in on
// its next request, and they can't sign back in.
import { confirmedAccount, invitedMember, PASSWORD, PIN, signIn, uniqueEmail } from "./fixtures/accounts";
import { TeamPage } from "./fixtures/team_page";
import { expect, test } from "./fixtures/test";

test("a deactivated developer is signed out on their next request", async ({ page, browser, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const email = uniqueEmail("dev");
  const name = await invitedMember(page, request, email, "developer");

  const devContext = await browser.newContext();
  const dev = await devContext.newPage();
  await signIn(dev, email);

  const team = new TeamPage(page);
  await team.goto();
  await team.deactivate(name, PIN);
  await expect(page.getByRole("status")).toContainText(`${name} is deactivated.`);
  await expect(team.row(name)).toContainText("Deactivated");
  await page.getByRole("button", { name: `Actions for ${name}` }).click();
  await expect(page.getByRole("menuitem", { name: "Reactivate" })).toBeVisible();
  await expect(page.getByRole("menuitem", { name: "Deactivate" })).toHaveCount(0);
  await page.keyboard.press("Escape");

  // The developer's page makes its next request.
  await dev.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(dev).toHaveURL(/\/signin\?next=\/team$/);
  await expect(dev.getByRole("status")).toContainText("Your session has ended.");
  await dev.getByLabel("Email").fill(email);
  await dev.getByLabel("Password").fill(PASSWORD);
  await dev.getByRole("button", { name: "Sign in" }).click();
  await expect(dev.locator(".form-error")).toHaveText("Your account has been deactivated. Ask an admin of your organisation.");
  await devContext.close();
});
