#!/usr/bin/env python3
"""Verdict of a soak run (called by soak.sh): reads the samples and the load tools' results from
--work, prints a summary, exits 0 when every check passes, 1 otherwise."""
import argparse
import json
import os
import sys


def parse_args():
    p = argparse.ArgumentParser()
    for name in ("work",):
        p.add_argument("--" + name, required=True)
    for name in ("duration", "rss-tolerance", "baseline-fds", "end-fds", "gateway-status",
                 "loadgen-status", "churn-status", "restarts", "reloads", "asan"):
        p.add_argument("--" + name, type=float, required=True)
    return p.parse_args()


def load_json(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text.splitlines()[-1]) if text else {}
    except (OSError, ValueError) as e:
        return {"_error": f"{path}: {e}"}


def main():
    a = parse_args()
    failures = []

    def check(ok, what):
        print(("  ok    " if ok else "  FAIL  ") + what)
        if not ok:
            failures.append(what)

    samples = []
    with open(os.path.join(a.work, "samples.tsv")) as f:
        for line in f:
            t, rss, fds = line.split()
            if int(rss) > 0:
                samples.append((int(t), int(rss), int(fds)))
    print(f"soak summary ({int(a.duration)} s, {'ASan' if a.asan else 'release'} build, "
          f"{int(a.restarts)} origin restarts, {int(a.reloads)} reloads, {len(samples)} samples)")

    # RSS: after warm-up (the first third), the last third must not exceed the middle third.
    third = len(samples) // 3
    if third >= 3:
        mid = [s[1] for s in samples[third:2 * third]]
        last = [s[1] for s in samples[2 * third:]]
        mid_mean, last_mean = sum(mid) / len(mid), sum(last) / len(last)
        growth = 100.0 * (last_mean - mid_mean) / mid_mean
        print(f"  RSS KiB: first {samples[0][1]}, middle-third mean {mid_mean:.0f}, "
              f"last-third mean {last_mean:.0f}, max {max(s[1] for s in samples)}")
        check(growth <= a.rss_tolerance,
              f"RSS growth {growth:+.1f}% (last third vs middle third) <= {a.rss_tolerance:g}%")
    else:
        check(False, "enough RSS samples (>= 9)")
    if samples:
        print(f"  fds: baseline {int(a.baseline_fds)}, max during run "
              f"{max(s[2] for s in samples)}, after subscribers left {int(a.end_fds)}")
    check(a.end_fds <= a.baseline_fds,
          f"no fd leak: {int(a.end_fds)} fds after the subscribers left <= baseline "
          f"{int(a.baseline_fds)}")

    lg = load_json(os.path.join(a.work, "loadgen.json"))
    keys = ("subscribers", "connected", "failed", "disconnected", "expected", "delivered", "gaps",
            "dups")
    print("  loadgen: " + ", ".join(f"{k} {lg.get(k)}" for k in keys) +
          f", latency p99 {(lg.get('latency_ms') or {}).get('p99')} ms")
    check(a.loadgen_status == 0 and "_error" not in lg,
          f"loadgen finished (status {int(a.loadgen_status)}) {lg.get('_error', '')}")
    check(lg.get("gaps") == 0 and lg.get("dups") == 0,
          f"steady subscribers: no gap ({lg.get('gaps')}) and no duplicate ({lg.get('dups')})")
    check(lg.get("failed") == 0 and lg.get("disconnected") == 0,
          f"steady subscribers: none failed ({lg.get('failed')}) or dropped "
          f"({lg.get('disconnected')}) across restarts and reloads")
    check(lg.get("bad_events") == 0, f"steady subscribers: no bad event ({lg.get('bad_events')})")
    check(lg.get("expected", 0) > 0 and lg.get("delivered") == lg.get("expected"),
          f"steady subscribers: delivered {lg.get('delivered')} of expected {lg.get('expected')}")

    ch = load_json(os.path.join(a.work, "churn.json"))
    print("  churn: " + ", ".join(f"{k} {ch.get(k)}" for k in
                                  ("connects", "ok", "failed", "events", "gaps", "dups",
                                   "replay_hit", "replay_other", "bad_lines")))
    check(a.churn_status == 0 and "_error" not in ch,
          f"churn driver finished (status {int(a.churn_status)}) {ch.get('_error', '')}")
    check(ch.get("connects", 0) >= 10 and ch.get("events", 0) > 0, "churn ran (connects, events)")
    check(ch.get("gaps") == 0 and ch.get("dups") == 0,
          f"reconnects with Last-Event-ID: no gap ({ch.get('gaps')}), no duplicate "
          f"({ch.get('dups')})")
    check(ch.get("failed") == 0 and ch.get("bad_lines") == 0,
          f"churn: no failed connection ({ch.get('failed')}), no malformed line "
          f"({ch.get('bad_lines')})")
    check(ch.get("replay_other") == 0,
          f"every resume was an X-Replay hit ({ch.get('replay_hit')} hits, "
          f"{ch.get('replay_other')} other)")
    for e in ch.get("errors", [])[:5]:
        print("        churn: " + e)

    check(a.gateway_status == 0, f"ssegate exited 0 on SIGTERM (status {int(a.gateway_status)})")
    with open(os.path.join(a.work, "ssegate.log"), errors="replace") as f:
        log = f.read()
    markers = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                           "WARNING: ThreadSanitizer") if m in log]
    check(not markers, f"no sanitizer report in the gateway log {markers or ''}")
    check(a.restarts >= 1 and a.reloads >= 1, "the run included origin restarts and reloads")

    print("soak: " + ("PASS" if not failures else f"FAIL ({len(failures)} checks)"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
