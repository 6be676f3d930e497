#!/usr/bin/env bash
# Makes a clone ready to start or test: dependencies installed (npm ci when missing or stale),
# stack tools provisioned into the per-user cache, and with `build` the TypeScript compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[prepare] installing dependencies (npm ci)" >&2
  bash scripts/install-deps.sh >&2
fi
bash scripts/provision-tools.sh all
if [ "${1:-}" = "build" ]; then
  echo "[prepare] compiling" >&2
  npx tsc -p tsconfig.build.json
fi
