// The harness itself: an error in the console of any page a spec opens, in
// its own page or in a context it opens, fails that spec. Each test here is
// expected to fail; if the harness stopped watching, it would pass, and
// Playwright reports an expected failure that passed as a failure.
import { expect, test } from "./fixtures/test";

test("an error in the test's own page fails it", async ({ page }) => {
  test.fail(true, "the page's console error must fail the test");
  await page.goto("/signin");
  await expect(page.getByLabel("Email")).toBeVisible();
  await page.evaluate(() => console.error("a deliberate error in the test's page"));
});

test("an error in a page of another context fails it", async ({ browser }) => {
  test.fail(true, "another context's console error must fail the test");
  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto("/signin");
  await expect(other.getByLabel("Email")).toBeVisible();
  await other.evaluate(() => console.error("a deliberate error in another context"));
});
