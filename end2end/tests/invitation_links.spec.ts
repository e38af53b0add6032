// Invitation links that don't work say why and what to do.
import { request } from "@playwright/test";
import { PASSWORD, PIN, uniqueEmail } from "./fixtures/accounts";
import { invitationLink, confirmationLink } from "./fixtures/mail";
import { startPortal } from "./fixtures/server";
import { expect, test } from "./fixtures/test";

test("an expired invitation link shows its page", async ({ page }) => {
  // A server whose invitations expire at once.
  const portal = await startPortal({ PORTAL_INVITATION_TTL_DAYS: "0" });
  const ctx = await request.newContext({ baseURL: portal.url });
  try {
    const headers = { origin: portal.url, "x-portal-request": "1" };
    const admin = uniqueEmail("admin");
    expect(
      (
        await ctx.post("/api/signup", {
          headers,
          data: { organisation_name: "Acme", full_name: "Ada Lovelace", email: admin, password: PASSWORD, pin: PIN },
        })
      ).status(),
    ).toBe(202);
    const token = new URL(await confirmationLink(admin)).searchParams.get("token");
    expect((await ctx.post("/api/signup/confirm", { headers, data: { token } })).status()).toBe(200);
    const invitee = uniqueEmail("late");
    expect((await ctx.post("/api/invitations", { headers, data: { email: invitee, role: "viewer" } })).status()).toBe(201);

    await page.goto(await invitationLink(invitee));
    await expect(page.getByRole("heading", { name: "This invitation doesn't work" })).toBeVisible();
    await expect(page.getByRole("alert")).toHaveText(
      "This invitation has expired. Ask the person who invited you to send a new one.",
    );
    await expect(page.getByLabel("Password")).toHaveCount(0);
  } finally {
    await ctx.dispose();
    portal.stop();
  }
});

test("a made-up invitation link says it isn't valid", async ({ page }) => {
  await page.goto("/invite?token=made-up");
  await expect(page.getByRole("alert")).toContainText("This invitation link is not valid.");
});
