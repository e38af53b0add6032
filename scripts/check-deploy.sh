#!/usr/bin/env bash
# Checks the systemd units in deploy/ with `systemd-analyze verify`; any
# warning fails too. (deploy/nginx/portal.conf is checked with `nginx -t`
# and used by the Playwright journey through nginx.)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for unit in deploy/systemd/portal-server@.socket deploy/systemd/portal-server@.service; do
  name=$(basename "$unit" | sed 's/@\./@8081./')
  # verify checks that ExecStart exists; the binary is installed elsewhere.
  sed 's|^ExecStart=/usr/local/bin/portal-server$|ExecStart=/bin/true|' "$unit" >"$dir/$name"
done
out=$(cd "$dir" && systemd-analyze verify --man=no ./portal-server@8081.socket ./portal-server@8081.service 2>&1) \
  || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2
  exit 1
fi
echo "deploy/systemd: units verified"
