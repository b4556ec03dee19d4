#!/usr/bin/env bash
# tests/bench/stream.sh - Redis Streams between machines (kato-stream).
#
# A redis-server of its own on a free loopback port; produce.py's ~3 KB
# frames at BENCH_STREAM_RATE per second into `kato-stream put`; 1, 2 and
# 4 "web nodes", each a `kato-stream get` feeding tests/bench/streamrecv.py,
# for BENCH_STREAM_SECONDS each.  Per run:
#   * Redis' own time per frame: XADD's usec_per_call, and XREAD's total
#     usec divided by frames and by nodes (INFO commandstats, reset before
#     the window);
#   * CPU of each web node's kato-stream get per frame (run time from
#     /proc/PID/schedstat);
#   * latency from the producer's write to a node's read of the line
#     (p50/p99/max, the worst node), and frames lost or doubled;
# then the memory Redis holds for the default bound (2400 entries of ~3 KB:
# two hours of 3-second frames), from MEMORY USAGE and used_memory.
# Figures as a Markdown table on stdout; raw results in build/bench/stream/.
set -u
cd "$(dirname "$0")/../.." || exit 111
top=$PWD
bin=${KL_BIN:-$top/bin}
rate=${BENCH_STREAM_RATE:-50}
secs=${BENCH_STREAM_SECONDS:-10}
out=$top/build/bench/stream
rm -rf "$out"
mkdir -p "$out"
[ -x "$bin/kato-stream" ] || { echo "stream.sh: $bin/kato-stream missing (make)" >&2; exit 111; }
command -v redis-server >/dev/null || { echo "stream.sh: redis-server missing" >&2; exit 111; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
redis-server --port "$port" --bind 127.0.0.1 --daemonize no --save '' \
	--appendonly no --dir "$out" --logfile "$out/redis.log" &
pids+=($!)
rcli() { redis-cli -p "$port" "$@"; }
for _ in $(seq 100); do rcli PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done
url=redis://127.0.0.1:$port

stat_usec() { # stat_usec CMD: total usec of a command since the reset
	rcli INFO commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),usec=\([0-9]*\),.*/\1 \2/p"
}
runtime_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

echo "| web nodes | frames/s | Redis XADD µs/frame | Redis XREAD µs/frame/node | get CPU µs/frame (mean of nodes) | p50 ms | p99 ms | max ms | lost / doubled |"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for nodes in 1 2 4; do
	key=bench-$nodes
	gets=() recvs=()
	for i in $(seq "$nodes"); do
		mkfifo "$out/pipe-$nodes-$i"
		python3 tests/bench/streamrecv.py --out "$out/recv-$nodes-$i.json" <"$out/pipe-$nodes-$i" &
		recvs+=($!) pids+=($!)
		"$bin/kato-stream" get --url "$url" "$key" >"$out/pipe-$nodes-$i" 2>>"$out/get.err" &
		gets+=($!) pids+=($!)
	done
	for _ in $(seq 200); do
		[ "$(rcli CLIENT LIST | grep -c cmd=xread)" -ge "$nodes" ] && break
		sleep 0.05
	done
	rcli CONFIG RESETSTAT >/dev/null
	declare -A cpu0=()
	for g in "${gets[@]}"; do cpu0[$g]=$(runtime_ns "$g"); done
	timeout -s TERM "$secs" python3 tests/bench/produce.py --rate "$rate" --log "$out/sent-$nodes.log" \
		2>>"$out/produce.err" | "$bin/kato-stream" put --url "$url" "$key" 2>>"$out/put.err"
	sent=$(wc -l <"$out/sent-$nodes.log")
	# wait until every node has every frame (or 5 s)
	for _ in $(seq 100); do
		[ "$(rcli XLEN "$key")" -ge "$sent" ] || break
		sleep 0.05
	done
	sleep 0.5
	cpu=0
	for g in "${gets[@]}"; do cpu=$((cpu + $(runtime_ns "$g") - ${cpu0[$g]})); done
	read -r _ xadd_us < <(stat_usec xadd)
	read -r _ xread_us < <(stat_usec xread)
	for g in "${gets[@]}"; do kill -TERM "$g"; wait "$g" 2>/dev/null; done
	for r in "${recvs[@]}"; do wait "$r" 2>/dev/null; done
	frames=$(rcli XLEN "$key")
	python3 - "$nodes" "$rate" "$frames" "${xadd_us:-0}" "${xread_us:-0}" "$cpu" "$out" <<'PY'
import json, sys
nodes, rate, frames, xadd, xread, cpu, out = sys.argv[1:]
nodes, frames = int(nodes), int(frames)
rs = [json.load(open(f"{out}/recv-{nodes}-{i}.json")) for i in range(1, nodes + 1)]
worst = lambda k: max((r[k] or 0) for r in rs)
lost = sum(frames - r["frames"] for r in rs)
dups = sum(r["dups"] for r in rs)
print(f"| {nodes} | {rate} | {int(xadd)/frames:.1f} | {int(xread)/frames/nodes:.1f} | "
      f"{int(cpu)/1000/frames/nodes:.0f} | {worst('p50_ms'):.2f} | {worst('p99_ms'):.2f} | "
      f"{worst('max_ms'):.2f} | {lost} / {dups} |")
PY
done

# Memory for the default bound: 2400 entries of ~3 KB.
rcli FLUSHALL >/dev/null
m0=$(rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p')
python3 - <<'PY' | "$bin/kato-stream" put --url "$url" bench-memory 2>>"$out/put.err"
import json
body = "x" * 2900
for i in range(3000):
    print(json.dumps({"type": "realtime_update", "bench_seq": i, "pad": body}, separators=(",", ":")))
PY
m1=$(rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p')
n=$(rcli XLEN bench-memory)
mu=$(rcli MEMORY USAGE bench-memory SAMPLES 0)
echo
echo "Redis memory at the default bound (MAXLEN ~ 2400, 3000 frames of ~3 KB put): $n entries kept, MEMORY USAGE $((mu / 1024)) KiB, used_memory grew $(((m1 - m0) / 1024)) KiB."

# An hour of frames at the default bound: 1200 frames, one per 3 s, of the
# recorded-style fixture (four containers) with its timestamp and figures
# changing as they do live; then on past the bound (3000 in all).
rcli FLUSHALL >/dev/null
hour_frames() { # hour_frames FIRST COUNT
	python3 - "$1" "$2" tests/fixtures/frames/base.json <<'PY'
import json, sys, random, datetime as dt
first, count, fixture = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = json.load(open(fixture))
t0 = dt.datetime(2026, 11, 25, 18, 45, tzinfo=dt.timezone.utc)
rnd = random.Random(first)
for i in range(first, first + count):
    f = json.loads(json.dumps(base))
    f["timestamp"] = (t0 + dt.timedelta(seconds=3 * i)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for c in f["data"]["containers"]["containers"]:
        c["cpu"] = round(rnd.uniform(0, 90), 2)
        c["memory"]["usage_bytes"] = rnd.randrange(50_000_000, 900_000_000)
    f["data"]["containers"]["aggregated"]["total_cpu_percent"] = round(rnd.uniform(0, 200), 2)
    print(json.dumps(f, separators=(",", ":")))
PY
}
fbytes=$(hour_frames 0 1 | wc -c)
hour_frames 0 1200 | "$bin/kato-stream" put --url "$url" bench-hour 2>>"$out/put.err"
n1=$(rcli XLEN bench-hour)
mu1=$(rcli MEMORY USAGE bench-hour SAMPLES 0)
hour_frames 1200 1800 | "$bin/kato-stream" put --url "$url" bench-hour 2>>"$out/put.err"
n2=$(rcli XLEN bench-hour)
mu2=$(rcli MEMORY USAGE bench-hour SAMPLES 0)
echo
echo "Redis memory for an hour of frames ($fbytes-byte frames, 4 containers, one per 3 s): $n1 entries, MEMORY USAGE $((mu1 / 1024)) KiB ($((mu1 / n1)) bytes an entry); past the default bound (3000 put): $n2 entries kept, $((mu2 / 1024)) KiB."
