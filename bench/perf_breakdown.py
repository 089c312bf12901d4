#!/usr/bin/env python3
"""bench/perf_breakdown.py PERF_DATA [--json]: where the gateway's CPU goes, by call stack.

Reads `perf record -e cpu-clock -g -p <gateway pid>` output (see bench/results/w2-cpu-notes.md)
and puts each sample in one bucket, the first rule that matches its stack:

  user space            the leaf frame is not in the kernel
  receiver: ...         work done for the SUBSCRIBER's socket. On loopback the sender's send()
                        runs the receiver's TCP input in its own softirq, and the receiver's
                        delayed-ACK timer (armed on the sender's CPU) fires there too; on a real
                        network all of this runs on the subscriber's machine.
  sender: ...           the gateway's own transmit path, RTO timer, syscall
  rx other              loopback softirq, IP and socket lookup before TCP decides what the segment
                        is (almost all data segments for the subscriber: ACKs for the gateway are
                        mostly received in the load generator's or the timer's context)

cpu-clock samples cannot fire while interrupts are off, so time in irq-off sections (the epoll
callback and wake-up under the wait-queue lock, timer-base locks) shows up at
_raw_spin_unlock_irqrestore; the stack still tells whose section it was.
"""
import collections
import json
import subprocess
import sys

RULES = [
    ("receiver: delayed-ACK timer fires (and the ACK it sends)",
     lambda s: "tcp_delack_timer" in s or "tcp_delack_timer_handler" in s),
    ("timer softirq, other (RTO, keepalive)",
     lambda s: "run_timer_softirq" in s or "__run_timers" in s),
    ("receiver: segment queued, sock_def_readable -> ep_poll_callback (-> wake-up)",
     lambda s: "tcp_v4_rcv" in s and ({"tcp_data_queue", "sock_def_readable",
                                       "tcp_queue_rcv", "tcp_event_data_recv"} & s)),
    ("rx: tcp_ack (ACK processing)", lambda s: "tcp_v4_rcv" in s and "tcp_ack" in s),
    ("receiver: delayed-ACK timer armed",
     lambda s: "tcp_v4_rcv" in s and ({"__mod_timer", "sk_reset_timer"} & s)),
    ("rx other: loopback softirq, IP, socket lookup, tcp_rcv_established",
     lambda s: ({"tcp_v4_rcv", "net_rx_action", "process_backlog"} & s)),
    ("sender: RTO timer re-armed (tcp_event_new_data_sent)",
     lambda s: "tcp_event_new_data_sent" in s),
    ("sender: tcp_write_xmit, IP output, loopback xmit",
     lambda s: ({"tcp_write_xmit", "__tcp_transmit_skb", "ip_output", "__dev_queue_xmit"} & s)),
    ("sender: tcp_sendmsg own work (skb alloc, copy, accounting)",
     lambda s: ({"tcp_sendmsg_locked", "tcp_sendmsg"} & s)),
    ("sender: send syscall outside TCP (fdget, socket layer)",
     lambda s: ({"__sys_sendto", "____sys_sendmsg", "___sys_sendmsg"} & s)),
    ("epoll_wait", lambda s: ({"do_epoll_wait", "ep_poll"} & s)),
    ("other syscalls, syscall entry/exit", lambda s: "do_syscall_64" in s),
    ("other kernel (irq, scheduler)", lambda s: True),
]


def stacks(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "ip,sym,dso"], check=True,
                         capture_output=True, text=True).stdout
    frames = []
    for line in out.split("\n") + [""]:
        line = line.strip()
        if not line:
            if frames:
                yield frames
            frames = []
            continue
        sym = line.split(None, 1)[1] if " " in line else "?"
        name = sym[:sym.rfind("(")].strip() if "(" in sym else sym
        frames.append((name.split("+")[0], "[kernel" in sym))


def main():
    counts = collections.Counter()
    total = 0
    for frames in stacks(sys.argv[1]):
        total += 1
        if not frames[0][1]:
            counts["user space"] += 1
            continue
        names = {name for name, _ in frames}
        counts[next(label for label, match in RULES if match(names))] += 1
    shares = {label: round(100.0 * n / total, 2) for label, n in counts.most_common()}
    if "--json" in sys.argv:
        print(json.dumps({"samples": total, "percent": shares}, indent=1))
        return
    for label, pct in shares.items():
        print(f"{pct:6.2f}%  {label}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
