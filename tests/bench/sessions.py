#!/usr/bin/env python3
"""tests/bench/sessions.py - kato-sessions against a real redis-server.

usage: sessions.py BIN REDIS_PORT RAW_DIR [--sessions N] [--rate R] [--seconds S]

With N live sessions (KATO's keys and values, written by the simulator's
own code), R sessions created and R ended per second for S seconds:
  - event latency: from just before the Redis write to the moment the
    event record is read from kato-sessions' stdout (p50, p99, max);
  - kato-sessions' CPU per event and its resident memory;
then, with keyspace notifications off, the SCAN fallback's cost per tick
(Redis's own time from INFO commandstats, and kato-sessions' CPU), and
the old backend's way for comparison: SCAN plus a GET of every key, per
page request.  Prints a Markdown table; raw figures to RAW_DIR.
"""

import argparse
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader(
    "katosim", os.path.join(HERE, "..", "..", "scripts", "kato-sim"))
spec = importlib.util.spec_from_loader("katosim", loader)
katosim = importlib.util.module_from_spec(spec)
loader.exec_module(katosim)


STAMP = """
import os, sys, time
buf = b""
while True:
    d = os.read(0, 65536)
    if not d:
        break
    t = time.time_ns()
    buf += d
    *lines, buf = buf.split(b"\\n")
    os.write(1, b"".join(b"%d %s\\n" % (t, l) for l in lines))
"""


def clk_tck():
    return os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / clk_tck()


def mem_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None


def fill(r, n):
    """n sessions as KATO writes them, pipelined."""
    now = time.time()
    ids = []
    for i in range(0, n, 500):
        for j in range(i, min(n, i + 500)):
            sid = katosim.new_session_id()
            node = "node-%d" % j
            v = katosim.kato_session_value(sid, node, now, now, 3600, 0)
            r.send("SETEX", katosim.SESSION_KEY + sid, 3600, v)
            r.send("SETEX", katosim.node_key(node), 3600, sid)
            ids.append((sid, node))
        for _ in range(2 * (min(n, i + 500) - i)):
            r.reply()
    return ids


def cmdstats(r):
    """usec spent per command, from INFO commandstats."""
    out = {}
    for line in r.cmd("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            f = dict(kv.split("=") for kv in rest.split(","))
            out[name] = (int(f["calls"]), int(f["usec"]))
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("port", type=int)
    ap.add_argument("raw")
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=20)
    a = ap.parse_args()
    url = "redis://127.0.0.1:%d" % a.port
    r = katosim.Resp(url)
    r.cmd("CONFIG", "SET", "notify-keyspace-events", "K$gx")
    r.cmd("FLUSHDB")
    # Redis' own CPU time (from /proc) beside INFO commandstats' usec: the
    # latter is the wall time of each command, which grows when the
    # machine's other work preempts Redis mid-command.
    redis_pid = int([l.split(":")[1] for l in r.cmd("INFO", "server").splitlines()
                     if l.startswith("process_id:")][0])
    live = fill(r, a.sessions)

    # --- notifications: latency, CPU, memory --------------------------------
    # kato-sessions' stdout is read and time-stamped by a process of its
    # own, so that the writes below never hold up the reading
    stamped = os.path.join(a.raw, "sessions.stamped")
    p = subprocess.Popen([os.path.join(a.bin, "kato-sessions"), "--redis", url,
                          "--interval", "1"], stdout=subprocess.PIPE,
                         stderr=open(os.path.join(a.raw, "sessions.err"), "w"))
    stamper = subprocess.Popen([sys.executable, "-c", STAMP], stdin=p.stdout,
                               stdout=open(stamped, "wb"))
    p.stdout.close()
    t0 = time.time()
    while b'"ok":true' not in open(stamped, "rb").read() and time.time() - t0 < 120:
        time.sleep(0.05)
    list_s = time.time() - t0
    rss_listed = mem_kb(p.pid, "VmRSS")
    cpu0 = cpu_s(p.pid)
    writes = {}
    w = katosim.Resp(url)
    period = 1.0 / a.rate
    start = time.time()
    k = 0
    now = time.time()
    while time.time() - start < a.seconds:
        due = start + k * period
        d = due - time.time()
        if d > 0:
            time.sleep(d)
        sid = katosim.new_session_id() + "%04d" % (k % 10000)
        node = "bench-%d" % k
        v = katosim.kato_session_value(sid, node, now, now, 3600, 0)
        t = time.time_ns()
        w.cmd("SETEX", katosim.SESSION_KEY + sid, 3600, v)
        w.cmd("SETEX", katosim.node_key(node), 3600, sid)
        writes[("session_created", sid)] = t
        old, onode = live.pop(0)
        t = time.time_ns()
        w.cmd("DEL", katosim.SESSION_KEY + old, katosim.node_key(onode))
        writes[("session_destroyed", old)] = t
        live.append((sid, node))
        k += 1
    def events():
        out = {}
        for line in open(stamped, "rb"):
            t, rec = line.split(b" ", 1)
            ev = json.loads(rec).get("event")
            if ev:
                out[(ev["event_type"], ev["session_id"])] = int(t)
        return out
    end = time.time() + 10
    seen = events()
    while time.time() < end and not all(key in seen for key in writes):
        time.sleep(0.2)
        seen = events()
    cpu1 = cpu_s(p.pid)
    lat = [(seen[key] - t) / 1e6 for key, t in writes.items() if key in seen]
    missing = sum(1 for key in writes if key not in seen)
    rss = mem_kb(p.pid, "VmRSS")
    hwm = mem_kb(p.pid, "VmHWM")
    pss = pss_kb(p.pid)
    p.terminate()
    p.wait()
    stamper.wait()

    # --- notifications off: the SCAN fallback per tick -----------------------
    r.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    ticks = 10
    p = subprocess.Popen([os.path.join(a.bin, "kato-sessions"), "--redis", url,
                          "--interval", "0.5"], stdout=subprocess.PIPE,
                         stderr=open(os.path.join(a.raw, "sessions-scan.err"), "w"))
    n_ok = 0
    for line in p.stdout:  # the first list, then measure whole ticks
        if b'"ok":true' in line:
            break
    cs0 = cmdstats(r)
    c0 = cpu_s(p.pid)
    rc0 = cpu_s(redis_pid)
    for line in p.stdout:
        if b'"ok":true' in line:
            n_ok += 1
            if n_ok == ticks:
                break
    rc1 = cpu_s(redis_pid)
    c1 = cpu_s(p.pid)
    cs1 = cmdstats(r)
    p.terminate()
    p.wait()
    scan_usec = sum(cs1[c][1] - cs0.get(c, (0, 0))[1]
                    for c in ("scan", "pttl", "getrange") if c in cs1)
    scan_calls = {c: cs1[c][0] - cs0.get(c, (0, 0))[0]
                  for c in ("scan", "pttl", "getrange") if c in cs1}
    scan_usec_by = {c: (cs1[c][1] - cs0.get(c, (0, 0))[1]) / ticks
                    for c in ("scan", "pttl", "getrange") if c in cs1}

    # --- the old backend's way: SCAN + GET every key, per page request -------
    cs0 = cmdstats(r)
    t = time.time()
    reqs = 3
    for _ in range(reqs):
        cursor = "0"
        while True:
            cursor, keys = r.cmd("SCAN", cursor, "MATCH", "kato:session:*", "COUNT", 1000)
            for key in keys:
                r.cmd("GET", key)
            if cursor == "0":
                break
    old_wall = (time.time() - t) / reqs
    cs1 = cmdstats(r)
    old_usec = sum(cs1[c][1] - cs0.get(c, (0, 0))[1] for c in ("scan", "get")) / reqs

    res = {
        "sessions": a.sessions, "rate": a.rate, "seconds": a.seconds,
        "first_list_s": list_s, "events": len(writes), "missing": missing,
        "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat),
        "cpu_s": cpu1 - cpu0, "cpu_us_per_event": (cpu1 - cpu0) / max(1, len(writes)) * 1e6,
        "rss_kb": rss, "hwm_kb": hwm, "pss_kb": pss, "rss_listed_kb": rss_listed,
        "scan_redis_ms_per_tick": scan_usec / 1000.0 / ticks,
        "scan_calls_per_tick": {c: n / ticks for c, n in scan_calls.items()},
        "scan_redis_usec_per_tick_by_command": scan_usec_by,
        "scan_cpu_ms_per_tick": (c1 - c0) * 1000 / ticks,
        "scan_redis_cpu_ms_per_tick": (rc1 - rc0) * 1000 / ticks,
        "load_average": os.getloadavg(),
        "old_redis_ms_per_request": old_usec / 1000.0,
        "old_wall_ms_per_request": old_wall * 1000,
    }
    with open(os.path.join(a.raw, "sessions.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("| measure | figure | target |")
    print("| --- | --- | --- |")
    print("| event latency, Redis write to record read (%d events, %d/s created + %d/s ended, %d live) | p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d missing | p99 < 20 ms |"
          % (len(writes), a.rate, a.rate, a.sessions, res["p50_ms"], res["p99_ms"], res["max_ms"], missing))
    print("| CPU of kato-sessions per event (notification, GETRANGE+PTTL, two records) | %.0f µs | |" % res["cpu_us_per_event"])
    print("| resident memory with %d sessions | %.1f MB RSS (peak %.1f MB), %.1f MB PSS | < 10 MB |"
          % (a.sessions, rss / 1024, hwm / 1024, (pss or 0) / 1024))
    print("| first list of %d sessions (SCAN, GETRANGE+PTTL pipelined) | %.2f s | |" % (a.sessions, list_s))
    print("| SCAN fallback per tick, %d sessions, no changes: Redis time | %.1f ms (%s) | < 50 ms |"
          % (a.sessions, res["scan_redis_ms_per_tick"],
             ", ".join("%d %s: %.1f ms" % (n, c.upper(), scan_usec_by[c] / 1000)
                       for c, n in res["scan_calls_per_tick"].items())))
    print("| SCAN fallback per tick: Redis CPU time (/proc) | %.1f ms | < 50 ms |" % res["scan_redis_cpu_ms_per_tick"])
    print("| SCAN fallback per tick: CPU of kato-sessions | %.1f ms | |" % res["scan_cpu_ms_per_tick"])
    print("| load average while measured | %.1f %.1f %.1f | |" % tuple(res["load_average"]))
    print("| old backend's way, per page request: SCAN + GET of every key | Redis %.1f ms, wall %.0f ms | |"
          % (res["old_redis_ms_per_request"], res["old_wall_ms_per_request"]))


if __name__ == "__main__":
    sys.exit(main())
