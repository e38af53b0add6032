#!/usr/bin/env bash
# Fuzzes the portal API with schemathesis (every check, the stateful phase
# that chains operations through the document's links) against a real
# server on a fresh SQLite database, signed in as a superadmin of an
# approved organisation. Fails on any failure schemathesis reports.
#
#   scripts/fuzz-api.sh [path to portal-server]   (default: the debug build)
#
# The server runs with limits high enough that fuzzing isn't rate-limited
# (the limits have their own tests) and may deliver webhooks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

server=${1:-target/debug/portal-server}
st=.venv/bin/schemathesis
[ -x "$st" ] || { echo "fuzz-api: $st is missing: run scripts/setup.sh" >&2; exit 1; }
[ -x "$server" ] || { echo "fuzz-api: $server is missing: build it first" >&2; exit 1; }

dir=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "${FUZZ_KEEP:-}" ] && cp "$dir/server.log" /tmp/fuzz-server.log; rm -rf "$dir"
}
trap cleanup EXIT

# A port the OS picks, handed to the server by its listening socket's
# address in the log (no bind-then-drop race).
PORTAL_ADDR=127.0.0.1:0 PORTAL_DATA_DIR="$dir" PORTAL_DATABASE_URL="sqlite://$dir/portal.db" \
  PORTAL_DIST="$dir/no-dist" \
  PORTAL_PRINT_MAIL=true PORTAL_LOG=info PORTAL_WEBHOOK_ALLOW_PRIVATE=true \
  PORTAL_SIGN_INS_PER_MINUTE=100000 PORTAL_SIGN_UPS_PER_HOUR=100000 \
  PORTAL_INVITATIONS_PER_HOUR=100000 PORTAL_TOKEN_REQUESTS_PER_SECOND=100000 \
  PORTAL_EVENTS_PER_SECOND=100000 PORTAL_ORGANISATION_EVENTS_PER_SECOND=100000 \
  "$server" >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  addr=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$dir/server.log" | head -1 | sed 's|listening on ||') || true
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "${addr:-}" ] || { echo "fuzz-api: the server didn't start" >&2; cat "$dir/server.log" >&2; exit 1; }

# Sign up, confirm through the printed link, and keep the session cookie.
jar=$dir/cookies
api() {
  curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" -H 'content-type: application/json' \
    -H "origin: $addr" -H 'x-portal-request: 1' "$@"
}
email=fuzz@example.com
status=$(api -X POST "$addr/api/signup" --data "{\"organisation_name\":\"Fuzz Ltd\",\"full_name\":\"Ada Lovelace\",\"email\":\"$email\",\"password\":\"correct horse battery\",\"pin\":\"482915\"}")
[ "$status" = 202 ] || { echo "fuzz-api: sign-up answered $status" >&2; exit 1; }
token=
for _ in $(seq 50); do
  token=$(grep -oE '/signup/confirm\?token=[A-Za-z0-9_-]+' "$dir/server.log" | head -1 | sed 's|.*token=||') || true
  [ -n "$token" ] && break
  sleep 0.1
done
status=$(api -X POST "$addr/api/signup/confirm" --data "{\"token\":\"$token\"}")
[ "$status" = 200 ] || { echo "fuzz-api: confirming answered $status" >&2; exit 1; }
session=$(awk '$6 == "portal_session" { print $7 }' "$jar")

# Signed in for the portal API. The partner API's operations need a bearer
# token schemathesis can't get: it checks their 401s.
"$st" --config-file server/tests/schemathesis.toml run "$addr/api/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${FUZZ_EXAMPLES:-30}" \
  --seed 1 \
  --request-timeout 20 \
  --suppress-health-check all \
  --header "Cookie: portal_session=$session" \
  --header "Origin: $addr" \
  --header "x-portal-request: 1" \
  --exclude-path-regex '^/api/session$' \
  --max-time "${FUZZ_SECONDS:-120}" \
  --no-color
