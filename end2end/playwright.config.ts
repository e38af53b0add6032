// Playwright: Debian's Chromium against the real portal-server serving the
// release build in dist/, on a throwaway database, with mail going over SMTP
// to a real SMTP server process (support/mail-sink.mjs). The global setup
// starts them on ports the OS picks and hands the addresses down in
// PORTAL_E2E_* variables (see support/urls.ts).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  fullyParallel: true,
  // A stray test.only must fail CI, not quietly shrink it.
  forbidOnly: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    // Read in the workers, which start after the global setup.
    baseURL: process.env.PORTAL_E2E_URL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
