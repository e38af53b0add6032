// An admin invites a developer; the developer accepts in their own browser
// and sees the portal without team-management controls.
import { confirmedAccount, PASSWORD, PIN, signIn, uniqueEmail } from "./fixtures/accounts";
import { invitationLink } from "./fixtures/mail";
import { TeamPage } from "./fixtures/team_page";
import { expect, test } from "./fixtures/test";

test("an admin invites a developer who joins and sees no team controls", async ({ page, browser, request }) => {
  const admin = await confirmedAccount(request, uniqueEmail("admin"), "Hopper Labs");
  await signIn(page, admin.email);
  const team = new TeamPage(page);
  await team.goto();
  // The only member so far is the admin.
  await expect(page.getByText("1–1 of 1")).toBeVisible();

  const email = uniqueEmail("dev");
  await team.invite(email, "Developer");
  await expect(page.getByRole("status")).toContainText(`Invitation sent to ${email}`);
  await expect(page).toHaveURL(/\/team\?tab=invitations$/);
  await expect(team.row(email)).toContainText("Pending");
  await expect(team.row(email)).toContainText("Developer");

  // The developer opens the mailed link in their own browser.
  const link = await invitationLink(email);
  const devContext = await browser.newContext();
  const dev = await devContext.newPage();
  await dev.goto(link);
  await expect(dev.getByRole("heading", { name: "Join Hopper Labs" })).toBeVisible();
  await expect(dev.getByText(email)).toBeVisible();
  await dev.getByLabel("Your full name").fill("Grace Hopper");
  await dev.getByLabel("Password").fill(PASSWORD);
  await dev.getByLabel("Security PIN").fill(PIN);
  await dev.getByRole("button", { name: "Join the organisation" }).click();
  await expect(dev.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(dev.getByRole("status")).toContainText("Welcome to Hopper Labs!");
  expect(dev.url()).not.toContain("token=");

  await dev.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(dev.getByRole("row").filter({ hasText: "Grace Hopper" })).toContainText("Developer");
  await expect(dev.getByRole("button", { name: "Invite member" })).toHaveCount(0);
  await expect(dev.getByRole("button", { name: /^Actions for/ })).toHaveCount(0);

  // The admin sees the invitation accepted.
  await team.goto("invitations");
  await expect(team.row(email)).toContainText("Accepted");
  await devContext.close();
});

test("the invite form explains what's wrong by the field", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const team = new TeamPage(page);
  await team.goto();
  await team.invite("not-an-email", "Viewer");
  await expect(page.locator("#invite-email-error")).toHaveText("Enter an email address like name@example.com.");
  await team.dialog().getByLabel("Email").fill(admin.email);
  await team.dialog().getByRole("button", { name: "Send invitation" }).click();
  await expect(team.dialog().locator(".form-error")).toHaveText("This person is already a member of your organisation.");
  // Esc closes the dialog and gives focus back to the button that opened it.
  await page.keyboard.press("Escape");
  await expect(team.dialog()).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Invite member" })).toBeFocused();
});

test("inviting an admin asks for the inviter's PIN", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const team = new TeamPage(page);
  await team.goto();
  await page.getByRole("button", { name: "Invite member" }).click();
  const dialog = team.dialog();
  // Only the elevated roles ask for it.
  await dialog.getByRole("radio", { name: "Viewer", exact: true }).check();
  await expect(dialog.getByLabel("Your security PIN")).toHaveCount(0);
  await dialog.getByRole("radio", { name: "Admin", exact: true }).check();
  await expect(dialog.getByLabel("Your security PIN")).toBeVisible();

  const email = uniqueEmail("new-admin");
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.locator("#pin-error")).toHaveText("Enter your security PIN to invite an admin.");
  await dialog.getByLabel("Your security PIN").fill("000001");
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.locator("#pin-error")).toContainText("That PIN is wrong. 4 more wrong tries");
  await expect(dialog.getByLabel("Your security PIN")).toHaveValue("");
  await dialog.getByLabel("Your security PIN").fill(PIN);
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status")).toContainText(`Invitation sent to ${email}`);
  await expect(team.row(email)).toContainText("Admin");
});

test("a new link for an admin's invitation asks for the PIN, a viewer's doesn't", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const team = new TeamPage(page);
  await team.goto();
  const viewer = uniqueEmail("viewer");
  await team.invite(viewer, "Viewer");
  await expect(team.row(viewer)).toContainText("Pending");
  const elevated = uniqueEmail("admin");
  await team.goto();
  await team.invite(elevated, "Admin", PIN);
  await expect(team.row(elevated)).toContainText("Pending");

  // The viewer's: at once.
  await team.row(viewer).getByRole("button", { name: /^Actions for/ }).click();
  await page.getByRole("menuitem", { name: "Resend" }).click();
  await expect(page.getByRole("status")).toContainText(`A new link is on its way to ${viewer}.`);

  // The admin's: the PIN first, typed again after a wrong one.
  await team.row(elevated).getByRole("button", { name: /^Actions for/ }).click();
  await page.getByRole("menuitem", { name: "Resend" }).click();
  const dialog = page.getByRole("dialog", { name: "Send a new link?" });
  await expect(dialog).toContainText(elevated);
  await dialog.getByRole("button", { name: "Send a new link" }).click();
  await expect(dialog.locator("#pin-error")).toHaveText("Enter your security PIN to invite an admin.");
  await dialog.getByLabel("Your security PIN").fill("000001");
  await dialog.getByRole("button", { name: "Send a new link" }).click();
  await expect(dialog.locator("#pin-error")).toContainText("That PIN is wrong.");
  await expect(dialog.getByLabel("Your security PIN")).toHaveValue("");
  await dialog.getByLabel("Your security PIN").fill(PIN);
  await dialog.getByRole("button", { name: "Send a new link" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("status")).toContainText(`A new link is on its way to ${elevated}.`);
});
