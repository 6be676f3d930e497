#!/usr/bin/env bash
# Installs the locked dependencies. `npm ci` first; if it refuses the lock file because the
# registry does not serve some optional platform packages (here: @swc/core's macOS, Windows and
# rarer Linux binaries answer 404, so npm leaves them out of package-lock.json and `npm ci` then
# calls the lock out of sync), install the same locked versions with `npm install --no-save`.
set -uo pipefail
cd "$(dirname "$0")/.."
if npm ci --no-audit --no-fund 2>/tmp/npm-ci.$$.log; then rm -f /tmp/npm-ci.$$.log; exit 0; fi
if grep -q "Missing: .* from lock file" /tmp/npm-ci.$$.log; then
  echo "[install] npm ci: lock file lacks optional platform packages this registry does not serve; installing the locked versions with npm install --no-save" >&2
  rm -f /tmp/npm-ci.$$.log
  exec npm install --no-save --no-audit --no-fund
fi
cat /tmp/npm-ci.$$.log >&2
rm -f /tmp/npm-ci.$$.log
exit 1
