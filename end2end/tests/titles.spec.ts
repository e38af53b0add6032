// Each page names itself in the document's title on every navigation, not
// only the first page loaded: tabs, history and bookmarks can be told apart.
import { APP_HEADERS, confirmedAccount, signIn } from "./fixtures/accounts";
import { expect, test } from "./fixtures/test";

test("the document's title follows the page, its tab and what it shows", async ({ page, request }) => {
  const { email } = await confirmedAccount(request);
  await signIn(page, email);
  await expect(page).toHaveTitle("Overview · Partner Portal");

  const created = await page.request.post("/api/projects", {
    headers: APP_HEADERS,
    data: { name: "Billing", environment: "sandbox" },
  });
  expect(created.status()).toBe(201);
  const project = (await created.json()).id as string;

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Projects" }).click();
  await expect(page).toHaveTitle("Projects · Partner Portal");
  await page.getByRole("link", { name: "Billing" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${project}$`));
  await expect(page).toHaveTitle("Credentials · Billing · Partner Portal");
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page).toHaveTitle("Webhooks · Billing · Partner Portal");
  await nav.getByRole("link", { name: "Team" }).click();
  await expect(page).toHaveTitle("Members · Team · Partner Portal");
  await page.getByRole("navigation", { name: "Team" }).getByRole("link", { name: "Invitations" }).click();
  await expect(page).toHaveTitle("Invitations · Team · Partner Portal");
  // Back goes back to the title it had.
  await page.goBack();
  await expect(page).toHaveTitle("Members · Team · Partner Portal");
  await page.goto("/no/such/page");
  await expect(page).toHaveTitle("Page not found · Partner Portal");
});
