#!/usr/bin/env bash
# bench/h2.sh — HTTP/2 and TLS benchmark for ssegate on loopback (issue 3, Performance).
#
#   a) HTTP/1.1 vs HTTP/2 (h2c, STREAMS streams per connection) at the same event rate and the
#      same number of subscribers on one channel: gateway deliveries per CPU-second
#      (utime+stime from /proc over the measurement window), p50/p99 latency, every event
#      delivered. Target: h2/h1 >= 3.
#   b) Gateway VmRSS per idle TLS connection holding an SSE stream (a channel with no events:
#      keepalive comments only): HTTP/1.1 over TLS, and h2 over TLS with one stream per
#      connection. Target: <= 20 KiB each. h2c (no TLS) as well, to split the cost, and h2 over
#      TLS again on the RATE channel (connections receiving events), reported. Each on a fresh
#      gateway process: memory one measurement freed would otherwise be reused by the next and
#      hide part of its cost.
#   c) One gateway process holding C_STREAMS concurrent HTTP/2 SSE streams (h2c, 100 per
#      connection), a slower second origin, and every event reaching every stream.
# Writes bench/results/h2.json and bench/RESULTS-h2.md.
#
# Environment (defaults in brackets): BUILD [build], SKIP_BUILD [0: build unless fresh],
# SUBSCRIBERS [10000] (phase a), RATE [10] events/s, SIZE [256] bytes, STREAMS [100],
# WARMUP [5] s, DURATION [20] s, RAMP [2000]/s, PROCS [2], IDLE_CONNS [5000], HOLD [8] s,
# C_STREAMS [100000], C_RATE [1] events/s, C_RAMP [10000]/s, C_DURATION [10] s,
# QUIET_WAIT [120] s, PHASES [abc]. Ports: ORIGIN_PORT [18100] (and +1, +2), GATEWAY_PORT [18180],
# TLS_PORT [18543], ADMIN_PORT [18911] (the next free port is taken if one is busy).
# Starts its own origins, gateway and load generators and stops only those (by PID).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
SUBSCRIBERS=${SUBSCRIBERS:-10000}
RATE=${RATE:-10}
SIZE=${SIZE:-256}
STREAMS=${STREAMS:-100}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-20}
RAMP=${RAMP:-2000}
PROCS=${PROCS:-2}
IDLE_CONNS=${IDLE_CONNS:-5000}
HOLD=${HOLD:-8}
C_STREAMS=${C_STREAMS:-100000}
C_RATE=${C_RATE:-1}
C_RAMP=${C_RAMP:-10000}
C_DURATION=${C_DURATION:-10}
PHASES=${PHASES:-abc}
ORIGIN_PORT=${ORIGIN_PORT:-18100}
GATEWAY_PORT=${GATEWAY_PORT:-18180}
TLS_PORT=${TLS_PORT:-18543}
ADMIN_PORT=${ADMIN_PORT:-18911}
HZ=$(getconf CLK_TCK)

PIDS=()
WORK=$(mktemp -d /tmp/ssegate-h2.XXXXXX)

log() { echo "h2: $*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
  local pid i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do  # newest first: load generators, gateway, origins
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  for pid in "${PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  log "logs kept in $WORK"
}
trap cleanup EXIT
trap 'log "command failed at line $LINENO"' ERR

jnum() { grep -o "\"$1\":-\?[0-9.]*" "$2" | head -1 | cut -d: -f2; }
lat() { grep -o '"latency_ms":{[^}]*}' "$2" | grep -o "\"$1\":[0-9.]*" | cut -d: -f2; }
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }
listening() { [ "$(ss -Htln "( sport = :$1 )" | wc -l)" -gt 0 ]; }
free_port() {
  local port=$1
  while listening "$port"; do port=$((port + 1)); done
  echo "$port"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
metric() {  # metric NAME [LABEL_FILTER]: sum of a metric's samples on the admin port, or "null"
  { curl -sf -m 5 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null || true; } |
    awk -v name="$1" -v filter="${2:-}" '($1 == name || index($1, name "{") == 1) &&
        index($1, filter) > 0 {sum += $NF; found = 1}
        END {if (found) printf "%.0f\n", sum; else print "null"}'
}
our_ticks() {  # CPU ticks of every process this script started (and their children)
  local pid sum=0
  for pid in "${PIDS[@]}" $(for p in "${PIDS[@]}"; do pgrep -P "$p" || true; done); do
    [ -r "/proc/$pid/stat" ] && sum=$((sum + $(cpu_ticks "$pid")))
  done
  echo "$sum"
}
# As in bench/run.sh: wait (up to QUIET_WAIT s) until other processes use under 10% of the CPUs.
wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-120})) b0 b1 o0 o1 quiet_runs=0 pct
  while :; do
    b0=$(busy_ticks); o0=$(our_ticks)
    sleep 1
    b1=$(busy_ticks); o1=$(our_ticks)
    pct=$(( ((b1 - b0) - (o1 - o0)) * 100 / HZ / $(nproc) ))
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
sleep_until() {
  local left
  left=$(calc "($1 - $(date +%s%N)) / 1e9" 3)
  if awk "BEGIN {exit !($left > 0)}"; then sleep "$left"; fi
}

build() {
  [ "$SKIP_BUILD" = 1 ] && return
  log "building $BUILD (RelWithDebInfo)"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/cmake.log"
  cmake --build "$BUILD" -j2 --target ssegate ssegate-demo-origin ssegate-loadgen \
    >>"$WORK/cmake.log" 2>&1 || die "build failed (see $WORK/cmake.log)"
}

start_origin() {  # start_origin PORT RATE -> sets LAST_PID
  "$BUILD/ssegate-demo-origin" --listen "127.0.0.1:$1" --rate "$2" --size "$SIZE" \
    2>"$WORK/origin-$1.log" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  for _ in $(seq 100); do listening "$1" && return; sleep 0.05; done
  die "origin did not start (see $WORK/origin-$1.log)"
}

start_gateway() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>"$WORK/openssl.log" ||
    die "openssl failed (see $WORK/openssl.log)"
  sed -e "s/127.0.0.1:18180/127.0.0.1:$GATEWAY_PORT/" -e "s/127.0.0.1:18543/127.0.0.1:$TLS_PORT/" \
    -e "s/127.0.0.1:18911/127.0.0.1:$ADMIN_PORT/" -e "s/127.0.0.1:18100/127.0.0.1:$ORIGIN_PORT/" \
    -e "s/127.0.0.1:18101/127.0.0.1:$ORIGIN2_PORT/" -e "s/127.0.0.1:18102/127.0.0.1:$ORIGIN3_PORT/" \
    -e "s#CERT_FILE#$WORK/tls.crt#" \
    -e "s#KEY_FILE#$WORK/tls.key#" bench/h2.yaml >"$WORK/ssegate.yaml"
  "$BUILD/ssegate" -t -c "$WORK/ssegate.yaml" >/dev/null || die "bench config rejected"
  "$BUILD/ssegate" -c "$WORK/ssegate.yaml" --log-level warn 2>"$WORK/gateway.log" &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
  for _ in $(seq 100); do listening "$TLS_PORT" && listening "$GATEWAY_PORT" && return; sleep 0.05; done
  die "gateway did not start (see $WORK/gateway.log)"
}

# Opens both channels once (linger keeps the upstream streams) so that every phase starts warm.
warm_channels() {
  curl -s -m 1 -N -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/events/bench" || true
  curl -s -m 1 -N -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/slow/bench" || true
  curl -s -m 1 -N -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/idle/bench" || true
}

# loadgen OUT URL ARGS...: runs the load generator in the background; sets LOADGEN_PID.
loadgen() {
  local out=$1 url=$2
  shift 2
  "$BUILD/ssegate-loadgen" --url "$url" --procs "$PROCS" "$@" >"$out" 2>>"$WORK/loadgen.log" &
  LOADGEN_PID=$!
  PIDS+=("$LOADGEN_PID")
}
wait_loadgen() {
  wait "$LOADGEN_PID" || log "load generator exited non-zero (see $WORK/loadgen.log)"
  forget_pid "$LOADGEN_PID"
  [ -s "$1" ] || die "load generator printed nothing (see $WORK/loadgen.log)"
}
forget_pid() {  # a process that has been waited for leaves PIDS
  local kept=() pid
  for pid in "${PIDS[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}
wait_closed() {  # until no client connection is left on the gateway's ports
  for _ in $(seq 200); do
    [ $(($(established "$GATEWAY_PORT") + $(established "$TLS_PORT"))) -le 0 ] && return
    sleep 0.1
  done
}

# ---- a) deliveries per gateway CPU-second, HTTP/1.1 vs HTTP/2 -----------------------------------
# measure_stream NAME ARGS...: one streaming run; writes $WORK/a-NAME.json and sets A_* results.
measure_stream() {
  local name=$1
  shift
  wait_quiet
  local ramp_s t0 open_ns
  ramp_s=$(calc "$SUBSCRIBERS / $RAMP" 2)
  log "a) $name: $SUBSCRIBERS subscribers, ramp ${ramp_s}s, warm-up ${WARMUP}s, measure ${DURATION}s"
  t0=$(date +%s%N)
  loadgen "$WORK/a-$name.json" "http://127.0.0.1:$GATEWAY_PORT/events/bench" -n "$SUBSCRIBERS" \
    --ramp "$RAMP" --warmup "$WARMUP" --duration "$DURATION" --progress 0 "$@"
  open_ns=$(calc "$t0 + (0.2 + $ramp_s + $WARMUP + 0.5) * 1e9" 0)
  sleep_until "$open_ns"
  local c0 c1 d0 d1 b0 b1 o0 o1 t1 secs
  c0=$(cpu_ticks "$GATEWAY_PID"); d0=$(metric ssegate_events_delivered_total)
  b0=$(busy_ticks); o0=$(our_ticks); t0=$(date +%s%N)
  sleep_until "$(calc "$open_ns + ($DURATION - 1) * 1e9" 0)"
  c1=$(cpu_ticks "$GATEWAY_PID"); d1=$(metric ssegate_events_delivered_total)
  b1=$(busy_ticks); o1=$(our_ticks); t1=$(date +%s%N)
  local conns subs
  conns=$(metric ssegate_downstream_connections); subs=$(metric ssegate_subscriptions)
  wait_loadgen "$WORK/a-$name.json"
  secs=$(calc "($t1 - $t0) / 1e9" 3)
  local cpu deliveries per_cpu other busy
  cpu=$(calc "($c1 - $c0) / $HZ" 2)
  deliveries=$((d1 - d0))
  per_cpu=$(calc "$cpu > 0 ? $deliveries / $cpu : 0" 0)
  other=$(calc "(($b1 - $b0) - ($o1 - $o0)) / $HZ" 2)
  other=$(calc "$other < 0 ? 0 : $other" 2)
  busy=$(calc "($b1 - $b0) * 100 / $HZ / $(nproc) / $secs" 1)
  local f=$WORK/a-$name.json
  log "a) $name: $deliveries deliveries in ${secs}s on ${cpu} gateway CPU-s = $per_cpu per CPU-s;" \
    "p50 $(lat p50 "$f") p99 $(lat p99 "$f") ms; delivered $(jnum delivered "$f")/$(jnum expected "$f")" \
    "gaps $(jnum gaps "$f") dups $(jnum dups "$f"); other processes ${other} CPU-s"
  A_JSON+=("\"$name\":{\"window_s\":$secs,\"gateway_cpu_s\":$cpu,\"deliveries\":$deliveries,\
\"deliveries_per_cpu_s\":$per_cpu,\"downstream_connections\":$conns,\"subscriptions\":$subs,\
\"machine_busy_pct\":$busy,\"other_processes_cpu_s\":$other,\"loadgen\":$(cat "$f")}")
  eval "A_${name}_PER_CPU=$per_cpu A_${name}_CPU=$cpu A_${name}_D=$deliveries A_${name}_OTHER=$other"
  eval "A_${name}_BUSY=$busy A_${name}_CONNS=$conns"
}

phase_a() {
  A_JSON=()
  measure_stream h1
  wait_closed
  measure_stream h2 --h2 --streams-per-conn "$STREAMS"
  wait_closed
  A_RATIO=$(calc "$A_h1_PER_CPU > 0 ? $A_h2_PER_CPU / $A_h1_PER_CPU : 0" 2)
  log "a) h2/h1 deliveries per gateway CPU-second: $A_RATIO (target >= 3)"
}

# ---- b) RSS per idle TLS connection --------------------------------------------------------------
# restart_gateway: a fresh gateway process with both channels open, so that an RSS delta holds only
# what the connections measured after it cost.
restart_gateway() {
  kill -TERM "$GATEWAY_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$GATEWAY_PID" 2>/dev/null || true
  wait "$GATEWAY_PID" 2>/dev/null || true
  forget_pid "$GATEWAY_PID"
  start_gateway
  warm_channels
  log "fresh gateway pid $GATEWAY_PID"
}

# measure_idle NAME URL PORT ARGS...: IDLE_CONNS idle connections to URL (the gateway's PORT);
# sets B_* results.
measure_idle() {
  local name=$1 url=$2 port=$3
  shift 3
  wait_closed
  sleep 1
  local before after seen ramp_s deadline
  before=$(rss_kb "$GATEWAY_PID")
  ramp_s=$(calc "$IDLE_CONNS / 1000" 0)
  log "b) $name: $IDLE_CONNS idle connections (1000/s), hold ${HOLD}s"
  loadgen "$WORK/b-$name.json" "$url" -n "$IDLE_CONNS" \
    --ramp 1000 --idle --duration "$((HOLD + 10))" --progress 0 "$@"
  deadline=$((SECONDS + ramp_s + 30))
  local now
  while [ $SECONDS -lt $deadline ]; do
    now=$(metric ssegate_subscriptions)
    [ "$now" != null ] && [ "$now" -ge "$IDLE_CONNS" ] && break
    sleep 0.5
  done
  sleep "$HOLD"
  seen=$(established "$port")
  local subs tls_conns
  subs=$(metric ssegate_subscriptions)
  tls_conns=$(metric ssegate_downstream_connections 'tls="true"')
  after=$(rss_kb "$GATEWAY_PID")
  kill -TERM "$LOADGEN_PID" 2>/dev/null || true
  wait_loadgen "$WORK/b-$name.json"
  local per
  per=$(calc "$seen > 0 ? ($after - $before) / $seen : 0" 2)
  log "b) $name: $seen connections ($tls_conns TLS, $subs streams), RSS $before -> $after KiB," \
    "$per KiB each"
  B_JSON+=("\"$name\":{\"connections\":$seen,\"tls_connections\":$tls_conns,\"subscriptions\":$subs,\
\"rss_before_kib\":$before,\"rss_after_kib\":$after,\"kib_per_connection\":$per,\
\"loadgen\":$(cat "$WORK/b-$name.json")}")
  eval "B_${name}_PER=$per B_${name}_SEEN=$seen B_${name}_BEFORE=$before B_${name}_AFTER=$after"
  eval "B_${name}_SUBS=$subs"
}

phase_b() {
  B_JSON=()
  local tls="https://127.0.0.1:$TLS_PORT/idle/bench"
  restart_gateway
  measure_idle h1_tls "$tls" "$TLS_PORT"
  restart_gateway
  measure_idle h2_tls "$tls" "$TLS_PORT" --h2 --streams-per-conn 1
  restart_gateway
  measure_idle h2_tls_events "https://127.0.0.1:$TLS_PORT/events/bench" "$TLS_PORT" --h2 \
    --streams-per-conn 1
  restart_gateway
  measure_idle h2c "http://127.0.0.1:$GATEWAY_PORT/idle/bench" "$GATEWAY_PORT" --h2 \
    --streams-per-conn 1
  wait_closed
}

# ---- c) 100,000 HTTP/2 streams in one gateway ---------------------------------------------------
phase_c() {
  wait_closed
  wait_quiet
  local conns ramp_s before t0 open_ns
  conns=$(( (C_STREAMS + STREAMS - 1) / STREAMS ))
  ramp_s=$(calc "$C_STREAMS / $C_RAMP" 2)
  before=$(rss_kb "$GATEWAY_PID")
  log "c) $C_STREAMS h2c streams on $conns connections, $C_RATE events/s, ramp ${ramp_s}s," \
    "measure ${C_DURATION}s"
  t0=$(date +%s%N)
  loadgen "$WORK/c.json" "http://127.0.0.1:$GATEWAY_PORT/slow/bench" -n "$C_STREAMS" --h2 \
    --streams-per-conn "$STREAMS" --ramp "$C_RAMP" --warmup 5 --duration "$C_DURATION" \
    --grace 3 --progress 5
  open_ns=$(calc "$t0 + (0.2 + $ramp_s + 5 + $C_DURATION / 2) * 1e9" 0)
  sleep_until "$open_ns"
  local subs h2conns all_conns rss hwm rejected cpu0 cpu1
  subs=$(metric ssegate_subscriptions)
  h2conns=$(metric ssegate_downstream_connections 'protocol="h2"')
  all_conns=$(metric ssegate_downstream_connections)
  rejected=$(metric ssegate_rejected_total)
  rss=$(rss_kb "$GATEWAY_PID")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$GATEWAY_PID/status")
  wait_loadgen "$WORK/c.json"
  local f=$WORK/c.json events_per_stream
  events_per_stream=$(calc "$(jnum connected "$f") > 0 ? $(jnum expected "$f") / $(jnum connected "$f") : 0" 2)
  log "c) subscriptions $subs on $h2conns h2 connections; RSS $before -> $rss KiB;" \
    "delivered $(jnum delivered "$f")/$(jnum expected "$f") ($events_per_stream events per stream)," \
    "connected $(jnum connected "$f") failed $(jnum failed "$f") gaps $(jnum gaps "$f")" \
    "dups $(jnum dups "$f"); p99 $(lat p99 "$f") ms; rejected $rejected"
  C_JSON="{\"streams_requested\":$C_STREAMS,\"connections_requested\":$conns,\
\"subscriptions\":$subs,\"h2_connections\":$h2conns,\"downstream_connections\":$all_conns,\
\"rejected_total\":$rejected,\"rss_before_kib\":$before,\"rss_kib\":$rss,\"hwm_kib\":$hwm,\
\"events_per_stream_in_window\":$events_per_stream,\"loadgen\":$(cat "$f")}"
  C_SUBS=$subs C_H2CONNS=$h2conns C_RSS=$rss C_BEFORE=$before C_REJECTED=$rejected
}

met() { if awk "BEGIN {exit !($1)}"; then echo met; else echo "NOT met"; fi; }

report() {
  local commit date json=bench/results/h2.json md=bench/RESULTS-h2.md
  commit=$(git rev-parse --short HEAD)
  date=$(date -u +%Y-%m-%d)
  mkdir -p bench/results
  {
    printf '{"date":"%s","commit":"%s","cpus":%s,"rate":%s,"size":%s,"streams_per_conn":%s' \
      "$date" "$commit" "$(nproc)" "$RATE" "$SIZE" "$STREAMS"
    [[ $PHASES == *a* ]] && printf ',"a":{"subscribers":%s,%s,"h2_over_h1":%s}' "$SUBSCRIBERS" \
      "$(IFS=,; echo "${A_JSON[*]}")" "$A_RATIO"
    [[ $PHASES == *b* ]] && printf ',"b":{%s}' "$(IFS=,; echo "${B_JSON[*]}")"
    [[ $PHASES == *c* ]] && printf ',"c":%s' "$C_JSON"
    printf '}\n'
  } >"$json"
  python3 -m json.tool "$json" >"$WORK/h2.pretty.json" && cp "$WORK/h2.pretty.json" "$json"

  {
    echo "# HTTP/2 and TLS benchmark results"
    echo
    echo "Produced by \`bench/h2.sh\` ($date, commit $commit, $(nproc) CPUs, loopback, gateway with"
    echo "2 workers, load generator with $PROCS processes on the same CPUs). Raw numbers:"
    echo "[results/h2.json](results/h2.json). Config: [h2.yaml](h2.yaml)."
    echo
    echo "| Measure | Target | Measured | |"
    echo "|---|---|---|---|"
    if [[ $PHASES == *a* ]]; then
      local f1=$WORK/a-h1.json f2=$WORK/a-h2.json
      echo "| a) deliveries per gateway CPU-second, h2 ($STREAMS streams/conn) / h1 | >= 3x | $A_RATIO x ($A_h2_PER_CPU vs $A_h1_PER_CPU) | $(met "$A_RATIO >= 3") |"
      for n in h1 h2; do
        local f=$WORK/a-$n.json per cpu d other busy conns
        eval "per=\$A_${n}_PER_CPU cpu=\$A_${n}_CPU d=\$A_${n}_D other=\$A_${n}_OTHER busy=\$A_${n}_BUSY conns=\$A_${n}_CONNS"
        local ok
        ok=$(met "$(jnum gaps "$f") == 0 && $(jnum dups "$f") == 0 && $(jnum missing "$f") == 0 && $(jnum failed "$f") == 0 && $(jnum disconnected "$f") == 0")
        echo "| a) $n: $SUBSCRIBERS subscribers on $conns connections, $RATE events/s of $SIZE B | (report) | $d deliveries on $cpu gateway CPU-s = $per per CPU-s; p50 $(lat p50 "$f") ms, p99 $(lat p99 "$f") ms; machine $busy% busy, other processes $other CPU-s | |"
        echo "| a) $n: every event delivered | gaps = dups = missing = 0 | $(jnum delivered "$f") of $(jnum expected "$f"); gaps $(jnum gaps "$f"), dups $(jnum dups "$f"), failed $(jnum failed "$f"), disconnected $(jnum disconnected "$f") | $ok |"
      done
    fi
    if [[ $PHASES == *b* ]]; then
      echo "| b) gateway RSS per idle HTTP/1.1-over-TLS connection | <= 20 KiB | $B_h1_tls_PER KiB ($B_h1_tls_BEFORE -> $B_h1_tls_AFTER KiB, $B_h1_tls_SEEN connections, $B_h1_tls_SUBS streams) | $(met "$B_h1_tls_PER <= 20") |"
      echo "| b) gateway RSS per idle h2-over-TLS connection (1 stream) | <= 20 KiB | $B_h2_tls_PER KiB ($B_h2_tls_BEFORE -> $B_h2_tls_AFTER KiB, $B_h2_tls_SEEN connections, $B_h2_tls_SUBS streams) | $(met "$B_h2_tls_PER <= 20") |"
      echo "| b) gateway RSS per idle h2c connection (1 stream, no TLS) | (report) | $B_h2c_PER KiB ($B_h2c_BEFORE -> $B_h2c_AFTER KiB, $B_h2c_SEEN connections, $B_h2c_SUBS streams) | |"
      echo "| b) gateway RSS per h2-over-TLS connection receiving $RATE events/s of $SIZE B (1 stream) | (report) | $B_h2_tls_events_PER KiB ($B_h2_tls_events_BEFORE -> $B_h2_tls_events_AFTER KiB, $B_h2_tls_events_SEEN connections, $B_h2_tls_events_SUBS streams) | |"
    fi
    if [[ $PHASES == *c* ]]; then
      local f=$WORK/c.json ok
      ok=$(met "$C_SUBS >= $C_STREAMS && $(jnum delivered "$f") == $(jnum expected "$f") && $(jnum expected "$f") > 0 && $(jnum connected "$f") >= $C_STREAMS")
      echo "| c) one gateway process holds $C_STREAMS HTTP/2 SSE streams | all established, every event to all | $C_SUBS subscriptions on $C_H2CONNS h2 connections; $(jnum delivered "$f") of $(jnum expected "$f") window deliveries ($C_RATE event/s); gaps $(jnum gaps "$f"), dups $(jnum dups "$f"), failed $(jnum failed "$f"); p99 $(lat p99 "$f") ms; rejected $C_REJECTED | $ok |"
      echo "| c) gateway RSS with $C_STREAMS streams | (report) | $C_RSS KiB in all (before $C_BEFORE KiB; memory freed by phase b is reused, so the whole RSS / streams = $(calc "$C_RSS / $C_STREAMS" 2) KiB per stream is the honest upper bound) | |"
    fi
    echo
    echo "Deliveries are the gateway's \`ssegate_events_delivered_total\` over the window; CPU is the"
    echo "gateway's utime+stime from /proc/PID/stat over the same window. Latency is the kernel"
    echo "receive time of the bytes at the load generator minus the event's intended send time."
    echo "h1 uses the cleartext listener with one TCP connection per subscriber; h2 uses h2c (prior"
    echo "knowledge) on the same listener. RSS is the gateway's VmRSS; each b) row is measured on a"
    echo "fresh gateway process with its channel open; idle rows subscribe to a channel without events"
    echo "(keepalive comments only), $HOLD s after the last connection. The machine is shared: the script waits for it"
    echo "to be quiet first, and reports CPU taken by other processes."
  } >"$md"
  log "wrote $json and $md"
}

main() {
  build
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  ORIGIN_PORT=$(free_port "$ORIGIN_PORT")
  ORIGIN2_PORT=$(free_port $((ORIGIN_PORT + 1)))
  ORIGIN3_PORT=$(free_port $((ORIGIN_PORT + 2)))
  GATEWAY_PORT=$(free_port "$GATEWAY_PORT")
  TLS_PORT=$(free_port "$TLS_PORT")
  ADMIN_PORT=$(free_port "$ADMIN_PORT")
  start_origin "$ORIGIN_PORT" "$RATE"
  start_origin "$ORIGIN2_PORT" "$C_RATE"
  start_origin "$ORIGIN3_PORT" 0.001  # phase b's idle channel: one event in 1,000 s
  start_gateway
  log "gateway pid $GATEWAY_PID (h1/h2c $GATEWAY_PORT, TLS $TLS_PORT, admin $ADMIN_PORT), work dir $WORK"
  warm_channels
  [[ $PHASES == *a* ]] && phase_a
  [[ $PHASES == *b* ]] && phase_b
  [[ $PHASES == *c* ]] && phase_c
  report
}

main "$@"
