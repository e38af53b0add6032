// A real webhook receiver for the end-to-end tests. It checks every request
// with the official Standard Webhooks library (npm `standardwebhooks`), not
// the portal's code, and records the outcome.
//
//   POST /hooks/:name               a delivery; answered with the status set for :name (200)
//   PUT  /control/:name             {"secrets": ["whsec_…"], "status": 200}
//   GET  /control/:name/received    what :name received, with "verified": true/false
//   GET  /health
// --port 0 (the default) lets the OS pick; the first line printed names it:
// "webhook receiver on PORT".
import http from "node:http";
import { Webhook } from "standardwebhooks";

const i = process.argv.indexOf("--port");
const port = i > 0 ? Number(process.argv[i + 1]) : 0;
const endpoints = new Map();
const endpoint = (name) => {
  if (!endpoints.has(name)) endpoints.set(name, { secrets: [], status: 200, received: [] });
  return endpoints.get(name);
};

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

const json = (res, status, value) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
};

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const parts = url.pathname.split("/").filter(Boolean);
    const body = await readBody(req);
    if (url.pathname === "/health") return json(res, 200, { ok: true });
    if (parts[0] === "hooks" && parts[1] && req.method === "POST") {
      const e = endpoint(parts[1]);
      const headers = {
        "webhook-id": req.headers["webhook-id"],
        "webhook-timestamp": req.headers["webhook-timestamp"],
        "webhook-signature": req.headers["webhook-signature"],
      };
      // Verified if any of the secrets we were given accepts it.
      let verified = false;
      let error = "no secret registered";
      for (const secret of e.secrets) {
        try {
          new Webhook(secret).verify(body, headers);
          verified = true;
          break;
        } catch (err) {
          error = String(err && err.message ? err.message : err);
        }
      }
      e.received.push({ id: headers["webhook-id"], verified, error: verified ? null : error, body: JSON.parse(body) });
      res.writeHead(e.status, { "content-type": "text/plain" });
      return res.end(e.status < 300 ? "received" : "receiver is failing on purpose");
    }
    if (parts[0] === "control" && parts[1]) {
      const e = endpoint(parts[1]);
      if (req.method === "PUT") {
        const change = JSON.parse(body || "{}");
        if (change.secrets) e.secrets = change.secrets;
        if (change.status) e.status = change.status;
        return json(res, 200, { secrets: e.secrets.length, status: e.status });
      }
      if (parts[2] === "received") return json(res, 200, e.received);
    }
    json(res, 404, { error: "not found" });
  })
  .listen(port, "127.0.0.1", function () {
    console.log(`webhook receiver on ${this.address().port}`);
  });
