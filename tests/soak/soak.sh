#!/usr/bin/env bash
# Soak test (issue 7, point 4): DURATION seconds of subscriber churn, origin restarts (every
# ~60 s) and reloads (SIGHUP every ~30 s) against one ssegate, sampling its RSS and open fds.
#
#   tests/soak/soak.sh [--duration S] [--build DIR] [--rss-tolerance PCT] [--keep]
#
# Load: ssegate-loadgen holds steady subscribers on 4 channels for the whole run (they must see
# no gap, duplicate or disconnect across origin restarts and reloads), soak_churn.py runs
# sessions that disconnect and reconnect with Last-Event-ID (contiguous seqs: the replay ring
# fills every gap), soak_origin.py is the origin (restartable without losing its sequence).
# Asserts (soak_check.py): RSS flat (mean of the last third vs the middle third within
# --rss-tolerance, default 5%, 25% for an ASan build), fds back to the baseline once the
# subscribers are gone, no event lost, the gateway exits 0 on SIGTERM with no sanitizer report.
# Kills only the processes it started, by PID. Logs stay in /tmp/ssegate-soak.* on failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tests/soak"
duration=1800
build="$root/build"
rss_tolerance=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --rss-tolerance) rss_tolerance="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--duration S] [--build DIR] [--rss-tolerance PCT] [--keep]" >&2; exit 2 ;;
  esac
done
(( duration >= 60 )) || { echo "soak: --duration must be >= 60" >&2; exit 2; }
gateway_bin="$build/ssegate"
loadgen_bin="$build/ssegate-loadgen"
for f in "$gateway_bin" "$loadgen_bin"; do
  [[ -x "$f" ]] || { echo "soak: $f not built (cmake --build $build)" >&2; exit 2; }
done
asan=0
if grep -q '^SSEGATE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then asan=1; fi
if [[ -z "$rss_tolerance" ]]; then rss_tolerance=$(( asan ? 25 : 5 )); fi
# ASan keeps freed memory in a quarantine (256 MiB by default) that would fill for minutes and
# look like growth; a small one fills during the warm-up. Leak detection stays on.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1}"

work="$(mktemp -d /tmp/ssegate-soak.XXXXXX)"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $status -eq 0 && $keep -eq 0 ]]; then rm -rf "$work"; else echo "soak: logs in $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r origin_port gateway_port admin_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
epoch="$(date +%s.%N)"
log() { printf 'soak: [%4ds] %s\n' "$SECONDS" "$*" >&2; }

start_origin() {
  python3 "$here/soak_origin.py" --listen "127.0.0.1:$origin_port" --rate 10 --size 256 \
    --epoch "$epoch" 2>>"$work/origin.log" &
  origin_pid=$!
  pids+=("$origin_pid")
}

write_config() {  # $1: keepalive interval (changes on every reload, so each reload is real)
  cat >"$work/ssegate.yaml.new" <<YAML
workers: 2
listeners:
  - address: 127.0.0.1:$gateway_port
    protocols: [http1]
admin:
  address: 127.0.0.1:$admin_port
upstreams:
  origin:
    url: http://127.0.0.1:$origin_port
    idle_timeout: 10s
    reconnect: { initial_delay: 100ms, max_delay: 1s }
routes:
  - path: /events/{channel}
    upstream: origin
    upstream_path: /stream/{channel}
    keepalive_interval: $1
    retry: 1s
    linger: 2s
    replay: { max_events: 1000, max_age: 5m }
limits:
  max_connections: 5000
  drain_timeout: 2s
YAML
  mv "$work/ssegate.yaml.new" "$work/ssegate.yaml"
}

wait_port() {  # $1 port, $2 timeout s
  local deadline=$(( SECONDS + $2 ))
  until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.5)" 2>/dev/null; do
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
}

fd_count() { ls "/proc/$gateway_pid/fd" 2>/dev/null | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$gateway_pid/status" 2>/dev/null || echo 0; }

SECONDS=0
start_origin
wait_port "$origin_port" 10 || { log "origin did not start"; exit 1; }
write_config 5s
"$gateway_bin" -c "$work/ssegate.yaml" 2>"$work/ssegate.log" &
gateway_pid=$!
pids+=("$gateway_pid")
wait_port "$gateway_port" 30 || { log "ssegate did not start"; cat "$work/ssegate.log" >&2; exit 1; }
# Warm-up: one subscriber comes and goes, one reload; once linger (2 s) closed the upstream, the
# fd count is the baseline (one-time lazily opened fds are not leaks; growth over the run is).
curl -sN --max-time 1 "http://127.0.0.1:$gateway_port/events/ch0" >/dev/null || true
kill -HUP "$gateway_pid"
sleep 4
baseline_fds="$(fd_count)"
ls -l "/proc/$gateway_pid/fd" | awk 'NR > 1 { print $9, $11 }' >"$work/fds-baseline.txt"
log "ssegate pid $gateway_pid ($( ((asan)) && echo ASan || echo release)), baseline fds $baseline_fds, RSS $(rss_kib) KiB"

# Steady subscribers for the whole run, through every restart and reload.
steady_s=$(( duration - 25 ))
"$loadgen_bin" --url "http://127.0.0.1:$gateway_port/events/ch{c}" -n 200 --channels 4 \
  --ramp 200 --warmup 5 --duration "$steady_s" --grace 5 --progress 30 \
  >"$work/loadgen.json" 2>"$work/loadgen.log" &
loadgen_pid=$!
pids+=("$loadgen_pid")
python3 "$here/soak_churn.py" --port "$gateway_port" --channels 4 --sessions 40 \
  --duration $(( duration - 15 )) >"$work/churn.json" 2>"$work/churn.log" &
churn_pid=$!
pids+=("$churn_pid")

: >"$work/samples.tsv"
restarts=0
reloads=0
next_sample=0
keepalive=5s
while (( SECONDS < duration - 12 )); do
  t=$SECONDS
  if (( t >= next_sample )); then
    printf '%d\t%s\t%s\n' "$t" "$(rss_kib)" "$(fd_count)" >>"$work/samples.tsv"
    next_sample=$(( t + 2 ))
  fi
  if ! kill -0 "$gateway_pid" 2>/dev/null; then log "ssegate died"; break; fi
  if (( t > 0 && t % 60 == 40 && t != ${last_restart:-0} )); then
    last_restart=$t
    kill "$origin_pid"; wait "$origin_pid" 2>/dev/null || true
    start_origin
    restarts=$(( restarts + 1 ))
    log "origin restarted (#$restarts)"
  fi
  if (( t > 0 && t % 30 == 0 && t != ${last_reload:-0} )); then
    last_reload=$t
    keepalive=$([[ $keepalive == 5s ]] && echo 7s || echo 5s)
    write_config "$keepalive"
    kill -HUP "$gateway_pid"
    reloads=$(( reloads + 1 ))
    log "SIGHUP (#$reloads, keepalive_interval $keepalive)"
  fi
  sleep 0.5
done

churn_status=0; wait "$churn_pid" || churn_status=$?
loadgen_status=0; wait "$loadgen_pid" || loadgen_status=$?
# Every subscriber is gone; after linger (2 s) the upstreams close too: fds back to baseline.
end_fds="$(fd_count)"
deadline=$(( SECONDS + 20 ))
while (( end_fds > baseline_fds && SECONDS < deadline )); do sleep 0.5; end_fds="$(fd_count)"; done
log "fds after the subscribers left: $end_fds (baseline $baseline_fds)"
ls -l "/proc/$gateway_pid/fd" | awk 'NR > 1 { print $9, $11 }' >"$work/fds-end.txt"
if (( end_fds > baseline_fds )); then
  log "fds not in the baseline:"; comm -13 <(sort "$work/fds-baseline.txt") <(sort "$work/fds-end.txt") >&2 || true
fi

kill -TERM "$gateway_pid"
gateway_status=0; wait "$gateway_pid" || gateway_status=$?
log "ssegate exited with $gateway_status"

python3 "$here/soak_check.py" --work "$work" --duration "$duration" \
  --rss-tolerance "$rss_tolerance" --baseline-fds "$baseline_fds" --end-fds "$end_fds" \
  --gateway-status "$gateway_status" --loadgen-status "$loadgen_status" \
  --churn-status "$churn_status" --restarts "$restarts" --reloads "$reloads" \
  --asan "$asan"
