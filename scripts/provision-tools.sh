#!/usr/bin/env bash
# Provisions the local stack's tools into a per-user cache outside the clone, keyed by
# tool and version, so clean clones (and CI on the same machine) reuse them.
#   temporal  — Temporal CLI (dev server + Web UI): from PATH, else built from its Go module
#   mongo-java-server — MongoDB-wire server with oplog (change streams), fetched with Maven
# Prints nothing but progress on stderr; idempotent; safe to run concurrently (lock).
set -euo pipefail

TOOLS_DIR="${DEPLOY_WEBHOOKS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-webhooks/tools}"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
MONGO_JAVA_SERVER_VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
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
  stack) provision_mongo; provision_temporal ;; # what npm start runs: no browser
  all) provision_mongo; provision_temporal; provision_chromium ;;
  *) echo "usage: $0 [all|stack|temporal|mongo|chromium]" >&2; exit 2 ;;
esac
