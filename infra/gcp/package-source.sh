#!/usr/bin/env bash
# Writes the Cloud Functions source folder to $1, exactly as deploy.sh uploads it: the bundle, its chunks
# and a package.json naming only the framework, which Cloud Build installs. Run `npm run build` first.
set -euo pipefail
out=${1:?usage: infra/gcp/package-source.sh OUT_DIR}
cd "$(dirname "$0")/../.."
[[ -f dist/gcp.js ]] || { echo "dist/gcp.js is missing: run npm run build first" >&2; exit 2; }
mkdir -p "$out"
cp dist/gcp.js "$out/gcp.js"
cp -r dist/chunks "$out/chunks"
cp infra/gcp/package.json "$out/package.json"
