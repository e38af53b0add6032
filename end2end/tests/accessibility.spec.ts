// axe-core on every page (0 violations) in light and dark, on fresh
// accounts; layout.spec.ts checks every page and dialog again at 1280 and
// 375 px on a filled organisation, with the layout checks.
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { APP_HEADERS, PASSWORD, PIN, confirmedAccount, invitedMember, signIn, uniqueEmail } from "./fixtures/accounts";
import { invitationLink } from "./fixtures/mail";
import { TeamPage } from "./fixtures/team_page";
import { SignInPage } from "./fixtures/sign_in_page";

async function expectNoViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`)).toEqual([]);
}

for (const scheme of ["light", "dark"] as const) {
  test.describe(`${scheme} theme`, () => {
    test.use({ colorScheme: scheme });

    test("signed-out pages", async ({ page }) => {
      await page.goto("/signin");
      await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
      await expectNoViolations(page);

      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.locator("#email-error")).toBeVisible();
      await expectNoViolations(page);

      await page.goto("/signup");
      await expect(page.getByRole("heading", { name: "Create your partner account" })).toBeVisible();
      await expectNoViolations(page);

      await page.goto("/signup/confirm?token=unknown");
      await expect(page.getByRole("heading", { name: "This link doesn't work" })).toBeVisible();
      await expectNoViolations(page);

      await page.goto("/nowhere");
      await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
      await expectNoViolations(page);
    });

    test("signed-in pages", async ({ page, request }) => {
      const { email } = await confirmedAccount(request);
      await new SignInPage(page).goto();
      await new SignInPage(page).signIn(email, PASSWORD);
      await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
      await expectNoViolations(page);

      await page.getByRole("button", { name: "Ada Lovelace" }).click();
      await expectNoViolations(page);

      await page.goto("/settings");
      await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
      await expectNoViolations(page);
    });

    test("project, credential and webhook pages", async ({ page, request }) => {
      const { email } = await confirmedAccount(request);
      await signIn(page, email);
      const { id } = await (
        await page.request.post("/api/projects", { headers: APP_HEADERS, data: { name: "Checkout", environment: "production" } })
      ).json();
      await page.request.post(`/api/projects/${id}/credentials`, {
        headers: APP_HEADERS,
        data: { description: "Checkout backend", scopes: ["read", "write"], expires_in_days: 30, pin: PIN },
      });
      const endpoint = await page.request.post(`/api/projects/${id}/webhooks`, {
        headers: APP_HEADERS,
        data: { url: "https://example.com/hooks", event_types: ["credential.created"] },
      });
      const webhook = (await endpoint.json()).webhook;
      await page.goto("/");
      await expect(page.getByText("2 of 4 done.")).toBeVisible();
      await expectNoViolations(page);
      for (const path of [`/projects/${id}`, `/projects/${id}?tab=webhooks`, `/projects/${id}?tab=settings`]) {
        await page.goto(path);
        await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
        await page.waitForLoadState("networkidle");
        await expectNoViolations(page);
      }
      await page.goto(`/projects/${id}/webhooks/${webhook.id}`);
      await expect(page.getByRole("heading", { name: "Delivery log" })).toBeVisible();
      await page.waitForLoadState("networkidle");
      await expectNoViolations(page);
    });

    test("team pages and their dialogs", async ({ page, request }) => {
      const { email } = await confirmedAccount(request);
      await signIn(page, email);
      await invitedMember(page, request, uniqueEmail("dev"), "developer");
      const team = new TeamPage(page);
      await team.goto();
      await expect(team.row("Grace Hopper")).toBeVisible();
      await expectNoViolations(page);

      await team.memberAction("Grace Hopper", "Change role");
      await expectNoViolations(page);
      await page.keyboard.press("Escape");

      await team.memberAction("Grace Hopper", "Deactivate");
      await expectNoViolations(page);
      await page.keyboard.press("Escape");

      await page.getByRole("button", { name: "Invite member" }).click();
      await expect(team.dialog()).toBeVisible();
      await expectNoViolations(page);
      await page.keyboard.press("Escape");

      await team.goto("invitations");
      await expect(team.row("Accepted")).toBeVisible();
      await expectNoViolations(page);
    });

    test("the invitation page", async ({ page, request }) => {
      const { email } = await confirmedAccount(request);
      await signIn(page, email);
      const invitee = uniqueEmail("new");
      const invite = await page.request.post("/api/invitations", {
        headers: APP_HEADERS,
        data: { email: invitee, role: "viewer" },
      });
      expect(invite.status()).toBe(201);
      await page.goto(await invitationLink(invitee));
      await expect(page.getByRole("heading", { name: /^Join / })).toBeVisible();
      await expectNoViolations(page);
      await page.goto("/invite?token=made-up");
      await expect(page.getByRole("heading", { name: "This invitation doesn't work" })).toBeVisible();
      await expectNoViolations(page);
    });
  });
}
