#!/usr/bin/env bash
# Where an app's wasm bytes go: twiggy's top items of the module as shipped
# (wasm-bindgen, then wasm-opt -Oz as trunk runs it), with the function names
# kept so the items read as Rust paths. The names themselves are not shipped:
# their row is left out, but twiggy's percentages count them.
#   bench/wasm-top.sh BIN [N]   BIN: portal or portal-sign-in, after `make app`
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: wasm-top.sh BIN [N]}
n=${2:-20}
input=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/$bin.wasm
[ -f "$input" ] || { echo "$input is missing: run 'make app' first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$work" "$input"
wasm-opt -Oz -g "$work/${bin}_bg.wasm" -o "$work/named.wasm"
twiggy top -n $((n + 1)) "$work/named.wasm" | grep -v '"function names" subsection'
