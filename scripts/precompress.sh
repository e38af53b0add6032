#!/usr/bin/env bash
# Writes a brotli (quality 11) and a gzip (-9) copy next to each asset of the
# release builds, which the server sends to browsers that accept them
# (`ServeDir::precompressed_*`): smaller than compressing on each request, and
# no CPU per request. The HTML pages stay compressed on the fly (the server
# fills in parts of them).
#
#   scripts/precompress.sh DIST_DIR...
set -euo pipefail
for dist in "$@"; do
  find "$dist" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) -print0 |
    while IFS= read -r -d '' file; do
      brotli -q 11 -f -k -o "$file.br" "$file"
      gzip -9 -n -f -k "$file"
    done
done
