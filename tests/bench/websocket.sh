#!/usr/bin/env bash
# tests/bench/websocket.sh - WebSocket delivery benchmark.
#
# kato-live (producer -> kato-hub -> kato-sub under a real websocketd)
# against the old backend's design (one asyncio `websockets` process that
# sends each frame to every client in turn, tests/bench/pybcast.py), in the
# same run, on 127.0.0.1 ports chosen free at run time:
#
#   * 10, 100, 1000 clients (tests/bench/wsload.c, one epoll thread) while
#     tests/bench/produce.py writes ~3 KB realtime_update frames at 10/s,
#     each stamped with its sequence number and CLOCK_MONOTONIC send time:
#     delivery latency p50/p99/max, frames lost, server CPU (of websocketd
#     + every kato-sub + kato-hub, or of the Python process: utime+stime
#     from /proc/PID/stat, and the run time of every thread from
#     /proc/PID/task/TID/schedstat, which is precise where stat counts
#     whole 10 ms ticks and misses short bursts), memory per connection
#     (RSS and PSS from /proc/PID/smaps_rollup);
#   * the floor under any design that uses websocketd (server "floor",
#     tests/bench/floorhub.c and floorsub.c): a hub that writes each frame
#     straight into every connection's websocketd pipe, passed to it by a
#     static child that does nothing else; what is left is websocketd's
#     and the kernel's own cost;
#   * the same with one stuck client (handshake done, tiny SO_RCVBUF, never
#     reads) connected alone for BENCH_PREFILL seconds first, the first half
#     of them with the producer bursting at 500 frames/s so the buffers
#     between it and the server are full (loopback TCP alone buffers ~4 MB:
#     two minutes at 10 frames/s), and the largest per-process memory
#     growth while it stays stuck;
#   * kato-live with WEBSOCKET_CONTAINER_STATS=false and every other client
#     subscribed to metrics only (server "kato-live-sets", BENCH_SETS=1):
#     two topic sets, so two views of each frame for all the clients; the
#     hub's own count of them (its hub_stats line) goes in the results;
#   * kato-merge's tick jitter at a 100 ms interval (tests/bench/tickjitter.py);
#   * a remote web node (server "remote", in BENCH_SERVERS): the frames go
#     through Redis first, as between machines (produce.py | kato-stream
#     put -> a redis-server of its own -> kato-stream get | kato-hub, then
#     kato-sub under websocketd as above): the latency is the producer's
#     write (where kato-alerts would write) to the client's read, the
#     server CPU that of the web node (get, hub, websocketd, every kato-sub).
#
# Settings (environment):
#   BENCH_CLIENTS="10 100 1000"  client counts
#   BENCH_SECONDS=10             measured window per run
#   BENCH_RATE=10                frames per second
#   BENCH_FRAME_SIZE=3000        bytes per frame (500..3996)
#   BENCH_STUCK_CLIENTS=100      clients in the stuck-client runs (0: skip)
#   BENCH_STUCK_SECONDS=20       measured window of the stuck-client runs
#   BENCH_PREFILL=8              seconds the stuck client is alone first
#   BENCH_TICK_SECONDS=60        kato-merge jitter run (0: skip; the issue's
#                                figure is over 600)
#   BENCH_SERVERS="kato-live python floor"  (add "remote" for a web node
#                                behind Redis; needs redis-server)
#   BENCH_SETS=1                 also run kato-live-sets at each client count
#   BENCH_HUB, BENCH_SUB         commands standing in for kato-hub/kato-sub
#   KL_BIN=bin                   where the tools are
#   BENCH_RESULTS=build/bench/websocket.ndjson
# Results: $BENCH_RESULTS (one JSON object per run) and a
# Markdown table on stdout.  Exit 0 when every run completed, 1 if any
# failed, 100 on a missing prerequisite.
set -u
cd "$(dirname "$0")/../.." || exit 111
TOP=$PWD
: "${KL_BIN:=$TOP/bin}"
PY=/usr/bin/python3
CLIENTS=${BENCH_CLIENTS-10 100 1000}
WINDOW=${BENCH_SECONDS:-10}
RATE=${BENCH_RATE:-10}
SIZE=${BENCH_FRAME_SIZE:-3000}
STUCK_N=${BENCH_STUCK_CLIENTS:-100}
PREFILL=${BENCH_PREFILL:-8}
STUCK_WINDOW=${BENCH_STUCK_SECONDS:-20}
BURST=$(awk "BEGIN{print $PREFILL / 2}")
TICK_S=${BENCH_TICK_SECONDS:-60}
SERVERS=${BENCH_SERVERS-kato-live python floor}
SETS=${BENCH_SETS:-1}
HUB=${BENCH_HUB:-$KL_BIN/kato-hub}
SUB=${BENCH_SUB:-$KL_BIN/kato-sub}
OUTDIR=$TOP/build/bench
RESULTS=${BENCH_RESULTS:-$OUTDIR/websocket.ndjson}
B=tests/bench

say() { echo "websocket.sh: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "fatal: $1 not found (scripts/install-deps)"; exit 100; }; }
need websocketd
case " $SERVERS " in *" remote "*) need redis-server; need redis-cli ;; esac
need cc
need jq
$PY -c 'import websockets' 2>/dev/null ||
	{ say "fatal: $PY has no websockets module (apt-get install python3-websockets)"; exit 100; }
mkdir -p "$OUTDIR" || exit 111
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$OUTDIR/wsload.$$" $B/wsload.c &&
	mv -f "$OUTDIR/wsload.$$" "$OUTDIR/wsload" ||
	{ say "fatal: unable to build wsload"; exit 111; }
# The floor's hub and child, named as ours so they are measured as ours.
mkdir -p "$OUTDIR/floor" &&
	cc -O2 -std=c11 -Wall -Wextra -Werror -o "$OUTDIR/floor/kato-hub" $B/floorhub.c &&
	cc -O2 -std=c11 -Wall -Wextra -Werror -static -o "$OUTDIR/floor/kato-sub" $B/floorsub.c ||
	{ say "fatal: unable to build the floor's hub and child"; exit 111; }
# Many sockets: wsload raises its own soft limit; websocketd needs about
# four descriptors per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # wait_for SECONDS CMD...
	local end=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# Every process started here, stopped by PID at the end of each run and
# on exit.  websocketd's children (kato-sub) are collected before it is
# stopped: it does not wait for them.
PIDS=()
descendants() {
	local p c
	for p in "$@"; do
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			echo "$c"
			descendants "$c"
		done
	done
}
stop_all() {
	local p all
	[ ${#PIDS[@]} -gt 0 ] || return 0
	all=("${PIDS[@]}" $(descendants "${PIDS[@]}"))
	for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${all[@]}"; do
		for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}
TMPS=()
cleanup() { stop_all; [ ${#TMPS[@]} -eq 0 ] || rm -rf "${TMPS[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=0

# run_one SERVER CLIENTS STUCK: one measured run; appends to $RESULTS.
# The pieces run_one starts (they use its locals: d, n, stuck, port, hub,
# sub, srv_pids, prod, ok, err).
start_hub() { # kato-hub reading $d/frames
	export KATO_HUB_SOCKET=$d/hub.sock KATO_LIVE_INTERVAL=$(awk "BEGIN{print 1/$RATE}")
	$hub --socket "$d/hub.sock" <"$d/frames" >/dev/null 2>"$d/hub.err" &
	PIDS+=($!); srv_pids="$!"
}
start_producer() { # start_producer FILE: frames into FILE
	$PY $B/produce.py --rate "$RATE" --size "$SIZE" --log "$d/sent" \
		--burst-seconds "$BURST" >"$1" 2>"$d/produce.err" &
	prod=$!; PIDS+=($prod)
}
start_websocketd() { # once the hub's socket is there
	wait_for 10 test -S "$d/hub.sock" || { err="kato-hub did not create its socket"; ok=0; }
	websocketd --address 127.0.0.1 --port "$port" --loglevel error \
		--maxforks $((n + stuck + 16)) \
		--passenv KATO_HUB_SOCKET,KATO_LIVE_INTERVAL,KATO_LIVE_ENV_FILE,PATH,ASAN_OPTIONS \
		$sub >/dev/null 2>"$d/websocketd.err" &
	PIDS+=($!); srv_pids="$srv_pids $!"
}

run_one() {
	local server=$1 n=$2 stuck=$3 d port srv_pids wsl prod ok=1 err="" window=$WINDOW
	[ -z "$stuck" ] || window=$STUCK_WINDOW
	d=$(mktemp -d /tmp/kl-bench.XXXXXX) || return 1
	TMPS+=("$d")
	port=$(free_port)
	mkfifo "$d/frames"
	say "$server: $n clients${stuck:+ + $stuck stuck} on port $port"
	local hub=$HUB sub=$SUB subscribe=""
	[ "$server" = floor ] && { hub=$OUTDIR/floor/kato-hub; sub=$OUTDIR/floor/kato-sub; }
	if [ "$server" = kato-live-sets ]; then
		export WEBSOCKET_CONTAINER_STATS=false
		subscribe='{"type":"subscribe","subscriptions":["metrics"]}'
	else
		unset WEBSOCKET_CONTAINER_STATS
	fi
	case $server in
	kato-live|kato-live-sets|floor)
		start_hub
		start_producer "$d/frames"
		start_websocketd
		;;
	remote)
		# A web node on the far side of Redis: put on the producer's
		# side, get | kato-hub + websocketd on the node's.
		local rport
		rport=$(free_port)
		redis-server --port "$rport" --bind 127.0.0.1 --daemonize no --save '' \
			--appendonly no --dir "$d" --logfile "$d/redis.log" &
		PIDS+=($!)
		wait_for 10 sh -c "redis-cli -p $rport PING | grep -q PONG" || { err="redis-server did not start"; ok=0; }
		start_hub
		"$KL_BIN/kato-stream" get --url "redis://127.0.0.1:$rport" bench >"$d/frames" 2>"$d/get.err" &
		PIDS+=($!); srv_pids="$srv_pids $!"
		mkfifo "$d/toput"
		"$KL_BIN/kato-stream" put --url "redis://127.0.0.1:$rport" bench <"$d/toput" 2>"$d/put.err" &
		PIDS+=($!)
		start_producer "$d/toput"
		start_websocketd
		;;
	python)
		$PY $B/pybcast.py --port "$port" <"$d/frames" 2>"$d/python.err" &
		PIDS+=($!); srv_pids="$!"
		start_producer "$d/frames"
		;;
	esac
	[ "$ok" = 1 ] && { wait_for 10 port_open "$port" || { err="server did not listen on $port"; ok=0; }; }
	if [ "$ok" = 1 ]; then
		sleep 0.5
		$B/procmon.py snap $srv_pids >"$d/idle.json"
		"$OUTDIR/wsload" --port "$port" --path "/?ping=0" -n "$n" --sent-log "$d/sent" \
			--duration "$window" --ready-file "$d/ready" --grace 2 \
			--connect-timeout 120 \
			${stuck:+--stuck "$stuck" --prefill "$PREFILL" --stuck-file "$d/stuck"} \
			${subscribe:+--subscribe-half "$subscribe"} \
			>"$d/wsload.json" 2>"$d/wsload.err" &
		wsl=$!; PIDS+=($wsl)
		# Fill the stuck client's buffers with a burst while it is alone.
		if [ -n "$stuck" ] && wait_for 20 test -e "$d/stuck"; then
			kill -USR1 "$prod"
		fi
		if wait_for $((150 + PREFILL)) test -s "$d/ready"; then
			$B/procmon.py snap $srv_pids >"$d/start.json"
			sleep "$(awk "BEGIN{print $window - 0.5}")"
			$B/procmon.py snap $srv_pids >"$d/end.json"
		else
			err="wsload never started its window: $(tail -1 "$d/wsload.err")"; ok=0
		fi
		wait "$wsl"
		# the hub's counters (kato-hub only: the floor has none)
		case $server in kato-live*|remote)
			$PY -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stats\n"); print(s.makefile().readline().strip())' \
				"$d/hub.sock" >"$d/stats.json" 2>/dev/null ;;
		esac
		[ -s "$d/wsload.json" ] || { [ -n "$err" ] || err="wsload: $(tail -1 "$d/wsload.err")"; ok=0; }
	fi
	stop_all
	if [ "$ok" = 1 ]; then
		jq -c --arg server "$server" --argjson rate "$RATE" --argjson size "$SIZE" \
			--slurpfile cpu <($B/procmon.py cpu "$d/start.json" "$d/end.json") \
			--slurpfile mem <($B/procmon.py mem "$d/end.json" "$d/idle.json" --per "$n") \
			--slurpfile grow <($B/procmon.py grow "$d/start.json" "$d/end.json") \
			--slurpfile gc <($B/procmon.py mem "$d/end.json" "$d/start.json") \
			--arg hublog "$(tail -3 "$d/hub.err" 2>/dev/null)" \
			--argjson hubstats "$([ -s "$d/stats.json" ] && cat "$d/stats.json" || echo null)" \
			--arg produced "$(cat "$d/produce.err")" \
			'{server:$server, rate:$rate, frame_bytes:$size, load:., cpu:$cpu[0],
			  mem:$mem[0], growth_in_window:$grow[0], growth_by_comm_in_window:$gc[0].growth,
			  producer:$produced, hub_stats:$hubstats,
			  hub_stderr_tail:$hublog}' "$d/wsload.json" >>"$RESULTS"
	else
		say "$server $n clients: failed: $err"
		for f in "$d"/*.err; do [ -s "$f" ] && { say "--- $f"; tail -5 "$f" >&2; }; done
		jq -cn --arg server "$server" --argjson n "$n" --arg err "$err" \
			'{server:$server, load:{clients:$n}, error:$err}' >>"$RESULTS"
		failures=$((failures + 1))
	fi
}

# kato-merge's tick jitter at a 100 ms interval over TICK_S seconds, and
# at the same time, as a control for what the machine itself adds (the
# reader's wake-up, other load), a plain Python loop sleeping to absolute
# deadlines, measured the same way.
run_tick() {
	local d tj1 tj2
	[ -x "$KL_BIN/kato-merge" ] || { say "kato-merge not built: tick jitter skipped"; return 0; }
	d=$(mktemp -d /tmp/kl-bench.XXXXXX) || return 1
	TMPS+=("$d")
	say "kato-merge: tick jitter at 100 ms for $TICK_S s"
	mkfifo "$d/out" "$d/ctl"
	"$KL_BIN/kato-merge" --interval 0.1 /dev/null >"$d/out" 2>"$d/merge.err" &
	PIDS+=($!)
	$PY -c '
import time
s = time.monotonic_ns()
k = 0
while True:
    k += 1
    d = s + k * 100000000 - time.monotonic_ns()
    if d > 0:
        time.sleep(d / 1e9)
    print("{\"type\":\"realtime_update\"}", flush=True)
' >"$d/ctl" 2>/dev/null &
	PIDS+=($!)
	$PY $B/tickjitter.py --interval 0.1 --seconds "$TICK_S" --raw "${RESULTS%.ndjson}.kato-merge.ns" \
		<"$d/out" >"$d/tick.json" &
	tj1=$!
	$PY $B/tickjitter.py --interval 0.1 --seconds "$TICK_S" --raw "${RESULTS%.ndjson}.control.ns" \
		<"$d/ctl" >"$d/control.json" &
	tj2=$!
	wait $tj1 $tj2
	stop_all
	if [ -s "$d/tick.json" ]; then
		jq -c --slurpfile c "$d/control.json" '{server:"kato-merge", tick:., control:$c[0]}' \
			"$d/tick.json" >>"$RESULTS"
	else
		say "kato-merge tick run failed: $(tail -3 "$d/merge.err")"
		failures=$((failures + 1))
	fi
}

: >"$RESULTS"
started=$(date -u +%FT%TZ)
for n in $CLIENTS; do
	for s in $SERVERS; do
		if [ "$s" = kato-live ] && { [ ! -x "${HUB%% *}" ] || [ ! -x "${SUB%% *}" ]; }; then
			say "kato-live skipped: ${HUB%% *} or ${SUB%% *} not built"
			continue
		fi
		run_one "$s" "$n" ""
	done
	case " $SERVERS " in *" kato-live "*)
		[ "$SETS" = 1 ] && run_one kato-live-sets "$n" "" ;;
	esac
done
if [ "$STUCK_N" -gt 0 ]; then
	for s in $SERVERS; do
		[ "$s" = kato-live ] && { [ ! -x "${HUB%% *}" ] || [ ! -x "${SUB%% *}" ]; } && continue
		run_one "$s" "$STUCK_N" 1
	done
fi
[ "$TICK_S" -gt 0 ] && run_tick

# The table for README.md.
{
echo
echo "WebSocket delivery, $started, $(nproc) cores, ${RATE} frames/s of ${SIZE}-byte frames, ${WINDOW} s window per run (${STUCK_WINDOW} s with a stuck client)"
echo "(latency: producer write -> client read; CPU: % of one core, server processes only;"
echo " memory per connection: kato-live = kato-sub + websocketd growth / clients, python = process growth / clients)"
echo
echo "| server | clients | stuck | p50 ms | p99 ms | max ms | lost / expected | server CPU % (stat / schedstat) | RSS KiB/conn | PSS KiB/conn | kato-sub PSS KiB | max RSS growth KiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
jq -r '
  def f: if . == null then "—" else (. * 100 | round / 100 | tostring) end;
  select(.load != null) |
  if .error then "| \(.server) | \(.load.clients) | | failed: \(.error) | | | | | | | | |"
  else
    (.mem.by_comm["kato-sub"].mean_rss_kb) as $sr |
    (.mem.by_comm["kato-sub"].mean_pss_kb) as $sp |
    (if .server == "kato-live" or .server == "floor" or .server == "remote" then
       [ ($sr + (.mem.growth.websocketd.rss_kb_per_conn // 0)),
         ($sp + (.mem.growth.websocketd.pss_kb_per_conn // 0)) ]
     else
       [ ([.mem.growth[] | .rss_kb_per_conn] | add),
         ([.mem.growth[] | .pss_kb_per_conn] | add) ]
     end) as $m |
    "| \(.server) | \(.load.clients) | \(.load.stuck) | \(.load.latency_ms.p50|f) | \(.load.latency_ms.p99|f) | \(.load.latency_ms.max|f) | \(.load.lost) / \(.load.expected) | \(.cpu.total_percent|f) / \(.cpu.sched_total_percent|f) | \($m[0]|f) | \($m[1]|f) | \($sp|f) | \(.growth_in_window.largest_growth.rss_kb_growth|f) |"
  end' "$RESULTS"
jq -rs '
  def r: if . == null then "—" else (. * 10 | round / 10 | tostring) end;
  [ .[] | select(.load != null and .error == null) ] as $runs |
  [ $runs[] | select(.server == "kato-live") ] as $k |
  if ($k | length) > 0 then "\nkato-live against the old design (python), same run:" else empty end,
  ( $k[] as $a |
    ($runs[] | select(.server == "python" and .load.clients == $a.load.clients
                      and .load.stuck == $a.load.stuck)) as $b |
    "- \($a.load.clients) clients\(if $a.load.stuck > 0 then " + \($a.load.stuck) stuck" else "" end): " +
    "p99 \($a.load.latency_ms.p99|r) ms vs \($b.load.latency_ms.p99 // null|r) ms" +
    (if $a.load.latency_ms.p99 != null and $b.load.latency_ms.p99 != null and $a.load.latency_ms.p99 > 0
     then ($b.load.latency_ms.p99 / $a.load.latency_ms.p99) as $x |
       if $x >= 1 then " (\($x|r)x lower)" else " (\(1 / $x|r)x higher)" end
     else "" end) +
    ", lost \($a.load.lost) vs \($b.load.lost) of \($a.load.expected)" +
    ", server CPU \($a.cpu.sched_total_percent // $a.cpu.total_percent|r) % vs \($b.cpu.sched_total_percent // $b.cpu.total_percent|r) %" +
    (if $a.load.stuck > 0 then
      "; RSS growth during the window: kato-live " +
      ([$a.growth_by_comm_in_window | to_entries[] | "\(.key) \(.value.rss_kb) KiB"] | join(", ")) +
      ", python " + ([$b.growth_by_comm_in_window | to_entries[] | "\(.key) \(.value.rss_kb) KiB"] | join(", "))
     else "" end))' "$RESULTS"
jq -rs '
  def r: if . == null then "—" else (. * 100 | round / 100 | tostring) end;
  [ .[] | select(.load != null and .error == null) ] as $runs |
  [ $runs[] | select(.server == "remote") ] as $rm |
  if ($rm | length) > 0 then "\nA web node behind Redis (remote) against one node (kato-live), same run:" else empty end,
  ( $rm[] as $a |
    ($runs[] | select(.server == "kato-live" and .load.clients == $a.load.clients
                      and .load.stuck == $a.load.stuck)) as $b |
    "- \($a.load.clients) clients: p50 \($a.load.latency_ms.p50|r) ms vs \($b.load.latency_ms.p50|r) ms, " +
    "p99 \($a.load.latency_ms.p99|r) ms vs \($b.load.latency_ms.p99|r) ms " +
    (($a.load.latency_ms.p99 - $b.load.latency_ms.p99) as $d |
     "(\(if $d < 0 then -$d else $d end|r) ms \(if $d < 0 then "less" else "more" end)), ") + "lost \($a.load.lost) vs \($b.load.lost) of \($a.load.expected), " +
    "web node CPU \($a.cpu.sched_total_percent // $a.cpu.total_percent|r) % vs \($b.cpu.sched_total_percent // $b.cpu.total_percent|r) %")' "$RESULTS"
jq -r 'select(.hub_stats != null) |
  "- \(.server), \(.load.clients) clients: kato-hub printed \(.hub_stats.serializations_total) frame views for \(.hub_stats.messages_in_total) frames in (\((.hub_stats.serializations_total / ([.hub_stats.messages_in_total, 1] | max)) * 100 | round / 100) per frame, whatever the number of clients); cut off: \(.hub_stats.cutoffs_total | tostring)"' "$RESULTS"
jq -r 'select(.tick) |
  def line(name): "| \(name) | \(.interval_ms) ms | \(.seconds) s | \(.ticks) | \(.missed) | \(.jitter_ms.p50) | \(.jitter_ms.p99) | \(.jitter_ms.max) | \(.interval_err_ms.p99) | \(.drift_ms) |";
  "\nTick jitter (|phase - median phase| of each frame'"'"'s arrival at a reader on a pipe, phase = arrival time modulo the interval; the control is a Python loop sleeping to absolute deadlines, run at the same time)\n",
  "| ticker | interval | run | ticks | missed | jitter p50 ms | jitter p99 ms | jitter max ms | interval error p99 ms | drift ms |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  (.tick | line("kato-merge")), (.control // empty | line("control (Python)"))' "$RESULTS"
}
[ "$failures" -eq 0 ] || exit 1
