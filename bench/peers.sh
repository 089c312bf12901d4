#!/usr/bin/env bash
# bench/peers.sh (also `bench/run.sh peers`) — ssegate side by side with the systems a user
# would pick instead, on this machine, in the same run, on loopback:
#
#   ssegate   build/ssegate (2 workers) in front of the demo origin (one upstream per channel)
#   nchan     nginx + Nchan (2 workers); bench/peer_publisher.py POSTs every event to it
#   pushpin   Pushpin 1.36 (condure, zurl, proxy, handler); peer_publisher.py publishes every
#             event through its HTTP publish API and is the GRIP backend
#   proxy     nginx (2 workers) as a plain proxy_pass, buffering off, in front of the demo origin
#             (one origin stream per subscriber)
#
# Every system sees the same open-loop event stream (rate R, size S, "seq", "ts_us"), the same
# load generator settings and the same LOADGEN_NICE. Scenarios (bounded; counts as below):
#   W1 idle capacity: IDLE_N subscribers held, mem per connection, idle CPU
#   W2 broadcast: 1 channel x W2_SUBS subscribers at rising deliveries/s (W2_LADDER) until p99
#      exceeds 100 ms; every step is a fresh start of the system
#   W3 W3_CHANNELS channels x W3_PER subscribers at W3_RATE events/s per channel
#   W4 reconnect storm: STORM_N subscribers (bench/peer_storm.py) drop their connections at once
#      and reconnect with Last-Event-ID: time until all are back, gaps/dups across the storm
#   W5 W2 at W5_SUBS/W5_RATE with 10% of the subscribers slow (they stop reading)
# TLS and HTTP/2 variants (not in the default SCENARIOS; ~15 minutes for the first three):
#   w1tls  W1 over TLS (HTTP/1.1, ALPN http/1.1)
#   w2tls  the W2 ladder at V_SUBS subscribers over TLS (HTTP/1.1)
#   w2h2   the W2 ladder at V_SUBS subscribers over HTTP/2 over TLS (ALPN h2), H2_STREAMS streams
#          per connection
#   w4tls  W4 over TLS (HTTP/1.1; the C++ load generator's storm only)
#   V_SUBS subscriber counts use the ladder V_LADDER_SMALL (below 5,000) or V_LADDER_LARGE.
#   TLS_SETTLE_PER_S [1000]: a w2tls/w2h2 step's warm-up is WARMUP plus one second per this many
#   TLS connections. A full handshake costs every system here about 1 ms of CPU (W4 over TLS:
#   12 CPU-s for 10,000), so at 10,000 subscribers the servers are still working through the
#   handshakes for seconds after the load generator's ramp ends; a window opened then measured
#   the handshake backlog (a load generator behind by seconds, p99 1-2 s), not the broadcast.
#   Every system gets a TLS listener beside its cleartext one, with one self-signed ECDSA P-256
#   certificate made per run with the openssl CLI: ssegate `tls:` listener [h2, http1]; nginx
#   (Nchan, proxy_pass) `listen ... ssl http2`; Pushpin `https_ports` (condure: TLS 1.2, no ALPN,
#   certificate file runner/certs/default_PORT.{crt,key} beside its config). Pushpin has no
#   HTTP/2, so w2h2 records it as unsupported. The records carry "proto" (h1, tls, h2) and the
#   protocol/cipher openssl s_client negotiates with each system ("tls").
# W4 client: STORM_CLIENT [loadgen] = the C++ load generator (--storm, PROCS processes), or
#   python (bench/peer_storm.py, one process, as before); "loadgen python" runs both per system.
# Writes OUT [bench/results/peers.jsonl] (one object per step), bench/results/peers-*.png and the
# peer section of bench/RESULTS.md (bench/peers_report.py, from bench/results/peers.jsonl and
# every bench/results/peers-*.jsonl; e.g. OUT=bench/results/peers-variants.jsonl for a variant
# run). Stops only the processes it started.
#
# Environment: BUILD [build] SKIP_BUILD [0] SYSTEMS [ssegate nchan pushpin proxy]
#   SCENARIOS [w1 w2 w3 w4 w5] LOADGEN_NICE [10] PROCS [2] RAMP [2000] PUSHPIN_RAMP [500]
#   WARMUP [2] DURATION [8] SIZE [256] QUIET_WAIT [20] BUDGET_S [1500] (steps past it are skipped)
#   V_SUBS [1000 10000] V_LADDER_SMALL [50000 100000 200000 350000]
#   V_LADDER_LARGE [10000 25000 50000 100000 150000] H2_STREAMS [100] STORM_CLIENT [loadgen]
#   NOISY_CPU [0.25]: a W2 step (any protocol) that misses the bound while other processes used
#   more than this many cores on average is measured once more, marked "rerun".
#   BUILD_COMMIT [HEAD]: the commit BUILD was built from, for the records (with SKIP_BUILD=1).
#   W4_REPEAT [1] (storms per system and client; W4 records the machine's TCP listen-queue
#   overflow counters before and after each, from nstat)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
SYSTEMS=${SYSTEMS:-ssegate nchan pushpin proxy}
SCENARIOS=${SCENARIOS:-w1 w2 w3 w4 w5}
LOADGEN_NICE=${LOADGEN_NICE:-10}
PROCS=${PROCS:-2}
RAMP=${RAMP:-2000}
PUSHPIN_RAMP=${PUSHPIN_RAMP:-500}
WARMUP=${WARMUP:-2}
DURATION=${DURATION:-8}
SIZE=${SIZE:-256}
QUIET_WAIT=${QUIET_WAIT:-20}
BUDGET_S=${BUDGET_S:-1500}
IDLE_N=${IDLE_N:-10000}
W2_SUBS=${W2_SUBS:-10000 1000 19000}
W2_LADDER=${W2_LADDER:-50000 100000 150000 250000 350000}
W3_CHANNELS=${W3_CHANNELS:-1000}
W3_PER=${W3_PER:-10}
W3_RATE=${W3_RATE:-2}
STORM_N=${STORM_N:-10000}
STORM_RATE=${STORM_RATE:-2}
W5_SUBS=${W5_SUBS:-10000}
W5_RATE=${W5_RATE:-10}
V_SUBS=${V_SUBS:-1000 10000}
V_LADDER_SMALL=${V_LADDER_SMALL:-50000 100000 200000 350000}
V_LADDER_LARGE=${V_LADDER_LARGE:-10000 25000 50000 100000 150000}
H2_STREAMS=${H2_STREAMS:-100}
STORM_CLIENT=${STORM_CLIENT:-loadgen}
W4_REPEAT=${W4_REPEAT:-1}
NOISY_CPU=${NOISY_CPU:-0.25}
TLS_SETTLE_PER_S=${TLS_SETTLE_PER_S:-1000}
OUT=${OUT:-bench/results/peers.jsonl}
PROTO=h1         # h1 (cleartext HTTP/1.1), tls (HTTP/1.1 over TLS), h2 (HTTP/2 over TLS)
HZ=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/sgp.XXXXXX)  # short: Pushpin's ZeroMQ ipc paths must stay < 107 chars
PIDS=()          # everything started, for cleanup
SYS_ROOTS=()     # the running system's root processes (CPU/mem are summed over their trees)
FEED_PIDS=()     # the running system's event source: demo origin or peer_publisher.py
START_S=$SECONDS

log() { echo "peers: $*" >&2; }
die() { log "$*"; exit 1; }

stop_pid() {  # TERM, wait up to 5 s, KILL; only our own children
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  log "logs kept in $WORK"
}
trap cleanup EXIT

listening() { [ "$(ss -Htln "( sport = :$1 )" | wc -l)" -gt 0 ]; }
free_port() { local p=$1; while listening "$p"; do p=$((p + 1)); done; echo "$p"; }
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }
established_to() { ss -Htn state established "( dport = :$1 )" | wc -l; }
wait_listen() { for _ in $(seq 200); do listening "$1" && return 0; sleep 0.05; done; return 1; }
calc() { awk "BEGIN {printf \"%.${2:-3}f\", ($1)}"; }
tree() {  # a process and all its descendants
  local p
  for p in "$@"; do
    [ -d "/proc/$p" ] || continue
    echo "$p"
    tree $(pgrep -P "$p" || true)
  done
}
ticks_of() {  # utime+stime of the given pids
  local p sum=0 t
  for p in "$@"; do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}
mem_of() {  # KiB: summed RssAnon + the largest RssShmem (nginx's shared zone counted once;
            # shared libraries left out, so other processes mapping them do not move it)
  local p
  for p in "$@"; do cat "/proc/$p/status" 2>/dev/null || true; done |
    awk '/^RssAnon:/ {a += $2} /^RssShmem:/ {if ($2 > s) s = $2} END {print a + s + 0}'
}
rss_of() {
  local p sum=0 v
  for p in "$@"; do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
wait_quiet() {  # until other work uses < 10% of the machine (3 s in a row), at most QUIET_WAIT
  local deadline=$((SECONDS + QUIET_WAIT)) b0 b1 pct quiet=0
  while :; do
    b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
    pct=$(((b1 - b0) * 100 / HZ / $(nproc)))
    if [ "$pct" -lt 10 ]; then quiet=$((quiet + 1)); [ $quiet -ge 2 ] && return; continue; fi
    quiet=0
    [ $SECONDS -ge $deadline ] && { log "machine still ${pct}% busy; measuring anyway"; return; }
    sleep 2
  done
}

install_peers() {
  local need=()
  command -v nginx >/dev/null || need+=(nginx-light)
  [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || need+=(libnginx-mod-nchan)
  command -v pushpin >/dev/null || need+=(pushpin)
  command -v gnuplot >/dev/null || need+=(gnuplot-nox)
  command -v valgrind >/dev/null || need+=(valgrind)
  command -v openssl >/dev/null || need+=(openssl)
  [ ${#need[@]} -eq 0 ] && return
  log "installing ${need[*]}"
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >"$WORK/apt.log" 2>&1 ||
    { $sudo apt-get update >>"$WORK/apt.log" 2>&1 &&
      $sudo apt-get install -y --no-install-recommends "${need[@]}" >>"$WORK/apt.log" 2>&1; } ||
    die "apt-get install ${need[*]} failed (see $WORK/apt.log)"
  # Debian starts a system nginx on install; it listens on :80 only and is left alone.
}

build() {
  [ "$SKIP_BUILD" = 1 ] && return
  log "building $BUILD (RelWithDebInfo)"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/cmake.log"
  cmake --build "$BUILD" -j2 --target ssegate ssegate-demo-origin ssegate-loadgen >>"$WORK/cmake.log"
}

# ---------------------------------------------------------------------------------------------
# Systems. start_system SYS RATE CHANNELS sets SYS_PORT, SYS_ROOTS, FEED_PIDS, UP_PORT (the port
# whose established connections are the system's upstream/origin-side connections), and, when
# PROTO is not h1, SYS_TLS_PORT (the subscribers' port) and SYS_TLS (what openssl negotiates).

make_cert() {  # one self-signed ECDSA P-256 certificate for every system of the run
  [ -s "$WORK/tls.crt" ] && return
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>"$WORK/openssl.log" ||
    die "openssl failed (see $WORK/openssl.log)"
}
tls_on() { [ "$PROTO" != h1 ]; }
client_port() { if tls_on; then echo "$SYS_TLS_PORT"; else echo "$SYS_PORT"; fi; }
proto_args() { if [ "$PROTO" = h2 ]; then echo "--h2 --streams-per-conn $H2_STREAMS"; fi; }
tls_probe() {  # what a default OpenSSL client negotiates with the running system
  SYS_TLS=null
  tls_on || return 0
  local alpn=http/1.1; [ "$PROTO" = h2 ] && alpn=h2
  SYS_TLS=$(timeout 5 openssl s_client -alpn "$alpn" -connect "127.0.0.1:$SYS_TLS_PORT" \
    </dev/null 2>&1 | awk '/^New, / {sub(/^New, /, ""); sub(/, Cipher is /, " "); t = $0}
      /^ALPN protocol: / {a = $3} END {printf "\"%s, ALPN %s\"", t, a == "" ? "none" : a}')
}

start_origin() {  # start_origin RATE
  ORIGIN_PORT=$(free_port 19000)
  "$BUILD/ssegate-demo-origin" --listen "127.0.0.1:$ORIGIN_PORT" --rate "$1" --size "$SIZE" \
    --quiet 2>>"$WORK/origin.log" &
  ORIGIN_PID=$!
  PIDS+=("$ORIGIN_PID"); FEED_PIDS=("$ORIGIN_PID")
  wait_listen "$ORIGIN_PORT" || die "demo origin did not start"
  UP_PORT=$ORIGIN_PORT
}

start_ssegate() {
  start_origin "$1"
  SYS_PORT=$(free_port 19080)
  local admin; admin=$(free_port 19901)
  sed -e "s/127.0.0.1:18080/127.0.0.1:$SYS_PORT/" -e "s/127.0.0.1:18901/127.0.0.1:$admin/" \
    -e "s/127.0.0.1:18000/127.0.0.1:$ORIGIN_PORT/" bench/core.yaml >"$WORK/ssegate.yaml"
  if tls_on; then  # a TLS listener after the cleartext one (as in bench/h2.yaml)
    SYS_TLS_PORT=$(free_port $((SYS_PORT + 1)))
    awk -v tls="  - address: 127.0.0.1:$SYS_TLS_PORT\n    protocols: [h2, http1]\n    tls:\n      certificate: $WORK/tls.crt\n      private_key: $WORK/tls.key" \
      '{print} /^    protocols: \[http1\]$/ {print tls}' "$WORK/ssegate.yaml" >"$WORK/ssegate-tls.yaml"
    mv "$WORK/ssegate-tls.yaml" "$WORK/ssegate.yaml"
  fi
  "$BUILD/ssegate" -c "$WORK/ssegate.yaml" --log-level warn 2>>"$WORK/ssegate.log" &
  local pid=$!
  PIDS+=("$pid"); SYS_ROOTS=("$pid")
  wait_listen "$SYS_PORT" || die "ssegate did not start"
  if tls_on; then wait_listen "$SYS_TLS_PORT" || die "ssegate's TLS listener did not start"; fi
}

nginx_common() {  # nginx_common DIR: main context shared by the nchan and proxy instances
  mkdir -p "$1/tmp"
  cat <<EOF
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 19000; multi_accept on; }
EOF
}
nginx_http_common() {
  cat <<EOF
  access_log off;
  client_body_temp_path $1/tmp/body; proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fcgi; uwsgi_temp_path $1/tmp/uwsgi; scgi_temp_path $1/tmp/scgi;
  keepalive_timeout 1h;
EOF
}
nginx_tls_http() {  # http-level TLS settings; NGINX_TLS_LISTEN goes into the server block
  tls_on || return 0
  # TLS 1.3 as ssegate (nginx 1.22's default is TLS 1.0-1.2; the record cipher is AES-256-GCM
  # either way)
  echo "  ssl_certificate $WORK/tls.crt; ssl_certificate_key $WORK/tls.key;"
  echo "  ssl_protocols TLSv1.2 TLSv1.3;"
}
nginx_tls_port() {  # sets SYS_TLS_PORT and NGINX_TLS_LISTEN (empty for cleartext runs)
  NGINX_TLS_LISTEN=
  tls_on || return 0
  SYS_TLS_PORT=$(free_port $((SYS_PORT + 1)))
  NGINX_TLS_LISTEN="    listen 127.0.0.1:$SYS_TLS_PORT ssl http2 backlog=8192;"
}
start_nginx() {  # start_nginx DIR
  nginx -t -q -c "$1/nginx.conf" -p "$1/" 2>>"$WORK/nginx.log" || die "nginx config rejected ($1)"
  nginx -c "$1/nginx.conf" -p "$1/" 2>>"$WORK/nginx.log" &
  local pid=$!
  PIDS+=("$pid"); SYS_ROOTS=("$pid")
  wait_listen "$SYS_PORT" || die "nginx did not start ($1)"
}

start_nchan() {  # start_nchan RATE CHANNELS
  local dir=$WORK/nchan; mkdir -p "$dir"
  SYS_PORT=$(free_port 19180)
  nginx_tls_port
  {
    echo "load_module /usr/lib/nginx/modules/ngx_nchan_module.so;"
    nginx_common "$dir"
    echo "http {"
    nginx_http_common "$dir"
    nginx_tls_http
    cat <<EOF
  keepalive_requests 100000000;  # the publisher's keep-alive connections (default 1000)
  nchan_shared_memory_size 256m;
  nchan_message_buffer_length 1000;
  nchan_message_timeout 5m;
  server {
    listen 127.0.0.1:$SYS_PORT backlog=8192;
$NGINX_TLS_LISTEN
    location ~ ^/pub/(\w+)$ { nchan_publisher; nchan_channel_id \$1; }
    location ~ ^/events/(\w+)$ {
      nchan_subscriber eventsource; nchan_channel_id \$1;
      nchan_subscriber_first_message newest;   # like ssegate: live events unless Last-Event-ID
      nchan_eventsource_ping_interval 15;
    }
  }
}
EOF
  } >"$dir/nginx.conf"
  start_nginx "$dir"
  if tls_on; then wait_listen "$SYS_TLS_PORT" || die "nginx TLS listener did not start"; fi
  start_publisher nchan "$1" "$2" "127.0.0.1:$SYS_PORT"
  UP_PORT=$SYS_PORT  # publisher -> nchan connections (counted with dport = nchan port from it)
}

start_proxy() {  # start_proxy RATE
  start_origin "$1"
  local dir=$WORK/proxy; mkdir -p "$dir"
  SYS_PORT=$(free_port 19280)
  nginx_tls_port
  {
    nginx_common "$dir"
    echo "http {"
    nginx_http_common "$dir"
    nginx_tls_http
    cat <<EOF
  server {
    listen 127.0.0.1:$SYS_PORT backlog=8192;
$NGINX_TLS_LISTEN
    location ~ ^/events/(\w+)$ {
      proxy_pass http://127.0.0.1:$ORIGIN_PORT/stream/\$1;
      proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off; proxy_cache off; proxy_read_timeout 1h;
    }
  }
}
EOF
  } >"$dir/nginx.conf"
  start_nginx "$dir"
  if tls_on; then wait_listen "$SYS_TLS_PORT" || die "nginx TLS listener did not start"; fi
}

start_pushpin() {  # start_pushpin RATE CHANNELS
  local dir=$WORK/pp; mkdir -p "$dir/r" "$dir/l"
  SYS_PORT=$(free_port 19380)
  local backend; backend=$(free_port 19480)
  local off=30; while listening $((5560 + off)) || listening $((5561 + off)); do off=$((off + 10)); done
  echo "* 127.0.0.1:$backend" >"$dir/routes"
  local https=
  if tls_on; then  # condure: TLS 1.2, the certificate named after the port, no ALPN/HTTP/2
    SYS_TLS_PORT=$(free_port $((SYS_PORT + 1)))
    [ "$SYS_TLS_PORT" = "$backend" ] && SYS_TLS_PORT=$(free_port $((backend + 1)))
    mkdir -p "$dir/runner/certs"
    cp "$WORK/tls.crt" "$dir/runner/certs/default_$SYS_TLS_PORT.crt"
    cp "$WORK/tls.key" "$dir/runner/certs/default_$SYS_TLS_PORT.key"
    https="\nhttps_ports=127.0.0.1:$SYS_TLS_PORT"
  fi
  sed -e "s|^rundir=.*|rundir=$dir/r|" -e "s|^logdir=.*|logdir=$dir/l|" \
    -e "s|^http_port=.*|http_port=127.0.0.1:$SYS_PORT$https|" \
    -e "s|^services=.*|services=condure,zurl,pushpin-proxy,pushpin-handler|" \
    -e "s|^port_offset=.*|port_offset=$off|" -e "s|^routesfile=.*|routesfile=$dir/routes|" \
    -e "s|^message_rate=.*|message_rate=0|" -e "s|^message_hwm=.*|message_hwm=0|" \
    -e 's|^\[proxy\]$|[proxy]\nzurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in\nzurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream\nzurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out|' \
    /usr/share/pushpin/pushpin.conf.condure >"$dir/pushpin.conf"
  setsid pushpin --config "$dir/pushpin.conf" >>"$WORK/pushpin.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid"); SYS_ROOTS=("$pid")
  wait_listen "$SYS_PORT" || die "pushpin did not start (see $WORK/pushpin.log, $dir/l)"
  if tls_on; then wait_listen "$SYS_TLS_PORT" || die "pushpin's TLS port did not start"; fi
  for _ in $(seq 100); do listening $((5561 + off)) && break; sleep 0.1; done
  start_publisher pushpin "$1" "$2" "127.0.0.1:$((5561 + off))" "127.0.0.1:$backend"
  UP_PORT=$backend  # zurl -> GRIP backend connections
  sleep 1
}

start_publisher() {  # start_publisher TARGET RATE CHANNELS PUBLISH [BACKEND]
  local chan=(--channel bench)
  [ "$3" -gt 1 ] && chan=(--channel ch --channels "$3")
  python3 bench/peer_publisher.py --target "$1" --rate "$2" --size "$SIZE" "${chan[@]}" \
    --publish "$4" ${5:+--backend "$5"} >"$WORK/publisher.json" 2>>"$WORK/publisher.log" &
  local pid=$!
  PIDS+=("$pid"); FEED_PIDS=("$pid")
  [ -n "${5:-}" ] && { wait_listen "${5##*:}" || die "publisher backend did not start"; }
  sleep 0.3
}

start_system() {  # start_system SYS RATE CHANNELS
  SYS=$1
  SYS_TLS_PORT=
  if tls_on; then make_cert; fi
  case "$1" in
    ssegate) start_ssegate "$2" ;;
    nchan) start_nchan "$2" "$3" ;;
    pushpin) start_pushpin "$2" "$3" ;;
    proxy) start_proxy "$2" ;;
  esac
  tls_probe
}

stop_system() {
  local p
  for p in "${FEED_PIDS[@]}" "${SYS_ROOTS[@]}"; do stop_pid "$p"; done
  local keep=() q
  for q in "${PIDS[@]}"; do kill -0 "$q" 2>/dev/null && keep+=("$q"); done
  PIDS=("${keep[@]}")
  SYS_ROOTS=(); FEED_PIDS=()
  for _ in $(seq 50); do
    [ "$(established "$SYS_PORT")" -eq 0 ] &&
      { [ -z "$SYS_TLS_PORT" ] || [ "$(established "$SYS_TLS_PORT")" -eq 0 ]; } && break
    sleep 0.1
  done
}

sys_url() {  # sys_url CHANNELS
  local base="http://127.0.0.1:$SYS_PORT"
  if tls_on; then base="https://127.0.0.1:$SYS_TLS_PORT"; fi
  if [ "$1" -gt 1 ]; then echo "$base/events/ch{c}"
  else echo "$base/events/bench"; fi
}
sys_ramp() { if [ "$SYS" = pushpin ]; then echo "$PUSHPIN_RAMP"; else echo "$RAMP"; fi; }
upstream_conns() {  # origin-side connections of the running system
  case "$SYS" in
    nchan) ss -Htnp state established "( dport = :$UP_PORT )" | grep -c "pid=${FEED_PIDS[0]}," || true ;;
    *) established_to "$UP_PORT" ;;
  esac
}
origin_streams() {  # demo origin /stats stream_requests (ssegate, proxy), else null
  if [ "$SYS" = ssegate ] || [ "$SYS" = proxy ]; then
    curl -sf -m 2 "http://127.0.0.1:$ORIGIN_PORT/stats" || echo null
  else echo null; fi
}

# record KEY=VALUE... : one JSON line in $OUT (values that are JSON are passed as such).
record() {
  python3 - "$@" >>"$OUT" <<'PY'
import json, sys
out = {}
for kv in sys.argv[1:]:
    k, _, v = kv.partition("=")
    try:
        out[k] = json.loads(v)
    except ValueError:
        out[k] = v
print(json.dumps(out))
PY
}

over_budget() { [ $((SECONDS - START_S)) -ge "$BUDGET_S" ]; }

# ---------------------------------------------------------------------------------------------
# One measured streaming step: start the system, connect N subscribers, warm up, measure.
# step SCENARIO SYS N CHANNELS RATE [extra loadgen args...]; sets STEP_P99, STEP_OK.
step() {
  local scen=$1 sys=$2 n=$3 channels=$4 rate=$5
  shift 5
  STEP_P99=999999; STEP_OK=0; STEP_OTHER=0
  if over_budget; then log "$scen $sys n=$n rate=$rate: skipped (time budget)"; record scenario="$scen" system="$sys" subscribers="$n" channels="$channels" rate="$rate" proto="$PROTO" skipped=true; return; fi
  wait_quiet
  start_system "$sys" "$rate" "$channels"
  local ramp; ramp=$(sys_ramp)
  local lg=$WORK/$scen-$sys-$n-$rate.json
  local ramp_s; ramp_s=$(calc "$n / $ramp" 3)
  local warmup=$WARMUP
  if tls_on; then  # one handshake per connection (HTTP/2: one per H2_STREAMS subscribers)
    local conns=$n; [ "$PROTO" = h2 ] && conns=$(((n + H2_STREAMS - 1) / H2_STREAMS))
    warmup=$(calc "$WARMUP + $conns / $TLS_SETTLE_PER_S" 3)
  fi
  local t0; t0=$(date +%s%N)
  nice -n "$LOADGEN_NICE" "$BUILD/ssegate-loadgen" --url "$(sys_url "$channels")" \
    --channels "$channels" -n "$n" --procs "$PROCS" --ramp "$ramp" --retries 5 --retry-delay 1 \
    --warmup "$warmup" --duration "$DURATION" --grace 1 --progress 0 --quiet $(proto_args) >"$lg" \
    2>>"$WORK/loadgen.log" &
  local lgpid=$!
  PIDS+=("$lgpid")
  # Extra load (W5's slow subscribers) is started by the caller through STEP_HOOK.
  [ -n "${STEP_HOOK:-}" ] && $STEP_HOOK
  # The window opens 0.2 s (common start) + ramp + warm-up after the load generator starts.
  local open_ns=$((t0 + $(calc "(0.2 + $ramp_s + $warmup) * 1e9" 0)))
  local left; left=$(calc "($open_ns - $(date +%s%N)) / 1e9" 3)
  awk "BEGIN {exit !($left > 0)}" && sleep "$left"
  local pids feed c0 f0 b0 c1 f1 b1 mem rss up
  pids=$(tree "${SYS_ROOTS[@]}")
  local l0 l1 lpids
  lpids=$(tree "$lgpid" ${W5_SLOW_PID:+"$W5_SLOW_PID"})
  c0=$(ticks_of $pids); f0=$(ticks_of "${FEED_PIDS[@]}"); l0=$(ticks_of $lpids); b0=$(busy_ticks)
  sleep "$DURATION"
  pids=$(tree "${SYS_ROOTS[@]}")
  c1=$(ticks_of $pids); f1=$(ticks_of "${FEED_PIDS[@]}"); l1=$(ticks_of $lpids); b1=$(busy_ticks)
  mem=$(mem_of $pids); rss=$(rss_of $pids); up=$(upstream_conns)
  local nprocs; nprocs=$(echo $pids | wc -w)
  wait "$lgpid" || log "$scen $sys: load generator exit status $?"
  [ -n "${STEP_HOOK_STOP:-}" ] && $STEP_HOOK_STOP
  local ostats; ostats=$(origin_streams)
  stop_system
  [ -s "$lg" ] || echo '{}' >"$lg"
  local feed='null'
  if [ "$sys" = nchan ] || [ "$sys" = pushpin ]; then
    feed=$(tail -1 "$WORK/publisher.json" 2>/dev/null | grep '^{' || echo null)
  fi
  record feed_stats="$feed" scenario="$scen" system="$sys" subscribers="$n" channels="$channels" rate="$rate" \
    proto="$PROTO" tls="$SYS_TLS" \
    window_s="$DURATION" warmup_s="$warmup" cpu_s="$(calc "($c1 - $c0) / $HZ" 2)" feed_cpu_s="$(calc "($f1 - $f0) / $HZ" 2)" \
    machine_busy_cpu_s="$(calc "($b1 - $b0) / $HZ" 2)" loadgen_cpu_s="$(calc "($l1 - $l0) / $HZ" 2)" \
    other_cpu_s="$(calc "(($b1 - $b0) - ($c1 - $c0) - ($f1 - $f0) - ($l1 - $l0)) / $HZ" 2)" mem_kib="$mem" rss_kib="$rss" \
    ${STEP_RERUN:+rerun=true} \
    processes="$nprocs" upstream_connections="$up" origin_stats="$ostats" \
    loadgen_nice="$LOADGEN_NICE" ramp="$ramp" loadgen="$(cat "$lg")" ${STEP_EXTRA:+extra="$STEP_EXTRA"}
  STEP_OTHER=$(calc "(($b1 - $b0) - ($c1 - $c0) - ($f1 - $f0) - ($l1 - $l0)) / $HZ" 2)
  STEP_P99=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("latency_ms",{}).get("p99",999999))' "$lg")
  # OK = everyone connected, >= 99% of the owed events delivered, and >= 90% of the intended
  # deliveries/s (catches a feed that stopped publishing).
  STEP_OK=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=float(sys.argv[2]); print(1 if d.get("connected",0)>=0.99*d.get("subscribers",1) and d.get("expected",0)>0 and d.get("delivered",0)>=0.99*d.get("expected",1) and d.get("deliveries_per_s",0)>=0.9*n else 0)' "$lg" "$(calc "$n * $rate" 1)")
  log "$scen $sys n=$n ch=$channels rate=$rate: p99 ${STEP_P99} ms, ok=$STEP_OK, cpu $(calc "($c1 - $c0) / $HZ" 2) s, up $up"
}

# ---------------------------------------------------------------------------------------------
w1() { PROTO=h1; w1_run w1; }
w1tls() { PROTO=tls; w1_run w1tls; PROTO=h1; }
w1_run() {  # idle capacity: w1_run SCENARIO (over PROTO)
  local scen=$1 sys
  for sys in $SYSTEMS; do
    if over_budget; then log "$scen $sys skipped (time budget)"; continue; fi
    wait_quiet
    start_system "$sys" 0.2 1
    curl -s -k -m 1 -N -o /dev/null "$(sys_url 1)" || true
    sleep 1
    local pids base_mem base_rss ramp
    pids=$(tree "${SYS_ROOTS[@]}")
    base_mem=$(mem_of $pids); base_rss=$(rss_of $pids)
    ramp=$(sys_ramp)
    local hold; hold=$(calc "5 + 8 + 20" 0)  # + at most 20 s for the server to settle
    nice -n "$LOADGEN_NICE" "$BUILD/ssegate-loadgen" --url "$(sys_url 1)" -n "$IDLE_N" \
      --procs "$PROCS" --ramp "$ramp" --retries 5 --retry-delay 1 --idle --duration "$hold" \
      --progress 0 --quiet >"$WORK/$scen-$sys.json" 2>>"$WORK/loadgen.log" &
    local lgpid=$!
    PIDS+=("$lgpid")
    local deadline=$((SECONDS + IDLE_N / ramp + 20)) port; port=$(client_port)
    while [ "$(established "$port")" -lt "$IDLE_N" ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    # A TCP connection is established before its TLS handshake is done, and a full handshake costs
    # every system ~1 ms of CPU: measure once the server has worked through them (under 0.25
    # cores over a second, for at most 20 s), not while handshake state is still in memory.
    pids=$(tree "${SYS_ROOTS[@]}")
    local settle_end=$((SECONDS + 20)) s0 s1
    while [ $SECONDS -lt $settle_end ]; do
      s0=$(ticks_of $pids); sleep 1; s1=$(ticks_of $pids)
      awk "BEGIN {exit !(($s1 - $s0) / $HZ < 0.25)}" && break
    done
    sleep 2
    pids=$(tree "${SYS_ROOTS[@]}")
    local held mem rss c0 c1
    held=$(established "$port")
    # the publisher's connections share Nchan's cleartext port
    [ "$SYS" = nchan ] && [ "$port" = "$SYS_PORT" ] && held=$((held - $(upstream_conns)))
    mem=$(mem_of $pids); rss=$(rss_of $pids)
    c0=$(ticks_of $pids); sleep 5; c1=$(ticks_of $pids)
    local up; up=$(upstream_conns)
    wait "$lgpid" || true
    local ostats; ostats=$(origin_streams)
    stop_system
    record scenario="$scen" proto="$PROTO" tls="$SYS_TLS" system="$sys" subscribers="$IDLE_N" held="$held" mem_before_kib="$base_mem" \
      mem_kib="$mem" rss_before_kib="$base_rss" rss_kib="$rss" \
      mem_per_conn_kib="$(calc "($mem - $base_mem) / ($held > 0 ? $held : 1)" 2)" \
      rss_per_conn_kib="$(calc "($rss - $base_rss) / ($held > 0 ? $held : 1)" 2)" \
      idle_cpu_s_per_s="$(calc "($c1 - $c0) / $HZ / 5" 3)" upstream_connections="$up" \
      origin_stats="$ostats" ramp="$ramp" loadgen="$(cat "$WORK/$scen-$sys.json" 2>/dev/null || echo '{}')"
    log "$scen $sys: held $held, mem $base_mem -> $mem KiB, RSS $base_rss -> $rss KiB"
  done
}

w2() { PROTO=h1; w2_run w2 "$W2_SUBS"; }
w2tls() { PROTO=tls; w2_run w2tls "$V_SUBS"; PROTO=h1; }
w2h2() { PROTO=h2; w2_run w2h2 "$V_SUBS"; PROTO=h1; }
ladder_for() {  # ladder_for SCENARIO SUBSCRIBERS: deliveries/s rungs
  if [ "$1" = w2 ]; then echo "$W2_LADDER"
  elif [ "$2" -lt 5000 ]; then echo "$V_LADDER_SMALL"
  else echo "$V_LADDER_LARGE"; fi
}
w2_run() {  # broadcast ladder: w2_run SCENARIO "SUBSCRIBER COUNTS" (over PROTO)
  local scen=$1 n d sys rate
  for n in $2; do
    local alive=" $SYSTEMS "
    # The plain proxy needs 2 descriptors per subscriber and the origin one: 19k exceeds the
    # 20,000 open files per process.
    if [ "$n" -gt 15000 ]; then alive=${alive/ proxy / }; fi
    if [ "$PROTO" = h2 ] && [[ $alive == *" pushpin "* ]]; then
      alive=${alive/ pushpin / }
      record scenario="$scen" system=pushpin subscribers="$n" channels=1 proto="$PROTO" \
        unsupported="Pushpin's condure speaks HTTP/1.1 only (no ALPN h2, no h2c)"
    fi
    for d in $(ladder_for "$scen" "$n"); do
      for sys in $alive; do
        rate=$(calc "$d / $n" 3)
        step "$scen" "$sys" "$n" 1 "$rate"
        # A step that missed the bound while other processes took over NOISY_CPU cores on
        # average is measured once more (both records are kept; the rerun is marked).
        if { [ "$STEP_OK" != 1 ] || awk "BEGIN {exit !($STEP_P99 > 100)}"; } &&
           awk "BEGIN {exit !($STEP_OTHER > $NOISY_CPU * $DURATION)}"; then
          log "$scen $sys n=$n: noisy step ($STEP_OTHER other CPU-s); measuring it again"
          STEP_RERUN=1 step "$scen" "$sys" "$n" 1 "$rate"
        fi
        if [ "$STEP_OK" != 1 ] || awk "BEGIN {exit !($STEP_P99 > 100)}"; then
          alive=${alive/ $sys / }
          log "$scen n=$n: $sys stops at $d deliveries/s"
        fi
      done
      if [ -z "${alive// /}" ]; then break; fi
    done
  done
  return 0
}

w3() {
  local sys
  for sys in $SYSTEMS; do step w3 "$sys" $((W3_CHANNELS * W3_PER)) "$W3_CHANNELS" "$W3_RATE"; done
}

W5_SLOW_PID=
w5_start_slow() {
  python3 bench/peer_storm.py slow --url "$(sys_url 1)" -n $((W5_SUBS / 10)) --src 127.0.0.20 \
    --ramp "$(sys_ramp)" --hold $((W5_SUBS * 9 / 10 / $(sys_ramp) + WARMUP + DURATION + 4)) \
    >"$WORK/w5-slow-$SYS.json" 2>>"$WORK/storm.log" &
  W5_SLOW_PID=$!
  PIDS+=("$W5_SLOW_PID")
}
w5_stop_slow() {
  stop_pid "$W5_SLOW_PID"
  STEP_EXTRA=$(cat "$WORK/w5-slow-$SYS.json" 2>/dev/null || echo '{}')
}
w5() {
  local sys
  for sys in $SYSTEMS; do
    STEP_HOOK=w5_start_slow STEP_HOOK_STOP=w5_stop_slow STEP_EXTRA= \
      step w5 "$sys" $((W5_SUBS * 9 / 10)) 1 "$W5_RATE"
  done
  STEP_HOOK= STEP_HOOK_STOP= STEP_EXTRA=
}

w4() { PROTO=h1; w4_run w4 "$STORM_CLIENT"; }
w4tls() { PROTO=tls; w4_run w4tls loadgen; PROTO=h1; }
tcp_counters() {  # machine-wide listen-queue overflow counters, as JSON (nstat, iproute2)
  nstat -asz TcpExtListenOverflows TcpExtListenDrops TcpExtSyncookiesSent TcpExtTCPReqQFullDrop \
    TcpRetransSegs 2>/dev/null | awk 'NR > 1 {printf "%s\"%s\":%s", n++ ? "," : "{", $1, $2}
      END {print n ? "}" : "null"}'
}
w4_run() {  # reconnect storm with Last-Event-ID: w4_run SCENARIO "CLIENTS" (over PROTO)
  local scen=$1 sys client rep
  for sys in $SYSTEMS; do
    for rep in $(seq "$W4_REPEAT"); do
    for client in $2; do
      if over_budget; then log "$scen $sys $client skipped (time budget)"; continue; fi
      wait_quiet
      start_system "$sys" "$STORM_RATE" 1
      local out=$WORK/$scen-$sys-$client.json
      local pids c0 c1 cpid l0 l1 b0 b1 t0 t1
      pids=$(tree "${SYS_ROOTS[@]}")
      c0=$(ticks_of $pids); b0=$(busy_ticks); t0=$(date +%s%N)
      local tcp0; tcp0=$(tcp_counters)
      if [ "$client" = python ]; then
        nice -n "$LOADGEN_NICE" python3 bench/peer_storm.py storm --url "$(sys_url 1)" -n "$STORM_N" \
          --ramp "$(sys_ramp)" --settle 2 --down 2 --timeout 60 --after 3 >"$out" 2>>"$WORK/storm.log" &
      else
        # Retries every 0.5 s until 60 s after the reconnect (Pushpin answers bursts with 5xx).
        nice -n "$LOADGEN_NICE" "$BUILD/ssegate-loadgen" --url "$(sys_url 1)" -n "$STORM_N" \
          --procs "$PROCS" --ramp "$(sys_ramp)" --retries 1000 --retry-delay 0.5 --storm \
          --warmup 2 --storm-down 2 --storm-after 3 --duration 60 --grace 1 --progress 0 \
          --quiet $(proto_args) >"$out" 2>>"$WORK/loadgen.log" &
      fi
      cpid=$!
      PIDS+=("$cpid")
      # The client's CPU, sampled until it exits (its processes are gone after wait).
      l1=0
      while kill -0 "$cpid" 2>/dev/null; do
        l0=$(ticks_of $(tree "$cpid")); [ "$l0" -gt "$l1" ] && l1=$l0
        pids=$(tree "${SYS_ROOTS[@]}"); c1=$(ticks_of $pids); b1=$(busy_ticks)
        sleep 0.2
      done
      wait "$cpid" || log "$scen $sys $client: exit status $?"
      t1=$(date +%s%N)
      local tcp1; tcp1=$(tcp_counters)
      local ostats; ostats=$(origin_streams)
      stop_system
      [ -s "$out" ] || echo '{}' >"$out"
      record scenario="$scen" client="$client" proto="$PROTO" tls="$SYS_TLS" system="$sys" \
        subscribers="$STORM_N" rate="$STORM_RATE" cpu_s="$(calc "($c1 - $c0) / $HZ" 2)" \
        client_cpu_s="$(calc "$l1 / $HZ" 2)" wall_s="$(calc "($t1 - $t0) / 1e9" 2)" \
        machine_busy_cpu_s="$(calc "($b1 - $b0) / $HZ" 2)" origin_stats="$ostats" \
        tcp_before="$tcp0" tcp_after="$tcp1" repeat="$rep" \
        "$([ "$client" = python ] && echo storm || echo loadgen)=$(cat "$out")"
      log "$scen $sys $client #$rep: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d.get("storm",d); print({k: s.get(k) for k in ("back","all_back_s","issue_ms","gaps","dups","retries")})' "$out" 2>/dev/null)"
    done
    done
  done
}

main() {
  install_peers
  build
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  mkdir -p "$(dirname "$OUT")"
  : >"$OUT"
  record scenario=meta date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" commit="${BUILD_COMMIT:-$(git rev-parse --short HEAD)}" \
    cpus="$(nproc)" kernel="$(uname -r)" loadgen_nice="$LOADGEN_NICE" procs="$PROCS" \
    ramp="$RAMP" pushpin_ramp="$PUSHPIN_RAMP" warmup_s="$WARMUP" duration_s="$DURATION" \
    size="$SIZE" systems="$SYSTEMS" scenarios="$SCENARIOS" w2_ladder="$W2_LADDER" \
    w2_subs="$W2_SUBS" v_subs="$V_SUBS" v_ladder_small="$V_LADDER_SMALL" \
    v_ladder_large="$V_LADDER_LARGE" h2_streams="$H2_STREAMS" storm_client="$STORM_CLIENT" \
    tls_settle_per_s="$TLS_SETTLE_PER_S" \
    storm_n="$STORM_N" w4_repeat="$W4_REPEAT" quiet_wait="$QUIET_WAIT" out="$OUT" nginx="$(nginx -v 2>&1 | sed 's/.*: //')" \
    nchan="$(dpkg-query -W -f '${Version}' libnginx-mod-nchan 2>/dev/null || echo '?')" \
    pushpin="$(dpkg-query -W -f '${Version}' pushpin 2>/dev/null || echo '?')"
  log "work dir $WORK; systems: $SYSTEMS; scenarios: $SCENARIOS"
  local s
  for s in $SCENARIOS; do "$s"; done
  record scenario=meta_end elapsed_s=$((SECONDS - START_S))
  # The report merges the main run (peers.jsonl) with the separate runs (peers-*.jsonl).
  local inputs=() f
  for f in bench/results/peers.jsonl bench/results/peers-*.jsonl "$OUT"; do
    [ -s "$f" ] && [[ " ${inputs[*]} " != *" $f "* ]] && inputs+=("$f")
  done
  python3 bench/peers_report.py "${inputs[0]}" "${REPORT_MD:-bench/RESULTS.md}" \
    "${REPORT_DIR:-bench/results}" "${inputs[@]:1}" || die "report failed"
  log "done in $((SECONDS - START_S)) s: $OUT, ${REPORT_MD:-bench/RESULTS.md}"
}

[ "${PEERS_SOURCE_ONLY:-0}" = 1 ] || { main "$@"; exit $?; }
