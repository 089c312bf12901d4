#!/usr/bin/env bash
# ctest wrapper for the headless-Chromium tests (tests/browser/CMakeLists.txt):
#   run.sh TEST.mjs SSEGATE_BIN ORIGIN_BIN WORK_DIR
# Exits 77 (ctest: skipped) when node >= 20, npm (needed only to install) or chromium is missing.
# Installs the node dependencies (playwright-core, pinned by package-lock.json) with `npm ci` when
# node_modules is missing, so a fresh clone works; playwright-core drives Debian's
# /usr/bin/chromium and never downloads a browser. WORK_DIR receives artefacts (the dashboard
# screenshot) and the install lock.
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 TEST.mjs SSEGATE_BIN ORIGIN_BIN WORK_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
test_script="$1" ssegate_bin="$2" origin_bin="$3" work_dir="$4"
chromium="${SSEGATE_CHROMIUM:-/usr/bin/chromium}"

skip() { echo "SKIPPED: $*"; exit 77; }

command -v node >/dev/null 2>&1 || skip "node not found (Node.js >= 20 is needed)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || skip "node $(node --version) is older than 20"
[ -x "$chromium" ] || skip "$chromium not found (Debian package chromium)"
mkdir -p "$work_dir"

if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  command -v npm >/dev/null 2>&1 || skip "npm not found, and $here/node_modules is missing"
  # Both browser tests may start at once under ctest -j: one installs, the other waits.
  exec 9>"$work_dir/.npm-install.lock"
  flock 9
  if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    if [ -f "$here/package-lock.json" ]; then
      echo "installing node dependencies: npm ci --prefix $here"
      npm ci --prefix "$here" --no-audit --no-fund
    else
      echo "installing node dependencies: npm install --prefix $here"
      npm install --prefix "$here" --no-audit --no-fund
    fi
  fi
  flock -u 9
  exec 9>&-
fi

cd "$work_dir"
exec node "$here/$test_script" "$ssegate_bin" "$origin_bin" "$work_dir"
