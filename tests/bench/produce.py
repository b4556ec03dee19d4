#!/usr/bin/python3
"""produce.py - benchmark frame producer (kato-live tests/bench).

Writes realistic realtime_update frames (about 3 KB, the shape kato-merge
writes, see man/kato-live.7) to stdout at --rate frames per second, on a
drift-free schedule, until it is stopped (SIGTERM/SIGINT) or stdout closes.

Every frame carries
    "bench_seq": sequence number from 0
    "bench_t":   CLOCK_MONOTONIC nanoseconds taken just before the write
and one line "<seq> <bench_t>" per frame goes to --log, so the load client
(wsload) can tell which frames were sent in its window and which never
arrived.

stdout is non-blocking: a frame the consumer has no room for (the pipe is
full because it stopped reading) is not written, is still logged as sent
(it left the producer on time; the consumer lost it), and is counted in
the summary on stderr.  Frames stay under PIPE_BUF (4096 bytes), so a pipe
write is all or nothing.

SIGUSR1 starts a burst: --burst-seconds at --burst-rate frames per second
(used to fill a stuck client's buffers before a measurement), then back
to --rate.

Usage: produce.py --log FILE [--rate 10] [--size 3000]
                  [--burst-rate 500] [--burst-seconds 4]
"""
import argparse
import errno
import json
import os
import random
import signal
import sys
import time

PIPE_BUF = 4096


def template(size):
    """A realtime_update frame as kato-merge writes it, with %-slots."""
    now = "2026-11-25T21:00:00.000Z"
    metrics = {
        "timestamp": 1764104400.0,
        "sessions": {"total_created": 1523, "total_deleted": 1411,
                     "active": 112, "operations_total": 98231},
        "performance": {"total_requests": 482113, "total_errors": 211,
                        "error_rate": 0.00043, "average_response_time": 0.0123},
        "resources": {"cpu_percent": 23.5, "memory_percent": 41.2,
                      "disk_percent": 57.9},
        "databases": {"clickhouse": {"status": "healthy", "latency_ms": 1.9},
                      "qdrant": {"status": "healthy", "latency_ms": 2.4},
                      "redis": {"status": "healthy", "latency_ms": 0.3}},
        "rates": {"requests_per_second": 41.7, "requests_per_minute": 2502.0,
                  "errors_per_minute": 0.4},
        "processor_manager": {"active_processors": 112, "max_processors": 1000,
                              "eviction_ttl_seconds": 3600},
        "uptime_seconds": 86400.5, "active_sessions": 112, "error": None,
    }
    health = {"status": "healthy", "processor_status": "ok",
              "service_name": "kato", "uptime_seconds": 86400.5, "issues": [],
              "metrics_collected": 28800, "last_collection": 1764104399.0,
              "active_sessions": 112, "timestamp": 1764104400.0}
    containers = []
    for name in ("kato", "kato-clickhouse", "kato-qdrant", "kato-redis"):
        containers.append({
            "name": name, "id": "%012x" % random.getrandbits(48),
            "status": "running", "cpu": 3.25,
            "memory": {"usage_bytes": 268435456, "limit_bytes": 2147483648,
                       "usage_mb": 256.0, "limit_mb": 2048.0,
                       "usage_percent": 12.5},
            "network": {"rx_bytes": 123456789, "tx_bytes": 98765432,
                        "rx_mb": 117.74, "tx_mb": 94.19},
            "block_io": {"read_bytes": 4567890, "write_bytes": 1234567,
                         "read_mb": 4.36, "write_mb": 1.18},
            "timestamp": now})
    frame = {
        "type": "realtime_update", "bench_seq": 0, "bench_t": 0,
        "timestamp": now, "interval_ms": 100,
        "data": {"metrics": metrics, "health": health,
                 "containers": {"containers": containers,
                                "aggregated": {"total_cpu_percent": 13.0,
                                               "total_memory_mb": 1024.0,
                                               "total_memory_limit_mb": 8192.0,
                                               "total_memory_percent": 12.5,
                                               "container_count": 4,
                                               "timestamp": now}},
                 "sessions": {"active_count": 112, "total_count": 1523}},
        "stale": [],
        "sources": {"kato-metrics": {"ok": True, "ts": now, "age_ms": 812},
                    "docker-stats": {"ok": True, "ts": now, "age_ms": 403},
                    "session-summary": {"ok": True, "ts": now, "age_ms": 97}},
    }
    text = json.dumps(frame, separators=(",", ":"))
    text = text.replace('"bench_seq":0,"bench_t":0', '"bench_seq":%d,"bench_t":%d')
    text = text.replace('"timestamp":"%s","interval_ms"' % now,
                        '"timestamp":"%s","interval_ms"')
    pad = size - len(text) - 60
    if pad > 0:  # a longer issues list stands in for a bigger payload
        text = text.replace('"issues":[]', '"issues":["%s"]' % ("x" * pad), 1)
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--burst-rate", type=float, default=500.0)
    ap.add_argument("--burst-seconds", type=float, default=4.0)
    a = ap.parse_args()
    if not 0 < a.rate <= 1000 or not 0 < a.burst_rate <= 5000 or not 500 <= a.size <= PIPE_BUF - 100:
        sys.exit("produce.py: --rate must be in (0, 1000] and --size in "
                 "[500, %d]" % (PIPE_BUF - 100))
    tmpl = template(a.size)
    log = open(a.log, "w", buffering=1)
    out = sys.stdout.fileno()
    os.set_blocking(out, False)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    burst = []
    signal.signal(signal.SIGUSR1, lambda *_: burst.append(1))
    period = int(1e9 / a.rate)
    start = time.monotonic_ns()
    seq = dropped = k = 0
    burst_end = 0
    while not stop:
        if burst:  # a new schedule at the burst rate, then the normal one
            burst.clear()
            period = int(1e9 / a.burst_rate)
            start, k = time.monotonic_ns(), 0
            burst_end = start + int(a.burst_seconds * 1e9)
        elif burst_end and time.monotonic_ns() >= burst_end:
            period = int(1e9 / a.rate)
            start, k, burst_end = time.monotonic_ns(), 0, 0
        due = start + k * period
        wait = due - time.monotonic_ns()
        if wait > 0:
            time.sleep(wait / 1e9)
            if stop:
                break
        wall = time.time()
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wall)) + \
            ".%03dZ" % (int(wall * 1000) % 1000)
        t = time.monotonic_ns()
        data = (tmpl % (seq, t, iso) + "\n").encode()
        try:
            os.write(out, data)
        except BlockingIOError:
            dropped += 1
        except BrokenPipeError:
            break
        log.write("%d %d\n" % (seq, t))
        seq += 1
        k += 1
    print("produce.py: %d frames, %d not taken by the consumer (pipe full)"
          % (seq, dropped), file=sys.stderr)


if __name__ == "__main__":
    main()
