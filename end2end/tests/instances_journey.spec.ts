// The main journey on a portal run as a platform runs it: nginx (with
// deploy/nginx/portal.conf) round-robin over two instances on one
// PostgreSQL database, their limits in Redis. Sign up and confirm by mail,
// create a project and a credential (its secret shown once), get a token
// with it, and receive a signed test event at a webhook endpoint; each
// instance answers part of it. `make test` runs the specs under
// scripts/with-postgres.sh --redis.
import { expect, test } from "./fixtures/test";
import { PASSWORD, PIN, uniqueEmail } from "./fixtures/accounts";
import { confirmationLink } from "./fixtures/mail";
import { SignUpPage } from "./fixtures/sign_up_page";
import { instanceMetrics, instancesUrl, receiverUrl } from "../support/urls";

/** API requests an instance has answered, from its metrics. */
async function answered(metrics: string): Promise<number> {
  const page = await (await fetch(metrics)).text();
  return page
    .split("\n")
    .filter((line) => line.startsWith("portal_http_requests_total{"))
    .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}

test("sign up, project, credential, token and a webhook through nginx on two instances", async ({ browser }) => {
  const portal = instancesUrl();
  const ready = await (await fetch(`${portal}/api/health/ready`)).json();
  expect(ready).toEqual({
    status: "ready",
    database: "ok",
    rate_limits: process.env.PORTAL_TEST_REDIS_URL ? "shared" : "per_instance",
  });
  const before = await Promise.all(instanceMetrics().map(answered));
  // Over TLS, with one HSTS header (nginx's, also on its own answers).
  const health = await fetch(`${portal}/api/health/live`);
  expect(health.headers.get("strict-transport-security")).toBe("max-age=63072000; includeSubDomains");
  // The certificate is the harness's own: the browser is told to accept it.
  const context = await browser.newContext({ baseURL: portal, ignoreHTTPSErrors: true });
  const page = await context.newPage();

  const email = uniqueEmail("pg");
  const signUp = new SignUpPage(page);
  await signUp.goto();
  await signUp.signUp({ organisation: "Postgres Payments", name: "Edgar Codd", email, password: PASSWORD, pin: PIN });
  await expect(page.getByRole("heading", { name: "Check your inbox" })).toBeVisible();
  const link = await confirmationLink(email);
  expect(link.startsWith(portal)).toBe(true);
  await page.goto(link);
  await expect(page.getByText("Welcome, Edgar Codd.")).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  await page.getByRole("button", { name: "New project" }).click();
  const newProject = page.getByRole("dialog");
  await newProject.getByLabel("Name").fill("Ledger");
  await newProject.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: "Ledger" })).toBeVisible();

  await page.getByRole("button", { name: "New credential" }).click();
  const dialog = page.getByRole("dialog", { name: "New credential" });
  await dialog.getByLabel("Description").fill("Ledger backend");
  await dialog.getByLabel("Your security PIN").fill(PIN);
  await dialog.getByRole("button", { name: "Create credential" }).click();
  const reveal = page.getByRole("dialog", { name: "Store your new credential" });
  const clientId = (await reveal.getByTestId("client-id").textContent())!;
  const secret = (await reveal.getByTestId("client-secret").textContent())!;
  await reveal.getByLabel("I have stored the secret").check();
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Ledger backend" })).toContainText("Active");

  const token = await page.request.post(`${portal}/v1/auth/token`, {
    form: { grant_type: "client_credentials", client_id: clientId, client_secret: secret },
  });
  expect(token.status()).toBe(200);
  const { access_token } = await token.json();
  const me = await page.request.get(`${portal}/v1/whoami`, { headers: { authorization: `Bearer ${access_token}` } });
  expect((await me.json()).project.name).toBe("Ledger");

  // A webhook endpoint at the receiver, which checks the signature.
  const name = `pg${Date.now()}${process.pid}`;
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const add = page.getByRole("dialog", { name: "Add an endpoint" });
  await add.getByLabel("Endpoint URL").fill(`${receiverUrl()}/hooks/${name}`);
  await add.getByRole("button", { name: "Add endpoint" }).click();
  const signing = (await add.getByTestId("signing-secret").textContent())!;
  const control = await page.request.put(`${receiverUrl()}/control/${name}`, { data: { secrets: [signing] } });
  expect(control.ok()).toBe(true);
  await add.getByRole("button", { name: "Done" }).click();
  await page.getByRole("button", { name: "Send test event" }).click();
  const log = page.getByRole("table", { name: "Deliveries, newest first" });
  await expect(log.getByRole("row").nth(1)).toContainText("Succeeded", { timeout: 10_000 });
  const got = await (await page.request.get(`${receiverUrl()}/control/${name}/received`)).json();
  expect(got).toHaveLength(1);
  expect(got[0].verified, got[0].error ?? "").toBe(true);

  // nginx shared the journey's requests between the two instances.
  const after = await Promise.all(instanceMetrics().map(answered));
  after.forEach((n, i) => expect(n - before[i], `requests answered by instance ${i + 1}`).toBeGreaterThan(5));
});
