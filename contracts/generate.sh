#!/usr/bin/env bash
# Rebuilds the contracts' committed generated files (make generate runs it; so does
# contracts/generate_test.go, into a temporary directory, to prove they are not stale):
#   OUT/artifacts/*.json      node build.js (solc from contracts/node_modules, solc-settings.json)
#   OUT/bindings/bindings.go  go tool abigen --v2 (go-ethereum v1.17.10, go.mod's tool)
# Usage: contracts/generate.sh [OUT]   (default OUT: contracts/ itself)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
if [ ! -d "$here/node_modules/solc" ]; then
  echo "contracts/generate.sh: contracts/node_modules is missing: run make npm-deps" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/artifacts" "$out/bindings"
rm -f "$out"/artifacts/*.json
node "$here/build.js" "$out/artifacts" "$tmp/combined.json"
(cd "$here/.." && go tool abigen --v2 --combined-json "$tmp/combined.json" --pkg bindings --out "$tmp/bindings.go")
mv -f "$tmp/bindings.go" "$out/bindings/bindings.go"
