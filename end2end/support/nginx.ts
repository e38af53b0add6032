// nginx (Debian's) in front of several portal instances, with the site
// configuration from deploy/nginx/portal.conf filled in as its header says,
// under a main configuration that keeps everything in a throwaway folder.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { ROOT, startAndRead } from "./processes";

const NGINX = fs.existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

/** A port free right now (nginx's `listen` takes no port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The name the journey reaches nginx by: a name, so that browsers send it
 * in TLS (they send no SNI for an address) and nginx picks the portal's server. */
export const SERVER_NAME = "localhost";

/** The site file with its settings filled in, as envsubst would. */
export function siteConfig(settings: Record<string, string>): string {
  let filled = fs.readFileSync(path.join(ROOT, "deploy/nginx/portal.conf"), "utf8");
  for (const [name, value] of Object.entries(settings)) filled = filled.replaceAll("${" + name + "}", value);
  if (filled.includes("${PORTAL_")) throw new Error("deploy/nginx/portal.conf has a setting this harness doesn't fill");
  return filled;
}

/** A throwaway certificate for SERVER_NAME, which the specs' Node trusts
 * (NODE_EXTRA_CA_CERTS, read by the workers when they start). */
function certificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
    "-subj", `/CN=${SERVER_NAME}`, "-addext", `subjectAltName=DNS:${SERVER_NAME}`,
    "-keyout", key, "-out", cert,
  ], { stdio: "pipe" });
  return { cert, key };
}

/** Starts nginx with https on `port` (and http, which only redirects, on
 * another), round-robin over `upstreams` (host:port). */
export async function startNginx(dir: string, port: number, upstreams: string[]) {
  fs.mkdirSync(dir, { recursive: true });
  const { cert, key } = certificate(dir);
  const site = siteConfig({
    PORTAL_SERVER_NAME: SERVER_NAME,
    PORTAL_TLS_LISTEN: `${SERVER_NAME}:${port}`,
    PORTAL_LISTEN: `${SERVER_NAME}:${await freePort()}`,
    PORTAL_TLS_CERTIFICATE: cert,
    PORTAL_TLS_CERTIFICATE_KEY: key,
    PORTAL_UPSTREAMS: upstreams.map((u) => `server ${u};`).join(" "),
  });
  fs.writeFileSync(path.join(dir, "portal.conf"), site);
  process.env.NODE_EXTRA_CA_CERTS = cert;
  const root = process.getuid?.() === 0;
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      // As root nginx would hand its workers to `nobody`, who can't write here.
      root ? "user root;" : "",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      "events { worker_connections 512; }",
      "http {",
      `  access_log ${dir}/access.log;`,
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`),
      `  include ${dir}/portal.conf;`,
      "}",
    ].join("\n"),
  );
  const args = ["-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`];
  execFileSync(NGINX, [...args, "-t", "-q"], { stdio: "pipe" });
  const url = `https://${SERVER_NAME}:${port}`;
  const started = await startAndRead(NGINX, args, process.env, path.join(dir, "nginx.log"), /^/);
  // nginx prints nothing when it starts: ask until it answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await live(`${url}/api/health/live`, cert)) === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      started.stop();
      throw new Error(`nginx did not start:\n${fs.readFileSync(path.join(dir, "error.log"), "utf8")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: started.stop };
}

/** The status of a GET over https trusting `ca` (this process started
 * before the certificate existed, so its fetch doesn't trust it). */
function live(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: fs.readFileSync(ca) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}
