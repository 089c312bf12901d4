#!/usr/bin/env bash
# `make run`: starts the demo origin and ssegate with conf/ssegate.yaml, prints what to try,
# and stops both on Ctrl-C.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."

origin_pid=""
gateway_pid=""
cleanup() {
  # The gateway first (it drains its subscribers), then the origin it reads from.
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BUILD/ssegate-demo-origin" --listen 127.0.0.1:9000 &
origin_pid=$!
"$BUILD/ssegate" -c conf/ssegate.yaml &
gateway_pid=$!
sleep 0.5

cat <<MSG

  ssegate is running: demo origin on 127.0.0.1:9000, gateway on 127.0.0.1:8080.

  Watch a channel from the terminal:
      curl -N http://127.0.0.1:8080/events/demo

  Resume after an event id:
      curl -N -H 'Last-Event-ID: 3' http://127.0.0.1:8080/events/demo

  In a browser: open http://127.0.0.1:8080/events/demo, then in that tab's developer console
      new EventSource('/events/demo').onmessage = e => console.log(e.lastEventId, e.data)

  Live dashboard (admin listener): http://127.0.0.1:9901/   metrics: http://127.0.0.1:9901/metrics

  Ctrl-C stops both.

MSG
wait "$gateway_pid"
