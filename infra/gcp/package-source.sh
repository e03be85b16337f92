#!/usr/bin/env bash
# Writes the source folder deploy.sh uploads to $1, exactly as it uploads it, for TARGET $2:
#   run       (default) Cloud Run: server.js, its chunks and a package.json whose start script runs it on
#             plain node:http, with no dependencies;
#   function  Cloud Functions: gcp.js, its chunks and a package.json naming only the framework, which
#             Cloud Build installs.
# Run `npm run build` first.
set -euo pipefail
out=${1:?usage: infra/gcp/package-source.sh OUT_DIR [run|function]}
target=${2:-run}
cd "$(dirname "$0")/../.."
case $target in
  run) entry=server.js manifest=infra/gcp/run-package.json ;;
  function) entry=gcp.js manifest=infra/gcp/package.json ;;
  *) echo "TARGET must be run or function, not \"$target\"" >&2; exit 2 ;;
esac
[[ -f dist/$entry ]] || { echo "dist/$entry is missing: run npm run build first" >&2; exit 2; }
mkdir -p "$out"
cp "dist/$entry" "$out/$entry"
cp -r dist/chunks "$out/chunks"
cp "$manifest" "$out/package.json"
