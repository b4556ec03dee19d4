#!/usr/bin/python3
"""procmon.py - CPU and memory of server processes, for tests/bench.

  procmon.py snap PID...            JSON snapshot on stdout of each PID and
                                    all its descendants: comm, ppid, start
                                    time, CPU ticks (utime+stime from
                                    /proc/PID/stat), RSS and PSS in KiB
                                    (/proc/PID/smaps_rollup)
  procmon.py cpu A.json B.json      CPU used between two snapshots, per
                                    command name and in total, as seconds
                                    and as percent of one core: from
                                    utime+stime (whole ticks) and from
                                    /proc/PID/schedstat (ns)
  procmon.py grow A.json B.json     per-process RSS/PSS growth from A to B
                                    (same PID and start time): the largest
  procmon.py mem A.json [IDLE.json] [--per N]
                                    memory per command name (count, total
                                    and mean RSS/PSS); with IDLE, the growth
                                    of each name since IDLE; with --per N,
                                    growth divided by N connections

A value that cannot be read is null, never 0.
"""
import json
import os
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def one(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    # fields after comm: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22)
    r = {"pid": pid, "comm": comm, "ppid": int(rest[1]),
         "ticks": int(rest[11]) + int(rest[12]), "start": int(rest[19]),
         "sched_ns": None, "rss_kb": None, "pss_kb": None}
    try:  # run time in ns of every thread (websocketd is a Go program),
        # precise where /proc/PID/stat counts whole ticks
        ns = 0
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                ns += int(f.read().split()[0])
        r["sched_ns"] = ns
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k == "Rss":
                    r["rss_kb"] = int(v.split()[0])
                elif k == "Pss":
                    r["pss_kb"] = int(v.split()[0])
    except OSError:
        pass
    return r


def snap(pids):
    seen, todo, procs = set(), list(pids), []
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = one(p)
        if r:
            procs.append(r)
            todo += children(p)
    return {"t": time.monotonic(), "procs": procs}


def load(path):
    with open(path) as f:
        return json.load(f)


def cpu(a, b):
    """utime+stime (whole clock ticks, as /proc/PID/stat counts them) and,
    where the kernel has it, schedstat run time in ns."""
    before = {(p["pid"], p["start"]): p for p in a["procs"]}
    dt = b["t"] - a["t"]
    by, by_ns, ns_ok = {}, {}, True
    for p in b["procs"]:
        q = before.get((p["pid"], p["start"]))
        by[p["comm"]] = by.get(p["comm"], 0) + p["ticks"] - (q["ticks"] if q else 0)
        if p["sched_ns"] is None or (q and q["sched_ns"] is None):
            ns_ok = False
        else:
            by_ns[p["comm"]] = by_ns.get(p["comm"], 0) + p["sched_ns"] - \
                (q["sched_ns"] if q else 0)
    total = sum(by.values())
    total_ns = sum(by_ns.values()) if ns_ok else None
    return {"seconds": round(dt, 3),
            "cpu_s": {k: v / TCK for k, v in by.items()},
            "total_cpu_s": total / TCK,
            "total_percent": round(100.0 * total / TCK / dt, 2) if dt > 0 else None,
            "sched_cpu_s": {k: round(v / 1e9, 4) for k, v in by_ns.items()}
            if ns_ok else None,
            "sched_total_percent": round(100.0 * total_ns / 1e9 / dt, 2)
            if ns_ok and dt > 0 else None}


def group(s):
    g = {}
    for p in s["procs"]:
        e = g.setdefault(p["comm"], {"count": 0, "rss_kb": 0, "pss_kb": 0})
        e["count"] += 1
        for k in ("rss_kb", "pss_kb"):
            if e[k] is None or p[k] is None:
                e[k] = None
            else:
                e[k] += p[k]
    for e in g.values():
        for k in ("rss_kb", "pss_kb"):
            e["mean_" + k] = round(e[k] / e["count"], 1) if e[k] is not None else None
    return g


def mem(a, idle=None, per=None):
    g = group(a)
    out = {"by_comm": g}
    if idle:
        gi = group(idle)
        growth = {}
        for k, e in g.items():
            i = gi.get(k)
            growth[k] = {}
            for f in ("rss_kb", "pss_kb"):
                if e[f] is None or (i and i[f] is None):
                    growth[k][f] = None
                    continue
                d = e[f] - (i[f] if i else 0)
                growth[k][f] = d
                if per:
                    growth[k][f + "_per_conn"] = round(d / per, 1)
        out["growth"] = growth
    # the biggest single process, to spot one that grows alone
    big = max(a["procs"], key=lambda p: p["rss_kb"] or 0, default=None)
    if big:
        out["largest"] = {k: big[k] for k in ("pid", "comm", "rss_kb", "pss_kb")}
    return out


def grow(a, b):
    before = {(p["pid"], p["start"]): p for p in a["procs"]}
    worst = None
    for p in b["procs"]:
        q = before.get((p["pid"], p["start"]))
        if not q or p["rss_kb"] is None or q["rss_kb"] is None:
            continue
        d = {"pid": p["pid"], "comm": p["comm"],
             "rss_kb_before": q["rss_kb"], "rss_kb_after": p["rss_kb"],
             "rss_kb_growth": p["rss_kb"] - q["rss_kb"],
             "pss_kb_growth": (p["pss_kb"] - q["pss_kb"])
             if None not in (p["pss_kb"], q["pss_kb"]) else None}
        if worst is None or d["rss_kb_growth"] > worst["rss_kb_growth"]:
            worst = d
    return {"seconds": round(b["t"] - a["t"], 3), "largest_growth": worst}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: procmon.py snap PID... | cpu A B | mem A [IDLE] [--per N]")
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "snap":
        r = snap([int(x) for x in args])
    elif cmd == "cpu" and len(args) == 2:
        r = cpu(load(args[0]), load(args[1]))
    elif cmd == "grow" and len(args) == 2:
        r = grow(load(args[0]), load(args[1]))
    elif cmd == "mem" and args:
        per = None
        if "--per" in args:
            i = args.index("--per")
            per = int(args[i + 1])
            del args[i:i + 2]
        r = mem(load(args[0]), load(args[1]) if len(args) > 1 else None, per)
    else:
        sys.exit("procmon.py: unknown command %s" % cmd)
    json.dump(r, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
