#!/usr/bin/python3
"""streamrecv.py - the reading end of tests/bench/stream.sh.

Reads frames written by tests/bench/produce.py (each with "bench_seq" and
"bench_t", CLOCK_MONOTONIC ns at its write) from stdin, as a web node's
`kato-stream get` writes them, and on EOF or SIGTERM prints one JSON line:
{"frames":N,"dups":N,"gaps":N,"p50_ms":X,"p99_ms":X,"max_ms":X} with the
latency from the producer's write to this read.

Usage: streamrecv.py --out FILE
"""
import argparse
import json
import re
import signal
import sys
import time

PAT = re.compile(rb'"bench_seq":(\d+),"bench_t":(\d+)')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lat, seen = [], set()
    dups = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    inp = sys.stdin.buffer
    try:
        for line in inp:
            now = time.monotonic_ns()
            m = PAT.search(line)
            if not m:
                continue
            seq, t = int(m.group(1)), int(m.group(2))
            if seq in seen:
                dups += 1
            seen.add(seq)
            lat.append((now - t) / 1e6)
            if stop:
                break
    except (KeyboardInterrupt, InterruptedError):
        pass
    lat.sort()
    gaps = (max(seen) - min(seen) + 1 - len(seen)) if seen else 0

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else None
    res = {"frames": len(lat), "dups": dups, "gaps": gaps, "p50_ms": pct(0.50),
           "p99_ms": pct(0.99), "max_ms": round(lat[-1], 3) if lat else None}
    with open(a.out, "w") as f:
        f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
