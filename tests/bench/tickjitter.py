#!/usr/bin/python3
"""tickjitter.py - how closely frames on stdin keep a periodic schedule.

Reads kato-merge's output on stdin for --seconds (after one second of
warm-up), notes the CLOCK_MONOTONIC
arrival time of every realtime_update/metrics_update frame, and prints one
JSON object:
  jitter_ms        |phase - median phase| of each frame, the phase being
                   its arrival time modulo the interval, folded into
                   (-interval/2, interval/2]: immune to a stall of the
                   whole machine shifting the tick count (p50, p99, max;
                   a frame later than half an interval counts as less)
  interval_err_ms  |gap between consecutive frames - interval|
  missed           ticks with no frame, from the elapsed time
  drift_ms         median phase of the last tenth minus the first tenth
The arrival time includes the pipe wake-up of this reader, so the figures
are an upper bound on kato-merge's own jitter.

Usage: tickjitter.py --interval 0.1 --seconds 60 [--raw FILE] < frames
       tickjitter.py --interval 0.1 --seconds 0 --from-raw FILE
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


def figures(ts, iv):
    def fold(x):  # into (-iv/2, iv/2]
        x %= iv
        return x - iv if x > iv / 2 else x

    ph = [fold(t - ts[0]) for t in ts]
    med = sorted(ph)[len(ph) // 2]
    jit = [abs(fold(p - med)) / 1e6 for p in ph]
    gaps = [abs((ts[i] - ts[i - 1]) - iv) / 1e6 for i in range(1, len(ts))]
    tenth = max(1, len(ph) // 10)
    first = sorted(ph[:tenth])[tenth // 2]
    last = sorted(ph[-tenth:])[tenth // 2]
    return {
        "interval_ms": iv / 1e6, "ticks": len(ts),
        "missed": round((ts[-1] - ts[0]) / iv) + 1 - len(ts),
        "jitter_ms": {"p50": pct(jit, 50), "p99": pct(jit, 99),
                      "max": round(max(jit), 3)},
        "interval_err_ms": {"p50": pct(gaps, 50), "p99": pct(gaps, 99),
                            "max": round(max(gaps), 3)},
        "drift_ms": round(fold(last - first) / 1e6, 3),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--raw", help="write each arrival time (ns) here")
    ap.add_argument("--from-raw", help="recompute from such a file")
    a = ap.parse_args()
    iv = int(a.interval * 1e9)
    if a.from_raw:
        with open(a.from_raw) as f:
            ts = [int(x) for x in f]
        out = figures(ts, iv)
        out["seconds"] = round((ts[-1] - ts[0]) / 1e9, 1)
        print(json.dumps(out, separators=(",", ":")))
        return
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
    if a.raw:
        with open(a.raw, "w") as f:
            f.writelines("%d\n" % t for t in ts)
    out = figures(ts, iv)
    out["seconds"] = a.seconds
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
