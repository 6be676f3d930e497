#!/usr/bin/env bash
# Runs a command (e.g. `jest`) under Node.js 24, the runtime the Docker image ships: the machine's
# node when it is 24, else the one scripts/provision-tools.sh keeps in the per-user cache. Put first
# on PATH, so `#!/usr/bin/env node` scripts and children spawned with process.execPath use it too.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" != 24 ]; then
  PATH="$(bash scripts/provision-tools.sh node-bin):$PATH"
  export PATH
fi
echo "[node24] $1 runs on node $(node --version) ($(command -v node))" >&2
exec "$@"
