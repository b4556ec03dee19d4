#!/usr/bin/env bats
# kato-hub: the fan-out on a Unix socket (protocol in common/hubsock.h).

load lib/common
load lib/hub

setup() {
	export HUB_SOCKET=$BATS_TEST_TMPDIR/run/hub.sock
}

teardown() {
	stop_spawned
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
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
	wait_subscribers 1
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
	mkdir -m 700 "$BATS_TEST_TMPDIR/run"
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
	echo keep >"$BATS_TEST_TMPDIR/run/file"
	run "$KL_BIN/kato-hub" --socket "$BATS_TEST_TMPDIR/run/file" </dev/null
	assert_equal "$status" 100
	assert_output --partial 'is not a socket'
	run cat "$BATS_TEST_TMPDIR/run/file"
	assert_output keep
}

@test "SIGTERM stops the hub with status 0 and removes its socket" {
	start_hub
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --timeout 10 >/dev/null 2>&1 &
	local c=$!
	wait_subscribers 1
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
	wait_subscribers 1
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
	wait_subscribers 2
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
	wait_subscribers 50
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
	wait_subscribers 1
	hub_send '{"type":"session_event","n":9}'
	wait "$c"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 "$RT"
	assert_line --index 1 '{"type":"session_event","n":9}'
}

@test "stats: one hub_stats line with every counter, then the hub closes; SIGUSR1 logs it" {
	start_hub
	hub_send "$RT" 'not json' '{"type":"session_event","n":1}'
	wait_retained 1
	run hub_client stats --timeout 5
	assert_success
	assert_equal "${#lines[@]}" 1
	run jq -c '[.type, .clients, .subscribers, .messages_in_total, .bad_lines_total,
		(.cutoffs_total | keys), (.started_at | test("^[0-9-]+T[0-9:.]+Z$")),
		([.frames_sent_total, .messages_sent_total, .bytes_sent_total,
		  .serializations_total, .topic_sets, .queue_bytes] | map(type))]' <<<"$output"
	assert_output '["hub_stats",0,0,2,1,["protocol","queue_full","timeout","too_slow"],true,["number","number","number","number","number","number"]]'
	# a subscriber counts, and what it was sent
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --count 1 --timeout 10 >/dev/null &
	local c=$!
	wait "$c"
	run hub_client stats
	run jq -c '[.messages_sent_total >= 1, .frames_sent_total >= 1, .bytes_sent_total >= 80]' <<<"$output"
	assert_output '[true,true,true]'
	kill -USR1 "$HUB_PID"
	wait_until 5 grep -q '"type":"hub_stats"' "$BATS_TEST_TMPDIR/hub.err"
}

@test "session_update is kept one per session: newcomers get the whole list after the retained messages; removed ones go" {
	start_hub
	local s1='{"type":"session_update","timestamp":"2026-11-25T18:45:47.538Z","op":"added","session":{"session_id":"s1","node_id":"n"}}'
	local s2='{"type":"session_update","timestamp":"2026-11-25T18:45:47.538Z","op":"added","session":{"session_id":"s2","node_id":"n"}}'
	local s1u='{"type":"session_update","timestamp":"2026-11-25T18:45:48.538Z","op":"updated","session":{"session_id":"s1","node_id":"n","access_count":2}}'
	local s3='{"type":"session_update","timestamp":"2026-11-25T18:45:48.538Z","op":"added","session":{"session_id":"s3","node_id":"n"}}'
	local s2r='{"type":"session_update","timestamp":"2026-11-25T18:45:49.538Z","op":"removed","session":{"session_id":"s2","node_id":"n","reason":"ended"}}'
	"${HUBCLIENT[@]}" "$HUB_SOCKET" 3>&- sub --count 5 --timeout 10 >"$BATS_TEST_TMPDIR/live" &
	local c=$!
	wait_subscribers 1
	hub_send "$s1" "$s2" "$s1u" "$RT" "$s2r"
	wait_retained 2
	# the removal is still relayed live
	wait "$c"
	run cat "$BATS_TEST_TMPDIR/live"
	assert_line --index 4 "$s2r"
	run hub_client snap
	assert_line --index 0 "$RT"
	assert_line --index 1 "$s1u"
	assert_equal "${#lines[@]}" 2
	hub_send "$s3"
	wait_retained 3
	run hub_client snap
	assert_line --index 1 "$s1u"
	assert_line --index 2 "$s3"
}

@test "--max-sessions bounds the kept sessions (the oldest goes, and it is said)" {
	start_hub --max-sessions 2
	local i
	for i in 1 2 3; do
		hub_send "{\"type\":\"session_update\",\"op\":\"added\",\"session\":{\"session_id\":\"s$i\"}}"
	done
	wait_retained 2
	run hub_client snap
	assert_output --partial '"s2"'
	assert_output --partial '"s3"'
	refute_output --partial '"s1"'
	run grep 'more than 2 sessions' "$BATS_TEST_TMPDIR/hub.err"
	assert_success
}

@test "the socket's directory must be ours, private and real: a symlink, another owner or mode 0755 is refused" {
	local d=$BATS_TEST_TMPDIR
	# a world-readable directory
	mkdir -m 755 "$d/open"
	run "$KL_BIN/kato-hub" --socket "$d/open/hub.sock" </dev/null
	assert_equal "$status" 100
	assert_output --partial "refusing $d/open: mode 0755, want 0700"
	[ ! -e "$d/open/hub.sock" ]
	# a symbolic link to a private directory
	mkdir -m 700 "$d/real"
	ln -s "$d/real" "$d/link"
	run "$KL_BIN/kato-hub" --socket "$d/link/hub.sock" </dev/null
	assert_equal "$status" 100
	assert_output --partial 'a symbolic link'
	# someone else's directory (made first by another user)
	mkdir -m 700 "$d/theirs"
	chown 65534 "$d/theirs"
	run "$KL_BIN/kato-hub" --socket "$d/theirs/hub.sock" </dev/null
	assert_equal "$status" 100
	assert_output --partial "owned by uid 65534, not $(id -u)"
	# 0750 with the group named in KATO_HUB_GROUP is fine
	mkdir -m 750 "$d/group"
	chgrp 65534 "$d/group"
	run env KATO_HUB_GROUP=65534 "$KL_BIN/kato-hub" --socket "$d/group/hub.sock" </dev/null
	assert_equal "$status" 0
	run "$KL_BIN/kato-hub" --socket "$d/group/hub.sock" </dev/null
	assert_equal "$status" 100
	# a directory the hub makes itself: 0700, or 0750 of the group
	run env KATO_HUB_GROUP=65534 "$KL_BIN/kato-hub" --socket "$d/new/sub/hub.sock" </dev/null
	assert_equal "$status" 0
	run stat -c '%a %g' "$d/new/sub"
	assert_output '750 65534'
	run env KATO_HUB_GROUP=no-such-group-here "$KL_BIN/kato-hub" --socket "$d/x/hub.sock" </dev/null
	assert_equal "$status" 100
	assert_output --partial 'no group named'
}

@test "SO_PEERCRED: the hub refuses another user; kato-snapshot and kato-sub refuse a hub of another user" {
	# the hub runs as nobody, in nobody's private directory; root (who can
	# reach any socket) is not nobody, and gets nothing
	NOBODY_DIR=$(mktemp -d /tmp/kato-live-test.XXXXXX)
	chmod 711 "$NOBODY_DIR"
	local d=$NOBODY_DIR/nobody
	mkdir -m 700 "$d"
	chown 65534:65534 "$d"
	export HUB_SOCKET=$d/hub.sock
	HUB_FIFO=$BATS_TEST_TMPDIR/hub.in.nobody
	mkfifo "$HUB_FIFO"
	exec {HUB_FEED}<>"$HUB_FIFO" # (read-write: never blocks)
	# (a background command's stdin is /dev/null unless redirected in it)
	spawn bash -c 'exec "$@" <"$0"' "$HUB_FIFO" setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$KL_BIN/kato-hub" --socket "$HUB_SOCKET" 2>>"$BATS_TEST_TMPDIR/hub.err" 3>&-
	wait_until 10 test -S "$HUB_SOCKET"
	hub_send "$RT"
	run hub_client snap --timeout 5
	refute_output --partial realtime_update
	wait_until 5 grep -q "refusing a connection: uid 0 is not uid 65534" "$BATS_TEST_TMPDIR/hub.err"
	# the clients check the hub in turn
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" /api/v1/health
	assert_output --partial 'not our hub: uid 65534 is not uid 0'
	run timeout 5 "$KL_BIN/kato-sub" --socket "$HUB_SOCKET" </dev/null
	assert_success
	assert_output --partial 'hub_unavailable'
	assert_output --partial 'not our hub'
}

@test "a connection that never says hello is dropped after 5 s" {
	start_hub
	"$PY3" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = time.monotonic()
s.settimeout(20)
print("closed" if s.recv(1) == b"" else "data", round(time.monotonic() - t, 1))
' "$HUB_SOCKET" >"$BATS_TEST_TMPDIR/out" 3>&-
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^closed [4-9]\.'
	run grep -c 'no hello within 5000 ms' "$BATS_TEST_TMPDIR/hub.err"
	assert_output 1
	run hub_client stats
	run jq .cutoffs_total.timeout <<<"$output"
	assert_output 1
}

@test "what a kato-sub hands over is checked: one pipe or socket with a ws hello; anything else drops that connection only" {
	start_hub
	hub_send "$RT"
	wait_retained 1
	run "$PY3" - "$HUB_SOCKET" "$BATS_TEST_TMPDIR" <<'PY'
import os, socket, sys
path, tmp = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(10)
    return s
def closed(s):
    try:
        return s.recv(65536) == b""
    except ConnectionResetError:
        return True
f = open(os.path.join(tmp, "file"), "w")
r, w = os.pipe()
cases = []
s = conn(); socket.send_fds(s, [b"ws 0\n"], [f.fileno()]); cases.append(("regular file", closed(s)))
s = conn(); socket.send_fds(s, [b"ws 0\n"], [w, w]); cases.append(("two fds", closed(s)))
s = conn(); s.sendall(b"ws 0\n"); cases.append(("no fd", closed(s)))
s = conn(); socket.send_fds(s, [b"sub\n"], [w]); cases.append(("fd with sub", closed(s)))
s = conn(); socket.send_fds(s, [b"ws 0\n"], [r]); cases.append(("read end", closed(s)))
# a good one, then a malformed command
s = conn(); socket.send_fds(s, [b"ws 0\n"], [w])
got = os.read(r, 65536).decode()
s.sendall(b"topics 99\n")
cases.append(("bad command", closed(s) and '"type":"connected"' in got and "realtime_update" in got))
print(" ".join("%s=%s" % (n.replace(" ", "_"), ok) for n, ok in cases))
PY
	assert_output 'regular_file=True two_fds=True no_fd=True fd_with_sub=True read_end=True bad_command=True'
	run cat "$BATS_TEST_TMPDIR/hub.err"
	assert_output --partial 'neither a pipe nor a socket'
	assert_output --partial 'more than one fd'
	assert_output --partial 'ws hello without an fd'
	assert_output --partial 'not open for writing'
	assert_output --partial 'bad topic mask'
	# the hub itself goes on
	run hub_client snap
	assert_output "$RT"
	run hub_client stats
	run jq .cutoffs_total.protocol <<<"$output"
	assert_output 6
}

@test "out of file descriptors: the hub sheds connections without spinning and serves again once they go" {
	_hub_socket
	HUB_FIFO=$BATS_TEST_TMPDIR/hub.in.fd
	mkfifo "$HUB_FIFO"
	spawn bash -c 'ulimit -n 32; exec "$@" <"$0"' "$HUB_FIFO" "$KL_BIN/kato-hub" \
		--socket "$HUB_SOCKET" 2>>"$BATS_TEST_TMPDIR/hub.err" 3>&-
	HUB_PID=$LAST_PID
	exec {HUB_FEED}>"$HUB_FIFO"
	wait_until 10 test -S "$HUB_SOCKET"
	hub_send "$RT"
	wait_retained 1
	# 60 connections that hold on (and say nothing)
	"$PY3" -c '
import socket, sys, time
ss = []
for i in range(60):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); ss.append(s)
print("held", flush=True)
time.sleep(3)
' "$HUB_SOCKET" >"$BATS_TEST_TMPDIR/held" 3>&- &
	local holder=$!
	wait_until 10 grep -q held "$BATS_TEST_TMPDIR/held"
	wait_until 10 grep -q 'Too many open files' "$BATS_TEST_TMPDIR/hub.err"
	# while they hold, the hub uses (almost) no CPU
	local t0 t1
	t0=$(awk '{print $14 + $15}' "/proc/$HUB_PID/stat")
	sleep 1
	t1=$(awk '{print $14 + $15}' "/proc/$HUB_PID/stat")
	echo "# CPU ticks in 1 s at the fd limit: $((t1 - t0))" >&3
	[ $((t1 - t0)) -lt 20 ]
	wait "$holder"
	run hub_client snap --timeout 5
	assert_output "$RT"
}

@test "kato-snapshot reads a snap with more sessions than any one message (10 MB of session_update) and answers from its frame" {
	start_hub
	local now
	now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	hub_send '{"type":"realtime_update","timestamp":"'"$now"'","interval_ms":3000,"data":{"metrics":{"a":1},"health":{"status":"healthy"},"containers":{"containers":[],"aggregated":{}},"sessions":{"active_count":1,"total_count":1}},"stale":[],"sources":{}}'
	"$PY3" -c '
import json
for i in range(25000):
    print(json.dumps({"type": "session_update", "op": "added",
                      "session": {"session_id": "session-%032d-%d" % (i, i), "node_id": "n" * 360}}))
' >&"$HUB_FEED"
	_in_is() { [ "$(hub_client stats | jq .messages_in_total)" = "$1" ]; }
	wait_until 60 _in_is 25001
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" --timeout 20 /api/v1/health
	assert_success
	run jq -r .status <<<"$output"
	assert_output healthy
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" --timeout 20 /api/v1/system/metrics
	assert_success
}
