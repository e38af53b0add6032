#!/usr/bin/env bash
# Size of a page's first load: the app's HTML and every file it references
# (JS glue, wasm, CSS, icon), raw, gzip -9 and brotli -q 11.
#   bench/bundle-size.sh dist/auth/index.html [--page NAME] [--budget-kb N] [--brief]
# With --page NAME, adds the wasm modules that page of the portal app loads
# before it shows (its entry in chunks.json, written by scripts/split-wasm.sh;
# a page in the app's own module has none).
# With --budget-kb N, fails when the gzip total exceeds N KB (1 KB = 1000 bytes).
# With --brief, prints the totals without the table of files.
set -euo pipefail
cd "$(dirname "$0")/.."
html=${1:?usage: bundle-size.sh dist/APP/index.html [--page NAME] [--budget-kb N] [--brief]}
shift
page="" budget="" brief=""
while [ $# -gt 0 ]; do
  case $1 in
    --page) page=$2; shift ;;
    --budget-kb) budget=$2; shift ;;
    --brief) brief=1 ;;
    *) echo "bundle-size: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
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

if [ -n "$page" ]; then
  manifest=$(dirname "$html")/chunks.json
  for wasm in $(python3 -c 'import json, sys; print(*json.load(open(sys.argv[1])).get(sys.argv[2], []))' "$manifest" "$page"); do
    files+=("dist$wasm")
  done
fi

# The table of files goes to fd 3: stdout, or nowhere with --brief.
if [ -n "$brief" ]; then exec 3>/dev/null; else exec 3>&1; fi
printf '%-50s %10s %10s %10s\n' file raw gzip brotli >&3
total_raw=0 total_gz=0 total_br=0
for f in "${files[@]}"; do
  raw=$(stat -c%s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  br=$(brotli -q 11 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
  printf '%-50s %10d %10d %10d\n' "${f#dist/}" "$raw" "$gz" "$br" >&3
done
printf '%-50s %10d %10d %10d\n' TOTAL "$total_raw" "$total_gz" "$total_br" >&3
awk -v r="$total_raw" -v g="$total_gz" -v b="$total_br" -v p="${page:+$page page, }" \
  'BEGIN { printf "%sfirst load: %.1f KB raw, %.1f KB gzip, %.1f KB brotli\n", p, r / 1000, g / 1000, b / 1000 }'

if [ -n "$budget" ]; then
  if [ "$total_gz" -gt $((budget * 1000)) ]; then
    echo "size budget: FAILED, ${total_gz} bytes gzip > ${budget} KB" >&2
    exit 1
  fi
  echo "size budget: ok, ${total_gz} bytes gzip <= ${budget} KB"
fi
