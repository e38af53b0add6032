// Starts the processes every spec shares, on ports the OS picks, and hands
// their addresses to the workers through the environment: the SMTP sink, the
// webhook receiver and the portal itself (on SQLite), and, when run under
// scripts/with-postgres.sh, a second portal on PostgreSQL. Returns the
// teardown.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDatabase, startMailSink, startPortal, startReceiver } from "./support/processes";

export default async function globalSetup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-e2e-shared-"));
  const stops: (() => void)[] = [];
  try {
    const sink = await startMailSink(dir);
    stops.push(sink.stop);
    process.env.PORTAL_E2E_SMTP_URL = `smtp://127.0.0.1:${sink.smtpPort}`;
    process.env.PORTAL_E2E_MAIL_SINK = sink.url;
    const receiver = await startReceiver(dir);
    stops.push(receiver.stop);
    process.env.PORTAL_E2E_RECEIVER = receiver.url;
    const portal = await startPortal();
    stops.push(portal.stop);
    process.env.PORTAL_E2E_URL = portal.url;
    if (process.env.PORTAL_TEST_POSTGRES) {
      const onPostgres = await startPortal({ PORTAL_DATABASE_URL: createDatabase("e2e_journey") });
      stops.push(onPostgres.stop);
      process.env.PORTAL_E2E_POSTGRES_URL = onPostgres.url;
    }
  } catch (e) {
    stops.forEach((stop) => stop());
    throw e;
  }
  return () => stops.reverse().forEach((stop) => stop());
}
