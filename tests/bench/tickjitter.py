#!/usr/bin/python3
"""tickjitter.py - how closely frames on stdin keep a periodic schedule.

Reads kato-merge's output on stdin for --seconds (after one second of
warm-up), notes the CLOCK_MONOTONIC
arrival time of every realtime_update/metrics_update frame, and prints one
JSON object:
  late_ms          lateness of each tick against the ideal schedule
                   t0 + k * interval, where t0 is chosen so that the
                   earliest tick is 0 late (p50, p99, max)
  interval_err_ms  |gap between consecutive frames - interval|
  missed           ticks with no frame (a gap of two or more intervals)
  drift_ms         mean lateness of the last tenth minus the first tenth
The arrival time includes the pipe wake-up of this reader, so the figures
are an upper bound on kato-merge's own jitter.

Usage: tickjitter.py --interval 0.1 --seconds 60 < frames
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
    ks = [round((t - ts[0]) / iv) for t in ts]
    off = [t - k * iv for t, k in zip(ts, ks)]
    base = min(off)
    late = [(o - base) / 1e6 for o in off]
    gaps = [abs((ts[i] - ts[i - 1]) - iv) / 1e6 for i in range(1, len(ts))]
    tenth = max(1, len(late) // 10)
    out = {
        "interval_ms": a.interval * 1000, "seconds": a.seconds,
        "ticks": len(ts), "missed": ks[-1] + 1 - len(ts),
        "late_ms": {"p50": pct(late, 50), "p99": pct(late, 99),
                    "max": round(max(late), 3)},
        "interval_err_ms": {"p50": pct(gaps, 50), "p99": pct(gaps, 99),
                            "max": round(max(gaps), 3)},
        "drift_ms": round(sum(late[-tenth:]) / tenth - sum(late[:tenth]) / tenth, 3),
    }
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
