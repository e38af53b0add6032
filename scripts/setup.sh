#!/usr/bin/env bash
# Installs what building and testing the portal needs, skipping what is already
# there: the wasm target, trunk, wasm-bindgen-cli (matching Cargo.lock), wasm-split-cli,
# twiggy, the npm
# tools (wasm-opt 123, Playwright, axe-core, the test SMTP server), schemathesis
# (PyPI, in .venv) and Debian's Chromium + ChromeDriver, PostgreSQL, Redis and nginx. Nothing is downloaded from GitHub:
# trunk runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
LEPTOSFMT_VERSION=0.1.33
TWIGGY_VERSION=0.8.0
WASM_SPLIT_VERSION=0.2.4
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: the browser for Playwright and wasm-bindgen-test, brotli for
# `make bench`, PostgreSQL for the second backend, Redis and nginx for several
# instances.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v brotli >/dev/null || missing+=(brotli)
# PostgreSQL 15: the second backend, tested by `make test` on a throwaway cluster.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# Redis (shared rate limits) and nginx (the proxy in front of several
# instances): the tests start their own throwaway ones.
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# systemd-analyze checks the units in deploy/systemd.
command -v systemd-analyze >/dev/null || missing+=(systemd)
# A Python virtualenv for schemathesis (the API fuzzing).
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  # 0.22 needs a newer rustc than this machine's 1.95.
  say "installing trunk $TRUNK_VERSION (about 10 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  # Without --locked: a dependency it locks is missing from this registry mirror.
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-split-cli: splits the portal app's wasm at its lazily loaded pages
# (scripts/split-wasm.sh). It has no --version: ask cargo what it installed.
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (about 2 minutes)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked --features build-binary
fi

# twiggy: where the wasm bytes go (`make bench`).
if [ "$(twiggy --version 2>/dev/null)" != "twiggy-opt $TWIGGY_VERSION" ]; then
  say "installing twiggy $TWIGGY_VERSION (about 2 minutes)"
  cargo install twiggy --version "$TWIGGY_VERSION" --locked
fi

if [ "$(leptosfmt --version 2>/dev/null)" != "leptosfmt $LEPTOSFMT_VERSION" ]; then
  say "installing leptosfmt $LEPTOSFMT_VERSION (about 3 minutes)"
  cargo install leptosfmt --version "$LEPTOSFMT_VERSION" --locked
fi

# npm ci only when package-lock.json changed since the last install.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.installed-lock 2>/dev/null)" != "$lock_sum" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.installed-lock
fi

# schemathesis (PyPI) in .venv for `scripts/fuzz-api.sh`, its versions pinned;
# installed again only when the pins change.
req_sum=$(sha256sum server/tests/fuzz-requirements.txt | cut -d' ' -f1)
if [ "$(cat .venv/.installed-requirements 2>/dev/null)" != "$req_sum" ]; then
  say "installing schemathesis (pip, in .venv)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r server/tests/fuzz-requirements.txt
  echo "$req_sum" > .venv/.installed-requirements
fi

# trunk builds with cargo --offline: have every crate on disk first.
cargo fetch --locked -q
