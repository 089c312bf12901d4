#!/usr/bin/env bash
# The short fuzz pass that `make test` runs through ctest (test fuzz_short_pass): builds the fuzz
# targets if clang with libFuzzer is installed (skips otherwise) and runs each
# target for FUZZ_SHORT_SECONDS (default 10), two at a time, on a copy of its seed corpus.
# Exit 77 (skipped) without clang.
# The build directory persists (default build-fuzz at the repo root, shared with `make fuzz`) so
# later runs only rebuild what changed.
#
# usage: tests/fuzz/short_pass.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FUZZ_SKIP_NO_CLANG=1 FUZZ_JOBS="${FUZZ_JOBS:-2}" exec "$here/run_fuzz.sh" \
  "${FUZZ_SHORT_SECONDS:-10}" "${1:-build-fuzz}"
