#!/usr/bin/env bash
# Rebuild the vendored CodeMirror bundle from the npm registry (install time only; the app never fetches it).
#   tools/vendor/codemirror/build.sh
# Installs the exact versions of package-lock.json into a temporary folder (nothing lands in the checkout but the
# three output files), bundles entry.js into one minified ES module, and writes beside it LICENSES.txt (the
# licence of every bundled package) and README.md (the versions and this command).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/src/sparring/web/static/vendor/codemirror"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$work/"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p "$out"
# node_modules/.bin/esbuild: the platform binary (or its JS shim if npm held back the postinstall)
node_modules/.bin/esbuild entry.js --bundle --format=esm --minify --target=es2020 \
  --legal-comments=none --metafile=meta.json --outfile="$out/codemirror.min.js" --log-level=warning
# every package with a file in the bundle, from esbuild's metafile
cp "$here/notices.js" . && node notices.js "$out"
echo "wrote $out/codemirror.min.js ($(wc -c < "$out/codemirror.min.js") bytes), LICENSES.txt, README.md"
