#!/usr/bin/env bash
# ThreadSanitizer build of the tests that cover the worker hand-off (DESIGN B5): the base
# Mailbox unit tests and the integration tests (hub <-> worker posting
# under real load; HTTP/2 and TLS; reload, drain and caps across workers), against a TSan-built
# ssegate. Any data race halts the process that sees it (halt_on_error=1): a unit
# test fails directly; the gateway exits non-zero, which the integration fixture reports.
#
#   tests/tsan.sh [--build DIR] [--filter GTEST_FILTER] [--jobs N]
#
# Builds into build-tsan/ by default (Debug, -fsanitize=thread). Exit status 0 = clean.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-tsan"
# The H1_Hostile_* tests compare latencies with a clean run, which TSan's slowdown makes
# meaningless; they run in the ASan build (make test).
filter="-*H1_Hostile_*"
jobs="$(nproc)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --filter) filter="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--filter GTEST_FILTER] [--jobs N]" >&2; exit 2 ;;
  esac
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSSEGATE_TSAN=ON -DSSEGATE_SANITIZE=OFF \
  -DSSEGATE_BENCH=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target ssegate unit_base integration_tests \
  integration_h2_tests integration_ops_tests

# second_deadlock_stack helps read lock-order reports; history_size keeps old accesses visible.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"
status=0
run() {
  echo "== tsan: $*"
  if ! "$@"; then status=1; echo "== tsan: FAILED: $*" >&2; fi
}
run "$build/tests/unit_base" --gtest_filter='*Mailbox*'
# The integration tests start the TSan-built gateway (SSEGATE_BINARY is baked in at build time).
# They run one at a time: TSan slows everything ~5-10x and the tests have real-time bounds.
for suite in integration_tests integration_h2_tests integration_ops_tests; do
  run "$build/tests/integration/$suite" --gtest_filter="$filter"
done
if [[ $status -eq 0 ]]; then echo "== tsan: clean"; fi
exit "$status"
