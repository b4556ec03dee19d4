#!/usr/bin/env bats
# The live stream end to end: a test producer -> kato-hub -> websocketd
# (the real one, on a free loopback port) -> kato-sub -> a real WebSocket
# client (tests/lib/wsclient.py on python3-websockets).

load lib/common
load lib/hub

setup() {
	export HUB_SOCKET=$BATS_TEST_TMPDIR/run/hub.sock
	export KATO_LIVE_INTERVAL=0.2
	unset KATO_SUB_HEARTBEAT KATO_SUB_SILENCE WEBSOCKET_SELECTIVE_SUBSCRIPTIONS
}

teardown() {
	stop_spawned
	hub_close_input
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR/hub.err" "$BATS_TEST_TMPDIR/ws.err"
}

# proc_exited PID: gone, or a zombie its parent has not reaped yet
proc_exited() {
	[ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

# hub_pipes: how many pipes the hub holds
hub_pipes() {
	local f n=0
	for f in /proc/$HUB_PID/fd/*; do
		case $(readlink "$f") in pipe:*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

# jq over the messages of one type in $MSGS (from ws_run): jqt TYPE FILTER
jqt() {
	printf '%s\n' "$MSGS" | jq -c "select(.type == \"$1\") | $2"
}

@test "kato-sub --help prints the usage that the man page shows" {
	run "$KL_BIN/kato-sub" --help
	assert_success
	assert_line --index 0 'usage: kato-sub [--socket PATH] [--heartbeat SECONDS] [--silence SECONDS]'
	run "$KL_BIN/kato-sub" --heartbeat soon
	assert_equal "$status" 100
	run "$KL_BIN/kato-sub" --silence never
	assert_equal "$status" 100
}

@test "connected comes first, then a realtime_update within one tick" {
	start_hub
	start_feed --interval 0.2
	start_ws
	ws_run --timeout 5 "$WS_URL" expect realtime_update
	assert_success
	assert_line --index 0 --regexp '^\{"type":"connected","timestamp":"[0-9T:.-]+Z","interval_ms":200,"topics":\["metrics","containers","sessions","session_events","system_alerts"\]'
	assert_line --index 1 --regexp '^\{"type":"realtime_update",'
	run jq -s 'length' <<<"$MSGS"
	assert_output 2
}

@test "frames arrive in order, one per tick of the producer" {
	start_hub
	start_feed --interval 0.2
	start_ws
	ws_run "$WS_URL" count realtime_update 8
	assert_success
	# consecutive sequence numbers: nothing lost or reordered
	run jq -s '[.[] | select(.type == "realtime_update") | .seq] | [.[1:][] ] as $t | [range(1; length)] | all(. as $i | $t[$i - 1] == ($t[0] + $i - 1))' <<<"$MSGS"
	assert_output true
	run jq -s '[.[] | select(.type == "realtime_update") | .seq] | .[-1] - .[1]' <<<"$MSGS"
	assert_output 6
}

@test "a newcomer gets the retained frame at once, even between ticks" {
	start_hub
	hub_send '{"type":"realtime_update","timestamp":"2026-11-25T18:45:47.538Z","data":{"metrics":{"n":1}},"stale":[],"sources":{}}' \
		'{"type":"active_alerts","timestamp":"2026-11-25T18:45:47.538Z","alerts":[{"type":"cpu"}]}'
	wait_retained 2
	start_ws
	ws_run --timeout 3 "$WS_URL" expect active_alerts
	assert_success
	assert_line --index 1 --partial '"type":"realtime_update"'
	assert_line --index 2 --partial '"type":"active_alerts"'
}

@test "subscriptions filter sections and message types; stale and sources always pass" {
	start_hub
	start_feed --interval 0.2 --events
	start_ws
	ws_run "$WS_URL" expect realtime_update \
		send '{"type":"subscribe","subscriptions":["metrics","session_events"]}' \
		expect subscribed count realtime_update 3
	assert_success
	run jqt subscribed .topics
	assert_output '["metrics","session_events"]'
	# after the answer: frames hold metrics and health only
	local after
	after=$(printf '%s\n' "$MSGS" | sed -n '/"type":"subscribed"/,$p')
	run jq -c 'select(.type == "realtime_update") | [(.data | keys), has("stale"), has("sources")]' <<<"$after"
	assert_line --index 0 '[["health","metrics"],true,true]'
	assert_line --index 2 '[["health","metrics"],true,true]'
	# session events pass, system alerts do not
	run jq -r 'select(.type != "realtime_update") | .type' <<<"$after"
	assert_output --partial session_event
	refute_output --partial system_alert

	# another subscribe replaces the set; [] leaves only the frames' frame
	ws_run "$WS_URL" expect realtime_update \
		send '{"type":"subscribe","subscriptions":["containers","system_alerts"]}' \
		expect subscribed count realtime_update 2
	after=$(printf '%s\n' "$MSGS" | sed -n '/"type":"subscribed"/,$p')
	run jq -c 'select(.type == "realtime_update") | .data | keys' <<<"$after"
	assert_line --index 1 '["containers"]'
	run jq -r 'select(.type != "realtime_update") | .type' <<<"$after"
	assert_output --partial system_alert
	refute_output --partial session_event
}

@test "an unknown topic is refused with an error and changes nothing" {
	start_hub
	start_feed --interval 0.2
	start_ws
	ws_run "$WS_URL" expect realtime_update \
		send '{"type":"subscribe","subscriptions":["metrics","weather"]}' \
		expect error count realtime_update 2
	assert_success
	run jqt error .error.code
	assert_output '"unknown_topic"'
	run jqt error .error.message
	assert_output --partial weather
	run jq -c 'select(.type == "realtime_update") | .data | keys' <<<"$MSGS"
	assert_line --index 2 '["containers","health","metrics","sessions"]'
}

@test "WEBSOCKET_SELECTIVE_SUBSCRIPTIONS=false: subscribe is answered and every topic stays" {
	export WEBSOCKET_SELECTIVE_SUBSCRIPTIONS=false
	start_hub
	start_feed --interval 0.2
	start_ws
	ws_run "$WS_URL" expect realtime_update \
		send '{"type":"subscribe","subscriptions":["metrics"]}' \
		expect subscribed count realtime_update 2
	assert_success
	run jqt subscribed '[.topics, .selective_subscriptions]'
	assert_output '[["metrics","containers","sessions","session_events","system_alerts"],false]'
	run jq -c 'select(.type == "realtime_update") | .data | keys' <<<"$MSGS"
	assert_line --index 2 '["containers","health","metrics","sessions"]'
}

@test "WEBSOCKET_CONTAINER_STATS=false: no containers over the WebSocket, though the hub still has them" {
	export WEBSOCKET_CONTAINER_STATS=false
	start_hub
	start_feed --interval 0.2
	start_ws
	ws_run "$WS_URL" expect connected count realtime_update 2
	assert_success
	run jqt connected '.topics'
	assert_output '["metrics","sessions","session_events","system_alerts"]'
	run jq -c 'select(.type == "realtime_update") | .data | keys' <<<"$MSGS"
	assert_line --index 1 '["health","metrics","sessions"]'
	# The hub keeps the section for the HTTP fallback (kato-snapshot).
	run hub_client snap
	assert_success
	run jq -c 'select(.type == "realtime_update") | .data | has("containers")' <<<"$output"
	assert_output true
}

@test "ping, as text or JSON, is answered with a heartbeat" {
	start_hub
	start_ws
	ws_run --timeout 5 "$WS_URL" expect connected send ping expect heartbeat \
		send '{"type":"ping"}' expect heartbeat
	assert_success
	run jqt heartbeat 'keys'
	assert_line --index 0 '["timestamp","type"]'
	assert_line --index 1 '["timestamp","type"]'
}

@test "a client silent for --silence is closed with error timeout; one that pings, or says ?ping=0, stays" {
	export KATO_SUB_SILENCE=1.5
	start_hub
	start_feed --interval 0.2
	start_ws
	# pings every 0.5 s: kept
	ws_run --timeout 10 "$WS_URL" expect connected send ping sleep 0.5 send ping sleep 0.5 \
		send ping sleep 0.5 send ping sleep 0.5 send ping count realtime_update 2
	assert_success
	refute_output --partial '"timeout"'
	# ?ping=0: kept without pinging
	ws_run --timeout 10 "${WS_URL}?ping=0" expect connected sleep 2.5 count realtime_update 3
	assert_success
	refute_output --partial '"timeout"'
	# ?ping=2 (a page pinging every 2 s): 2.5 pings, 5 s, allowed
	ws_run --timeout 10 "${WS_URL}?ping=2" expect connected sleep 2.5 count realtime_update 3
	assert_success
	refute_output --partial '"timeout"'
	# silent: told so, then closed
	ws_run --timeout 10 "$WS_URL" expect connected expect error hold
	assert_equal "$status" 2
	MSGS=$(grep -v '^wsclient:' <<<"$MSGS")
	run jqt error .error.code
	assert_output '"timeout"'
	run jqt error .error.message
	assert_output --partial 'sent nothing for'
	run hub_client stats
	run jq .cutoffs_total.timeout <<<"$output"
	assert_output 1
}

@test "an idle connection gets heartbeats (--heartbeat, KATO_SUB_HEARTBEAT)" {
	export KATO_SUB_HEARTBEAT=0.3
	start_hub
	start_ws
	ws_run --timeout 5 "$WS_URL" count heartbeat 2
	assert_success
}

@test "bad client messages get an error each and the connection survives" {
	start_hub
	start_ws
	ws_run --timeout 5 "$WS_URL" expect connected \
		send 'hello?' expect error \
		send '[1,2]' expect error \
		send '{"no":"type"}' expect error \
		send '{"type":"dance"}' expect error \
		send '{"type":"subscribe","subscriptions":"metrics"}' expect error \
		sendsize 70000 expect error \
		send ping expect heartbeat
	assert_success
	run jqt error .error.code
	assert_output "$(printf '"%s"\n' bad_message bad_message bad_message unknown_type bad_message too_large)"
}

@test "a hub killed with kill -9: every kato-sub exits, the WebSocket closes, and clients get data within 2 s of the hub being back" {
	start_hub
	start_feed --interval 0.2
	start_ws
	local i cs=()
	for i in 1 2 3; do
		"${WSCLIENT[@]}" 3>&- --timeout 20 "$WS_URL" expect realtime_update hold \
			>"$BATS_TEST_TMPDIR/out.$i" 2>"$BATS_TEST_TMPDIR/client.err.$i" &
		cs+=($!)
	done
	for i in 1 2 3; do wait_until 10 grep -q realtime_update "$BATS_TEST_TMPDIR/out.$i"; done
	wait_subs 3
	local pids
	pids=$(sub_pids)
	kill -KILL "$HUB_PID" "$FEED_PID"
	# each client sees its connection closed (wsclient: 2) ...
	local st
	for i in 0 1 2; do
		st=0
		wait "${cs[$i]}" || st=$?
		assert_equal "$st" 2
	done
	# ... and no kato-sub is left behind
	local p
	for p in $pids; do wait_until 5 bash -c "! kill -0 $p"; done
	[ -z "$(sub_pids)" ]
	# a client reconnecting meanwhile hears the hub is unavailable; once
	# the hub is back it has data within 2 s
	"${WSCLIENT[@]}" 3>&- --stamp --timeout 30 "$WS_URL" expect error expect realtime_update \
		>"$BATS_TEST_TMPDIR/again" 2>&1 &
	local again=$!
	wait_until 10 grep -q hub_unavailable "$BATS_TEST_TMPDIR/again"
	local t0=$(date +%s%N)
	start_hub
	start_feed --interval 0.2
	wait "$again"
	local ms
	ms=$(jq -s --argjson t0 "$t0" '[.[] | select(.type == "realtime_update")][0]._recv_ns - $t0 | ./1e6 | floor' \
		"$BATS_TEST_TMPDIR/again")
	echo "# data $ms ms after the hub was started again" >&3
	[ "$ms" -lt 2000 ]
}

@test "no hub at all: hub_unavailable, then connected and the stream once a hub starts" {
	start_ws
	"${WSCLIENT[@]}" 3>&- --timeout 20 "$WS_URL" expect error expect realtime_update \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/client.err" &
	local c=$!
	wait_until 5 grep -q hub_unavailable "$BATS_TEST_TMPDIR/out"
	start_hub
	start_feed --interval 0.2
	wait "$c"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 --partial '"code":"hub_unavailable"'
	assert_line --index 1 --partial '"type":"connected"'
	assert_line --index 2 --partial '"type":"realtime_update"'
}

@test "kato-sub hands its stdout to the hub and keeps no copy of it" {
	start_hub
	start_ws
	local before
	before=$(hub_pipes)
	"${WSCLIENT[@]}" 3>&- --timeout 10 "$WS_URL" expect connected hold >/dev/null 2>&1 &
	KL_PIDS+=($!)
	wait_subs 1
	local sub
	sub=$(sub_pids)
	# kato-sub's fd 1 is /dev/null now; the hub holds the pipe websocketd reads
	wait_until 5 test "$(readlink /proc/$sub/fd/1)" = /dev/null
	assert_equal "$(hub_pipes)" $((before + 1))
}

@test "a client that stops reading does not delay the others, and is cut off" {
	start_hub --max-queue 262144
	start_ws
	"${WSCLIENT[@]}" 3>&- stuck "$WS_URL" >"$BATS_TEST_TMPDIR/stuck" &
	local stuck=$!
	KL_PIDS+=("$stuck")
	wait_until 5 grep -q stuck "$BATS_TEST_TMPDIR/stuck"
	wait_subs 1
	local stuck_sub
	stuck_sub=$(sub_pids)
	# 20 KB frames every 20 ms: the stuck client's buffers fill in seconds
	start_feed --interval 0.02 --pad 20000
	sleep 2
	ws_run --stamp --timeout 20 "$WS_URL" count realtime_update 100
	assert_success
	# no frame lost, none late by more than half a second
	run jq -s '[.[] | select(.type == "realtime_update")] | [.[1:][] | .seq] as $s | ($s | length) == 99 and ($s[-1] - $s[0]) == 98' <<<"$MSGS"
	assert_output true
	run jq -s '[.[] | select(.type == "realtime_update") | (._recv_ns - .sent_ns) / 1e6] | .[1:] | max < 500' <<<"$MSGS"
	assert_output true
	# the stuck one is cut off by the hub: its kato-sub exits
	wait_until 20 grep -q 'cut off' "$BATS_TEST_TMPDIR/hub.err"
	# (exited: websocketd reaps it only once its stuck write returns)
	wait_until 15 proc_exited "$stuck_sub"
}

# fall_behind HUB_OPTIONS...: a client reads one 100 KB frame, stops
# reading for 6 s while they come at 50/s, then reads what is left: it
# must end with an error too_slow, and the server closing the connection
# (wsclient exits 2).  Then $output is the hub's cut-offs.
fall_behind() {
	start_hub "$@"
	start_ws
	start_feed --interval 0.02 --pad 100000
	ws_run --timeout 30 "$WS_URL" expect realtime_update sleep 6 expect error hold
	assert_equal "$status" 2
	assert_line --partial 'wsclient: connection closed'
	MSGS=$(grep -v '^wsclient:' <<<"$MSGS")
	run jqt error .error.code
	assert_output '"too_slow"'
	# every line it got is whole JSON (nothing half-written before the error)
	run jq -e -s 'length > 1' <<<"$MSGS"
	assert_success
	run hub_client stats
	run jq -c .cutoffs_total <<<"$output"
}

@test "a client that falls behind is told too_slow (queue full), then the connection closes" {
	fall_behind --max-queue 262144
	assert_output --partial '"queue_full":1'
	run jqt error .error.message
	assert_output --partial 'you fell behind'
}

@test "a client that takes nothing for --slow-timeout is cut off with too_slow" {
	fall_behind --max-queue 104857600 --slow-timeout 1
	assert_output --partial '"too_slow":1'
	run jqt error .error.message
	assert_output --partial 'took nothing for'
}

@test "one serialization per topic set: three metrics-only clients cost one view per frame" {
	start_hub
	start_ws
	local i cs=()
	for i in 1 2 3; do
		"${WSCLIENT[@]}" 3>&- --timeout 10 "$WS_URL" expect connected \
			send '{"type":"subscribe","subscriptions":["metrics"]}' expect subscribed \
			count realtime_update 1 >"$BATS_TEST_TMPDIR/m.$i" &
		cs+=($!)
	done
	"${WSCLIENT[@]}" 3>&- --timeout 10 "$WS_URL" expect connected count realtime_update 1 \
		>"$BATS_TEST_TMPDIR/all" &
	cs+=($!)
	for i in 1 2 3; do wait_until 10 grep -q subscribed "$BATS_TEST_TMPDIR/m.$i"; done
	wait_until 10 grep -q connected "$BATS_TEST_TMPDIR/all"
	hub_send '{"type":"realtime_update","data":{"metrics":{"n":1},"health":{},"containers":{"containers":[]},"sessions":{"active_count":1}},"stale":[],"sources":{}}'
	for i in "${cs[@]}"; do wait "$i"; done
	for i in 1 2 3; do
		run jq -c 'select(.type == "realtime_update") | .data | keys' "$BATS_TEST_TMPDIR/m.$i"
		assert_output '["health","metrics"]'
	done
	run jq -c 'select(.type == "realtime_update") | .data | keys' "$BATS_TEST_TMPDIR/all"
	assert_output '["containers","health","metrics","sessions"]'
	run hub_client stats
	run jq -c '[.serializations_total, .frames_sent_total]' <<<"$output"
	assert_output '[1,4]'
}

@test "a client subscribed to system_alerts only gets no realtime_update" {
	start_hub
	start_feed --interval 0.2 --events
	start_ws
	ws_run "$WS_URL" expect realtime_update \
		send '{"type":"subscribe","subscriptions":["system_alerts"]}' \
		expect subscribed count system_alert 4
	assert_success
	local after
	after=$(printf '%s\n' "$MSGS" | sed -n '/"type":"subscribed"/,$p')
	run jq -r '.type' <<<"$after"
	refute_output --partial realtime_update
	refute_output --partial session_event
	assert_output --partial system_alert
}

@test "a binary message gets a bad_message error (with the message glued to it) and the connection stays" {
	start_hub
	start_ws
	ws_run --timeout 5 "$WS_URL" expect connected \
		sendbin 82ff0001 send '{"type":"ping"}' expect error \
		send ping expect heartbeat
	assert_success
	run jqt error .error.code
	assert_output '"bad_message"'
	run jqt error .error.message
	assert_output --partial 'binary'
	# what the client sent is not echoed back as raw bytes
	run jq -r 'select(.type == "error") | .error.message' <<<"$MSGS"
	refute_output --partial $'\xff'
}

@test "closing a connection leaves no kato-sub process, nor does a client that vanishes" {
	start_hub
	start_feed --interval 0.2
	start_ws
	"${WSCLIENT[@]}" 3>&- "$WS_URL" hold >/dev/null 2>&1 &
	local c=$!
	wait_subs 1
	local pids
	pids=$(sub_pids)
	kill -KILL "$c"
	wait "$c" || true
	for p in $pids; do wait_until 5 bash -c "! kill -0 $p"; done
	# a normal close
	"${WSCLIENT[@]}" 3>&- --timeout 5 "$WS_URL" expect realtime_update sleep 0.3 close >/dev/null &
	c=$!
	wait_subs 1
	pids=$(sub_pids)
	wait "$c"
	for p in $pids; do wait_until 5 bash -c "! kill -0 $p"; done
	[ -z "$(sub_pids)" ]
}

@test "kato-sub exits promptly at the end of its stdin and on SIGTERM" {
	start_hub
	start_feed --interval 0.2
	# stdin closes: kato-sub must be gone at once (100 ms; slack for ASan)
	local fifo=$BATS_TEST_TMPDIR/sub.in out=$BATS_TEST_TMPDIR/sub.pipe
	mkfifo "$fifo" "$out"
	# its stdout must be a pipe (the hub refuses anything else)
	cat <"$out" >"$BATS_TEST_TMPDIR/sub.out" 3>&- &
	KL_PIDS+=($!)
	"$KL_BIN/kato-sub" <"$fifo" >"$out" 2>>"$BATS_TEST_TMPDIR/hub.err" 3>&- &
	local s=$!
	exec {w}>"$fifo"
	wait_until 5 grep -q realtime_update "$BATS_TEST_TMPDIR/sub.out"
	local t0=$(date +%s%N)
	exec {w}>&-
	wait "$s"
	local ms=$((($(date +%s%N) - t0) / 1000000))
	echo "exit after EOF: $ms ms" >&3
	[ "$ms" -lt 500 ]
	# SIGTERM
	cat <"$out" >"$BATS_TEST_TMPDIR/sub.out" 3>&- &
	KL_PIDS+=($!)
	"$KL_BIN/kato-sub" <"$fifo" >"$out" 2>>"$BATS_TEST_TMPDIR/hub.err" 3>&- &
	s=$!
	exec {w}>"$fifo"
	# running, with its handlers in place, once the hub writes through it
	wait_until 30 grep -q realtime_update "$BATS_TEST_TMPDIR/sub.out" || {
		cat "$BATS_TEST_TMPDIR/hub.err" >&2; false; }
	t0=$(date +%s%N)
	kill -TERM "$s"
	local st=0
	wait "$s" || st=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	exec {w}>&-
	echo "exit after SIGTERM: $ms ms" >&3
	assert_equal "$st" 0
	[ "$ms" -lt 500 ]
}
