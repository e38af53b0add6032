// API credentials: create one and see its secret exactly once, use it for a
// real token and a real call, roll it, revoke it; a viewer only looks.
import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import type { APIRequestContext, Page } from "@playwright/test";
import { APP_HEADERS, PASSWORD, PIN, confirmedAccount, invitedMember, signIn, uniqueEmail } from "./fixtures/accounts";
import { confirmationLink } from "./fixtures/mail";
import { startPortal } from "./fixtures/server";
import { expect, test } from "./fixtures/test";

async function expectNoViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

/** Runs `script` in bash, as a partner pastes it; its output. */
function shell(script: string): string {
  return execFileSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", timeout: 10_000 });
}

/** A real token request, as a partner's backend makes it. */
async function token(request: APIRequestContext, clientId: string, clientSecret: string) {
  return request.post("/v1/auth/token", {
    form: { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret },
  });
}

async function whoami(request: APIRequestContext, accessToken: string) {
  return request.get("/v1/whoami", { headers: { authorization: `Bearer ${accessToken}` } });
}

/** Everything the page keeps where a secret must never be. */
async function browserTraces(page: Page): Promise<string> {
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  return (await page.content()) + storage + page.url();
}

test("create a credential, see its secret once, use it, roll it and revoke it", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const created = await page.request.post("/api/projects", {
    headers: APP_HEADERS,
    data: { name: "Checkout", environment: "sandbox" },
  });
  const project = await created.json();
  await page.goto(`/projects/${project.id}`);
  await expect(page.getByRole("heading", { name: "API credentials" })).toBeVisible();
  await expect(page.getByText("No credentials yet.")).toBeVisible();
  await expectNoViolations(page);

  // Step 1: the form, checked by the field, with the PIN.
  await page.getByRole("button", { name: "New credential" }).click();
  const dialog = page.getByRole("dialog", { name: "New credential" });
  await expect(dialog).toBeVisible();
  await expectNoViolations(page);
  await dialog.getByRole("button", { name: "Create credential" }).click();
  await expect(page.locator("#credential-description-error")).toContainText("Say what this credential is for");
  await dialog.getByLabel("Description").fill("Checkout backend");
  await dialog.getByLabel(/^Write/).check();
  await dialog.getByLabel("Expires").selectOption({ label: "In 90 days" });
  await dialog.getByLabel("Your security PIN").fill("000000");
  await dialog.getByRole("button", { name: "Create credential" }).click();
  await expect(page.locator("#pin-error")).toContainText("That PIN is wrong.");
  await dialog.getByLabel("Your security PIN").fill(PIN);
  await dialog.getByRole("button", { name: "Create credential" }).click();

  // Step 2: the secret, once.
  const reveal = page.getByRole("dialog", { name: "Store your new credential" });
  await expect(reveal.getByText("Copy the secret now: it can't be shown again.")).toBeVisible();
  const clientId = (await reveal.getByTestId("client-id").textContent())!;
  const secret = (await reveal.getByTestId("client-secret").textContent())!;
  expect(clientId).toMatch(/^cred_[a-z2-7]{20}$/);
  expect(secret).toMatch(/^sk_test_[a-z2-7]{58}$/);
  await expectNoViolations(page);
  const done = reveal.getByRole("button", { name: "Done" });
  await expect(done).toBeDisabled();

  await reveal.getByRole("button", { name: "Copy client secret" }).click();
  await expect(reveal.getByRole("button", { name: "Copy client secret" })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  const curl = (await reveal.locator(".code-block code").textContent())!;
  expect(curl).toContain(`"client_id": "${clientId}"`);
  expect(curl).toContain(`"client_secret": "${secret}"`);
  // It runs as copied, in a shell, and answers a token.
  expect(JSON.parse(shell(curl)).token_type).toBe("Bearer");
  const downloading = page.waitForEvent("download");
  await reveal.getByRole("button", { name: "Download as .env" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`${clientId}.env`);
  const env = fs.readFileSync((await download.path())!, "utf8");
  expect(env).toContain(`PORTAL_CLIENT_ID=${clientId}\n`);
  expect(env).toContain(`PORTAL_CLIENT_SECRET=${secret}\n`);

  // Closing early asks first, by Esc and by the close button.
  await page.keyboard.press("Escape");
  await expect(reveal.getByRole("alert")).toContainText("Close without storing the secret?");
  await reveal.getByRole("button", { name: "Keep it open" }).click();
  await expect(reveal.getByRole("alert")).toHaveCount(0);
  await reveal.getByRole("button", { name: "Close", exact: true }).click();
  await expect(reveal.getByRole("alert")).toContainText("Close without storing the secret?");
  await reveal.getByRole("button", { name: "Keep it open" }).click();
  await reveal.getByLabel("I have stored the secret").check();
  await expect(done).toBeEnabled();
  await done.click();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  // The secret is gone from the page, the browser's storage and the URL.
  expect(await browserTraces(page)).not.toContain(secret.slice(8));
  const row = page.getByRole("row").filter({ hasText: "Checkout backend" });
  await expect(row).toContainText(`${secret.slice(0, 12)}…`);
  await expect(row).toContainText("Active");
  await expect(row).toContainText("read");
  await expect(row).toContainText("write");

  // A real exchange and a real call, with what was copied.
  const issued = await token(request, clientId, secret);
  expect(issued.status()).toBe(200);
  const { access_token: accessToken, expires_in: expiresIn } = await issued.json();
  expect(expiresIn).toBe(1800);
  const me = await whoami(request, accessToken);
  expect(me.status()).toBe(200);
  expect((await me.json()).credential.id).toBe(clientId);

  // The overview's quick start ticks itself (last use is written within a second).
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
  await expect(async () => {
    await page.reload();
    await expect(page.getByText("4 of 4 done.")).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.locator(".quick-start")).toContainText(clientId);
  await expectNoViolations(page);
  // Its commands run as copied, one after the other, with the secret from
  // the .env file the dialog saved: a token, then the call with it.
  const commands = await page.locator(".quick-start .code-block code").allTextContents();
  expect(commands).toHaveLength(2);
  const fromEnv = `set -a; . ${JSON.stringify((await download.path())!)}; set +a`;
  const answer = shell([fromEnv, ...commands].join("\n")).trim().split("\n").pop()!;
  expect(JSON.parse(answer).credential.id).toBe(clientId);

  // Roll with an hour's overlap: both secrets work, both are listed.
  await page.goto(`/projects/${project.id}`);
  // Row actions are in the row's "⋯" menu, by keyboard too.
  await page.getByRole("button", { name: "Actions for Checkout backend" }).focus();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Roll secret" })).toBeFocused();
  await page.keyboard.press("Enter");
  const roll = page.getByRole("dialog", { name: "Roll the secret of Checkout backend" });
  await roll.getByLabel("The old secret keeps working for").selectOption({ label: "1 hour" });
  await roll.getByLabel("Your security PIN").fill(PIN);
  await expectNoViolations(page);
  await roll.getByRole("button", { name: "Roll secret" }).click();
  const rolled = page.getByRole("dialog", { name: "Store the new secret" });
  const newSecret = (await rolled.getByTestId("client-secret").textContent())!;
  expect(newSecret).not.toBe(secret);
  await expect(page.getByRole("status")).toContainText("The old one works until");
  await rolled.getByLabel("I have stored the secret").check();
  await rolled.getByRole("button", { name: "Done" }).click();
  await expect(row.locator(".secret-hint")).toHaveCount(2);
  await expect(row.locator(".secret-hint").nth(1)).toContainText("Old one expires in 1 hour");
  expect(await browserTraces(page)).not.toContain(newSecret.slice(8));
  expect((await token(request, clientId, secret)).status()).toBe(200);
  expect((await token(request, clientId, newSecret)).status()).toBe(200);

  await page.getByRole("link", { name: "Projects" }).first().click();
  await expect(page.getByRole("row").filter({ hasText: "Checkout" }).locator("td.numeric").first()).toHaveText("1");
  await page.getByRole("link", { name: "Checkout" }).click();

  // Revoke: the token already issued stops working at once.
  await page.getByRole("button", { name: "Actions for Checkout backend" }).click();
  await page.getByRole("menuitem", { name: "Revoke" }).click();
  const revoke = page.getByRole("dialog", { name: "Revoke Checkout backend?" });
  await expectNoViolations(page);
  await revoke.getByLabel("Your security PIN").fill(PIN);
  await revoke.getByRole("button", { name: "Revoke credential" }).click();
  await expect(page.getByRole("status")).toContainText("Credential Checkout backend revoked.");
  await expect(row).toContainText("Revoked");
  await expect(row.getByRole("button")).toHaveCount(1); // only "Copy" is left: no menu
  expect((await whoami(request, accessToken)).status()).toBe(401);
  expect((await token(request, clientId, newSecret)).status()).toBe(401);

  // The quick start counts what works now: with its only credential
  // revoked, it reopens at step 2, and nothing after it is ticked.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
  const quickStart = page.getByRole("region", { name: "Quick start" });
  await expect(quickStart.getByText("1 of 4 done.")).toBeVisible();
  await expect(quickStart.getByRole("heading", { level: 3 })).toHaveText([
    /Create a project \(Done\)/,
    /Create an API credential \(To do\)/,
    /Get an access token \(To do\)/,
    /Make your first call \(To do\)/,
  ]);
  await expect(quickStart).toContainText("Open a project and press New credential");
});

test("a viewer sees credentials but can't create, roll or revoke them", async ({ page, browser, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const project = await (
    await page.request.post("/api/projects", { headers: APP_HEADERS, data: { name: "Checkout", environment: "production" } })
  ).json();
  const credential = await page.request.post(`/api/projects/${project.id}/credentials`, {
    headers: APP_HEADERS,
    data: { description: "Payments backend", scopes: ["read"], pin: PIN },
  });
  expect(credential.status()).toBe(201);
  const email = uniqueEmail("viewer");
  await invitedMember(page, request, email, "viewer");

  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signIn(viewer, email);
  await viewer.goto(`/projects/${project.id}`);
  const row = viewer.getByRole("row").filter({ hasText: "Payments backend" });
  await expect(row).toContainText("sk_live_");
  await expect(row).toContainText("Active");
  await expect(viewer.getByRole("button", { name: "New credential" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /^Actions for/ })).toHaveCount(0);
  await expectNoViolations(viewer);
  await context.close();
});

test("an organisation awaiting approval is told why it can't create credentials yet", async ({ page }) => {
  const portal = await startPortal({ PORTAL_AUTO_APPROVE: "false" });
  try {
    const headers = { origin: portal.url, "x-portal-request": "1" };
    const email = uniqueEmail("pending");
    const signup = await page.request.post(`${portal.url}/api/signup`, {
      headers,
      data: { organisation_name: "Acme", full_name: "Ada Lovelace", email, password: PASSWORD, pin: PIN },
    });
    expect(signup.status()).toBe(202);
    const token = new URL(await confirmationLink(email)).searchParams.get("token");
    expect((await page.request.post(`${portal.url}/api/signup/confirm`, { headers, data: { token } })).status()).toBe(200);
    const project = await (
      await page.request.post(`${portal.url}/api/projects`, { headers, data: { name: "Checkout", environment: "sandbox" } })
    ).json();

    await page.goto(`${portal.url}/projects/${project.id}`);
    const button = page.getByRole("button", { name: "New credential" });
    await expect(button).toHaveAttribute("aria-disabled", "true");
    await expect(button).toHaveAccessibleDescription(
      "Credentials can be created once the platform approves your organisation.",
    );
    await button.click({ force: true });
    await expect(page.getByRole("dialog")).toHaveCount(0);
    await expectNoViolations(page);
  } finally {
    portal.stop();
  }
});
