#!/usr/bin/env python3
"""Write realtime_update frames for history tests and benchmarks.

histframes.py --start EPOCH --count N [--step 3] [--containers K]
              [--gap FROM:TO ...] [--alert I ...] [--session I ...]

Frame i is at START + i*STEP seconds (a few ms of jitter, as kato-merge's
ticks have) unless i lies in a gap [FROM, TO).  Its numbers are functions
of i, so a test can tell what any stored point must be:
  host.cpu_percent      = i % 100
  kato.error_rate       = (i % 10) / 100
  sessions.active       = i % 7
  container.cN.cpu_percent = N + (i % 10)
  container.cN.memory_bytes = (N + 1) * 1048576
--alert I writes a system_alert (firing) after frame I; --session I a
session_event after frame I.
"""
import argparse, json, sys, datetime

def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (int(round(t * 1000)) % 1000)

ap = argparse.ArgumentParser()
ap.add_argument('--start', type=float, required=True)
ap.add_argument('--count', type=int, required=True)
ap.add_argument('--step', type=float, default=3)
ap.add_argument('--containers', type=int, default=2)
ap.add_argument('--gap', action='append', default=[])
ap.add_argument('--alert', type=int, action='append', default=[])
ap.add_argument('--session', type=int, action='append', default=[])
ap.add_argument('--rates', action='store_true', help='block I/O rates too (all 7 container series)')
a = ap.parse_args()
gaps = [tuple(int(x) for x in g.split(':')) for g in a.gap]
out = sys.stdout
for i in range(a.count):
    if any(f <= i < t for f, t in gaps):
        continue
    t = a.start + i * a.step + ((i * 7) % 5 - 2) / 1000.0
    cs = []
    for n in range(a.containers):
        cs.append({"name": "c%d" % n, "status": "running", "cpu": n + (i % 10),
                   "memory": {"usage_bytes": (n + 1) * 1048576, "limit_bytes": 1 << 30,
                              "usage_percent": (n + 1) / 10.24},
                   "network": {"rx_bytes": i * 1000, "tx_bytes": i * 10,
                               "rx_bytes_per_s": 1000 + n, "tx_bytes_per_s": 10},
                   "block_io": {"read_bytes": 0, "write_bytes": 0}})
        if a.rates:
            cs[-1]["block_io"].update({"read_bytes_per_s": 4096 * n, "write_bytes_per_s": 512 * i})
    frame = {"type": "realtime_update", "timestamp": iso(t), "interval_ms": int(a.step * 1000),
             "data": {"metrics": {"performance": {"error_rate": (i % 10) / 100,
                                                  "average_response_time": 0.04},
                                  "resources": {"cpu_percent": i % 100, "memory_percent": 40,
                                                "disk_percent": 50},
                                  "rates": {"requests_per_second": 12, "errors_per_minute": 1},
                                  "error": None},
                      "containers": {"containers": cs,
                                     "aggregated": {"total_cpu_percent": sum(c["cpu"] for c in cs),
                                                    "total_memory_mb": 1, "total_memory_percent": 1,
                                                    "container_count": len(cs)}},
                      "sessions": {"active_count": i % 7, "total_count": 100}},
             "stale": []}
    out.write(json.dumps(frame, separators=(',', ':')) + '\n')
    if i in a.alert:
        out.write(json.dumps({"type": "system_alert", "id": "high_cpu-%d" % i, "timestamp": iso(t + 0.1),
                              "state": "firing",
                              "alerts": [{"id": "high_cpu-%d" % i, "level": "warning", "type": "high_cpu",
                                          "message": "CPU at %d%%" % (i % 100), "value": i % 100,
                                          "threshold": 80, "state": "firing"}]},
                             separators=(',', ':')) + '\n')
    if i in a.session:
        out.write(json.dumps({"type": "session_event", "event_type": "session_created",
                              "timestamp": iso(t + 0.2),
                              "data": {"current_count": i % 7, "previous_count": i % 7 - 1, "delta": 1}},
                             separators=(',', ':')) + '\n')
