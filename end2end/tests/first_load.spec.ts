// First load (issue 14): the portal app's wasm is split at its pages. A page
// opened by its address fetches the app's module and that page's modules,
// which its HTML preloads, and no other page's; another page's modules come
// when the partner goes there.
import type { Page } from "@playwright/test";
import { confirmedAccount, signIn } from "./fixtures/accounts";
import { expect, test } from "./fixtures/test";

/** The wasm files the page fetches from now on, in order. */
function wasmFetches(page: Page): string[] {
  const fetched: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) fetched.push(path);
  });
  return fetched;
}

test("a page opened by its address loads its own modules, and the next page loads its own", async ({
  page,
  request,
}) => {
  const admin = await confirmedAccount(request);
  await signIn(page, admin.email);

  const html = await (await page.request.get("/projects")).text();
  const preloaded = [...html.matchAll(/<link as=fetch crossorigin href=(\S+\.wasm) rel=preload>/g)].map((m) => m[1]);
  expect(preloaded.filter((path) => path.includes("/split_projects_page_"))).toHaveLength(1);

  const fetched = wasmFetches(page);
  await page.goto("/projects");
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await expect(page.getByText("No projects yet.")).toBeVisible();
  const pageModules = fetched.filter((path) => !/\/portal-[0-9a-f]+_bg\.wasm$/.test(path));
  // Exactly the modules the HTML preloaded, each fetched once: the loader
  // used the preloads.
  expect([...pageModules].sort()).toEqual([...preloaded].sort());
  expect(new Set(fetched).size).toBe(fetched.length);
  expect(fetched.some((path) => path.includes("/split_team_page_"))).toBe(false);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(page.getByRole("row", { name: /Ada Lovelace/ })).toBeVisible();
  expect(fetched.filter((path) => path.includes("/split_team_page_"))).toHaveLength(1);
});
