// nginx (Debian's) in front of several portal instances, with the site
// configuration from deploy/nginx/portal.conf filled in as its header says,
// under a main configuration that keeps everything in a throwaway folder.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
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

/** The site file with its two settings filled in, as envsubst would. */
export function siteConfig(listen: string, upstreams: string[]): string {
  const template = fs.readFileSync(path.join(ROOT, "deploy/nginx/portal.conf"), "utf8");
  const servers = upstreams.map((u) => `server ${u};`).join(" ");
  const filled = template.replaceAll("${PORTAL_LISTEN}", listen).replaceAll("${PORTAL_UPSTREAMS}", servers);
  if (filled.includes("${PORTAL_")) throw new Error("deploy/nginx/portal.conf has a setting this harness doesn't fill");
  return filled;
}

/** Starts nginx on `port`, round-robin over `upstreams` (host:port). */
export async function startNginx(dir: string, port: number, upstreams: string[]) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "portal.conf"), siteConfig(`127.0.0.1:${port}`, upstreams));
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
  const url = `http://127.0.0.1:${port}`;
  const started = await startAndRead(NGINX, args, process.env, path.join(dir, "nginx.log"), /^/);
  // nginx prints nothing when it starts: ask until it answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/api/health/live`);
      if (r.ok) break;
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
