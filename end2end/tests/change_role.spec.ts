// An admin changes a member's role, confirmed with the PIN.
import { confirmedAccount, invitedMember, PIN, signIn, uniqueEmail } from "./fixtures/accounts";
import { TeamPage } from "./fixtures/team_page";
import { expect, test } from "./fixtures/test";

test("an admin makes a developer an admin, after a wrong PIN", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const name = await invitedMember(page, request, uniqueEmail("dev"), "developer");
  const team = new TeamPage(page);
  await team.goto();
  await expect(team.row(name)).toContainText("Developer");

  await team.changeRole(name, "Admin", "000001");
  await expect(page.locator("#pin-error")).toContainText("That PIN is wrong. 4 more wrong tries");
  await expect(team.dialog()).toBeVisible();

  await team.dialog().getByLabel("Your security PIN").fill(PIN);
  await team.dialog().getByRole("button", { name: "Change role" }).click();
  await expect(page.getByRole("status")).toContainText(`${name} is now admin.`);
  await expect(team.dialog()).toHaveCount(0);
  await expect(team.row(name)).toContainText("Admin");
});
