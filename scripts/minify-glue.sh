#!/usr/bin/env bash
# Minifies the wasm-bindgen JS glue of the release builds with esbuild (npm)
# and writes its new integrity hash into the page. trunk 0.21's own JS
# minifier can't parse the glue and leaves it as it is: this saves about
# 2 KB gzip on every first load.
#
#   scripts/minify-glue.sh DIST_DIR...
set -euo pipefail
for dist in "$@"; do
  html=$dist/index.html
  for js in "$dist"/*.js; do
    [ -e "$js" ] || continue
    name=$(basename "$js")
    # Errors only: wasm-bindgen's glue for the split portal app repeats one key
    # in its imports object (one per page module), which esbuild warns about.
    esbuild "$js" --minify --format=esm --log-level=error --outfile="$js.min"
    mv "$js.min" "$js"
    hash="sha384-$(openssl dgst -sha384 -binary "$js" | base64 -w0)"
    # The page preloads the glue with its hash (minified HTML: unquoted).
    grep -q "/$name integrity=" "$html" || { echo "minify-glue: $html has no hash for $name" >&2; exit 1; }
    sed -i -E "s|(/$name integrity=)sha384-[A-Za-z0-9+/=]+|\1$hash|" "$html"
  done
done
