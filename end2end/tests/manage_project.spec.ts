// Projects: create one, rename it, delete it; a viewer only looks.
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { APP_HEADERS, PIN, confirmedAccount, invitedMember, signIn, uniqueEmail } from "./fixtures/accounts";
import { expect, test } from "./fixtures/test";

async function expectNoViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

test("create, rename and delete a project", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await expect(page.getByText("No projects yet.")).toBeVisible();
  await expectNoViolations(page);

  await page.getByRole("button", { name: "New project" }).click();
  const dialog = page.getByRole("dialog");
  await expectNoViolations(page);
  await dialog.getByRole("button", { name: "Create project" }).click();
  await expect(page.locator("#project-name-error")).toHaveText("Give the project a name.");
  await dialog.getByLabel("Name").fill("Checkout");
  await dialog.getByLabel("Environment").selectOption({ label: "Production" });
  await dialog.getByLabel("Description (optional)").fill("Card payments for the web shop");
  await dialog.getByRole("button", { name: "Create project" }).click();

  await expect(page).toHaveURL(/\/projects\/prj_[a-z2-7]+$/);
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(page.locator(".badge-production")).toHaveText("Production");
  await expect(page.getByRole("status")).toContainText("Project Checkout created.");
  await expectNoViolations(page);

  // A second project, then try to give it the first one's name.
  const second = await page.request.post("/api/projects", {
    headers: APP_HEADERS,
    data: { name: "Billing", environment: "sandbox" },
  });
  expect(second.status()).toBe(201);
  const billing = await second.json();
  await page.goto(`/projects/${billing.id}`);
  await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\?tab=settings$/);
  await page.getByLabel("Name").fill("checkout");
  await page.getByRole("button", { name: "Save project" }).click();
  await expect(page.locator("#project-name-error")).toHaveText("Your organisation already has a project with this name.");
  await page.getByLabel("Name").fill("Billing EU");
  await page.getByRole("button", { name: "Save project" }).click();
  await expect(page.getByRole("status")).toContainText("The project is saved.");
  await expect(page.getByRole("heading", { name: "Billing EU" })).toBeVisible();

  await page.getByRole("button", { name: "Delete project" }).click();
  await expectNoViolations(page);
  await page.getByLabel("Project name").fill("Billing");
  await page.getByRole("dialog").getByRole("button", { name: "Delete project" }).click();
  await expect(page.locator("#delete-confirm-error")).toHaveText("Type the project's name exactly.");
  await page.getByLabel("Project name").fill("Billing EU");
  await expect(page.locator("#pin-error")).toHaveText("Enter your 6-digit security PIN.");
  await page.getByLabel("Your security PIN").fill("000001");
  await page.getByRole("dialog").getByRole("button", { name: "Delete project" }).click();
  await expect(page.locator("#pin-error")).toContainText("That PIN is wrong.");
  await page.getByLabel("Your security PIN").fill(PIN);
  await page.getByRole("dialog").getByRole("button", { name: "Delete project" }).click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByRole("status")).toContainText("Project Billing EU deleted.");
  await expect(page.getByRole("row").filter({ hasText: "Checkout" })).toContainText("Production");
  await expect(page.getByRole("row").filter({ hasText: "Checkout" }).locator("td.numeric")).toHaveText(["0", "0"]);
  await expect(page.getByRole("row").filter({ hasText: "Billing EU" })).toHaveCount(0);

  await page.goto(`/projects/${billing.id}`);
  await expect(page.getByRole("heading", { name: "Project not found" })).toBeVisible();
});

test("a viewer sees projects but can't create or change them", async ({ page, browser, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const created = await page.request.post("/api/projects", {
    headers: APP_HEADERS,
    data: { name: "Checkout", environment: "sandbox" },
  });
  const project = await created.json();
  const email = uniqueEmail("viewer");
  await invitedMember(page, request, email, "viewer");

  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signIn(viewer, email);
  await viewer.goto("/projects");
  await expect(viewer.getByRole("row").filter({ hasText: "Checkout" })).toBeVisible();
  await expect(viewer.getByRole("button", { name: "New project" })).toHaveCount(0);
  await viewer.goto(`/projects/${project.id}?tab=settings`);
  await expect(viewer.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(viewer.getByText("Your role can view this project but not change it.")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Delete project" })).toHaveCount(0);
  await context.close();
});
