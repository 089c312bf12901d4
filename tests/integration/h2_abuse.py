#!/usr/bin/python3
"""HTTP/2 abuse against a running ssegate h2c listener (issue 3): each attack must be refused
(RST_STREAM, an error status) or end the connection (GOAWAY / close) within a few seconds.

usage: h2_abuse.py PORT MAX_CONCURRENT_STREAMS     exit 0 when every attack was handled.
Frames are written by hand (the point is to send what a polite client library would not);
python3-hpack (a dependency of python3-h2) encodes the ordinary request heads.
"""
import socket
import struct
import sys
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST, SETTINGS, PUSH, PING, GOAWAY, WINDOW, CONT = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def request_block(path="/events/abuse"):
    return hpack.Encoder().encode([(":method", "GET"), (":scheme", "http"),
                                   (":authority", "127.0.0.1"), (":path", path)])


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False
        self.frames = []  # (type, flags, stream, payload)
        self.send(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def pump(self, seconds):
        """Reads frames for up to `seconds` (or until the peer closes)."""
        end = time.time() + seconds
        self.s.settimeout(0.05)
        while time.time() < end and not self.closed:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                self.closed = True
                break
            if not chunk:
                self.closed = True
                break
            self.buf += chunk
            while len(self.buf) >= 9:
                n = struct.unpack(">I", b"\0" + self.buf[:3])[0]
                if len(self.buf) < 9 + n:
                    break
                t, f = self.buf[3], self.buf[4]
                sid = struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
                self.frames.append((t, f, sid, self.buf[9:9 + n]))
                self.buf = self.buf[9 + n:]

    def goaway(self):
        return any(t == GOAWAY for t, _, _, _ in self.frames)

    def resets(self):
        return [sid for t, _, sid, _ in self.frames if t == RST]

    def statuses(self):
        d = hpack.Decoder()
        out = {}
        for t, f, sid, p in self.frames:
            if t == HEADERS:
                try:
                    out[sid] = dict(d.decode(p)).get(":status")
                except Exception:
                    out[sid] = "undecodable"
        return out

    def ended(self):
        return self.closed or self.goaway()

    def close(self):
        self.s.close()


def rapid_reset(port, _):
    c = Conn(port)
    block = request_block()
    sid = 1
    batch = b""
    for _ in range(3000):
        batch += frame(HEADERS, END_STREAM | END_HEADERS, sid, block) + \
            frame(RST, 0, sid, struct.pack(">I", 8))  # CANCEL
        sid += 2
        if len(batch) > 32768:
            if not c.send(batch):
                break
            batch = b""
            c.pump(0)
    c.send(batch)
    c.pump(3)
    return c.ended(), "goaway=%s closed=%s" % (c.goaway(), c.closed)


def continuation_flood(port, _):
    c = Conn(port)
    block = request_block()
    c.send(frame(HEADERS, END_STREAM, 1, block))  # no END_HEADERS
    filler = frame(CONT, 0, 1, b"\x40\x01a\x01b")  # literal a: b, again and again
    for _ in range(200):
        if not c.send(filler * 50):
            break
    c.pump(3)
    return c.ended(), "goaway=%s closed=%s" % (c.goaway(), c.closed)


def settings_flood(port, _):
    c = Conn(port)
    one = frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535))
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    for _ in range(400):  # 400 * 200 SETTINGS, never reading the ACKs
        if not c.send(one * 200):
            break
    c.pump(3)
    return c.ended(), "goaway=%s closed=%s" % (c.goaway(), c.closed)


def ping_flood(port, _):
    c = Conn(port)
    one = frame(PING, 0, 0, b"12345678")
    for _ in range(400):
        if not c.send(one * 200):
            break
    c.pump(3)
    return c.ended(), "goaway=%s closed=%s" % (c.goaway(), c.closed)


def too_many_streams(port, max_streams):
    c = Conn(port)
    c.pump(0.3)  # our SETTINGS ACKed, theirs received
    c.send(frame(SETTINGS, ACK, 0))
    block = request_block()
    n = max_streams + 10
    for i in range(n):
        c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1 + 2 * i, block))
    c.pump(2)
    ok = [sid for sid, st in c.statuses().items() if st == "200"]
    refused = len(c.resets()) + (n - max_streams if c.ended() else 0)
    good = len(ok) <= max_streams and (refused >= n - max_streams)
    return good, "200s=%d resets=%d ended=%s" % (len(ok), len(c.resets()), c.ended())


def hpack_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value % 128) + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_bomb(port, _):
    c = Conn(port)
    c.pump(0.3)
    c.send(frame(SETTINGS, ACK, 0))
    big = b"x" * 4000
    # Literal with incremental indexing (new name) puts "bomb: xxxx..." into the dynamic table
    # (index 62); then the block references it 4000 times: ~16 MB of decoded header list.
    head = request_block()
    block = head + b"\x40" + hpack_int(4, 7, 0) + b"bomb" + hpack_int(len(big), 7, 0) + big
    block += bytes([0x80 | 62]) * 4000
    # Split into frames of 16 KiB (the default max frame size).
    chunks = [block[i:i + 16000] for i in range(0, len(block), 16000)]
    data = frame(HEADERS, END_STREAM | (END_HEADERS if len(chunks) == 1 else 0), 1, chunks[0])
    for i, ch in enumerate(chunks[1:]):
        data += frame(CONT, END_HEADERS if i == len(chunks) - 2 else 0, 1, ch)
    c.send(data)
    c.pump(2)
    st = c.statuses().get(1)
    good = st == "431" or 1 in c.resets() or c.ended()
    return good, "status=%s resets=%s ended=%s" % (st, c.resets(), c.ended())


def main():
    port, max_streams = int(sys.argv[1]), int(sys.argv[2])
    failed = 0
    for attack in (rapid_reset, continuation_flood, settings_flood, ping_flood,
                   too_many_streams, hpack_bomb):
        t0 = time.time()
        good, detail = attack(port, max_streams)
        print("%-20s %-4s %.1fs %s" % (attack.__name__, "ok" if good else "FAIL",
                                       time.time() - t0, detail), flush=True)
        failed += 0 if good else 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
