// Starting the test's real processes on ports the OS picks: each prints the
// port it took, and we read it from its output instead of choosing one
// ourselves (a port chosen by binding and closing can be taken meanwhile).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
/** The test build of the server (the same features as `cargo test`: no rebuild). */
const SERVER = path.join(ROOT, "target/debug/portal-server");

export type Started = { child: ChildProcess; match: RegExpMatchArray; stop: () => void };

/**
 * Spawns `command` with its output going to `logFile`, and waits until a line
 * of it matches `ready`.
 */
export async function startAndRead(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<Started> {
  const out = fs.openSync(logFile, "a");
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  const stop = () => {
    if (child.exitCode === null) child.kill();
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = fs.readFileSync(logFile, "utf8").match(ready);
    if (match) return { child, match, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  stop();
  throw new Error(`${command} ${args.join(" ")} did not start:\n${fs.readFileSync(logFile, "utf8")}`);
}

/** The SMTP sink: `{ smtp, http }` ports. */
export async function startMailSink(dir: string) {
  const s = await startAndRead(
    "node",
    ["end2end/support/mail-sink.mjs"],
    process.env,
    path.join(dir, "mail-sink.log"),
    /smtp 127\.0\.0\.1:(\d+), http 127\.0\.0\.1:(\d+)/,
  );
  return { smtpPort: Number(s.match[1]), url: `http://127.0.0.1:${s.match[2]}`, stop: s.stop };
}

/** The webhook receiver that checks signatures with `standardwebhooks`. */
export async function startReceiver(dir: string) {
  const s = await startAndRead(
    "node",
    ["end2end/support/webhook-receiver.mjs"],
    process.env,
    path.join(dir, "webhook-receiver.log"),
    /webhook receiver on (\d+)/,
  );
  return { url: `http://127.0.0.1:${s.match[1]}`, stop: s.stop };
}

/**
 * A real portal-server (the test build) serving the release build of the
 * app, on its own throwaway database and data folder, mailing to the sink.
 * `env` adds or overrides settings. Its log is `server.log` in its folder.
 */
export async function startPortal(env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-e2e-"));
  // On PostgreSQL every instance is given its keys: the caller's, shared by
  // its instances, or its own.
  const keys =
    env.PORTAL_DATABASE_URL?.startsWith("postgres") && !env.PORTAL_TOKEN_KEYS_FILE
      ? keysFor(path.join(dir, "keys"))
      : {};
  const smtp = process.env.PORTAL_E2E_SMTP_URL;
  if (!smtp) throw new Error("the global setup has not started the mail sink");
  const s = await startAndRead(
    SERVER,
    [],
    {
      ...process.env,
      ...keys,
      PORTAL_ADDR: "127.0.0.1:0",
      PORTAL_DATABASE_URL: `sqlite://${dir}/portal.db`,
      PORTAL_DATA_DIR: dir,
      PORTAL_DIST: path.join(ROOT, "dist"),
      PORTAL_SMTP_URL: smtp,
      // Warnings, and the line that says where it listens.
      PORTAL_LOG: "warn,portal_server=info",
      // Every spec signs up and in from 127.0.0.1: the test server's limits
      // are its own, so that adding a spec can't turn another one red.
      PORTAL_SIGN_UPS_PER_HOUR: "100000",
      PORTAL_SIGN_INS_PER_MINUTE: "100000",
      PORTAL_INVITATIONS_PER_HOUR: "100000",
      // The webhook receiver runs on this machine.
      PORTAL_WEBHOOK_ALLOW_PRIVATE: "true",
      ...env,
    },
    path.join(dir, "server.log"),
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  return { url: s.match[1], dir, stop: s.stop };
}

/** Keys made by `portal-server keys init` in `dir`, as the settings that name them. */
export function keysFor(dir: string): Record<string, string> {
  const lines = execFileSync(SERVER, ["keys", "init", "--dir", dir], { encoding: "utf8" });
  const keys: Record<string, string> = {};
  for (const line of lines.trim().split("\n")) {
    const [name, value] = line.split("=");
    keys[name] = value;
  }
  return keys;
}

/** The metrics address a portal started with PORTAL_METRICS_ADDR prints. */
export async function metricsOf(portal: { dir: string }): Promise<string> {
  const log = path.join(portal.dir, "server.log");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = fs.readFileSync(log, "utf8").match(/metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
    if (match) return match[1];
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no metrics address in ${log}`);
}

/**
 * A new database named `name` in the PostgreSQL cluster of
 * scripts/with-postgres.sh; returns its URL.
 */
export function createDatabase(name: string): string {
  const cluster = process.env.PORTAL_TEST_POSTGRES;
  if (!cluster) throw new Error("run under scripts/with-postgres.sh");
  execFileSync("psql", [cluster, "-v", "ON_ERROR_STOP=1", "-q", "-c", `CREATE DATABASE ${name}`]);
  return cluster.replace("/postgres?", `/${name}?`);
}
