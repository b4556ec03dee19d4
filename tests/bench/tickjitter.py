#!/usr/bin/python3
"""tickjitter.py - how closely frames on stdin keep a periodic schedule.

Reads kato-merge's output on stdin for --seconds (after one second of
warm-up), notes the CLOCK_MONOTONIC
arrival time of every realtime_update/metrics_update frame, and prints one
JSON object:
  jitter_ms        |lateness - median lateness| of each tick, lateness
                   being arrival - k * interval, where k counts the
                   intervals since the first frame (a gap of two intervals
                   or more counts as missed ticks) (p50, p99, max)
  late_ms          lateness - the smallest lateness seen (p50, p99, max)
  interval_err_ms  |gap between consecutive frames - interval|
  missed           ticks with no frame
  drift_ms         median lateness of the last tenth minus the first tenth
The arrival time includes the pipe wake-up of this reader, so the figures
are an upper bound on kato-merge's own jitter.

Usage: tickjitter.py --interval 0.1 --seconds 60 [--raw FILE] < frames
"""
import argparse
import json
import os
import sys
import time


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100 * (len(xs) - 1) + 0.5))], 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--raw", help="write each arrival time (ns) here")
    a = ap.parse_args()
    iv = int(a.interval * 1e9)
    fd = sys.stdin.fileno()
    buf = b""
    ts = []
    # The first second is warm-up: frames queued in the pipe before this
    # reader started would arrive together and look late.
    warm = time.monotonic_ns() + 1000000000
    end = warm + int(a.seconds * 1e9)
    while time.monotonic_ns() < end:
        chunk = os.read(fd, 65536)
        now = time.monotonic_ns()
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if now < warm:
                continue
            if b'"realtime_update"' in line or b'"metrics_update"' in line:
                ts.append(now)
    if len(ts) < 3:
        sys.exit("tickjitter.py: only %d frames in %.0f s" % (len(ts), a.seconds))
    ks = [0]
    for i in range(1, len(ts)):
        ks.append(ks[-1] + max(1, round((ts[i] - ts[i - 1]) / iv)))
    off = [(t - k * iv) / 1e6 for t, k in zip(ts, ks)]
    med = sorted(off)[len(off) // 2]
    jit = [abs(o - med) for o in off]
    base = min(off)
    late = [o - base for o in off]
    gaps = [abs((ts[i] - ts[i - 1]) - iv) / 1e6 for i in range(1, len(ts))]
    tenth = max(1, len(off) // 10)
    first = sorted(off[:tenth])[tenth // 2]
    last = sorted(off[-tenth:])[tenth // 2]
    if a.raw:
        with open(a.raw, "w") as f:
            f.writelines("%d\n" % t for t in ts)
    out = {
        "interval_ms": a.interval * 1000, "seconds": a.seconds,
        "ticks": len(ts), "missed": ks[-1] + 1 - len(ts),
        "jitter_ms": {"p50": pct(jit, 50), "p99": pct(jit, 99),
                      "max": round(max(jit), 3)},
        "late_ms": {"p50": pct(late, 50), "p99": pct(late, 99),
                    "max": round(max(late), 3)},
        "interval_err_ms": {"p50": pct(gaps, 50), "p99": pct(gaps, 99),
                            "max": round(max(gaps), 3)},
        "drift_ms": round(last - first, 3),
    }
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
