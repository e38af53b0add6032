// Playwright: Debian's Chromium against the real portal-server serving the
// release build in dist/, on a throwaway database, with mail going over SMTP
// to a real SMTP server process (support/mail-sink.mjs).
import { defineConfig } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const PORTAL = "http://127.0.0.1:8090";
export const MAIL_SINK = "http://127.0.0.1:2581";
export const RECEIVER = "http://127.0.0.1:2590";
const root = path.resolve(__dirname, "..");

// The config is also loaded by each worker; only the runner starts servers,
// so the throwaway folder is made once and handed down through the environment.
const dataDir =
  process.env.PORTAL_E2E_DATA ??
  (process.env.PORTAL_E2E_DATA = fs.mkdtempSync(path.join(os.tmpdir(), "portal-e2e-")));

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: PORTAL,
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
  webServer: [
    {
      command: "node end2end/support/mail-sink.mjs --smtp-port 2526 --http-port 2581",
      cwd: root,
      url: MAIL_SINK,
      reuseExistingServer: false,
    },
    {
      command: "node end2end/support/webhook-receiver.mjs --port 2590",
      cwd: root,
      url: `${RECEIVER}/health`,
      reuseExistingServer: false,
    },
    {
      command: "./target/debug/portal-server",
      cwd: root,
      url: `${PORTAL}/api/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        PORTAL_ADDR: "127.0.0.1:8090",
        PORTAL_PUBLIC_URL: PORTAL,
        PORTAL_DATABASE_URL: `sqlite://${dataDir}/portal.db`,
        PORTAL_DATA_DIR: dataDir,
        PORTAL_DIST: path.join(root, "dist"),
        PORTAL_SMTP_URL: "smtp://127.0.0.1:2526",
        PORTAL_LOG: "warn",
        // Every spec signs up its own organisation from this one address.
        PORTAL_SIGN_UPS_PER_HOUR: "1000",
        // The webhook receiver runs on this machine.
        PORTAL_WEBHOOK_ALLOW_PRIVATE: "true",
      },
    },
  ],
});
