#!/usr/bin/env bats
# kato-hub: the fan-out on a Unix socket (protocol in common/hubsock.h).

load lib/common
load lib/hub

setup() {
	export HUB_SOCKET=$BATS_TEST_TMPDIR/run/hub.sock
}

teardown() {
	stop_spawned
	hub_close_input
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR/hub.err"
}

RT='{"type":"realtime_update","timestamp":"2026-11-25T18:45:47.538Z","data":{"n":1}}'
AL='{"type":"active_alerts","timestamp":"2026-11-25T18:45:47.600Z","alerts":[]}'

@test "--help prints the usage that the man page shows" {
	run "$KL_BIN/kato-hub" --help
	assert_success
	assert_line --index 0 --partial 'usage: kato-hub [--socket PATH] [--retain TYPES] [--max-queue BYTES]'
	run "$KL_BIN/kato-hub" --max-queue 12x
	assert_equal "$status" 100
	run "$KL_BIN/kato-hub" --bogus
	assert_equal "$status" 100
}

@test "a newcomer gets the retained messages, realtime_update first, then the live stream" {
	start_hub
	hub_send "$AL" '{"type":"session_event","n":0}' "$RT"
	wait_retained 2
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --count 3 --timeout 10 >"$BATS_TEST_TMPDIR/out" &
	local c=$!
	wait_until 5 grep -q realtime_update "$BATS_TEST_TMPDIR/out"
	hub_send '{"type":"session_event","n":1}'
	wait "$c"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 "$RT"
	assert_line --index 1 "$AL"
	assert_line --index 2 '{"type":"session_event","n":1}'
	# the directory the hub made is private
	run stat -c %a "$BATS_TEST_TMPDIR/run"
	assert_output 700
}

@test "the latest message of a retained type replaces the one before" {
	start_hub
	hub_send "$RT" '{"type":"realtime_update","data":{"n":2}}'
	wait_retained 1
	run hub_client snap
	assert_success
	assert_output '{"type":"realtime_update","data":{"n":2}}'
}

@test "snap sends the retained messages and closes; with nothing retained it closes at once" {
	start_hub
	run hub_client snap --timeout 5
	assert_success
	assert_output ''
	hub_send "$RT" "$AL"
	wait_retained 2
	run hub_client snap --timeout 5
	assert_success
	assert_line --index 0 "$RT"
	assert_line --index 1 "$AL"
}

@test "--retain chooses what newcomers get" {
	start_hub --retain session_event
	hub_send "$RT" '{"type":"session_event","n":5}'
	wait_retained 1
	run hub_client snap
	assert_output '{"type":"session_event","n":5}'
}

@test "malformed input lines are reported with their line number and skipped" {
	start_hub --max-line 100
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --count 2 --timeout 10 >"$BATS_TEST_TMPDIR/out" &
	local c=$!
	sleep 0.3
	hub_send 'not json' '{"no":"type"}' '[1,2]' "$(printf '{"type":"x","p":"%0200d"}' 0)" \
		'{"type":"session_event","n":1}' '' '{"type":"realtime_update","n":2}'
	wait "$c"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 '{"type":"session_event","n":1}'
	assert_line --index 1 '{"type":"realtime_update","n":2}'
	run cat "$BATS_TEST_TMPDIR/hub.err"
	assert_line --partial 'stdin line 1: not JSON'
	assert_line --partial 'stdin line 2: no "type"'
	assert_line --partial 'stdin line 3: no "type"'
	assert_line --partial 'stdin line 4: longer than 100 bytes, skipped'
}

@test "a stale socket file is replaced; a live hub's socket and other files are not" {
	mkdir -p "$BATS_TEST_TMPDIR/run"
	# a socket nobody listens on any more
	$PY3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$HUB_SOCKET"
	[ -S "$HUB_SOCKET" ]
	start_hub
	hub_send "$RT"
	wait_retained 1
	# a second hub on the same socket refuses (111) and leaves it alone
	run "$KL_BIN/kato-hub" --socket "$HUB_SOCKET" </dev/null
	assert_equal "$status" 111
	assert_output --partial 'another hub serves'
	run hub_client snap
	assert_output "$RT"
	# a regular file is never removed
	echo keep >"$BATS_TEST_TMPDIR/file"
	run "$KL_BIN/kato-hub" --socket "$BATS_TEST_TMPDIR/file" </dev/null
	assert_equal "$status" 100
	assert_output --partial 'is not a socket'
	run cat "$BATS_TEST_TMPDIR/file"
	assert_output keep
}

@test "SIGTERM stops the hub with status 0 and removes its socket" {
	start_hub
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --timeout 10 >/dev/null 2>&1 &
	local c=$!
	sleep 0.3
	kill -TERM "$HUB_PID"
	local st=0
	wait "$HUB_PID" || st=$?
	assert_equal "$st" 0
	[ ! -e "$HUB_SOCKET" ]
	# the subscriber saw the hub go
	st=0
	wait "$c" || st=$?
	assert_equal "$st" 2
}

@test "end of input: the hub delivers what it has, removes its socket and exits 0" {
	start_hub
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --timeout 10 >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	local c=$!
	sleep 0.3
	hub_send "$RT" "$AL"
	hub_close_input
	local st=0
	wait "$HUB_PID" || st=$?
	assert_equal "$st" 0
	[ ! -e "$HUB_SOCKET" ]
	wait "$c" || true
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 "$RT"
	assert_line --index 1 "$AL"
}

@test "a subscriber that stops reading is cut off; the others and the input go on" {
	start_hub --max-queue 65536
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- stall >"$BATS_TEST_TMPDIR/stall" &
	local stuck=$!
	wait_until 5 grep -q stalled "$BATS_TEST_TMPDIR/stall"
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --count 200 --timeout 30 >"$BATS_TEST_TMPDIR/out" &
	local good=$!
	sleep 0.2
	# 200 frames of 2 KB: 400 KB, far past the stuck one's 64 KiB bound
	start_feed --interval 0.01 --count 200 --pad 2000
	wait "$good"
	run wc -l <"$BATS_TEST_TMPDIR/out"
	assert_output 200
	# every frame arrived, in order
	run jq -s '[.[].seq] == [range(1;201)]' "$BATS_TEST_TMPDIR/out"
	assert_output true
	wait_until 10 grep -q 'cut off' "$BATS_TEST_TMPDIR/stall"
	run grep 'cut off' "$BATS_TEST_TMPDIR/hub.err"
	assert_output --partial 'over --max-queue 65536'
	wait "$stuck"
	# the producer was never held up
	wait "$FEED_PID"
}

@test "many subscribers at once all get every message" {
	start_hub
	local i pids=()
	for i in $(seq 50); do
		"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --count 6 --timeout 20 >"$BATS_TEST_TMPDIR/out.$i" &
		pids+=($!)
	done
	sleep 1
	hub_send "$RT"
	start_feed --interval 0.05 --count 5
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 50); do
		run jq -s 'map(.seq) | .[1:] == [1,2,3,4,5]' "$BATS_TEST_TMPDIR/out.$i"
		assert_output true
	done
}

@test "a subscriber that shuts its sending side after the hello still gets the stream" {
	start_hub
	hub_send "$RT"
	wait_retained 1
	timeout 10 "$PY3" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"sub\n")
s.shutdown(socket.SHUT_WR)
f = s.makefile("rb")
print(f.readline().decode().strip())
sys.stdout.flush()
print(f.readline().decode().strip())
' "$HUB_SOCKET" >"$BATS_TEST_TMPDIR/out" 3>&- &
	local c=$!
	sleep 0.5
	hub_send '{"type":"session_event","n":9}'
	wait "$c"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 "$RT"
	assert_line --index 1 '{"type":"session_event","n":9}'
}
