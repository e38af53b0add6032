// Webhooks: add an endpoint pointing at a real receiver that verifies our
// signatures with the official Standard Webhooks library, send a test event,
// watch a failure get its retry (and no redelivery while it waits), redeliver
// a settled one, rotate the secret, disable.
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { APP_HEADERS, PIN, confirmedAccount, signIn } from "./fixtures/accounts";
import { receiverUrl } from "../support/urls";
import { expect, test } from "./fixtures/test";

async function expectNoViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

type Received = { id: string; verified: boolean; error: string | null; body: { type: string } };

async function receiver(page: Page, name: string, change: { secrets?: string[]; status?: number }) {
  const r = await page.request.put(`${receiverUrl()}/control/${name}`, { data: change });
  expect(r.ok()).toBe(true);
}

async function received(page: Page, name: string): Promise<Received[]> {
  return (await page.request.get(`${receiverUrl()}/control/${name}/received`)).json();
}

test("add an endpoint, deliver signed events, retry, redeliver, rotate and disable", async ({ page, request }) => {
  const name = `r${Date.now()}${process.pid}`;
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const project = await (
    await page.request.post("/api/projects", { headers: APP_HEADERS, data: { name: "Orders", environment: "sandbox" } })
  ).json();
  await page.goto(`/projects/${project.id}`);
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByText("No endpoints yet.")).toBeVisible();
  await expectNoViolations(page);

  // Add: a bad URL is refused by the field, then the real one.
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const dialog = page.getByRole("dialog", { name: "Add an endpoint" });
  await dialog.getByLabel("Endpoint URL").fill("https://user:secret@example.com/hook");
  await dialog.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.locator("#webhook-url-error")).toContainText("Remove the user name and password");
  await dialog.getByLabel("Endpoint URL").fill(`${receiverUrl()}/hooks/${name}`);
  await dialog.getByLabel("Description (optional)").fill("Order service");
  await dialog.getByLabel("Only the ones I choose").check();
  await expect(dialog.getByLabel(/credential\.created/)).toBeVisible();
  await expectNoViolations(page);
  await dialog.getByLabel("All events").check();
  await dialog.getByRole("button", { name: "Add endpoint" }).click();
  const secret = (await dialog.getByTestId("signing-secret").textContent())!;
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await expectNoViolations(page);
  await receiver(page, name, { secrets: [secret] });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("heading", { name: `${receiverUrl()}/hooks/${name}` })).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // A test event arrives, signed; the log shows it with 200.
  await page.getByLabel("Event type", { exact: true }).first().selectOption("credential.created");
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByRole("status")).toContainText("A test credential.created event is on its way.");
  const log = page.getByRole("table", { name: "Deliveries, newest first" });
  await expect(log.getByRole("row").nth(1)).toContainText("Succeeded", { timeout: 10_000 });
  await expect(log.getByRole("row").nth(1)).toContainText("200");
  let got = await received(page, name);
  expect(got).toHaveLength(1);
  expect(got[0].verified, got[0].error ?? "").toBe(true);
  expect(got[0].body.type).toBe("credential.created");
  await expectNoViolations(page);

  // The receiver fails: the delivery says it is retrying and when, the
  // endpoint says it is failing, and the details show the answer; a delivery
  // still waiting for its retry is not offered for redelivery.
  await receiver(page, name, { status: 500 });
  await page.getByLabel("Event type", { exact: true }).first().selectOption("webhook.test");
  await page.getByRole("button", { name: "Send test event" }).click();
  const failed = log.getByRole("row").filter({ hasText: "webhook.test" });
  await expect(failed).toContainText("Retrying", { timeout: 10_000 });
  await expect(failed).toContainText("HTTP 500");
  await expect(failed).toContainText("Next attempt in a few seconds");
  await expect(page.locator(".summary")).toContainText("Failing");
  await failed.getByRole("button", { name: "Actions for the webhook.test delivery" }).click();
  await expect(page.getByRole("menuitem", { name: "View details" })).toBeVisible();
  await expect(page.getByRole("menuitem", { name: "Redeliver" })).toHaveCount(0);
  await page.keyboard.press("Escape");
  await failed.getByRole("button", { name: "Details of the webhook.test delivery" }).click();
  const detail = page.getByRole("dialog", { name: "webhook.test delivery" });
  await expect(detail).toContainText("HTTP 500");
  await expect(detail).toContainText("receiver is failing on purpose");
  await expect(detail.getByRole("button", { name: "Redeliver" })).toHaveCount(0);
  await expectNoViolations(page);
  await page.keyboard.press("Escape");

  // Fixed: the retry (after about 5 s) succeeds; then a redelivery from the
  // details, with the same webhook-id.
  await receiver(page, name, { status: 200 });
  await expect(failed).toContainText("Succeeded", { timeout: 15_000 });
  await failed.getByRole("button", { name: "Details of the webhook.test delivery" }).click();
  await expect(detail.getByRole("listitem").first()).toContainText("HTTP 200");
  await detail.getByRole("button", { name: "Redeliver" }).click();
  await expect(page.getByRole("status")).toContainText("Redelivery is on its way.");
  await expect(async () => {
    const tests = (await received(page, name)).filter((r) => r.body.type === "webhook.test");
    expect(tests.length).toBeGreaterThanOrEqual(3);
  }).toPass({ timeout: 10_000 });
  await page.keyboard.press("Escape");
  got = await received(page, name);
  const tests = got.filter((r) => r.body.type === "webhook.test");
  expect(new Set(tests.map((r) => r.id)).size).toBe(1);
  expect(got.every((r) => r.verified)).toBe(true);

  // Rotate: the receiver knows only the new secret and still verifies.
  await page.getByRole("button", { name: "Rotate secret" }).click();
  const rotate = page.getByRole("dialog", { name: "Rotate the signing secret" });
  await rotate.getByLabel("The old secret keeps signing for").selectOption({ label: "1 hour" });
  await rotate.getByLabel("Your security PIN").fill(PIN);
  await expectNoViolations(page);
  await rotate.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = (await rotate.getByTestId("signing-secret").textContent())!;
  expect(rotated).not.toBe(secret);
  await rotate.getByRole("button", { name: "Done" }).click();
  await expect(page.getByText("The previous secret also signs until")).toBeVisible();
  await receiver(page, name, { secrets: [rotated] });
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(async () => {
    const all = await received(page, name);
    expect(all.length).toBeGreaterThan(got.length);
    expect(all[all.length - 1].verified).toBe(true);
  }).toPass({ timeout: 10_000 });

  // A partner's own event, published with a write token, arrives and can be
  // picked in the log's event-type filter.
  const credential = await (
    await page.request.post(`/api/projects/${project.id}/credentials`, {
      headers: APP_HEADERS,
      data: { description: "Orders backend", scopes: ["write"], pin: PIN },
    })
  ).json();
  const issued = await (
    await request.post("/v1/auth/token", {
      data: { grant_type: "client_credentials", client_id: credential.client_id, client_secret: credential.client_secret },
    })
  ).json();
  const published = await request.post("/v1/events", {
    headers: { authorization: `Bearer ${issued.access_token}` },
    data: { type: "order.shipped", data: { order: "ord_1" } },
  });
  expect(published.status()).toBe(202);
  const typeFilter = page.locator("#log-event-type");
  await expect(typeFilter.locator("option", { hasText: "order.shipped" })).toHaveCount(1, { timeout: 10_000 });
  await typeFilter.selectOption("order.shipped");
  await expect(log.getByRole("row")).toHaveCount(2);
  await expect(log.getByRole("row").nth(1)).toContainText("order.shipped");
  await expect(log.getByRole("row").nth(1)).toContainText("Succeeded", { timeout: 10_000 });
  await expect(typeFilter).toHaveValue("order.shipped");
  expect((await received(page, name)).find((r) => r.body.type === "order.shipped")?.verified).toBe(true);

  // Disable: it says why, and gets nothing new.
  await page.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("status")).toContainText("The endpoint is disabled");
  await expect(page.getByText("Disabled by a member of your team.")).toBeVisible();
  const send = page.getByRole("button", { name: "Send test event" });
  await expect(send).toHaveAttribute("aria-disabled", "true");
  await expect(send).toHaveAccessibleDescription("Enable the endpoint to send it test events.");
  // Its empty log says what to do first, not to press that disabled button.
  await page.reload();
  await page.locator("#log-event-type").selectOption("credential.revoked");
  await expect(
    page.getByText("No deliveries match. Enable the endpoint, then send a test event to see one here."),
  ).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Orders" }).locator("td.numeric").nth(1)).toHaveText("1");
  await expectNoViolations(page);

  // The project's Webhooks tab: the success rate of the past 24 hours counts
  // the failed attempts (one, or two if the automatic retry came first).
  await page.getByRole("link", { name: "Orders" }).click();
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Webhooks" }).click();
  const row = page.getByRole("table", { name: "Webhook endpoints" }).getByRole("row").nth(1);
  await expect(row).toContainText("% succeeded");
  const [, percent, succeeded, attempts] = (await row.textContent())!.match(/(\d+)% succeeded(\d+) of (\d+) attempts/)!.map(Number);
  expect(attempts - succeeded).toBeGreaterThanOrEqual(1);
  expect(attempts - succeeded).toBeLessThanOrEqual(2);
  expect(percent).toBe(Math.floor((succeeded * 100) / attempts));
});
