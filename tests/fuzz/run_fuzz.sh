#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang only) and runs each one for a bounded time on a
# temporary copy of its committed seed corpus, so runs never write into tests/fuzz/corpus/.
# Fails (exit 1) if any target crashes, leaks, times out or fails a check; the input that did it
# is kept under $BUILD_DIR/artifacts/<target>/ for reproduction (`<binary> <input>`).
#
# usage: tests/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [BUILD_DIR]   (defaults 60, build-fuzz)
# env:   FUZZ_JOBS   targets run at once (default 1)
#        FUZZ_SKIP_NO_CLANG=1   exit 77 (ctest SKIP_RETURN_CODE) when clang/libFuzzer is missing
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
build="${2:-build-fuzz}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
jobs="${FUZZ_JOBS:-1}"
targets=(sse_parser_fuzz config_fuzz http1_request_fuzz h2_session_fuzz jwt_fuzz tls13_records_fuzz)

if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null ||
   ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  if [ "${FUZZ_SKIP_NO_CLANG:-0}" = 1 ]; then
    echo "fuzz: clang with libFuzzer not available; skipped (apt-get install clang libclang-rt-14-dev)"
    exit 77
  fi
  echo "fuzz: clang with libFuzzer is required (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSSEGATE_FUZZ=ON >/dev/null
if ! cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1; then
  tail -60 "$build/build.log" >&2
  echo "fuzz: build failed (full log: $build/build.log)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ssegate-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

run_one() {
  local t="$1" bin="$build/$1"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $t was not built (missing library?)"
    return 0
  fi
  mkdir -p "$work/$t" "$build/artifacts/$t"
  cp -r "$root/tests/fuzz/corpus/$t/." "$work/$t/"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -print_funcs=0 -artifact_prefix="$build/artifacts/$t/" "$work/$t" >"$work/$t.log" 2>&1; then
    echo "fuzz: $t ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" |
      grep -o '[0-9]*$') runs in ${seconds}s)"
  else
    echo "fuzz: $t FAILED; log tail and artifacts in $build/artifacts/$t/:" >&2
    grep -v '^#[0-9]' "$work/$t.log" | tail -60 >&2
    return 1
  fi
}

failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit "$failed"
