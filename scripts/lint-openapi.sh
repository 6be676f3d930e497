#!/usr/bin/env bash
# Checks the gateway's OpenAPI document with Redocly's recommended rules: the document is
# generated from the compiled gateway without starting anything (openapi-document.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.build.json
mkdir -p .stack
node dist/apps/gateway/openapi-document.js .stack/openapi.json
# Redocly CLI wants Node 22+; no usage reports or update checks from CI.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
bash scripts/node24.sh node_modules/.bin/redocly lint --extends=recommended --format=stylish .stack/openapi.json
