#!/usr/bin/env python3
"""bench/peer_publisher.py: the demo origin's open-loop event schedule, published to a peer.

The demo origin (demo/origin) serves ssegate and the plain nginx proxy; the push-model peers
(nginx+Nchan, Pushpin) instead need every event POSTed to them. This program produces the same
stream the demo origin does: on every channel, event k (k = 1, 2, ...) is due at t0 + k/RATE and
its data is {"channel":"NAME","seq":k,"ts_us":INTENDED_SEND_TIME_US,"pad":"xx..."} padded to SIZE
bytes. Late ticks publish everything that is due (open loop: the schedule never slips).

  --target nchan    POST /pub/NAME per event (body = data) to nginx+Nchan, pipelined over a few
                    keep-alive connections; Nchan adds its own "id:" line.
  --target pushpin  POST /publish/ with {"items":[...]} (formats.http-stream content
                    "id: k\\ndata: ...\\n\\n"), all events due in a tick in one request; and the
                    GRIP backend Pushpin proxies subscribers to (--backend HOST:PORT): it answers
                    GET /events/NAME with Grip-Hold: stream + Grip-Channel: NAME and replays the
                    channel's recent events after Last-Event-ID in the held response's body.

Stats (one JSON line on stdout at exit, SIGTERM/SIGINT): published, publish_errors,
backend_requests, replayed, lag_max_ms. Standard library only (Debian's python3).
"""
import argparse
import asyncio
import collections
import json
import signal
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", choices=["nchan", "pushpin"], required=True)
    p.add_argument("--publish", required=True, help="HOST:PORT of the publish endpoint")
    p.add_argument("--backend", help="HOST:PORT to serve the GRIP backend on (pushpin)")
    p.add_argument("--channel", default="bench", help="channel name, or prefix with --channels")
    p.add_argument("--channels", type=int, default=1,
                   help="more than 1: channels PREFIX0 .. PREFIX{N-1}")
    p.add_argument("--rate", type=float, default=1.0, help="events/s on every channel")
    p.add_argument("--size", type=int, default=64, help="event data bytes (padded)")
    p.add_argument("--history", type=int, default=1000, help="events kept per channel (pushpin)")
    p.add_argument("--conns", type=int, default=4, help="publish connections (nchan)")
    p.add_argument("--duration", type=float, default=0, help="stop after S seconds (0 = never)")
    return p.parse_args()


class Schedule:
    """Open-loop schedule shared by all channels (same as ChannelPublisher in demo/origin)."""

    def __init__(self, rate, size):
        self.rate = rate
        self.size = size
        self.t0_mono = time.monotonic()
        self.t0_real_us = time.time_ns() // 1000
        self.next_seq = 1

    def due(self, seq):
        return self.t0_mono + seq / self.rate

    def data(self, channel, seq):
        ts_us = self.t0_real_us + int(seq * 1e6 / self.rate)
        head = '{"channel":"%s","seq":%d,"ts_us":%d,"pad":"' % (channel, seq, ts_us)
        pad = max(0, self.size - len(head) - 2)
        return head + "x" * pad + '"}'


class HttpConn:
    """A keep-alive HTTP/1.1 client connection with pipelining (requests answered in order)."""

    def __init__(self, host, port, stats):
        self.host, self.port, self.stats = host, port, stats
        self.reader = self.writer = None
        self.pending = 0
        self.reader_task = None
        self.once = False

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.reader_task = asyncio.ensure_future(self.read_responses())

    async def read_responses(self):
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    return
                status = int(line.split()[1])
                length = 0
                while True:
                    h = await self.reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length:
                    await self.reader.readexactly(length)
                self.pending -= 1
                if self.once:
                    return
                if status >= 300:
                    self.stats["publish_errors"] += 1
                    if self.stats["publish_errors"] <= 3:
                        print("peer_publisher: publish answered %d" % status, file=sys.stderr)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            print("peer_publisher: publish connection: %r" % e, file=sys.stderr)

    def closed(self):
        return self.reader_task is None or self.reader_task.done() or self.writer.is_closing()

    def send(self, requests):
        self.pending += len(requests)
        self.writer.write(b"".join(requests))


def post(host, path, body, content_type):
    return (b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (path.encode(), host.encode(), content_type.encode(), len(body)) + body)


class Publisher:
    def __init__(self, args):
        self.args = args
        self.schedule = Schedule(args.rate, args.size)
        if args.channels > 1:
            self.channels = ["%s%d" % (args.channel, i) for i in range(args.channels)]
        else:
            self.channels = [args.channel]
        self.history = {c: collections.deque(maxlen=args.history) for c in self.channels}
        self.stats = collections.Counter(published=0, publish_errors=0, backend_requests=0,
                                         replayed=0, reconnects=0)
        self.lag_max = 0.0
        host, port = args.publish.rsplit(":", 1)
        self.pub_host, self.pub_port = host, int(port)
        self.conns = []
        self.stop = asyncio.Event()

    async def run(self):
        n = self.args.conns if self.args.target == "nchan" else 0
        self.tasks = set()
        self.reopening = {}
        for _ in range(n):
            conn = HttpConn(self.pub_host, self.pub_port, self.stats)
            await conn.open()
            self.conns.append(conn)
        server = None
        if self.args.backend:
            host, port = self.args.backend.rsplit(":", 1)
            server = await asyncio.start_server(self.serve_backend, host, int(port), backlog=4096)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        if self.args.duration > 0:
            loop.call_later(self.args.duration, self.stop.set)
        self.schedule = Schedule(self.args.rate, self.args.size)  # t0 once connected
        while not self.stop.is_set():
            now = time.monotonic()
            seqs = []
            while self.schedule.due(self.schedule.next_seq) <= now:
                seqs.append(self.schedule.next_seq)
                self.schedule.next_seq += 1
            if seqs:
                self.lag_max = max(self.lag_max, now - self.schedule.due(seqs[0]))
                self.publish(seqs)
            delay = self.schedule.due(self.schedule.next_seq) - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self.stop.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
            else:
                await asyncio.sleep(0)
        if server:
            server.close()
        out = dict(self.stats)
        out["lag_max_ms"] = round(self.lag_max * 1000, 3)
        out["channels"] = len(self.channels)
        out["last_seq"] = self.schedule.next_seq - 1
        print(json.dumps(out), flush=True)

    def publish(self, seqs):
        sched = self.schedule
        if self.args.target == "nchan":
            batches = [[] for _ in self.conns]
            for i, channel in enumerate(self.channels):
                reqs = batches[i % len(self.conns)]
                for seq in seqs:
                    body = sched.data(channel, seq).encode()
                    reqs.append(post(self.args.publish, "/pub/" + channel, body,
                                     "text/plain"))
            for k, (conn, reqs) in enumerate(zip(self.conns, batches)):
                if not reqs:
                    continue
                if conn.closed():  # the server ended the keep-alive connection: a new one
                    self.stats["reconnects"] += 1
                    task = asyncio.ensure_future(self.reopen(k, reqs))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                    continue
                conn.send(reqs)
        else:
            items = []
            for channel in self.channels:
                hist = self.history[channel]
                for seq in seqs:
                    content = "id: %d\ndata: %s\n\n" % (seq, sched.data(channel, seq))
                    hist.append((seq, content))
                    items.append({"channel": channel, "id": str(seq),
                                  "formats": {"http-stream": {"content": content}}})
            # Keep each request moderate in size (Pushpin's publish API has a body limit).
            # Pushpin's control server answers one request per connection: a connection per POST.
            for i in range(0, len(items), 200):
                body = json.dumps({"items": items[i:i + 200]}).encode()
                req = post(self.args.publish, "/publish/", body, "application/json")
                task = asyncio.ensure_future(self.post_once(req))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        self.stats["published"] += len(seqs) * len(self.channels)

    async def reopen(self, k, reqs):
        if self.reopening.get(k):
            self.reopening[k].extend(reqs)
            return
        self.reopening[k] = list(reqs)
        conn = HttpConn(self.pub_host, self.pub_port, self.stats)
        try:
            await conn.open()
        except OSError as e:
            self.stats["publish_errors"] += len(self.reopening.pop(k))
            print("peer_publisher: reconnect: %r" % e, file=sys.stderr)
            return
        self.conns[k] = conn
        conn.send(self.reopening.pop(k))

    async def post_once(self, req):
        conn = HttpConn(self.pub_host, self.pub_port, self.stats)
        conn.once = True
        try:
            await conn.open()
            conn.send([req])
            await conn.reader_task
        except OSError as e:
            self.stats["publish_errors"] += 1
            print("peer_publisher: publish: %r" % e, file=sys.stderr)
        finally:
            if conn.writer:
                conn.writer.close()

    async def serve_backend(self, reader, writer):
        """Pushpin's origin: every subscription request gets a GRIP stream hold."""
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                parts = line.split()
                path = parts[1].decode() if len(parts) > 1 else "/"
                last_id = None
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.partition(b":")
                    if name.strip().lower() == b"last-event-id":
                        last_id = value.strip().decode()
                self.stats["backend_requests"] += 1
                channel = path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                body = ":\n\n"
                if last_id and channel in self.history:
                    try:
                        after = int(last_id)
                        replay = [c for s, c in self.history[channel] if s > after]
                        self.stats["replayed"] += len(replay)
                        body += "".join(replay)
                    except ValueError:
                        pass
                payload = body.encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Cache-Control: no-cache\r\nGrip-Hold: stream\r\n"
                             b"Grip-Channel: " + channel.encode() + b"\r\n"
                             b"Grip-Keep-Alive: :\\n\\n; format=cstring; timeout=20\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def main():
    args = parse_args()
    asyncio.run(Publisher(args).run())


if __name__ == "__main__":
    main()
