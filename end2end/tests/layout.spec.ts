// Every page and dialog at 1280 and 375 px wide, in light and dark, on an
// organisation with long, awkward, realistic data (fixtures/seed.ts):
// - nothing is wider than the viewport unless it is inside a scroll
//   container that shows it scrolls (the edge shadows);
// - at 1280 px every table fits its card, so every row's "⋯" menu is on
//   screen without scrolling sideways;
// - no word is broken across lines (each word's rendered lines are
//   measured), and the CSS that breaks words is nowhere;
// - toasts cover none of the page's controls;
// - axe-core finds no violations, colour contrast included.
// Each main screen is saved as a screenshot under target/screenshots/
// (name-width-theme.png), so the whole product can be looked at in a minute.
import AxeBuilder from "@axe-core/playwright";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { PIN } from "./fixtures/accounts";
import { seedOrganisation } from "./fixtures/seed";

const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS ?? path.resolve(__dirname, "../../target/screenshots");

/** The layout problems of what is on screen now, as sentences. */
async function layoutProblems(page: Page, wide: boolean): Promise<string[]> {
  return page.evaluate((wide) => {
    const problems: string[] = [];
    const vw = document.documentElement.clientWidth;
    const describe = (el: Element) => {
      const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
      return `<${el.tagName.toLowerCase()}${cls}> "${(el.textContent ?? "").trim().slice(0, 40)}"`;
    };
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden") return false;
      // The body of a closed <details> is not shown.
      const details = el.closest("details:not([open])");
      return !details || el.closest("summary") !== null || el === details;
    };
    // A scroll container shows it scrolls by its edge shadows.
    const showsItScrolls = (el: Element) => getComputedStyle(el).backgroundImage.includes("radial-gradient");

    if (document.documentElement.scrollWidth > vw) {
      problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${vw} px)`);
    }
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      if (!visible(el)) continue;
      const style = getComputedStyle(el);
      // Prose never breaks inside a word; a secret, an id or code (which has
      // no words) wraps between any two characters, to be read whole.
      const value = el.closest("code, pre") !== null;
      if (!value && (style.wordBreak === "break-all" || style.overflowWrap === "anywhere" || style.overflowWrap === "break-word")) {
        problems.push(`${describe(el)} breaks words (${style.wordBreak}, ${style.overflowWrap})`);
      }
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1 && r.left >= -1) continue;
      // Wider than the viewport: fine only inside a container that clips it.
      let clipper: Element | null = el.parentElement;
      while (clipper && getComputedStyle(clipper).overflowX === "visible") clipper = clipper.parentElement;
      if (!clipper || clipper === document.documentElement || clipper === document.body) {
        problems.push(`${describe(el)} is wider than the viewport (${Math.round(r.left)}–${Math.round(r.right)} px)`);
        continue;
      }
      const c = clipper.getBoundingClientRect();
      if (c.right > vw + 1 || c.left < -1) continue; // reported as itself
      const o = getComputedStyle(clipper).overflowX;
      if ((o === "auto" || o === "scroll") && clipper.scrollWidth > clipper.clientWidth && !showsItScrolls(clipper)) {
        problems.push(`${describe(clipper)} scrolls sideways without showing it`);
      }
    }
    // Values are read whole: a secret, an id, a snippet or a payload wraps
    // rather than hide part of itself sideways, and its Copy button sits
    // beside it, not over it.
    for (const el of Array.from(document.querySelectorAll(".secret-values code, .code-block pre, pre.payload, .timeline pre"))) {
      if (!visible(el)) continue;
      if (el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${describe(el)} hides ${el.scrollWidth - el.clientWidth} px of itself sideways`);
      }
      const copy = el.parentElement?.querySelector(":scope > button");
      if (copy && visible(copy)) {
        const [a, b] = [el.getBoundingClientRect(), copy.getBoundingClientRect()];
        if (a.right > b.left + 1 && a.left < b.right - 1 && a.bottom > b.top + 1 && a.top < b.bottom - 1) {
          problems.push(`${describe(el)} is under its Copy button`);
        }
      }
    }
    for (const wrap of Array.from(document.querySelectorAll(".table-wrap, .tabs"))) {
      if (visible(wrap) && wrap.scrollWidth > wrap.clientWidth + 1 && !showsItScrolls(wrap)) {
        problems.push(`${describe(wrap)} scrolls sideways without showing it`);
      }
    }
    if (wide) {
      // The columns that matter fit: no table scrolls, every row's menu is in view.
      for (const wrap of Array.from(document.querySelectorAll(".table-wrap"))) {
        if (wrap.scrollWidth > wrap.clientWidth + 1) {
          problems.push(`table "${wrap.querySelector("caption")?.textContent}" is ${wrap.scrollWidth} px in ${wrap.clientWidth} px`);
        }
        const w = wrap.getBoundingClientRect();
        for (const button of Array.from(wrap.querySelectorAll("td.actions button"))) {
          const b = button.getBoundingClientRect();
          if (b.right > Math.min(w.right, vw) || b.left < w.left) {
            problems.push(`${button.getAttribute("aria-label")} is out of view`);
          }
        }
      }
    }
    // No word split over two lines: measure each word's rendered lines. A
    // break after a hyphen or a slash is a normal line break, so those parts
    // are measured apart.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? "";
      const parent = node.parentElement;
      if (!parent || !visible(parent) || parent.closest(".visually-hidden, pre, code, script, style")) continue;
      const word = /[^\s\-/]{2,}/g;
      for (let m = word.exec(text); m; m = word.exec(text)) {
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(
          Array.from(range.getClientRects())
            .filter((r) => r.width > 0)
            .map((r) => Math.round(r.top)),
        );
        if (tops.size > 1) problems.push(`"${m[0]}" is broken over ${tops.size} lines in ${describe(parent)}`);
      }
    }
    // Toasts sit where no control of the page is.
    for (const toast of Array.from(document.querySelectorAll(".toast"))) {
      const t = toast.getBoundingClientRect();
      for (const control of Array.from(document.querySelectorAll("main a, main button, main input, main select, main summary"))) {
        if (!visible(control)) continue;
        const c = control.getBoundingClientRect();
        if (c.left < t.right && c.right > t.left && c.top < t.bottom && c.bottom > t.top) {
          problems.push(`a toast covers ${describe(control)}`);
        }
      }
    }
    return problems;
  }, wide);
}

async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(", ")})`);
}

for (const width of [1280, 375]) {
  for (const scheme of ["light", "dark"] as const) {
    test.describe(`at ${width} px, ${scheme}`, () => {
      test.use({ viewport: { width, height: width > 400 ? 800 : 740 }, colorScheme: scheme });

      test("every page and dialog lays out, reads and contrasts well", async ({ page, request, browser }) => {
        test.setTimeout(240_000);
        const wide = width > 400;
        const failures: string[] = [];

        /** Checks what is on screen; saves it as `shot` when given (the whole
         * page, or what the viewport shows while a dialog or menu is open). */
        const look = async (where: string, shot?: string) => {
          await page.waitForLoadState("networkidle");
          // Let late renders settle (the delivery log polls).
          await page.waitForTimeout(150);
          for (const p of await layoutProblems(page, wide)) failures.push(`${where}: ${p}`);
          for (const v of await axeViolations(page)) failures.push(`${where}: ${v}`);
          if (shot) {
            const overlay = (await dialog().count()) > 0 || (await page.getByRole("menu").count()) > 0;
            // A whole page from its top, so the sticky top bar and sidebar sit where they belong.
            if (!overlay) await page.evaluate(() => window.scrollTo(0, 0));
            await page.screenshot({ path: path.join(SCREENSHOTS, `${shot}-${width}-${scheme}.png`), fullPage: !overlay });
          }
        };
        const dialog = () => page.getByRole("dialog");
        const closeDialog = async () => {
          await page.keyboard.press("Escape");
          await expect(dialog()).toHaveCount(0);
        };
        /** Opens a row's "⋯" menu and picks `item`. */
        const rowAction = async (menu: string, item: string) => {
          await page.getByRole("button", { name: menu }).click();
          await page.getByRole("menuitem", { name: item }).click();
          await expect(dialog()).toBeVisible();
        };

        const s = await seedOrganisation(page, request);

        await page.goto("/");
        await expect(page.getByText("Quick start: 4 of 4 done.")).toBeVisible({ timeout: 10_000 });
        await look("overview", "overview");
        if (!wide) {
          await page.getByRole("button", { name: "Open the navigation" }).click();
          await expect(dialog().getByRole("link", { name: "Projects" })).toBeVisible();
          await look("navigation sheet", "navigation");
          await closeDialog();
        }
        await page.getByRole("button", { name: "Ada Lovelace" }).click();
        await look("user menu");
        await page.keyboard.press("Escape");

        await page.goto("/projects");
        await expect(page.getByRole("row", { name: /Checkout staging/ })).toBeVisible();
        await look("projects", "projects");
        await page.getByRole("button", { name: "New project" }).click();
        await look("new project dialog");
        await closeDialog();

        await page.goto(`/projects/${s.production}`);
        await expect(page.getByRole("row", { name: /Checkout backend/ })).toBeVisible();
        await look("credentials", "credentials");
        await page.getByRole("button", { name: "Actions for Checkout backend" }).click();
        await expect(page.getByRole("menu")).toBeVisible();
        await look("a credential's menu", "credential-menu");
        await page.keyboard.press("Escape");
        await page.getByRole("button", { name: "New credential" }).click();
        await look("new credential dialog", "new-credential");
        await closeDialog();
        await rowAction("Actions for Checkout backend", "Roll secret");
        await look("roll dialog");
        await closeDialog();
        await rowAction("Actions for Checkout backend", "Revoke");
        await expect(dialog()).toContainText("Production.");
        await look("revoke dialog");
        await closeDialog();

        await page.goto(`/projects/${s.sandbox}?tab=webhooks`);
        await expect(page.getByRole("row", { name: /Fulfilment notifications/ })).toBeVisible();
        await look("webhook endpoints", "webhooks");
        await page.getByRole("button", { name: "Add endpoint" }).click();
        await dialog().getByLabel("Only the ones I choose").check();
        await expect(dialog().getByLabel(/credential\.created/)).toBeVisible();
        await look("add endpoint dialog", "add-endpoint");
        await closeDialog();

        await page.goto(`/projects/${s.production}?tab=settings`);
        await page.getByRole("button", { name: "Delete project" }).click();
        await look("delete project dialog", "delete-project");
        await closeDialog();

        await page.goto(`/projects/${s.sandbox}/webhooks/${s.failing}`);
        const log = page.getByRole("table", { name: "Deliveries, newest first" });
        await expect(log.getByRole("row").nth(1)).toContainText("Retrying");
        await look("a failing endpoint", "endpoint-failing");
        await page.getByRole("button", { name: "Send test event" }).click();
        await expect(page.getByRole("status")).toContainText("on its way");
        await look("a failing endpoint with a toast");
        await log.getByRole("button", { name: "Details of the credential.created delivery" }).click();
        await expect(dialog()).toContainText("HTTP 500");
        await look("delivery details", "delivery");
        await closeDialog();
        await page.getByRole("button", { name: "More actions for this endpoint" }).click();
        await page.getByRole("menuitem", { name: "Delete endpoint" }).click();
        await look("delete endpoint dialog");
        await closeDialog();
        await page.goto(`/projects/${s.sandbox}/webhooks/${s.healthy}`);
        await expect(page.getByRole("table", { name: "Deliveries, newest first" })).toContainText("Succeeded");
        await page.getByText("How to verify our signatures").click();
        await look("a healthy endpoint", "endpoint-healthy");
        await page.goto(`/projects/${s.production}/webhooks/${s.disabled}`);
        await expect(page.getByText("Disabled by a member of your team.")).toBeVisible();
        await look("a disabled production endpoint", "endpoint-disabled");

        await page.goto("/team");
        await expect(page.getByRole("row", { name: /Grace Hopper/ })).toBeVisible();
        await look("members", "team");
        await rowAction("Actions for Grace Hopper", "Change role");
        await look("change role dialog", "change-role");
        await closeDialog();
        await rowAction("Actions for Grace Hopper", "Deactivate");
        await look("deactivate dialog");
        await closeDialog();
        await page.getByRole("button", { name: "Invite member" }).click();
        await look("invite dialog", "invite");
        await closeDialog();
        await page.goto("/team?tab=invitations");
        await expect(page.getByRole("row", { name: /margaret/ })).toBeVisible();
        await look("invitations", "invitations");
        await page.getByRole("button", { name: /^Actions for the invitation to margaret/ }).click();
        await page.getByRole("menuitem", { name: "Revoke" }).click();
        await look("revoke invitation dialog");
        await closeDialog();

        await page.goto("/settings");
        await expect(page.getByRole("heading", { name: "Security PIN" })).toBeVisible();
        await look("settings", "settings");
        await page.goto("/no/such/page");
        await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
        // Inside the frame: the user menu is there.
        await expect(page.getByRole("button", { name: "Ada Lovelace" })).toBeVisible();
        await look("404 while signed in", "not-found");

        // The secret, once: a real create, to see the reveal step.
        await page.goto(`/projects/${s.sandbox}`);
        await page.getByRole("button", { name: "New credential" }).click();
        await dialog().getByLabel("Description").fill("Layout check");
        await dialog().getByLabel("Your security PIN").fill(PIN);
        await dialog().getByRole("button", { name: "Create credential" }).click();
        await expect(dialog().getByRole("heading", { name: "Your new secret" })).toBeFocused();
        await look("the secret reveal", "secret-reveal");

        // Signed out: the sign-in app's pages.
        const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
        const visitor = await context.newPage();
        for (const [where, url, heading] of [
          ["sign-in", "/signin", "Sign in"],
          ["sign-up", "/signup", "Create your partner account"],
          ["404 signed out", "/nowhere", "Page not found"],
        ] as const) {
          await visitor.goto(url);
          await expect(visitor.getByRole("heading", { name: heading })).toBeVisible();
          for (const p of await layoutProblems(visitor, wide)) failures.push(`${where}: ${p}`);
          for (const v of await axeViolations(visitor)) failures.push(`${where}: ${v}`);
          await visitor.screenshot({ path: path.join(SCREENSHOTS, `${where.replace(/ /g, "-")}-${width}-${scheme}.png`), fullPage: true });
        }

        expect(failures).toEqual([]);
      });
    });
  }
}
