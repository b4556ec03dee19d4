#!/usr/bin/env bats
# kato-stream against a real redis-server on a loopback port.

bats_require_minimum_version 1.5.0
load lib/common
load lib/redis
load lib/stream

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	PERR=$BATS_TEST_TMPDIR/put.err
	: >"$OUT"
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$ERR" "$PERR" "$BATS_TEST_TMPDIR/run.err"
}

# get in the background: stdout $OUT, stderr $ERR, PID $GET_PID.
start_get() {
	spawn "$KL_BIN/kato-stream" get "$@" >"$OUT" 2>"$ERR"
	GET_PID=$LAST_PID
}

out_lines() { [ "$(wc -l <"$OUT")" -ge "$1" ]; }

# put ARGS < input: kato-stream put, stderr appended to $PERR.
put() { "$KL_BIN/kato-stream" put "$@" 2>>"$PERR"; }

alive() { kill -0 "$1" 2>/dev/null; }

# put_fed_by_fd4 ARGS...: kato-stream put ARGS in the background ($PUT_PID),
# reading a FIFO this shell writes on fd 4 (a background command's stdin
# would be /dev/null: the redirection happens inside).  Close fd 4 for
# anything else started meanwhile, or put never sees the end of its input.
put_fed_by_fd4() {
	local gen=$BATS_TEST_TMPDIR/gen
	mkfifo "$gen"
	spawn bash -c 'exec "$0" put "${@:3}" <"$1" 2>>"$2"' \
		"$KL_BIN/kato-stream" "$gen" "$PERR" "$@"
	PUT_PID=$LAST_PID
	exec 4>"$gen"
}

@test "kato-stream --help shows the synopsis; bad invocations are usage errors (100)" {
	run "$KL_BIN/kato-stream" --help
	assert_success
	assert_line --index 0 'usage: kato-stream put [--url URL] [--maxlen N] [--queue N] [--timeout SECONDS]'
	# the man page's SYNOPSIS says the same (squeezed: man pads its lines)
	run bash -c 'MANWIDTH=200 man -l "$0" 2>/dev/null | tr -s " "' "$TOP/man/kato-stream.1"
	assert_output --partial 'kato-stream put [--url URL] [--maxlen N] [--queue N] [--timeout SECONDS] [STREAM]'
	assert_output --partial 'kato-stream get [--url URL] [--since MINUTES | --from-id ID]'
	run "$KL_BIN/kato-stream"
	assert_failure 100
	run "$KL_BIN/kato-stream" fetch s
	assert_failure 100
	run "$KL_BIN/kato-stream" put --since 5 s
	assert_failure 100
	run "$KL_BIN/kato-stream" get --maxlen 5 s
	assert_failure 100
	run "$KL_BIN/kato-stream" get --queue 5 s
	assert_failure 100
	run "$KL_BIN/kato-stream" put --queue -1 s
	assert_failure 100
	run "$KL_BIN/kato-stream" get --from-id abc s
	assert_failure 100
	assert_output --partial "bad --from-id 'abc'"
	run "$KL_BIN/kato-stream" get --since -1 s
	assert_failure 100
	run "$KL_BIN/kato-stream" get --url 'redis://127.0.0.1:6379' 'two words'
	assert_failure 100
}

@test "kato-stream: a bad REDIS_URL is a usage error that never shows its password" {
	for u in 'http://me:sekret@host' 'redis://me:sekret@host:99999' \
		'redis://:sekret@/0' 'redis://me:sek%zzret@host' 'unix://:sekret@relative/sock'; do
		run "$KL_BIN/kato-stream" get --url "$u" s
		assert_failure 100
		assert_output --partial 'bad REDIS_URL'
		refute_output --partial 'sekret'
		refute_output --partial 'sek%zz'
	done
	REDIS_URL='redis://me:sekret@host:0' run "$KL_BIN/kato-stream" get s
	assert_failure 100
	refute_output --partial 'sekret'
}

@test "kato-stream: what put adds, get writes, the same lines in the same order" {
	start_redis
	start_get --url "$REDIS_URL" frames
	wait_until 20 xread_waiting
	seq 1 300 | sed 's/.*/{"type":"realtime_update","n":&,"s":"a b\\"c"}/' >"$BATS_TEST_TMPDIR/in"
	put --url "$REDIS_URL" frames <"$BATS_TEST_TMPDIR/in"
	wait_until 20 out_lines 300
	diff "$BATS_TEST_TMPDIR/in" "$OUT"
	# each entry carries the marker beside the line
	run rcli --raw XRANGE frames - + COUNT 1
	assert_line --index 1 kl
	assert_line --index 2 1
	assert_line --index 3 kp
	assert_line --index 5 line
	# a second reader started later begins after the newest entry
	spawn "$KL_BIN/kato-stream" get --url "$REDIS_URL" frames >"$BATS_TEST_TMPDIR/out2" 2>>"$ERR"
	wait_until 20 bash -c "[ \$(redis-cli -p $REDIS_PORT CLIENT LIST | grep -c cmd=xread) -ge 2 ]"
	echo '{"n":301}' | put --url "$REDIS_URL" frames
	wait_until 20 grep -q '"n":301' "$BATS_TEST_TMPDIR/out2"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out2")" -eq 1 ]
	wait_until 20 out_lines 301
}

@test "kato-stream put: bad lines are skipped with their line number; the good ones go on" {
	start_redis
	printf '{"n":1}\nnot json\n[1,2]\n{"n":2}\n' | put --url "$REDIS_URL" s
	run stream_lines s
	assert_output $'{"n":1}\n{"n":2}'
	run cat "$PERR"
	assert_line --partial 'stdin line 2: invalid JSON'
	assert_line --partial 'stdin line 3: not a JSON object'
}

@test "kato-stream: --maxlen bounds the stream" {
	start_redis
	seq 1 3000 | sed 's/.*/{"n":&}/' | put --url "$REDIS_URL" --maxlen 100 s
	n=$(rcli XLEN s)
	[ "$n" -ge 100 ] && [ "$n" -lt 400 ]
	[ "$(stream_lines s | tail -n 1)" = '{"n":3000}' ]
}

@test "kato-stream: Redis killed and restarted mid-stream, no line missing or doubled" {
	start_redis --appendonly yes --appendfsync always --dir "$BATS_TEST_TMPDIR"
	start_get --url "$REDIS_URL" s
	wait_until 20 xread_waiting
	gen=$BATS_TEST_TMPDIR/gen
	mkfifo "$gen"
	spawn bash -c "for i in \$(seq 1 600); do echo \"{\\\"n\\\":\$i}\"; sleep 0.01; done >$gen"
	GEN_PID=$LAST_PID
	# (a background command's stdin would be /dev/null: redirect inside)
	spawn bash -c 'exec "$0" put --url "$1" s <"$2" 2>>"$3"' \
		"$KL_BIN/kato-stream" "$REDIS_URL" "$gen" "$PERR"
	PUT_PID=$LAST_PID
	wait_until 30 out_lines 50 || { cat "$ERR" "$PERR"; false; }
	kill_redis
	before=$(wc -l <"$OUT")
	restart_redis
	wait "$GEN_PID"
	wait "$PUT_PID"
	# put held what came while Redis was away, and added it in order
	seq 1 600 | sed 's/.*/{"n":&}/' >"$BATS_TEST_TMPDIR/in"
	stream_lines s >"$BATS_TEST_TMPDIR/stream"
	diff "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/stream"
	# get resumed after its last entry: every line once, in order
	wait_until 30 out_lines 600
	diff "$BATS_TEST_TMPDIR/in" "$OUT"
	[ "$before" -lt 600 ]
	grep -q 'reading from redis://127.0.0.1:[0-9]* again' "$ERR"
	grep -q 'adding to redis://127.0.0.1:[0-9]* again' "$PERR"
}

@test "kato-stream put: while Redis is away it holds the newest --queue lines, then adds them in order" {
	REDIS_PORT=$(free_port)
	put_fed_by_fd4 --url "redis://127.0.0.1:$REDIS_PORT" --queue 5 s
	seq 1 20 | sed 's/.*/{"n":&}/' >&4
	wait_until 20 grep -q 'Connection refused' "$PERR"
	restart_redis 4>&-    # on that port (closing fd 4, or it would hold the FIFO open)
	wait_until 30 bash -c "[ \$(redis-cli -p $REDIS_PORT XLEN s) -ge 5 ]"
	echo '{"n":21}' >&4
	exec 4>&-
	wait "$PUT_PID"
	run stream_lines s
	assert_output "$(seq 16 21 | sed 's/.*/{"n":&}/')"
	grep -q 'adding to .* again (15 lines dropped meanwhile)' "$PERR"
}

@test "kato-stream put: an XADD whose answer was lost is not added twice" {
	start_redis --enable-debug-command yes
	put_fed_by_fd4 --url "$REDIS_URL" --timeout 0.3 s
	echo '{"n":1}' >&4
	wait_until 20 bash -c "[ \$(redis-cli -p $REDIS_PORT XLEN s) -ge 1 ]"
	# Redis stops answering for 2 s: put's XADD waits in its socket, put
	# gives up on the answer and reconnects; Redis then runs the XADD.
	spawn redis-cli -p "$REDIS_PORT" DEBUG SLEEP 2 4>&-
	wait_until 10 bash -c "! timeout 0.2 redis-cli -p $REDIS_PORT PING >/dev/null"
	echo '{"n":2}' >&4
	wait_until 10 grep -q 'no answer within' "$PERR"
	wait_until 20 redis_up
	wait_until 20 grep -q 'adding to .* again' "$PERR"
	echo '{"n":3}' >&4
	exec 4>&-
	wait "$PUT_PID"
	run stream_lines s
	assert_output $'{"n":1}\n{"n":2}\n{"n":3}'
}

@test "kato-stream: a wrong password is a clear error, retried, never shown" {
	REDIS_AUTH=right-pass-123
	start_redis --requirepass "$REDIS_AUTH"
	start_get --url "redis://:wrong-pass-456@127.0.0.1:$REDIS_PORT" s
	wait_until 20 grep -q 'log in to' "$ERR"
	echo '{"n":1}' | put --url "redis://:wrong-pass-456@127.0.0.1:$REDIS_PORT" s
	grep -q 'WRONGPASS' "$PERR"
	grep -q "1 lines not added to redis://127.0.0.1:$REDIS_PORT: log in to" "$PERR"
	alive "$GET_PID"
	[ ! -s "$OUT" ]
	! grep -q 'wrong-pass' "$ERR" "$PERR"
	! grep -q 'right-pass' "$ERR" "$PERR"
	# and with the right one (an ACL user in the URL works too)
	rcli -a "$REDIS_AUTH" ACL SETUSER feed on '>user-pass-789' '~*' '+@all' >/dev/null
	echo '{"n":2}' | put --url "redis://feed:user-pass-789@127.0.0.1:$REDIS_PORT" s
	run stream_lines s
	assert_output '{"n":2}'
	! grep -q 'user-pass' "$PERR"
}

@test "kato-stream: a key that is not our stream is refused until it is ours" {
	start_redis
	rcli SET s 'something else' >/dev/null
	start_get --url "$REDIS_URL" s
	wait_until 20 grep -q "key 's' on redis://127.0.0.1:$REDIS_PORT is not our stream: it is a string" "$ERR"
	echo '{"n":1}' | put --url "$REDIS_URL" s
	grep -q 'is not our stream: it is a string' "$PERR"
	[ "$(rcli GET s)" = 'something else' ]
	# a stream of someone else's entries is not ours either
	rcli DEL s >/dev/null
	rcli XADD s '*' temperature 21 >/dev/null
	echo '{"n":2}' | put --url "$REDIS_URL" s
	grep -q "stream 's' on .* is not ours: its newest entry .* has no kl=1 and line fields" "$PERR"
	[ "$(rcli XLEN s)" -eq 1 ]
	alive "$GET_PID"
	[ ! -s "$OUT" ]
	# once the key is ours, get (still retrying) takes it from there
	rcli DEL s >/dev/null
	wait_until 40 xread_waiting
	echo '{"n":3}' | put --url "$REDIS_URL" s
	wait_until 40 out_lines 1
	run cat "$OUT"
	assert_output '{"n":3}'
}

@test "kato-stream get: foreign or bad entries among ours are skipped and said" {
	start_redis
	echo '{"n":1}' | put --url "$REDIS_URL" s
	rcli XADD s '*' temperature 21 >/dev/null
	rcli XADD s '*' kl 1 line 'not json' >/dev/null
	echo '{"n":2}' | put --url "$REDIS_URL" s
	start_get --url "$REDIS_URL" --from-id 0 s
	wait_until 20 out_lines 2
	run cat "$OUT"
	assert_output $'{"n":1}\n{"n":2}'
	grep -q "holds entries that are not ours" "$ERR"
	grep -q "invalid JSON at byte 0, skipped" "$ERR"
}

@test "kato-stream get --since MINUTES starts with that backlog; --from-id after that entry" {
	start_redis
	now=$(rcli --raw TIME | head -n 1)
	old=$(( (now - 600) * 1000 ))
	rcli XADD s "$old-0" kl 1 line '{"age":"ten minutes"}' >/dev/null
	rcli XADD s "$(( (now - 120) * 1000 ))-0" kl 1 line '{"age":"two minutes"}' >/dev/null
	echo '{"age":"now"}' | put --url "$REDIS_URL" s
	start_get --url "$REDIS_URL" --since 5 s
	wait_until 20 out_lines 2
	run cat "$OUT"
	assert_output $'{"age":"two minutes"}\n{"age":"now"}'
	kill "$GET_PID"
	wait "$GET_PID"
	start_get --url "$REDIS_URL" --since 15 s
	wait_until 20 out_lines 3
	[ "$(head -n 1 "$OUT")" = '{"age":"ten minutes"}' ]
	spawn "$KL_BIN/kato-stream" get --url "$REDIS_URL" --from-id "$old" s >"$BATS_TEST_TMPDIR/out2" 2>>"$ERR"
	wait_until 20 bash -c "[ \$(wc -l <$BATS_TEST_TMPDIR/out2) -ge 2 ]"
	run cat "$BATS_TEST_TMPDIR/out2"
	assert_output $'{"age":"two minutes"}\n{"age":"now"}'
}

@test "kato-stream: over a Unix socket into another database; stops at once on SIGTERM" {
	sock=$BATS_TEST_TMPDIR/redis.sock
	start_redis --unixsocket "$sock" --unixsocketperm 700
	start_get --url "unix://$sock?db=3" s
	wait_until 20 xread_waiting
	echo '{"n":1}' | put --url "unix://$sock?db=3" s
	wait_until 20 out_lines 1
	[ "$(rcli -n 3 XLEN s)" -eq 1 ]
	[ "$(rcli -n 0 EXISTS s)" -eq 0 ]
	kill -TERM "$GET_PID"
	wait_until 2 bash -c "! kill -0 $GET_PID 2>/dev/null"
	wait "$GET_PID"
}

# su OP ID [N]: a session_update line as kato-merge writes it.
su() {
	if [ "$1" = reset ]; then
		echo '{"type":"session_update","timestamp":"2026-12-02T07:00:00.000Z","op":"reset"}'
	else
		printf '{"type":"session_update","timestamp":"2026-12-02T07:00:00.000Z","op":"%s","session":{"op":"%s","session_id":"%s","node_id":"n","access_count":%s}}\n' \
			"$1" "$1" "$2" "${3:-1}"
	fi
}

@test "kato-stream put keeps the state beside the stream: the newest active_alerts, every open session; removed and reset forget" {
	start_redis
	{
		echo '{"type":"active_alerts","timestamp":"t1","alerts":[{"type":"x"}]}'
		su added session-a
		su added session-b
		echo '{"type":"realtime_update","n":1}'
		su updated session-b 5
		su removed session-a
		echo '{"type":"active_alerts","timestamp":"t2","alerts":[]}'
		echo '{"type":"system_alert","n":2}'
	} | put --url "$REDIS_URL" s
	[ "$(rcli XLEN s)" -eq 8 ]
	run rcli --raw HGETALL s:retained
	assert_output $'active_alerts\n{"type":"active_alerts","timestamp":"t2","alerts":[]}'
	run rcli --raw HKEYS s:sessions
	assert_output session-b
	rcli --raw HGET s:sessions session-b | jq -e '.session.access_count == 5'
	# a new kato-sessions: the list starts afresh
	{ su reset; su added session-c; } | put --url "$REDIS_URL" s
	run rcli --raw HKEYS s:sessions
	assert_output session-c
	# a frame is not state; a session_update without an id is not kept
	echo '{"type":"session_update","op":"added","session":{}}' | put --url "$REDIS_URL" s
	run rcli --raw HKEYS s:sessions
	assert_output session-c
	run rcli --raw HKEYS s:retained
	assert_output active_alerts
}

@test "kato-stream get --state: a late reader starts with the state, then every line after it, none twice" {
	start_redis
	{
		echo '{"type":"active_alerts","timestamp":"t1","alerts":[{"type":"cpu"}]}'
		su added session-a
		su added session-b
		su removed session-a
		echo '{"type":"realtime_update","n":1}'
	} | put --url "$REDIS_URL" s
	start_get --url "$REDIS_URL" --state s
	wait_until 20 out_lines 2
	wait_until 20 xread_waiting
	run cat "$OUT"
	assert_line --index 0 '{"type":"active_alerts","timestamp":"t1","alerts":[{"type":"cpu"}]}'
	assert_line --index 1 --partial '"session_id":"session-b"'
	[ "${#lines[@]}" -eq 2 ]
	{ su added session-c; echo '{"type":"realtime_update","n":2}'; } | put --url "$REDIS_URL" s
	wait_until 20 out_lines 4
	assert_equal "$(sed -n 3p "$OUT" | jq -r .session.session_id)" session-c
	assert_equal "$(sed -n 4p "$OUT" | jq -r .n)" 2
	# with --since, the backlog follows the state; replayed, it ends the same
	spawn "$KL_BIN/kato-stream" get --url "$REDIS_URL" --state --since 5 s >"$BATS_TEST_TMPDIR/out2" 2>>"$ERR"
	wait_until 20 bash -c "[ \$(wc -l <$BATS_TEST_TMPDIR/out2) -ge 10 ]"
	# the state (its sessions in any order), then the whole backlog
	run jq -r '[.type, (.session.session_id // .n // "")] | join(" ")' "$BATS_TEST_TMPDIR/out2"
	assert_line --index 0 "active_alerts "
	[ "$(sed -n 2,3p <<<"$output" | sort | paste -sd ,)" = "session_update session-b,session_update session-c" ]
	assert_equal "$(sed -n '4,$p' <<<"$output")" "active_alerts 
session_update session-a
session_update session-b
session_update session-a
realtime_update 1
session_update session-c
realtime_update 2"
	# get --state and --from-id exclude each other; put takes no --state
	run "$KL_BIN/kato-stream" get --state --from-id 1-0 s
	assert_failure 100
	run "$KL_BIN/kato-stream" put --state s
	assert_failure 100
}

@test "kato-stream get --state | kato-hub: a web node started late gives a newcomer the firing alerts and the whole session list" {
	start_redis
	{
		echo '{"type":"active_alerts","timestamp":"2026-12-02T07:00:00.000Z","alerts":[{"type":"high_cpu","level":"warning"}]}'
		for i in $(seq 1 50); do su added "session-$i"; done
		for i in $(seq 1 20); do su removed "session-$i"; done
		echo '{"type":"realtime_update","timestamp":"2026-12-02T07:00:00.000Z","data":{}}'
	} | put --url "$REDIS_URL" s
	HUB_SOCKET=$BATS_TEST_TMPDIR/hub/hub.sock
	mkdir -m 700 "$BATS_TEST_TMPDIR/hub"
	# get | kato-hub, as a web node runs them (through a FIFO: each is
	# spawned, so each is stopped afterwards)
	mkfifo "$BATS_TEST_TMPDIR/feed"
	spawn bash -c 'exec "$0" --socket "$1" <"$2" 2>>"$3"' \
		"$KL_BIN/kato-hub" "$HUB_SOCKET" "$BATS_TEST_TMPDIR/feed" "$ERR"
	# no backlog (no --since): all a newcomer gets is from the state
	spawn "$KL_BIN/kato-stream" get --url "$REDIS_URL" --state s \
		>"$BATS_TEST_TMPDIR/feed" 2>>"$ERR"
	wait_until 20 test -S "$HUB_SOCKET"
	snap() { python3 "$TOP/tests/lib/hubclient.py" "$HUB_SOCKET" snap >"$BATS_TEST_TMPDIR/snap" &&
		[ "$(jq -r 'select(.type=="session_update") | .session.session_id' "$BATS_TEST_TMPDIR/snap" | wc -l)" -eq 30 ]; }
	wait_until 20 snap
	jq -e -s '[.[] | select(.type=="active_alerts")][0].alerts[0].type == "high_cpu"' "$BATS_TEST_TMPDIR/snap"
	diff <(seq 21 50 | sed 's/^/session-/' | sort) \
		<(jq -r 'select(.type=="session_update") | .session.session_id' "$BATS_TEST_TMPDIR/snap" | sort)
}

@test "kato-stream put: a state change dropped while Redis was away, or lost with Redis, is written again when it is back" {
	start_redis
	put_fed_by_fd4 --url "$REDIS_URL" --queue 2 s
	{
		su added session-1
		su added session-2
		echo '{"type":"active_alerts","timestamp":"t1","alerts":[{"id":"high_cpu"}]}'
	} >&4
	wait_until 20 bash -c "[ \"\$(redis-cli -p $REDIS_PORT HGET s:retained active_alerts | jq -c .alerts)\" = '[{\"id\":\"high_cpu\"}]' ]"
	[ "$(rcli HLEN s:sessions)" -eq 2 ]
	# Redis goes away (no persistence: it comes back empty); meanwhile
	# the alert resolves and session-1 ends, and frames push both
	# changes out of put's queue of 2
	stop_redis
	{
		su removed session-1
		echo '{"type":"active_alerts","timestamp":"t2","alerts":[]}'
		for i in 1 2 3; do echo "{\"type\":\"realtime_update\",\"n\":$i}"; done
	} >&4
	wait_until 20 grep -q 'Connection refused' "$PERR"
	restart_redis 4>&-
	wait_until 30 grep -q 'adding to .* again' "$PERR"
	# the state is put's own, whole: the alert resolved, session-1 gone
	wait_until 20 bash -c "[ \"\$(redis-cli -p $REDIS_PORT HGET s:retained active_alerts | jq -c .alerts)\" = '[]' ]"
	run rcli --raw HKEYS s:sessions
	assert_output session-2
	# and a late web node starts from it
	start_get --url "$REDIS_URL" --state s 4>&-
	wait_until 20 out_lines 2
	run jq -c '[.type, (.session.session_id // .alerts)]' "$OUT"
	assert_output $'["active_alerts",[]]\n["session_update","session-2"]'
	exec 4>&-
	wait "$PUT_PID"
}

@test "kato-stream get --state: entries trimmed while it was away are a gap it says, and the state is written again after a reset" {
	start_redis
	{ su added session-1; echo '{"type":"realtime_update","n":0}'; } | put --url "$REDIS_URL" s
	start_get --url "$REDIS_URL" --state s
	wait_until 20 out_lines 1
	wait_until 20 xread_waiting
	# get is held while session-1 ends and 300 frames go by, the stream
	# trimmed to 10 entries; then its connection is cut
	kill -STOP "$GET_PID"
	{
		su removed session-1
		su added session-2
		for i in $(seq 1 300); do echo "{\"type\":\"realtime_update\",\"n\":$i}"; done
	} | put --url "$REDIS_URL" s
	rcli XTRIM s MAXLEN 10 >/dev/null
	rcli CLIENT KILL TYPE normal >/dev/null
	kill -CONT "$GET_PID"
	wait_until 30 grep -q 'was trimmed past the last entry written' "$ERR"
	wait_until 20 grep -q '"n":300' "$OUT"
	# (what Redis had already sent before the cut may come first), then
	# after the gap: a reset, then the state (session-2 only), then the rest
	run jq -c 'select(.type=="session_update") | [.op, .session.session_id]' "$OUT"
	assert_line --index 0 '["added","session-1"]'
	[ "$(tail -n 2 <<<"$output")" = $'["reset",null]\n["added","session-2"]' ]
	grep -q 'entries may be lost; the state is written again' "$ERR"
	# no frame twice
	[ -z "$(jq -r 'select(.n) | .n' "$OUT" | sort | uniq -d)" ]
}
