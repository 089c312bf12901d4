#!/usr/bin/env bash
# bench/tls_ab.sh A_BIN B_BIN [ROUNDS] — gateway CPU per delivery over TLS, two ssegate binaries
# alternating on the same machine (A B A B ...): SUBS [1000] HTTP/1.1-over-TLS subscribers on
# one channel (connected at 2,000/s), RATE [100] events/s of 256 bytes, CPU (utime+stime from
# /proc) and deliveries (ssegate_events_delivered_total) over a 15 s window that opens 1 s into
# the load generator's; both open 4 s + 1 s per 1,000 subscribers (the TLS handshakes, about 1 ms
# each) after the connection ramp. Used to compare
# OpenSSL's record layer (a build before 3f15d2d) with ssegate's own TLS 1.3 records:
#   git worktree add /tmp/old 57e8037 && cmake -S /tmp/old -B /tmp/old/build \
#     -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEGATE_TESTS=OFF -DSSEGATE_BENCH=OFF && \
#     cmake --build /tmp/old/build -j2 --target ssegate
#   bench/tls_ab.sh /tmp/old/build/ssegate build/ssegate
# Prints one JSON line per run (and appends them to OUT [bench/results/tls-ab.jsonl]).
# Needs build/ssegate-demo-origin and build/ssegate-loadgen. Ports 28100 (origin), 28180,
# 28543 (TLS), 28911 (admin) must be free. Starts and stops only its own processes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
A_BIN=$1
B_BIN=$2
ROUNDS=${3:-2}
RATE=${RATE:-100}
SUBS=${SUBS:-1000}
OUT=${OUT:-bench/results/tls-ab.jsonl}
WORK=$(mktemp -d /tmp/ssegate-tls-ab.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" -subj /CN=localhost 2>/dev/null
sed -e "s/127.0.0.1:18180/127.0.0.1:28180/" -e "s/127.0.0.1:18543/127.0.0.1:28543/" \
  -e "s/127.0.0.1:18911/127.0.0.1:28911/" -e "s/127.0.0.1:18100/127.0.0.1:28100/" \
  -e "s/127.0.0.1:18101/127.0.0.1:28101/" -e "s/127.0.0.1:18102/127.0.0.1:28102/" \
  -e "s#CERT_FILE#$WORK/tls.crt#" -e "s#KEY_FILE#$WORK/tls.key#" bench/h2.yaml >"$WORK/gw.yaml"

delivered() { curl -s 127.0.0.1:28911/metrics | awk '/^ssegate_events_delivered_total /{print $2}'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {  # run LABEL BINARY
  local label=$1 bin=$2 origin gw lg m0 m1 c0 c1
  build/ssegate-demo-origin --listen 127.0.0.1:28100 --rate "$RATE" --size 256 --quiet \
    >"$WORK/origin.log" 2>&1 &
  origin=$!
  PIDS+=("$origin")
  sleep 0.5
  "$bin" -c "$WORK/gw.yaml" --log-level info >"$WORK/gw-$label.log" 2>&1 &
  gw=$!
  PIDS+=("$gw")
  sleep 1
  curl -s -m 1 -N -o /dev/null http://127.0.0.1:28180/events/bench || true
  nice -n 10 build/ssegate-loadgen --url https://127.0.0.1:28543/events/bench --procs 2 \
    -n "$SUBS" --ramp 2000 --warmup $((3 + SUBS / 1000)) --duration 20 --progress 0 >"$WORK/lg-$label.json" \
    2>"$WORK/lg-$label.err" &
  lg=$!
  sleep $((SUBS / 2000 + 4 + SUBS / 1000 + 1))
  m0=$(delivered); c0=$(ticks "$gw")
  sleep 15
  m1=$(delivered); c1=$(ticks "$gw")
  wait "$lg" || true
  kill "$gw" "$origin"
  wait "$gw" "$origin" 2>/dev/null || true
  python3 - "$label" "$bin" "$m0" "$m1" "$c0" "$c1" "$(getconf CLK_TCK)" "$WORK/lg-$label.json" \
    "$RATE" "$SUBS" <<'PY' | tee -a "$OUT"
import json, sys
label, binary, m0, m1, c0, c1, hz, lg, rate, subs = sys.argv[1:]
d = float(m1) - float(m0)
cpu = (float(c1) - float(c0)) / float(hz)
j = json.load(open(lg))
print(json.dumps({"run": label, "binary": binary, "subscribers": int(subs), "rate": float(rate),
                  "deliveries": int(d), "gateway_cpu_s": round(cpu, 2),
                  "cpu_s_per_million": round(cpu / d * 1e6, 3) if d else None,
                  "p99_ms": j["latency_ms"]["p99"], "missing": j["missing"],
                  "gaps": j["gaps"], "dups": j["dups"]}))
PY
}

echo "tls_ab: logs in $WORK" >&2
mkdir -p "$(dirname "$OUT")"
for ((i = 1; i <= ROUNDS; i++)); do
  run "a$i" "$A_BIN"
  run "b$i" "$B_BIN"
done
