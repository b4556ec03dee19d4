#!/usr/bin/python3
"""hubfeed.py - a test producer for kato-hub: realtime_update frames on
stdout, one per interval, shaped like kato-merge's.

  hubfeed.py [--interval SECONDS] [--count N] [--pad BYTES] [--events]

Each frame carries "seq" (1, 2, ...) and "sent_ns" (CLOCK_REALTIME in
nanoseconds when it was written) so a receiver can check order, loss and
delay.  --pad adds a string of that many bytes under data.metrics.pad;
--events also writes a session_event and a system_alert after every
frame.  Stops after --count frames (default: never) or when stdout closes.
"""
import argparse
import json
import sys
import time


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("--events", action="store_true")
    a = ap.parse_args()
    seq = 0
    start = time.monotonic()
    out = sys.stdout
    try:
        while a.count == 0 or seq < a.count:
            seq += 1
            now = time.time()
            metrics = {"timestamp": now, "active_sessions": seq % 7,
                       "resources": {"cpu_percent": 12.5, "memory_percent": 40.0}}
            if a.pad:
                metrics["pad"] = "x" * a.pad
            frame = {
                "type": "realtime_update", "timestamp": iso(now),
                "interval_ms": int(a.interval * 1000), "seq": seq,
                "sent_ns": time.time_ns(),
                "data": {
                    "metrics": metrics,
                    "health": {"status": "healthy"},
                    "containers": {"containers": [{"name": "kato", "cpu": 1.5}],
                                   "aggregated": {"container_count": 1}},
                    "sessions": {"active_count": seq % 7, "total_count": seq},
                },
                "stale": [], "sources": {},
            }
            out.write(json.dumps(frame, separators=(",", ":")) + "\n")
            if a.events:
                out.write(json.dumps({"type": "session_event", "event_type": "session_created",
                                      "timestamp": iso(now), "seq": seq,
                                      "data": {"current_count": 1, "previous_count": 0, "delta": 1}},
                                     separators=(",", ":")) + "\n")
                out.write(json.dumps({"type": "system_alert", "id": "cpu", "timestamp": iso(now),
                                      "state": "firing", "seq": seq,
                                      "alerts": [{"level": "warning", "type": "cpu"}]},
                                     separators=(",", ":")) + "\n")
            out.flush()
            # drift-free: frame k at start + k * interval
            delay = start + seq * a.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    try:
        sys.stdout.close()
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
