#!/usr/bin/env bash
# bench/run.sh SCENARIO — benchmark scenarios for ssegate, on loopback.
#
#   core   10,000 HTTP/1.1 subscribers on ONE channel, 10 events/s of 256 bytes:
#          p99 origin-to-subscriber latency, every event delivered, gateway RSS per idle
#          subscriber, gateway CPU, upstream connections seen by the origin.
#          Writes bench/results/core.json and bench/RESULTS.md.
#   selftest  the load generator straight against the demo origin (no gateway): 1,000
#          subscribers on 10 channels must receive every event. Exit status 0 when they do.
#   peers  ssegate side by side with nginx+Nchan, Pushpin and nginx proxy_pass (bench/peers.sh)
#   callgrind  instructions per delivery on the hot path (bench/callgrind.sh)
#
# Environment (defaults in brackets): BUILD [build], SKIP_BUILD [0], SUBSCRIBERS [10000],
# RATE [10] events/s, SIZE [256] bytes, WARMUP [5] s, DURATION [30] s, HOLD [10] s (idle phase),
# RAMP [2000] connections/s, PROCS [2] load generator processes, ORIGIN_PORT [18000],
# GATEWAY_PORT [18080], ADMIN_PORT [18901] (the next free port is taken if one is busy), QUIET_WAIT [120] s, LOADGEN_NICE [10] (nice value of
# the load generator: >0 lets the gateway win CPU contention against its own measuring client).
# Starts its own origin, gateway and load generators and stops only those (by PID).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
SUBSCRIBERS=${SUBSCRIBERS:-10000}
RATE=${RATE:-10}
SIZE=${SIZE:-256}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-30}
HOLD=${HOLD:-10}
RAMP=${RAMP:-2000}
PROCS=${PROCS:-2}
ORIGIN_PORT=${ORIGIN_PORT:-18000}
GATEWAY_PORT=${GATEWAY_PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-18901}
LOADGEN_NICE=${LOADGEN_NICE:-10}
CHANNEL=bench

PIDS=()
WORK=$(mktemp -d /tmp/ssegate-bench.XXXXXX)

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
  local pid i
  # Newest first: load generators, then the gateway, then the origin it is connected to.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  log "logs kept in $WORK"
}
trap cleanup EXIT
trap 'log "command failed at line $LINENO"' ERR

# jnum KEY FILE: the first number after "KEY": in a one-line JSON file.
jnum() { grep -o "\"$1\":-\?[0-9.]*" "$2" | head -1 | cut -d: -f2; }
# rnum KEY FILE: the same inside the load generator's "read_latency_ms" object.
rnum() { grep -o '"read_latency_ms":{[^}]*}' "$2" | grep -o "\"$1\":[0-9.]*" | cut -d: -f2; }
# Established TCP connections with this local port (server side of each connection).
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }
free_port() {  # the first port from $1 up that nothing listens on (other tests share the machine)
  local port=$1
  while listening "$port"; do port=$((port + 1)); done
  echo "$port"
}
listening() { [ "$(ss -Htln "( sport = :$1 )" | wc -l)" -gt 0 ]; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
sys_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $13}'; }
metric() {  # metric NAME: sum of a Prometheus metric's samples on the admin port, or "null"
  { curl -sf -m 2 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null || true; } |
    awk -v name="$1" '$1 == name || index($1, name "{") == 1 {sum += $NF; found = 1}
                      END {if (found) printf "%.0f\n", sum; else print "null"}'
}
thread_ticks() {  # "tid ticks" per thread of a process, by tid
  local task
  for task in /proc/"$1"/task/*; do
    echo "${task##*/} $(sed 's/^.*) //' "$task/stat" | awk '{print $12 + $13}')"
  done | sort -n
}
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
our_ticks() {  # CPU ticks of the origin, the gateway and the load generator processes
  local pid sum=0
  for pid in "$ORIGIN_PID" "$GATEWAY_PID" "$LOADGEN_PID" $(pgrep -P "$LOADGEN_PID" || true); do
    [ -r "/proc/$pid/stat" ] && sum=$((sum + $(cpu_ticks "$pid")))
  done
  echo "$sum"
}
# Waits (up to QUIET_WAIT seconds) until other processes use under 10% of the machine, because
# anything else running on these few CPUs shows up as latency.
wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-120})) b0 b1 quiet_runs=0
  while :; do
    b0=$(busy_ticks)
    sleep 1
    b1=$(busy_ticks)
    local pct=$(( (b1 - b0) * 100 / $(getconf CLK_TCK) / $(nproc) ))
    if [ "$pct" -lt 10 ]; then
      quiet_runs=$((quiet_runs + 1))
      [ "$quiet_runs" -ge 3 ] && return
      continue
    fi
    quiet_runs=0
    if [ $SECONDS -ge "$deadline" ]; then log "machine still ${pct}% busy; measuring anyway"; return; fi
    log "machine ${pct}% busy with other work; waiting"
    sleep 4
  done
}
calc() { awk "BEGIN {printf \"%.${2:-3}f\", ($1)}"; }
sleep_until() {  # sleep_until EPOCH_NS
  local left
  left=$(calc "($1 - $(date +%s%N)) / 1e9" 3)
  if awk "BEGIN {exit !($left > 0)}"; then sleep "$left"; fi
}

build() {
  [ "$SKIP_BUILD" = 1 ] && return
  log "building $BUILD (RelWithDebInfo)"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/cmake.log"
  cmake --build "$BUILD" -j2 --target ssegate ssegate-demo-origin ssegate-loadgen >>"$WORK/cmake.log"
}

start_origin() {
  ORIGIN_PORT=$(free_port "$ORIGIN_PORT")
  GATEWAY_PORT=$(free_port "$GATEWAY_PORT")
  ADMIN_PORT=$(free_port "$ADMIN_PORT")
  "$BUILD/ssegate-demo-origin" --listen "127.0.0.1:$ORIGIN_PORT" --rate "$RATE" --size "$SIZE" \
    2>"$WORK/origin.log" &
  ORIGIN_PID=$!
  PIDS+=("$ORIGIN_PID")
  for _ in $(seq 100); do listening "$ORIGIN_PORT" && return; sleep 0.05; done
  die "origin did not start (see $WORK/origin.log)"
}

start_gateway() {
  sed -e "s/127.0.0.1:18080/127.0.0.1:$GATEWAY_PORT/" -e "s/127.0.0.1:18901/127.0.0.1:$ADMIN_PORT/" \
    -e "s/127.0.0.1:18000/127.0.0.1:$ORIGIN_PORT/" bench/core.yaml >"$WORK/ssegate.yaml"
  "$BUILD/ssegate" -t -c "$WORK/ssegate.yaml" >/dev/null || die "bench config rejected"
  "$BUILD/ssegate" -c "$WORK/ssegate.yaml" --log-level info 2>"$WORK/gateway.log" &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
  for _ in $(seq 100); do listening "$GATEWAY_PORT" && return; sleep 0.05; done
  die "gateway did not start (see $WORK/gateway.log)"
}

# Runs the load generator in the background; sets LOADGEN_PID.
loadgen() {
  local out=$1
  shift
  nice -n "$LOADGEN_NICE" "$BUILD/ssegate-loadgen" \
    --url "http://127.0.0.1:$GATEWAY_PORT/events/$CHANNEL" \
    -n "$SUBSCRIBERS" --procs "$PROCS" --ramp "$RAMP" "$@" >"$out" 2>>"$WORK/loadgen.log" &
  LOADGEN_PID=$!
  PIDS+=("$LOADGEN_PID")
}

wait_loadgen() {
  wait "$LOADGEN_PID" || die "load generator failed (see $WORK/loadgen.log)"
  [ -s "$1" ] || die "load generator printed nothing"
}

scenario_core() {
  build
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  start_origin
  start_gateway
  local ramp_s
  ramp_s=$(calc "$SUBSCRIBERS / $RAMP" 1)
  log "origin pid $ORIGIN_PID (port $ORIGIN_PORT), gateway pid $GATEWAY_PID (port $GATEWAY_PORT)," \
    "work dir $WORK"

  # Open the channel once so the baseline includes it (linger keeps the upstream stream).
  curl -s -m 2 -N -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/events/$CHANNEL" || true
  sleep 1
  local rss_before rss_idle idle_seen
  rss_before=$(rss_kb "$GATEWAY_PID")

  log "idle phase: $SUBSCRIBERS subscribers connect and hold ${HOLD}s"
  loadgen "$WORK/idle.json" --idle --duration "$HOLD" --progress 0
  local deadline=$((SECONDS + ${ramp_s%.*} + 20))
  while [ "$(established "$GATEWAY_PORT")" -lt "$SUBSCRIBERS" ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
  done
  sleep 2
  idle_seen=$(established "$GATEWAY_PORT")
  rss_idle=$(rss_kb "$GATEWAY_PID")
  wait_loadgen "$WORK/idle.json"
  for _ in $(seq 100); do [ "$(established "$GATEWAY_PORT")" -le 0 ] && break; sleep 0.1; done
  local rss_per_sub_kib=null  # null: nobody was held (e.g. HOLD shorter than the ramp)
  if [ "$idle_seen" -gt 0 ]; then
    rss_per_sub_kib=$(calc "($rss_idle - $rss_before) / $idle_seen" 2)
  fi
  log "idle: $idle_seen connected, RSS ${rss_before} -> ${rss_idle} KiB, ${rss_per_sub_kib} KiB each"

  wait_quiet
  log "stream phase: ramp ${ramp_s}s, warm-up ${WARMUP}s, measure ${DURATION}s"
  local t0_ns window_open_ns
  t0_ns=$(date +%s%N)
  loadgen "$WORK/core-loadgen.json" --warmup "$WARMUP" --duration "$DURATION"
  # The load generator opens its window 0.2 s (common start) + ramp + warm-up after it starts.
  window_open_ns=$(calc "$t0_ns + (0.2 + $ramp_s + $WARMUP) * 1e9" 0)
  sleep_until "$window_open_ns"
  local cpu0 cpu1 sys0 sys1 delivered0 delivered1 t1_ns busy0 busy1 ours0 ours1
  cpu0=$(cpu_ticks "$GATEWAY_PID")
  sys0=$(sys_ticks "$GATEWAY_PID")
  thread_ticks "$GATEWAY_PID" >"$WORK/threads0"
  busy0=$(busy_ticks)
  ours0=$(our_ticks)
  delivered0=$(metric ssegate_events_delivered_total)
  sleep_until "$(calc "$window_open_ns + $DURATION * 1e9" 0)"
  cpu1=$(cpu_ticks "$GATEWAY_PID")
  sys1=$(sys_ticks "$GATEWAY_PID")
  thread_ticks "$GATEWAY_PID" >"$WORK/threads1"
  busy1=$(busy_ticks)
  ours1=$(our_ticks)
  delivered1=$(metric ssegate_events_delivered_total)
  t1_ns=$(date +%s%N)
  local rss_active hwm upstream_now
  rss_active=$(rss_kb "$GATEWAY_PID")
  hwm=$(hwm_kb "$GATEWAY_PID")
  upstream_now=$(ss -Htn state established "( dport = :$ORIGIN_PORT )" | wc -l)
  wait_loadgen "$WORK/core-loadgen.json"
  curl -sf -m 2 "http://127.0.0.1:$ORIGIN_PORT/stats" >"$WORK/origin-stats.json" ||
    die "origin /stats failed"

  local lg=$WORK/core-loadgen.json
  local cpu_s deliveries cpu_per_m
  cpu_s=$(calc "($cpu1 - $cpu0) / $(getconf CLK_TCK)" 2)
  local sys_s
  sys_s=$(calc "($sys1 - $sys0) / $(getconf CLK_TCK)" 2)
  local threads_cpu
  threads_cpu=$(awk -v hz="$(getconf CLK_TCK)" 'NR == FNR {before[$1] = $2; next}
    ($1 in before) {printf "%s%.2f", (n++ ? "," : ""), ($2 - before[$1]) / hz}' \
    "$WORK/threads0" "$WORK/threads1")
  local other_cpu_s machine_busy_pct clients_cpu_s noisy
  other_cpu_s=$(calc "(($busy1 - $busy0) - ($ours1 - $ours0)) / $(getconf CLK_TCK)" 2)
  other_cpu_s=$(calc "$other_cpu_s < 0 ? 0 : $other_cpu_s" 2)
  machine_busy_pct=$(calc "($busy1 - $busy0) * 100 / $(getconf CLK_TCK) / $(nproc) / $DURATION" 1)
  clients_cpu_s=$(calc "(($ours1 - $ours0) - ($cpu1 - $cpu0)) / $(getconf CLK_TCK)" 2)
  noisy=$(awk "BEGIN {print ($other_cpu_s > 0.1 * $(nproc) * $DURATION) ? \"true\" : \"false\"}")
  if [ "$delivered0" != null ] && [ "$delivered1" != null ]; then
    deliveries=$((delivered1 - delivered0))
  else
    deliveries=$(jnum events "$lg")
  fi
  cpu_per_m=$(calc "$deliveries > 0 ? $cpu_s / ($deliveries / 1e6) : 0" 2)
  local p99 connected failed disconnected gaps dups missing stream_requests max_streams
  p99=$(jnum p99 "$lg")
  connected=$(jnum connected "$lg")
  failed=$(jnum failed "$lg")
  disconnected=$(jnum disconnected "$lg")
  gaps=$(jnum gaps "$lg")
  dups=$(jnum dups "$lg")
  missing=$(jnum missing "$lg")
  stream_requests=$(jnum stream_requests "$WORK/origin-stats.json")
  max_streams=$(jnum max_streams "$WORK/origin-stats.json")

  met() { if awk "BEGIN {exit !($1)}"; then echo met; else echo "NOT met"; fi; }
  local m_latency m_delivery m_rss m_upstream all_delivered
  m_latency=$(met "$p99 <= 50")
  # expected > 0: a load generator starved of CPU can miss its window (no events owed); that
  # run measured nothing and must not count as "every event delivered".
  m_delivery=$(met "$connected == $SUBSCRIBERS && $failed == 0 && $disconnected == 0 && \
                    $gaps == 0 && $dups == 0 && $missing == 0 && $(jnum expected "$lg") > 0")
  all_delivered=$([ "$m_delivery" = met ] && echo true || echo false)
  m_rss="not measured"
  [ "$rss_per_sub_kib" != null ] && m_rss=$(met "$rss_per_sub_kib <= 8")
  m_upstream=$(met "$stream_requests == 1 && $max_streams == 1")

  mkdir -p bench/results
  cat >bench/results/core.json <<JSON
{"scenario":"core","date":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","commit":"$(git rev-parse --short HEAD)",
 "machine":{"cpus":$(nproc),"kernel":"$(uname -r)"},
 "params":{"subscribers":$SUBSCRIBERS,"channels":1,"rate_per_s":$RATE,"size_bytes":$SIZE,
           "warmup_s":$WARMUP,"duration_s":$DURATION,"ramp_per_s":$RAMP,"loadgen_procs":$PROCS,"loadgen_nice":$LOADGEN_NICE,
           "gateway_workers":2},
 "latency_ms":{"p50":$(jnum p50 "$lg"),"p90":$(jnum p90 "$lg"),"p99":$p99,
               "p999":$(jnum p999 "$lg"),"max":$(jnum max "$lg")},
 "read_latency_ms":{"p50":$(rnum p50 "$lg"),"p90":$(rnum p90 "$lg"),"p99":$(rnum p99 "$lg"),
                    "p999":$(rnum p999 "$lg"),"max":$(rnum max "$lg")},
 "delivery":{"all_delivered":$all_delivered,"connected":$connected,"failed":$failed,
             "disconnected":$disconnected,"expected":$(jnum expected "$lg"),
             "delivered":$(jnum delivered "$lg"),"missing":$missing,"gaps":$gaps,"dups":$dups,
             "deliveries_per_s":$(jnum deliveries_per_s "$lg")},
 "gateway":{"rss_before_kib":$rss_before,"rss_idle_kib":$rss_idle,"idle_subscribers":$idle_seen,
            "rss_per_idle_subscriber_kib":$rss_per_sub_kib,"rss_active_kib":$rss_active,
            "rss_peak_kib":$hwm,"cpu_s":$cpu_s,"cpu_sys_s":$sys_s,"deliveries_in_cpu_window":$deliveries,
            "cpu_s_per_million_deliveries":$cpu_per_m,"threads_cpu_s":[$threads_cpu]},
 "noise":{"noisy":$noisy,"busy_pct_during_window":$machine_busy_pct,
          "origin_and_loadgen_cpu_s":$clients_cpu_s,"other_processes_cpu_s":$other_cpu_s,
            "loadavg_after":"$(cut -d' ' -f1-3 /proc/loadavg)"},
 "origin":{"upstream_connections_now":$upstream_now,"stream_requests":$stream_requests,
           "max_concurrent_streams":$max_streams},
 "targets":{"p99_le_50ms":"$m_latency","all_delivered":"$m_delivery",
            "rss_le_8kib_per_idle_subscriber":"$m_rss","one_upstream_connection":"$m_upstream"},
 "loadgen":$(cat "$lg"),
 "loadgen_idle":$(cat "$WORK/idle.json")}
JSON

  cat >bench/RESULTS.md <<MD
# Benchmark results

Produced by \`bench/run.sh core\` ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD),
$(nproc) CPUs, loopback, gateway with 2 workers; load generator with $PROCS processes on the same
CPUs at nice $LOADGEN_NICE). Raw numbers: [results/core.json](results/core.json).

## core: $SUBSCRIBERS HTTP/1.1 subscribers, one channel, $RATE events/s of $SIZE bytes

| Measure | Target | Measured | |
|---|---|---|---|
| p99 origin-to-subscriber latency | <= 50 ms | $p99 ms (p50 $(jnum p50 "$lg"), p999 $(jnum p999 "$lg"), max $(jnum max "$lg")) | $m_latency |
| (same, until the load generator read it) | | p99 $(rnum p99 "$lg") ms (p50 $(rnum p50 "$lg"), max $(rnum max "$lg")) | |
| every event delivered | gaps = dups = missing = 0 | $(jnum delivered "$lg") of $(jnum expected "$lg") delivered; gaps $gaps, dups $dups; connected $connected, failed $failed, disconnected $disconnected | $m_delivery |
| gateway RSS per idle subscriber | <= 8 KiB | $rss_per_sub_kib KiB ($rss_before -> $rss_idle KiB with $idle_seen subscribers) | $m_rss |
| upstream connections at the origin | exactly 1 | $stream_requests stream request(s), at most $max_streams at once | $m_upstream |
| gateway CPU over the ${DURATION} s window | (report) | $cpu_s s ($sys_s s in the kernel), $cpu_per_m s per million deliveries (per thread: $threads_cpu) | |
| deliveries per second | (report) | $(jnum deliveries_per_s "$lg") | |
| machine busy during the window | (noise check) | ${machine_busy_pct}% of $(nproc) CPUs; origin + load generator ${clients_cpu_s} CPU-s, other processes ${other_cpu_s} CPU-s | |
$([ "$noisy" = true ] && printf '\n**Warning:** other processes used %s CPU-s during the window, so the latency numbers are\nnot representative; rerun on a quiet machine.\n' "$other_cpu_s")

Latency is the kernel receive timestamp of the bytes on the subscriber's socket (SO_TIMESTAMPNS,
CLOCK_REALTIME) minus the event's intended send time (\`ts_us\`, open-loop schedule in the demo
origin, so origin timer lateness of ~1-2 ms is included). The second row adds the time until the
load generator, which shares the CPUs with the gateway, got round to reading the socket.

The idle phase connects the subscribers to the same channel and holds them without parsing; RSS is VmRSS from /proc after the channel was opened once (baseline) and after all
subscribers were connected.
MD
  log "results: bench/results/core.json, bench/RESULTS.md"
  log "p99 ${p99} ms ($m_latency), delivery $m_delivery, RSS/idle sub ${rss_per_sub_kib} KiB ($m_rss), upstream $stream_requests/$max_streams ($m_upstream), CPU ${cpu_s}s"
}

# The tools alone, no gateway: subscribers straight to the demo origin, every event delivered.
scenario_selftest() {
  build
  start_origin
  local out=$WORK/selftest.json
  "$BUILD/ssegate-loadgen" --url "http://127.0.0.1:$ORIGIN_PORT/stream/self{c}" --channels 10 \
    -n "${SELFTEST_SUBSCRIBERS:-1000}" --procs 2 --warmup 2 --duration 5 --progress 0 >"$out" \
    2>>"$WORK/loadgen.log" &
  LOADGEN_PID=$!
  PIDS+=("$LOADGEN_PID")
  wait_loadgen "$out"
  cat "$out"
  awk "BEGIN {exit !($(jnum missing "$out") == 0 && $(jnum gaps "$out") == 0 && \
                    $(jnum dups "$out") == 0 && $(jnum failed "$out") == 0 && \
                    $(jnum expected "$out") > 0)}" || die "selftest: not every event was delivered"
  log "selftest passed"
}

case "${1:-core}" in
  core) scenario_core ;;
  selftest) scenario_selftest ;;
  # Peer comparison and callgrind: separate scripts (bench/peers.sh, bench/callgrind.sh), run as
  # they are; they share only BUILD/SKIP_BUILD/LOADGEN_NICE/QUIET_WAIT with the scenarios above.
  peers) trap - EXIT; rm -rf "$WORK"; exec "$ROOT/bench/peers.sh" "${@:2}" ;;
  callgrind) trap - EXIT; rm -rf "$WORK"; exec "$ROOT/bench/callgrind.sh" "${@:2}" ;;
  *) die "unknown scenario '$1' (known: core, selftest, peers, callgrind)" ;;
esac
