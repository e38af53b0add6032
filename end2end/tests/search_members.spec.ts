// Finding people in the member list: search (one request per pause in
// typing, not per keystroke), filters, sort and pages.
import { APP_HEADERS, confirmedAccount, PASSWORD, PIN, signIn, uniqueEmail } from "./fixtures/accounts";
import { invitationLink } from "./fixtures/mail";
import { TeamPage } from "./fixtures/team_page";
import { expect, test } from "./fixtures/test";

test("search, filter, sort and page through the members", async ({ page, request }) => {
  test.slow();
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  // 26 more members: two pages of 25, viewers and developers.
  const people = Array.from({ length: 26 }, (_, i) => ({
    email: uniqueEmail(`person${i}`),
    name: `Person ${String(i).padStart(2, "0")}`,
    role: i % 2 ? "developer" : "viewer",
  }));
  for (const p of people) {
    const r = await page.request.post("/api/invitations", { headers: APP_HEADERS, data: { email: p.email, role: p.role } });
    expect(r.status()).toBe(201);
  }
  for (const p of people) {
    const token = new URL(await invitationLink(p.email)).searchParams.get("token");
    const r = await request.post("/api/invitations/accept", {
      headers: APP_HEADERS,
      data: { token, full_name: p.name, password: PASSWORD, pin: PIN },
    });
    expect(r.status()).toBe(200);
  }

  const team = new TeamPage(page);
  await team.goto();
  await expect(page.getByText("1–25 of 27")).toBeVisible();
  await expect(page.getByText("Page 1 of 2")).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("26–27 of 27")).toBeVisible();
  // Keyboard users land on the new page's results, not the top of the page.
  await expect(page.getByRole("region", { name: "Members" })).toBeFocused();
  await expect(page.getByRole("button", { name: "Next" })).toBeDisabled();
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(page.getByText("1–25 of 27")).toBeVisible();

  // Typing a word asks the server once, after the pause.
  const listCalls: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/users")) listCalls.push(r.url());
  });
  await page.getByLabel("Search").pressSequentially("Person 1", { delay: 40 });
  await expect(page.getByText("1–10 of 10")).toBeVisible();
  expect(listCalls).toHaveLength(1);
  expect(listCalls[0]).toContain("query=Person%201");

  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Developer" });
  await expect(page.getByText("1–5 of 5")).toBeVisible();
  await page.getByLabel("Sort by").selectOption({ label: "Name, Z to A" });
  await expect(page.getByRole("row").nth(1)).toContainText("Person 19");

  await page.getByLabel("Search").fill("nobody-here");
  await expect(page.getByText("No members match your search and filters.")).toBeVisible();
});
