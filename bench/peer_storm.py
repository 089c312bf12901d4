#!/usr/bin/env python3
"""bench/peer_storm.py: reconnect storm (W4) and slow consumers (W5) for bench/peers.sh.

  storm  N subscribers connect (at --ramp per second) and stream; once every one has an event,
         after --settle seconds they all drop their connections at the same moment and
         reconnect at once with Last-Event-ID = the last id each received (refused or non-200
         attempts are retried after 0.5-1 s). Reports the time until all are back (a 200 and a
         first event), per-subscriber recovery percentiles, and gaps/dups by "seq" across the
         storm (replay correct = 0 and 0), then observes --after more seconds.
  slow   N subscribers connect, read the response head, then stop reading for --hold seconds
         (small receive buffer), like stalled browsers: the others' latency is what W5 reports.

One JSON object on stdout. Standard library only; one process, epoll through selectors.
"""
import argparse
import errno
import json
import random
import re
import selectors
import signal
import socket
import sys
import time
from urllib.parse import urlsplit

IP_BIND_ADDRESS_NO_PORT = 24
SEQ = re.compile(rb'"seq":\s*(\d+)')
TS = re.compile(rb'"ts_us":\s*(\d+)')


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["storm", "slow"])
    p.add_argument("--url", required=True)
    p.add_argument("-n", type=int, default=1000)
    p.add_argument("--src", default="127.0.0.30", help="first source address")
    p.add_argument("--srcs", type=int, default=4, help="source addresses used round-robin")
    p.add_argument("--ramp", type=float, default=2000)
    p.add_argument("--settle", type=float, default=3)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--after", type=float, default=3)
    p.add_argument("--down", type=float, default=2,
                   help="seconds the subscribers stay away before reconnecting (events missed)")
    p.add_argument("--hold", type=float, default=20)
    return p.parse_args()


class Sub:
    __slots__ = ("i", "sock", "state", "head", "chunked", "cbuf", "left", "crlf", "sbuf",
                 "last_id", "last_seq", "epoch", "t_back", "retry_at", "events", "gaps", "dups",
                 "attempts", "replay_hdr")

    def __init__(self, i):
        self.i = i
        self.sock = None
        self.state = "idle"
        self.last_id = None
        self.last_seq = 0
        self.epoch = 0
        self.t_back = None
        self.retry_at = None
        self.events = self.gaps = self.dups = self.attempts = 0
        self.replay_hdr = None
        self.reset()

    def reset(self):
        self.head = b""
        self.chunked = False
        self.cbuf = b""
        self.left = 0
        self.crlf = False
        self.sbuf = b""


class Client:
    def __init__(self, args):
        self.args = args
        u = urlsplit(args.url)
        self.addr = (u.hostname, u.port or 80)
        self.path = (u.path or "/") + (("?" + u.query) if u.query else "")
        self.host = u.netloc
        base = [int(x) for x in args.src.split(".")]
        self.srcs = ["%d.%d.%d.%d" % (base[0], base[1], base[2], base[3] + k)
                     for k in range(args.srcs)]
        self.sel = selectors.DefaultSelector()
        self.subs = [Sub(i) for i in range(args.n)]
        self.storm_at = None
        self.stats = dict(connect_failures=0, status_failures=0, closed=0, retries=0,
                          replayed_events=0, head_seq_at_drop=0)
        self.reconnect_wall_us = 0
        self.statuses = {}
        self.max_seq = 0
        self.retry_list = []

    # -- connections --------------------------------------------------------------------------
    def connect(self, s, rcvbuf=0):
        s.reset()
        s.attempts += 1
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((self.srcs[s.i % len(self.srcs)], 0))
        except OSError:
            pass
        rc = sock.connect_ex(self.addr)
        if rc not in (0, errno.EINPROGRESS):
            sock.close()
            self.fail(s, "connect")
            return
        s.sock = sock
        s.state = "connecting"
        self.sel.register(sock, selectors.EVENT_WRITE, s)

    def request(self, s):
        hdr = "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n" % (self.path, self.host)
        if s.last_id is not None:
            hdr += "Last-Event-ID: %s\r\n" % s.last_id
        return (hdr + "\r\n").encode()

    def drop(self, s):
        if s.sock is not None:
            try:
                self.sel.unregister(s.sock)
            except (KeyError, ValueError):
                pass
            s.sock.close()
            s.sock = None
        s.state = "idle"

    def fail(self, s, why):
        self.drop(s)
        self.stats[why + "_failures" if why in ("connect", "status") else "closed"] += 1
        self.stats["retries"] += 1
        s.retry_at = time.monotonic() + 0.5 + random.random() * 0.5
        self.retry_list.append(s)

    def on_ready(self, s, mask):
        if s.state == "connecting":
            err = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.fail(s, "connect")
                return
            try:
                s.sock.send(self.request(s))
            except OSError:
                self.fail(s, "connect")
                return
            s.state = "head"
            self.sel.modify(s.sock, selectors.EVENT_READ, s)
            return
        try:
            data = s.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.fail(s, "closed")
            return
        if s.state == "head":
            s.head += data
            end = s.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, rest = s.head[:end].decode("latin-1"), s.head[end + 4:]
            status = int(head.split(" ", 2)[1])
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status != 200:
                self.fail(s, "status")
                return
            low = head.lower()
            s.chunked = "transfer-encoding: chunked" in low
            m = re.search(r"x-replay: *(\w+)", low)
            s.replay_hdr = m.group(1) if m else None
            s.state = "streaming"
            if self.args.mode == "slow":
                self.sel.unregister(s.sock)  # stop reading
                return
            data = rest
            if not data:
                return
        self.feed(s, self.dechunk(s, data) if s.chunked else data)

    def dechunk(self, s, data):
        s.cbuf += data
        out = []
        buf = s.cbuf
        pos = 0
        while pos < len(buf):
            if s.left:
                take = min(s.left, len(buf) - pos)
                out.append(buf[pos:pos + take])
                pos += take
                s.left -= take
                if s.left == 0:
                    s.crlf = True
            elif s.crlf:
                if len(buf) - pos < 2:
                    break
                pos += 2
                s.crlf = False
            else:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    break
                s.left = int(buf[pos:eol].split(b";")[0], 16)
                pos = eol + 2
                if s.left == 0:
                    s.crlf = True
        s.cbuf = buf[pos:]
        return b"".join(out)

    def feed(self, s, data):
        s.sbuf += data.replace(b"\r\n", b"\n")
        while True:
            end = s.sbuf.find(b"\n\n")
            if end < 0:
                return
            block, s.sbuf = s.sbuf[:end], s.sbuf[end + 2:]
            ev_id = None
            seq = None
            ts = 0
            for line in block.split(b"\n"):
                if line.startswith(b"id:"):
                    ev_id = line[3:].lstrip(b" ").decode()
                elif line.startswith(b"data:"):
                    m = SEQ.search(line)
                    if m:
                        seq = int(m.group(1))
                    m = TS.search(line)
                    if m:
                        ts = int(m.group(1))
            if seq is None:
                continue
            self.on_event(s, ev_id, seq, ts)

    def on_event(self, s, ev_id, seq, ts=0):
        s.events += 1
        if seq > self.max_seq:
            self.max_seq = seq
        if s.last_seq:
            if seq <= s.last_seq:
                s.dups += 1
                return
            if seq > s.last_seq + 1:
                s.gaps += seq - s.last_seq - 1
        if self.storm_at is not None and s.epoch == 1:
            if s.t_back is None:
                s.t_back = time.monotonic() - self.storm_at
        if self.storm_at is not None and s.epoch == 1 and ts and ts < self.reconnect_wall_us:
            self.stats["replayed_events"] += 1  # published while this subscriber was away
        s.last_seq = seq
        if ev_id is not None:
            s.last_id = ev_id

    # -- phases -------------------------------------------------------------------------------
    def poll(self, timeout):
        for key, mask in self.sel.select(timeout):
            self.on_ready(key.data, mask)
        if not self.retry_list:
            return
        now = time.monotonic()
        due = [s for s in self.retry_list if s.retry_at is not None and s.retry_at <= now]
        if not due:
            return
        self.retry_list = [s for s in self.retry_list if s.retry_at is not None and s.retry_at > now]
        for s in due:
            s.retry_at = None
            if s.state == "idle":
                self.connect(s, 4096 if self.args.mode == "slow" else 0)

    def ramp_up(self, deadline):
        t0 = time.monotonic()
        started = 0
        rcvbuf = 4096 if self.args.mode == "slow" else 0
        while time.monotonic() < deadline:
            due = min(self.args.n, int((time.monotonic() - t0) * self.args.ramp) + 1)
            while started < due:
                self.connect(self.subs[started], rcvbuf)
                started += 1
            self.poll(0.005)
            if started == self.args.n:
                if self.args.mode == "slow":
                    if all(s.state == "streaming" for s in self.subs):
                        return True
                elif all(s.state == "streaming" and s.last_seq for s in self.subs):
                    return True
        return False

    def run_slow(self):
        ok = self.ramp_up(time.monotonic() + self.args.timeout)
        connected = sum(1 for s in self.subs if s.state == "streaming")
        result = dict(mode="slow", subscribers=self.args.n, connected=connected,
                      all_connected=ok, statuses=self.statuses, **self.stats)

        def on_term(*_):  # the runner may stop the hold early: report what was connected
            print(json.dumps(result), flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, on_term)
        end = time.monotonic() + self.args.hold
        while time.monotonic() < end:
            time.sleep(0.2)
        return result

    def run_storm(self):
        t_start = time.monotonic()
        ok = self.ramp_up(t_start + self.args.n / self.args.ramp + self.args.timeout)
        ready_s = time.monotonic() - t_start
        initially = sum(1 for s in self.subs if s.state == "streaming" and s.last_seq)
        end = time.monotonic() + self.args.settle
        while time.monotonic() < end:
            self.poll(0.01)
        # The storm: every connection drops at once; after --down seconds (events are missed),
        # every subscriber reconnects at once with its Last-Event-ID.
        self.stats["head_seq_at_drop"] = self.max_seq
        for s in self.subs:
            self.drop(s)
            s.retry_at = None
            s.epoch = 1
        self.retry_list = []
        time.sleep(self.args.down)
        self.storm_at = time.monotonic()
        self.reconnect_wall_us = time.time_ns() // 1000
        for s in self.subs:
            self.connect(s)
        deadline = self.storm_at + self.args.timeout
        while time.monotonic() < deadline:
            self.poll(0.005)
            if all(s.t_back is not None for s in self.subs):
                break
        back = sorted(s.t_back for s in self.subs if s.t_back is not None)
        all_back_s = back[-1] if len(back) == len(self.subs) else None
        end = time.monotonic() + self.args.after
        while time.monotonic() < end:
            self.poll(0.01)

        def pct(q):
            return round(back[min(len(back) - 1, int(q * len(back)))] * 1000, 1) if back else None
        replay = {}
        for s in self.subs:
            replay[s.replay_hdr or "-"] = replay.get(s.replay_hdr or "-", 0) + 1
        return dict(mode="storm", subscribers=self.args.n, down_s=self.args.down, initially_streaming=initially,
                    ramp_complete=ok, ramp_s=round(ready_s, 2), back=len(back),
                    all_back_s=None if all_back_s is None else round(all_back_s, 3),
                    recovery_ms={"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99),
                                 "max": pct(1.0)},
                    gaps=sum(s.gaps for s in self.subs), dups=sum(s.dups for s in self.subs),
                    subscribers_with_gaps=sum(1 for s in self.subs if s.gaps),
                    subscribers_with_dups=sum(1 for s in self.subs if s.dups),
                    events=sum(s.events for s in self.subs), statuses=self.statuses,
                    x_replay=replay, streaming_at_end=sum(1 for s in self.subs
                                                          if s.state == "streaming"),
                    **self.stats)


def main():
    args = parse_args()
    c = Client(args)
    out = c.run_storm() if args.mode == "storm" else c.run_slow()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
