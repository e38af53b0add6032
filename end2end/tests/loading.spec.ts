// Loading: a list that is on its way shows skeleton rows where its table
// will be (nothing moves when the rows arrive), and a page whose data reloads
// shows the thin progress bar, only while it waits.
import { APP_HEADERS, PIN, confirmedAccount, signIn } from "./fixtures/accounts";
import { expect, test } from "./fixtures/test";

test("skeleton rows hold the table's place, and a reload shows the progress bar", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const project = await (
    await page.request.post("/api/projects", { headers: APP_HEADERS, data: { name: "Checkout", environment: "sandbox" } })
  ).json();
  const created = await page.request.post(`/api/projects/${project.id}/credentials`, {
    headers: APP_HEADERS,
    data: { description: "Checkout backend", scopes: ["read"], pin: PIN },
  });
  expect(created.status()).toBe(201);

  // Hold the credentials until the skeleton has been measured.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/projects/*/credentials", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`/projects/${project.id}`);
  const skeleton = page.locator(".table-wrap.skeleton");
  await expect(skeleton).toBeVisible();
  await expect(skeleton).toHaveAttribute("aria-busy", "true");
  await expect(skeleton.locator("tbody tr")).toHaveCount(3);
  const before = (await skeleton.boundingBox())!;
  release();
  const table = page.getByRole("table", { name: "API credentials" });
  await expect(table.getByRole("row", { name: /Checkout backend/ })).toBeVisible();
  await expect(skeleton).toHaveCount(0);
  const after = (await page.locator(".table-wrap").boundingBox())!;
  expect(after.y).toBe(before.y);
  expect(after.x).toBe(before.x);
  expect(after.width).toBe(before.width);
  await page.unroute("**/api/projects/*/credentials");

  // The team list reloads with a filter: the old rows stay, the bar shows
  // while the server answers, and goes when it has.
  let releaseMembers: () => void = () => {};
  await page.goto("/team");
  await expect(page.getByRole("row", { name: /Ada Lovelace/ })).toBeVisible();
  await expect(page.locator(".progress")).toHaveCount(0);
  const heldMembers = new Promise<void>((resolve) => (releaseMembers = resolve));
  await page.route("**/api/users?*", async (route) => {
    await heldMembers;
    await route.continue();
  });
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Viewer" });
  await expect(page.locator(".progress")).toBeVisible();
  await expect(page.getByRole("row", { name: /Ada Lovelace/ })).toBeVisible();
  releaseMembers();
  await expect(page.getByText("No members match your search and filters.")).toBeVisible();
  await expect(page.locator(".progress")).toHaveCount(0);
});
