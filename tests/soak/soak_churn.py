#!/usr/bin/env python3
"""Subscriber churn for the soak test: SESSIONS concurrent sessions, each a loop of connect,
read for a random 0.5-4 s, disconnect, pause; every reconnect sends Last-Event-ID (the last seq
seen), and the events after it must continue the sequence exactly: the gateway's replay ring
must fill the gap with no loss and no duplicate. Prints one JSON object with the totals."""
import argparse
import asyncio
import json
import random
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--sessions", type=int, default=40)
    p.add_argument("--duration", type=float, default=60)
    return p.parse_args()


ARGS = parse_args()
T = {"connects": 0, "ok": 0, "failed": 0, "events": 0, "gaps": 0, "dups": 0, "replay_hit": 0,
     "replay_other": 0, "bad_lines": 0, "errors": []}


def note(msg):
    if len(T["errors"]) < 20:
        T["errors"].append(msg)
        print("churn: " + msg, file=sys.stderr, flush=True)


async def read_chunked(reader, on_bytes, until):
    while time.monotonic() < until:
        line = await asyncio.wait_for(reader.readline(), until - time.monotonic())
        if not line:
            return
        size = int(line.strip(), 16)
        if size == 0:
            return
        data = await reader.readexactly(size + 2)
        on_bytes(data[:-2])


async def session(n, deadline):
    channel = f"ch{n % ARGS.channels}"
    last = None
    rng = random.Random(n)
    while time.monotonic() < deadline - 1:
        T["connects"] += 1
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", ARGS.port)
        except OSError as e:
            T["failed"] += 1
            note(f"connect: {e}")
            await asyncio.sleep(0.5)
            continue
        req = f"GET /events/{channel} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if last is not None:
            req += f"Last-Event-ID: {last}\r\n"
        writer.write((req + "\r\n").encode())
        until = min(deadline, time.monotonic() + rng.uniform(0.5, 4.0))
        buf = b""

        def on_bytes(data):
            nonlocal buf, last
            buf += data
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                seq = None
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        seq = json.loads(line[6:])["seq"]
                    elif not (line.startswith(b":") or line.startswith(b"id: ") or
                              line.startswith(b"retry: ") or line.startswith(b"event: ")):
                        T["bad_lines"] += 1
                        note(f"{channel}: malformed line {line[:60]!r}")
                if seq is None:
                    continue
                T["events"] += 1
                if last is not None:
                    if seq <= last:
                        T["dups"] += 1
                        note(f"{channel}: seq {seq} after {last} (dup)")
                    elif seq > last + 1:
                        T["gaps"] += seq - last - 1
                        note(f"{channel}: seq {seq} after {last} (gap)")
                last = max(seq, last) if last is not None else seq

        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head.split(b" ", 2)[1])
            if status != 200:
                T["failed"] += 1
                note(f"{channel}: status {status}")
            else:
                T["ok"] += 1
                if last is not None:
                    hit = b"x-replay: hit" in head.lower()
                    T["replay_hit" if hit else "replay_other"] += 1
                await read_chunked(reader, on_bytes, until)
        except asyncio.TimeoutError:
            pass
        except (OSError, ValueError, asyncio.IncompleteReadError) as e:
            T["failed"] += 1
            note(f"{channel}: {type(e).__name__}: {e}")
        writer.close()
        await asyncio.sleep(rng.uniform(0, 0.3))


async def main():
    deadline = time.monotonic() + ARGS.duration
    await asyncio.gather(*(session(n, deadline) for n in range(ARGS.sessions)))
    print(json.dumps(T))


if __name__ == "__main__":
    asyncio.run(main())
