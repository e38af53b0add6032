#!/usr/bin/env bash
# trunk's post_build hook (Trunk.toml): splits an app's wasm at its lazily
# loaded pages (`lazy_page!` in src/main.rs for the portal app, in
# src/bin/sign_in.rs for the sign-in app), so a first load fetches the frame
# and the page it opens instead of every page (issue 14).
#
# trunk 0.21 has no step for this, so the hook redoes the wasm part of the
# build from cargo's output, in the order cargo-leptos uses:
#   1. wasm-split-cli (wasm_split_cli_support, the splitter Leptos' `#[lazy]`
#      is made for) reads the linked wasm, whose relocations build.rs keeps,
#      and writes a main module, one module per page and one per group of
#      pages that share code, and `__wasm_split.js`, which loads them;
#   2. wasm-bindgen runs on the main module (keeping the exports the page
#      modules import from it), and its glue replaces trunk's;
#   3. in release, wasm-opt -Oz (as trunk does) runs on every module.
# Then every new file gets a content hash in its name (the server caches
# assets for a year), the page gets the loader's modulepreload and the new
# integrity hash of the wasm, and `chunks.json` says which files each page
# needs, for the server to preload them with the page.
set -euo pipefail

staging=${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}
case $(basename "${TRUNK_HTML_FILE:?}") in
  index.html) bin=portal ;;
  sign_in.html) bin=portal-sign-in ;;
  *) echo "split-wasm: which app is ${TRUNK_HTML_FILE}?" >&2; exit 1 ;;
esac

case ${TRUNK_PROFILE:?} in
  release) profile=wasm-release ;; # index.html: data-cargo-profile-release
  *) profile=debug ;;
esac
target_dir=${CARGO_TARGET_DIR:-$(dirname "$0")/../target}
linked=$target_dir/wasm32-unknown-unknown/$profile/$bin.wasm

# The glue's name: the binary's name and trunk's hash (`portal-` alone would
# also match the sign-in app's).
glue=$(cd "$staging" && ls | grep -E "^$bin-[0-9a-f]+\.js$")
stem=${glue%.js}
[ -f "$staging/${stem}_bg.wasm" ] || { echo "split-wasm: no ${stem}_bg.wasm in $staging" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wasm-split-cli "$linked" "$work/split" --target web --out-name "$stem"
[ -f "$work/split/__wasm_split.js" ] || { echo "split-wasm: $linked has no split points" >&2; exit 1; }
wasm-bindgen --target web --keep-lld-exports --no-demangle --no-typescript \
  --out-name "$stem" --out-dir "$work/bindgen" "$work/split/$stem.wasm"
rm "$work/split/$stem.wasm"
mv "$work/bindgen/$stem.js" "$work/bindgen/${stem}_bg.wasm" "$work/split/"

if [ "$TRUNK_PROFILE" = release ]; then
  # One wasm-opt per core: the page modules are independent.
  find "$work/split" -name '*.wasm' -print0 |
    # Nothing reads the producers and target-features sections; in each of
    # some 20 small modules they are a good part of the bytes.
    xargs -0 -P "$(nproc)" -I{} wasm-opt -Oz --strip-producers --strip-target-features {} -o {} 2>&1 |
    # wasm-split's name section has a subsection wasm-opt 123 doesn't know;
    # it drops it, and says so once per module.
    { grep -v "unknown name subsection" || true; }
fi

python3 - "$work/split" "$staging" "$stem" "${TRUNK_PUBLIC_URL:-/}" <<'PYEOF'
import base64, hashlib, json, os, re, shutil, sys

split, staging, stem, public_url = sys.argv[1:]
public_url = public_url.rstrip("/") + "/"


def read(name):
    with open(os.path.join(split, name), "rb") as f:
        return f.read()


def hashed(name, data):
    base, ext = os.path.splitext(name)
    return f"{base}-{hashlib.sha256(data).hexdigest()[:16]}{ext}"


def sri(data):
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


loader = read("__wasm_split.js").decode()

renamed = {}
for name in sorted(os.listdir(split)):
    if name.endswith(".wasm") and name != f"{stem}_bg.wasm":
        renamed[name] = hashed(name, read(name))
        shutil.copy(os.path.join(split, name), os.path.join(staging, renamed[name]))
        loader = loader.replace(f'"./{name}"', f'"./{renamed[name]}"')

# Which files each page needs: its own module and the shared ones it waits
# for, as the loader lists them.
chunk_files = {}
for m in re.finditer(r'const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./([^"]+)"', loader):
    chunk_files[m.group(1)] = m.group(2)
pages = {}
for m in re.finditer(
    r'export const __wasm_split_load_(\w+?)_page = wrapAsyncCb\(makeLoad\(\(\) => \{\s*'
    r'const src = fetch\(new URL\("\./([^"]+)".*?\}\s*, \[([^\]]*)\]\)\)',
    loader,
    re.S,
):
    deps = [d.strip() for d in m.group(3).split(",") if d.strip()]
    pages[m.group(1)] = [m.group(2)] + [chunk_files[d] for d in deps]
if not pages:
    sys.exit("split-wasm: found no page in __wasm_split.js")
with open(os.path.join(staging, "chunks.json"), "w") as f:
    json.dump({page: [public_url + n for n in files] for page, files in sorted(pages.items())}, f, indent=1)

loader_name = hashed("__wasm_split.js", loader.encode())
with open(os.path.join(staging, loader_name), "w") as f:
    f.write(loader)
# The glue imports the loader; the wasm's import names (the keys of the
# imports object) stay as they are.
glue = read(f"{stem}.js").decode().replace('from "./__wasm_split.js"', f'from "./{loader_name}"')
with open(os.path.join(staging, f"{stem}.js"), "w") as f:
    f.write(glue)
wasm = read(f"{stem}_bg.wasm")
with open(os.path.join(staging, f"{stem}_bg.wasm"), "wb") as f:
    f.write(wasm)

html_path = os.path.join(staging, "index.html")
with open(html_path) as f:
    html = f.read()
# trunk's integrity hash in the tag that names the file; attributes quoted
# or not (release minifies the HTML), in any order.
def set_sri(html, name, data):
    tag = re.compile(r'<link\b[^>]*/' + re.escape(name) + r'\b[^>]*>')
    digest = re.compile(r'(integrity="?)sha384-[A-Za-z0-9+/=]+')
    html, n = tag.subn(lambda m: digest.sub(lambda d: d.group(1) + sri(data), m.group(0)), html)
    if n != 1:
        sys.exit(f"split-wasm: index.html has {n} tags for {name}")
    return html
html = set_sri(html, f"{stem}_bg.wasm", wasm)
html = set_sri(html, f"{stem}.js", glue.encode())
preload = (f'<link crossorigin href={public_url}{loader_name} '
           f'integrity={sri(loader.encode())} rel=modulepreload>')
html = html.replace("</head>", preload + "</head>", 1)
with open(html_path, "w") as f:
    f.write(html)
PYEOF
