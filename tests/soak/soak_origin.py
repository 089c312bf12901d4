#!/usr/bin/env python3
"""A restartable SSE origin for the soak test.

Why not ssegate-demo-origin: its sequence numbers restart at 1 when it restarts, so an origin
restart would break the "contiguous seq" check by design. Here event k of every channel is a pure
function of a fixed --epoch (due at epoch + k/rate), so a restarted origin continues the same
sequence and can replay any range for Last-Event-ID: the gateway must then lose nothing.

Serves GET /stream/{channel} (chunked text/event-stream, "id: k" and data in the demo origin's
JSON format {"channel","seq","ts_us","pad"} that ssegate-loadgen checks) and GET /healthz.
"""
import argparse
import asyncio
import json
import signal
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="127.0.0.1:9000")
    p.add_argument("--rate", type=float, default=10.0)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--epoch", type=float, required=True, help="realtime seconds of seq 0")
    p.add_argument("--history", type=int, default=100000)
    return p.parse_args()


ARGS = parse_args()


def current_seq():
    return int((time.time() - ARGS.epoch) * ARGS.rate)


def encode(channel, seq):
    ts_us = int(ARGS.epoch * 1e6 + seq * 1e6 / ARGS.rate)
    head = json.dumps({"channel": channel, "seq": seq, "ts_us": ts_us, "pad": ""},
                      separators=(",", ":"))
    pad = "x" * max(0, ARGS.size - len(head))
    data = head[:-2] + pad + '"}'
    body = f"id: {seq}\ndata: {data}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(body), body)


async def stream(writer, channel, last_id):
    now = current_seq()
    first = now + 1
    if last_id is not None:
        first = max(last_id + 1, now - ARGS.history + 1, 1)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
    seq = first
    while True:
        now = current_seq()
        while seq <= now:
            writer.write(encode(channel, seq))
            seq += 1
        await writer.drain()
        due = ARGS.epoch + seq / ARGS.rate
        await asyncio.sleep(max(0.0, due - time.time()) + 0.0005)


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        path = target.split("?", 1)[0]
        if method == "GET" and path.startswith("/stream/") and len(path) > 8:
            last_id = None
            try:
                last_id = int(headers["last-event-id"])
            except (KeyError, ValueError):
                pass
            await stream(writer, path[8:], last_id)
        else:
            body = b"ok\n" if path == "/healthz" else b"not found\n"
            status = b"200 OK" if path == "/healthz" else b"404 Not Found"
            writer.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" %
                         (status, len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    host, port = ARGS.listen.rsplit(":", 1)
    server = await asyncio.start_server(handle, host, int(port), reuse_address=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    print(f"soak origin on {ARGS.listen}, seq {current_seq()}", file=sys.stderr, flush=True)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
