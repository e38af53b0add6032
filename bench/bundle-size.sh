#!/usr/bin/env bash
# Size of a page's first load: the app's HTML and every file it references
# (JS glue, wasm, CSS, icon), raw, gzip -9 and brotli -q 11.
#   bench/bundle-size.sh dist/auth/index.html [--budget-kb N]
# With --budget-kb N, fails when the gzip total exceeds N KB (1 KB = 1000 bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
html=${1:?usage: bundle-size.sh dist/APP/index.html [--budget-kb N]}
budget=""
[ "${2:-}" = "--budget-kb" ] && budget=$3
[ -f "$html" ] || { echo "$html is missing: run 'make app' first" >&2; exit 1; }

files=("$html")
# Attributes may be quoted or not (trunk minifies the release HTML).
for ref in $(grep -oE '(href|src)="?/[^" >]+' "$html" | sed -E 's/^[a-z]+="?\///' | sort -u); do
  files+=("dist/$ref")
done
# The wasm module is fetched by the loader script, not by a tag attribute.
for wasm in $(grep -oE "'/[^']+\.wasm'" "$html" | tr -d "'" | sort -u); do
  [[ " ${files[*]} " == *" dist$wasm "* ]] || files+=("dist$wasm")
done

printf '%-50s %10s %10s %10s\n' file raw gzip brotli
total_raw=0 total_gz=0 total_br=0
for f in "${files[@]}"; do
  raw=$(stat -c%s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  br=$(brotli -q 11 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
  printf '%-50s %10d %10d %10d\n' "${f#dist/}" "$raw" "$gz" "$br"
done
printf '%-50s %10d %10d %10d\n' TOTAL "$total_raw" "$total_gz" "$total_br"
awk -v r="$total_raw" -v g="$total_gz" -v b="$total_br" \
  'BEGIN { printf "first load: %.1f KB raw, %.1f KB gzip, %.1f KB brotli\n", r / 1000, g / 1000, b / 1000 }'

if [ -n "$budget" ]; then
  if [ "$total_gz" -gt $((budget * 1000)) ]; then
    echo "size budget: FAILED, ${total_gz} bytes gzip > ${budget} KB" >&2
    exit 1
  fi
  echo "size budget: ok, ${total_gz} bytes gzip <= ${budget} KB"
fi
