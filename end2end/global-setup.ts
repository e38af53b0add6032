// Starts the processes every spec shares, on ports the OS picks, and hands
// their addresses to the workers through the environment: the SMTP sink, the
// webhook receiver and the portal itself (on SQLite), and, when run under
// scripts/with-postgres.sh, a second portal as a platform runs it: two
// instances on one PostgreSQL database (and Redis, with --redis), behind
// nginx. Returns the teardown.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, SERVER_NAME, startNginx } from "./support/nginx";
import { createDatabase, keysFor, metricsOf, startMailSink, startPortal, startReceiver } from "./support/processes";

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
      // nginx's port first: the instances' public URL (mail links, the
      // same-origin check) is the proxy's.
      const port = await freePort();
      const shared: Record<string, string> = {
        PORTAL_DATABASE_URL: createDatabase("e2e_instances"),
        PORTAL_PUBLIC_URL: `https://${SERVER_NAME}:${port}`,
        PORTAL_TRUSTED_PROXIES: "127.0.0.1",
        PORTAL_METRICS_ADDR: "127.0.0.1:0",
        ...keysFor(path.join(dir, "keys")),
      };
      if (process.env.PORTAL_TEST_REDIS_URL) {
        shared.PORTAL_REDIS_URL = process.env.PORTAL_TEST_REDIS_URL;
        shared.PORTAL_REDIS_PREFIX = `e2e-${process.pid}`;
      }
      const instances = [];
      for (let i = 0; i < 2; i++) {
        const instance = await startPortal(shared);
        stops.push(instance.stop);
        instances.push(instance);
      }
      const nginx = await startNginx(
        path.join(dir, "nginx"),
        port,
        instances.map((i) => new URL(i.url).host),
      );
      stops.push(nginx.stop);
      process.env.PORTAL_E2E_INSTANCES_URL = nginx.url;
      process.env.PORTAL_E2E_INSTANCE_METRICS = (await Promise.all(instances.map(metricsOf))).join(",");
    }
  } catch (e) {
    stops.forEach((stop) => stop());
    throw e;
  }
  return () => stops.reverse().forEach((stop) => stop());
}
