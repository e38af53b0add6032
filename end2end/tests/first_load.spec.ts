// First load (issue 14): each app's wasm is split at its pages. The pages a
// partner lands on (overview, projects; sign-in) are in the app's own module;
// a page opened by its address fetches the app's module and that page's
// modules, which its HTML preloads, and no other page's; another page's
// modules come when the partner goes there.
import type { Page } from "@playwright/test";
import { APP_HEADERS, confirmedAccount, signIn } from "./fixtures/accounts";
import { expect, test } from "./fixtures/test";

const APP_MODULE = /\/app\/portal-[0-9a-f]+_bg\.wasm$/;
const SIGN_IN_MODULE = /\/auth\/portal-sign-in-[0-9a-f]+_bg\.wasm$/;

/** The wasm files the page fetches from now on, in order. */
function wasmFetches(page: Page): string[] {
  const fetched: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) fetched.push(path);
  });
  return fetched;
}

async function preloads(page: Page, path: string): Promise<string[]> {
  const html = await (await page.request.get(path)).text();
  return [...html.matchAll(/<link as=fetch crossorigin href=(\S+\.wasm) rel=preload>/g)].map((m) => m[1]);
}

test("the sign-in page loads the sign-in app's module alone; its other pages, their own", async ({ page }) => {
  expect(await preloads(page, "/signin")).toEqual([]);
  let fetched = wasmFetches(page);
  await page.goto("/signin");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  expect(fetched).toHaveLength(1);
  expect(fetched[0]).toMatch(SIGN_IN_MODULE);

  // Sign-up by its address: its modules, preloaded and fetched once.
  const signUpModules = await preloads(page, "/signup");
  expect(signUpModules.filter((path) => path.includes("/split_sign_up_page-"))).toHaveLength(1);
  await page.close();
  const next = await page.context().newPage();
  fetched = wasmFetches(next);
  await next.goto("/signup");
  await expect(next.getByRole("button", { name: "Create account" })).toBeVisible();
  expect(fetched.filter((path) => !SIGN_IN_MODULE.test(path)).sort()).toEqual([...signUpModules].sort());
  expect(new Set(fetched).size).toBe(fetched.length);
  expect(fetched.some((path) => path.includes("/split_invite_page-"))).toBe(false);
});

test("each page loads the wasm it needs, when it is needed", async ({ page, request }) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  const project = await (
    await page.request.post("/api/projects", { headers: APP_HEADERS, data: { name: "Checkout", environment: "sandbox" } })
  ).json();

  // A landing page: the app's module alone.
  expect(await preloads(page, "/projects")).toEqual([]);
  let fetched = wasmFetches(page);
  await page.goto("/projects");
  await expect(page.getByRole("row", { name: /Checkout/ })).toBeVisible();
  expect(fetched).toHaveLength(1);
  expect(fetched[0]).toMatch(APP_MODULE);

  // The team page by its address: its modules, preloaded and fetched once
  // (the loader used the preloads), and no other page's.
  const teamModules = await preloads(page, "/team");
  expect(teamModules.filter((path) => path.includes("/split_team_page-"))).toHaveLength(1);
  await page.close();
  const next = await page.context().newPage();
  fetched = wasmFetches(next);
  await next.goto("/team");
  await expect(next.getByRole("row", { name: /Ada Lovelace/ })).toBeVisible();
  expect(fetched.filter((path) => !APP_MODULE.test(path)).sort()).toEqual([...teamModules].sort());
  expect(new Set(fetched).size).toBe(fetched.length);
  expect(fetched.some((path) => path.includes("/split_project_page-"))).toBe(false);

  // Going to a project fetches the project page's module then; while it is
  // on its way, the page's progress bar shows.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await next.route("**/split_project_page-*", async (route) => {
    await held;
    await route.continue();
  });
  await next.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  await next.getByRole("link", { name: "Checkout" }).click();
  await expect(next.locator(".progress")).toBeVisible();
  release();
  await expect(next).toHaveURL(new RegExp(`/projects/${project.id}$`));
  await expect(next.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(next.locator(".progress")).toHaveCount(0);
  expect(fetched.filter((path) => path.includes("/split_project_page-"))).toHaveLength(1);
});

test("the page's title, painted by the HTML before the app, counts as its first largest paint", async ({
  page,
  request,
}) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  await page.addInitScript(() => {
    const w = window as unknown as { paints: { name: string; time: number }[] };
    w.paints = [];
    for (const type of ["paint", "largest-contentful-paint"]) {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.paints.push({ name: e.name || type, time: e.startTime });
      }).observe({ type, buffered: true });
    }
  });
  await page.goto("/projects");
  await expect(page.getByText("No projects yet.")).toBeVisible();
  const paints = await page.evaluate(() => (window as unknown as { paints: { name: string; time: number }[] }).paints);
  const fcp = paints.find((p) => p.name === "first-contentful-paint");
  const largest = paints.filter((p) => p.name === "largest-contentful-paint");
  expect(fcp).toBeDefined();
  // The first largest paint is the frame's title, shown with the first paint
  // (without the wait for it, the app would replace the frame before the
  // browser had counted it). Larger content the page shows later (here the
  // empty list's explanation) may follow.
  expect(largest[0].time).toBe(fcp!.time);
});

test("a page whose module is gone since the app loaded (a new version) loads afresh", async ({
  page,
  request,
  pageErrors,
}) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);
  await page.goto("/projects");
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  // The team page's module answers 404 once, as an old name would after a
  // deploy: the team page loads afresh, and gets it.
  let refused = 0;
  await page.route("**/split_team_page-*", async (route) => {
    if (refused++ === 0) await route.fulfill({ status: 404, body: "Not found" });
    else await route.continue();
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(page).toHaveURL(/\/team$/);
  await expect(page.getByRole("row", { name: /Ada Lovelace/ })).toBeVisible();
  expect(refused).toBe(2);
  // The loader logs the failed load; nothing else went wrong.
  expect(pageErrors).toEqual([expect.stringContaining("HTTP status code is not ok")]);
  pageErrors.length = 0;

  // Another one missing moments later (gone for good, or the network is
  // down): the page says so instead of loading again and again, and "Try
  // again" loads it afresh.
  refused = 0;
  await page.route("**/split_settings_page-*", async (route) => {
    if (refused++ === 0) await route.fulfill({ status: 404, body: "Not found" });
    else await route.continue();
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "This page couldn't be loaded" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("Check your connection, then try again.");
  expect(refused).toBe(1);
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  expect(refused).toBe(2);
  expect(pageErrors).toEqual([expect.stringContaining("HTTP status code is not ok")]);
  pageErrors.length = 0;
});
