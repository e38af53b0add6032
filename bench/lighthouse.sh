#!/usr/bin/env bash
# Lighthouse (npm `lighthouse`, Debian Chromium, desktop preset, simulated
# throttling, performance only) of the sign-in page and of a signed-in
# /projects with three projects, served by the release `portal-server` from
# dist/ on a fresh SQLite database; medians of RUNS runs (default 3).
#   bench/lighthouse.sh      after `make app` and `cargo build --release -p portal-server`
# lighthouse is fetched by npx on first use: it isn't a dependency of the
# build or the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
server=${CARGO_TARGET_DIR:-target}/release/portal-server
[ -x "$server" ] || { echo "$server is missing: cargo build --release -p portal-server" >&2; exit 1; }
[ -f dist/app/index.html ] || { echo "dist/ is missing: make app" >&2; exit 1; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
PORTAL_ADDR=127.0.0.1:$port PORTAL_DIST=$PWD/dist PORTAL_DATA_DIR=$work PORTAL_PRINT_MAIL=true \
  PORTAL_DATABASE_URL=sqlite://$work/portal.db PORTAL_PUBLIC_URL=$url "$server" > "$work/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "$url/api/health" >/dev/null && break; sleep 0.2; done

# A partner signs up and confirms (the link is in the printed mail), and has
# three projects.
headers=(-H "origin: $url" -H "x-portal-request: 1" -H "content-type: application/json")
curl -sf "${headers[@]}" "$url/api/signup" -d '{"organisation_name": "Acme Payments",
  "full_name": "Ada Lovelace", "email": "ada@acme.test", "password": "correct horse battery",
  "pin": "482915"}' >/dev/null
for _ in $(seq 1 50); do grep -q 'token=' "$work/log" && break; sleep 0.1; done
token=$(grep -oE 'token=[A-Za-z0-9_%-]+' "$work/log" | tail -1 | cut -d= -f2)
session=$(curl -sf -D - -o /dev/null "${headers[@]}" "$url/api/signup/confirm" -d "{\"token\": \"$token\"}" |
  sed -nE 's/^[Ss]et-[Cc]ookie: (portal_session=[^;]+).*/\1/p')
[ -n "$session" ] || { echo "lighthouse: no session" >&2; cat "$work/log" >&2; exit 1; }
for name in Payments Payouts Billing; do
  curl -sf "${headers[@]}" -H "cookie: $session" "$url/api/projects" \
    -d "{\"name\": \"$name\", \"environment\": \"sandbox\"}" >/dev/null
done

lighthouse() { # NAME URL [EXTRA_HEADERS_JSON]
  for i in $(seq 1 "$runs"); do
    CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} npx --yes lighthouse@12.8.2 "$2" --quiet \
      --preset=desktop --only-categories=performance --throttling-method=simulate \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu" ${3:+--extra-headers="$3"} \
      --output=json --output-path="$work/$1-$i.json" >/dev/null 2>&1 || echo "lighthouse: $1 run $i failed" >&2
  done
}
lighthouse signin "$url/signin"
lighthouse projects "$url/projects" "{\"Cookie\": \"$session\"}"

node - "$work" signin projects <<'JSEOF'
const fs = require("fs");
const [dir, ...pages] = process.argv.slice(2);
const median = (xs) => xs.sort((a, b) => a - b)[(xs.length - 1) >> 1];
console.log(["page", "FCP ms", "LCP ms", "TTI ms", "TBT ms", "KiB", "requests"].join("\t"));
for (const page of pages) {
  const runs = fs.readdirSync(dir).filter((f) => f.startsWith(`${page}-`) && f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(`${dir}/${f}`)));
  const audit = (id) => median(runs.map((r) => r.audits[id].numericValue));
  console.log([
    `/${page}`,
    audit("first-contentful-paint").toFixed(0),
    audit("largest-contentful-paint").toFixed(0),
    audit("interactive").toFixed(0),
    audit("total-blocking-time").toFixed(0),
    (audit("total-byte-weight") / 1024).toFixed(1),
    median(runs.map((r) => r.audits["network-requests"].details.items.length)),
  ].join("\t"));
}
JSEOF
