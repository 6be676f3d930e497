#!/usr/bin/env bash
# Makes a clone ready to start or test, then compiles it:
#   prepare.sh start — dependencies installed (npm ci when missing or stale), the running
#                      system's tools provisioned (Temporal CLI, mongo-java-server), and one
#                      compile of the product with tools/, bench/ and test/support (`npm run build:dev`);
#   prepare.sh test  — the same plus Chromium, which only the status page's browser test needs.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  start) tools=stack ;;
  test) tools=all ;;
  *) echo "usage: $0 start|test" >&2; exit 2 ;;
esac
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[prepare] installing dependencies (npm ci)" >&2
  bash scripts/install-deps.sh >&2
fi
bash scripts/provision-tools.sh "$tools"
echo "[prepare] compiling" >&2
npm run -s build:dev
