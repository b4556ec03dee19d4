#!/usr/bin/python3
"""tests/bench/prometheus.py - one Prometheus scrape of a 50-container frame.

Feeds a kato-hub one realtime_update frame with N containers (default 50,
KL_BENCH_CONTAINERS), an active_alerts message, and serves /metrics through
a real websocketd --cgidir with the CGI tree scripts/kato-live writes.
Then measures:
  through websocketd   wall time per GET /metrics (p50, p99, max) over
                       KL_BENCH_SCRAPES requests one after another, and the
                       CPU per scrape of the CGI child (websocketd's
                       cutime+cstime: kato-snapshot, exec'd by its wrapper),
                       of websocketd itself and of kato-hub (/proc/PID/stat)
  kato-snapshot alone  the same CGI request run directly, its CPU from
                       wait4's rusage (exact, per process), beside the CPU
                       of exec'ing /bin/true, of kato-snapshot --help, and
                       of its JSON container-stats route (p50 each)
Prints a Markdown table for README.md; raw figures go to
build/bench/prometheus/.  Target (issue 16): < 10 ms wall, < 2 ms CPU.
The frame's interval_ms is long so that it stays fresh (a stale frame's
values are left out, which would make the exposition smaller).
"""
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("KL_BIN", os.path.join(TOP, "bin"))
N = int(os.environ.get("KL_BENCH_CONTAINERS", "50"))
SCRAPES = int(os.environ.get("KL_BENCH_SCRAPES", "300"))
OUT = os.path.join(TOP, "build", "bench", "prometheus")
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def iso_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def stat_ticks(pid):
    """(own utime+stime, waited-for children's cutime+cstime) in ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3): utime is field 14
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def frame(n):
    with open(os.path.join(TOP, "tests", "fixtures", "frames", "base.json")) as f:
        fr = json.load(f)
    ts = iso_now()
    proto = fr["data"]["containers"]["containers"][0]
    cs = []
    for i in range(n):
        c = json.loads(json.dumps(proto))
        c["name"] = "kato-bench-%02d" % i
        c["cpu"] = round(0.37 * i + 0.5, 2)
        c["memory"]["usage_bytes"] = 1048576 * (i + 1)
        c["network"]["rx_bytes"] = 1000003 * i
        c["timestamp"] = ts
        cs.append(c)
    fr["data"]["containers"]["containers"] = cs
    fr["data"]["containers"]["aggregated"]["container_count"] = n
    fr["timestamp"] = ts
    fr["interval_ms"] = 3600 * 1000
    for s in fr["sources"].values():
        s["ts"] = ts
    fr["pipeline"] = {"merge": {"started_at": ts, "records_total": 1000,
                                "bad_lines_total": 0, "frames_total": 300,
                                "tick_late_ms": 0.2}}
    fr["data"]["thresholds"] = {"cpu_percent": 80, "memory_percent": 85,
                                "error_rate": 0.05}
    return json.dumps(fr, separators=(",", ":"))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    for tool in ("kato-hub", "kato-snapshot"):
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            print("prometheus.py: %s/%s missing: run make" % (BIN, tool), file=sys.stderr)
            return 111
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    procs = []
    try:
        sock = os.path.join(tmp, "hub.sock")
        hub = subprocess.Popen([os.path.join(BIN, "kato-hub"), "--socket", sock],
                               stdin=subprocess.PIPE, stderr=open(os.path.join(OUT, "hub.err"), "w"))
        procs.append(hub)
        fr = frame(N)
        hub.stdin.write(fr.encode() + b"\n")
        hub.stdin.write(json.dumps({"type": "active_alerts", "timestamp": iso_now(), "alerts": [
            {"level": "warning", "type": "high_cpu", "container": "kato-bench-49",
             "value": 91.0, "threshold": 80}]}).encode() + b"\n")
        hub.stdin.flush()
        cgi = os.path.join(tmp, "cgi")
        env = dict(os.environ, KATO_LIVE_ENV_FILE="")
        subprocess.run([os.path.join(TOP, "scripts", "kato-live"), "--cgi-tree", cgi,
                        "--bin", BIN, "--socket", sock], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        port = free_port()
        ws = subprocess.Popen(["websocketd", "--address", "127.0.0.1", "--port", str(port),
                               "--maxforks", "10", "--cgidir", cgi, "/bin/cat"],
                              stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(OUT, "websocketd.err"), "w"))
        procs.append(ws)
        deadline = time.monotonic() + 20
        body = b""
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/metrics")
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200 and b"kato_live_container_cpu_percent" in body:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            print("prometheus.py: /metrics never answered with the frame", file=sys.stderr)
            return 111
        with open(os.path.join(OUT, "metrics.txt"), "wb") as f:
            f.write(body)

        for _ in range(20):  # warm the page cache and websocketd
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/metrics")
            c.getresponse().read()
            c.close()

        ws0, hub0 = stat_ticks(ws.pid), stat_ticks(hub.pid)
        walls = []
        t0 = time.monotonic()
        for _ in range(SCRAPES):
            a = time.perf_counter()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/metrics")
            r = c.getresponse()
            r.read()
            c.close()
            walls.append((time.perf_counter() - a) * 1000)
            if r.status != 200:
                print("prometheus.py: status %d" % r.status, file=sys.stderr)
                return 1
        elapsed = time.monotonic() - t0
        ws1, hub1 = stat_ticks(ws.pid), stat_ticks(hub.pid)
        per = lambda a, b: (b - a) * 1000.0 / HZ / SCRAPES
        child_ms = per(ws0[1], ws1[1])
        ws_ms = per(ws0[0], ws1[0])
        hub_ms = per(hub0[0], hub1[0])

        # kato-snapshot alone, as websocketd runs it: exact rusage; beside
        # it, what any exec costs here (/bin/true), kato-snapshot doing
        # nothing (--help: exec and dynamic linking), and its JSON route
        # for the same 50 containers
        cenv = {"PATH": "/usr/bin:/bin", "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/",
                "PATH_INFO": "/metrics", "QUERY_STRING": "",
                "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
        snap = os.path.join(BIN, "kato-snapshot")

        def cpu_of(argv, env):
            v = []
            for _ in range(SCRAPES):
                p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
                _, status, ru = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                v.append((ru.ru_utime + ru.ru_stime) * 1000)
            return v
        cpus = cpu_of([snap, "--socket", sock], cenv)
        floor_true = cpu_of(["/bin/true"], cenv)
        floor_help = cpu_of([snap, "--help"], cenv)
        jenv = dict(cenv, PATH_INFO="/api/v1/system/container-stats")
        json_route = cpu_of([snap, "--socket", sock], jenv)

        res = {
            "containers": N, "scrapes": SCRAPES, "bytes": len(body),
            "series": sum(1 for l in body.split(b"\n") if l and not l.startswith(b"#")),
            "wall_ms": {"p50": pct(walls, 50), "p99": pct(walls, 99), "max": max(walls),
                        "mean": statistics.mean(walls)},
            "scrapes_per_s": SCRAPES / elapsed,
            "cgi_child_cpu_ms": child_ms, "websocketd_cpu_ms": ws_ms, "hub_cpu_ms": hub_ms,
            "snapshot_cpu_ms": {"p50": pct(cpus, 50), "p99": pct(cpus, 99),
                                "mean": statistics.mean(cpus)},
            "floor_true_cpu_ms": pct(floor_true, 50),
            "floor_help_cpu_ms": pct(floor_help, 50),
            "json_route_cpu_ms": pct(json_route, 50),
        }
        with open(os.path.join(OUT, "result.json"), "w") as f:
            json.dump(res, f, indent=1)
        w = res["wall_ms"]
        s = res["snapshot_cpu_ms"]
        print("| measure (%d containers, %d series, %d bytes; %d scrapes) | figure | target |"
              % (N, res["series"], res["bytes"], SCRAPES))
        print("| --- | --- | --- |")
        print("| GET /metrics through websocketd, wall | p50 %.2f ms, p99 %.2f ms, max %.2f ms | < 10 ms |"
              % (w["p50"], w["p99"], w["max"]))
        print("| kato-snapshot's CPU per scrape (wait4 rusage) | p50 %.2f ms, p99 %.2f ms | < 2 ms |"
              % (s["p50"], s["p99"]))
        print("| the CGI child's CPU per scrape under websocketd (cutime) | %.2f ms | |" % child_ms)
        print("| websocketd's own CPU per scrape | %.2f ms | |" % ws_ms)
        print("| kato-hub's CPU per scrape (snap + stats) | %.2f ms | |" % hub_ms)
        print("| for scale: CPU of exec'ing /bin/true; kato-snapshot --help; its JSON container-stats route | %.2f ms; %.2f ms; %.2f ms | |"
              % (res["floor_true_cpu_ms"], res["floor_help_cpu_ms"], res["json_route_cpu_ms"]))
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
