#!/usr/bin/env bats
# kato-sessions against a real redis-server, filled by the KATO simulator
# in Redis mode (the keys, values and TTL moves KATO makes).

bats_require_minimum_version 1.5.0
load lib/common
load lib/katosim
load lib/redis
load lib/hub

NOTIF='K$gx'

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	: >"$OUT"
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$ERR" "$BATS_TEST_TMPDIR/once.err"
}

once() {
	run --separate-stderr "$KL_BIN/kato-sessions" --once "$@"
	ONCE_ERR=$stderr
	printf '%s\n' "$stderr" >>"$BATS_TEST_TMPDIR/once.err"
}

watch() {
	spawn "$KL_BIN/kato-sessions" "$@" >"$OUT" 2>"$ERR"
	KS_PID=$LAST_PID
	wait_until 20 has_lines "$OUT" '.ok!=null' 1
}

# The simulator's last control call's ops, as one JSON array.
ops() { sim_ctl "$@" | jq -c .ops; }

# latency OPS EVENT_TYPE FIELD: for every op in OPS (JSON array), the
# milliseconds from its FIELD (t_ms: the write; due_ms: the expiry) to
# the ts of kato-sessions' EVENT_TYPE record for that session; "missing"
# if there is none.
latency() {
	python3 - "$OUT" "$1" "$2" "$3" <<-'PY'
	import datetime, json, sys
	recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	ops, etype, field = json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
	def ms(ts):
	    d = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
	    return d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
	for op in ops:
	    hit = [r for r in recs if r.get("event", {}).get("event_type") == etype
	           and r["event"]["session_id"] == op["session_id"]]
	    print("%.0f" % (ms(hit[0]["ts"]) - op[field]) if hit else "missing")
	PY
}

# all_under LIMIT: every line on stdin is a number below LIMIT.
all_under() {
	local n bad=0 count=0
	while read -r n; do
		count=$((count + 1))
		if [ "$n" = missing ] || [ "$n" -ge "$1" ]; then bad=1; fi
		echo "latency: $n ms" >&3
	done
	[ "$count" -gt 0 ] && [ "$bad" -eq 0 ]
}

session_ids_out() { jq -r 'select(.session) | .session.session_id' "$OUT" | sort; }

@test "kato-sessions --help shows the synopsis; bad settings are usage errors (100)" {
	run "$KL_BIN/kato-sessions" --help
	assert_success
	assert_line --index 0 'usage: kato-sessions [--redis URL] [--interval SECONDS] [--timeout SECONDS]'
	REDIS_URL= run "$KL_BIN/kato-sessions" --once
	assert_failure 100
	assert_output --partial "set REDIS_URL or give --redis URL"
	run "$KL_BIN/kato-sessions" --once --redis rediss://u:hunter2@h:6380
	assert_failure 100
	assert_output --partial "rediss://h:6380"
	assert_output --partial "no SSL"
	refute_output --partial hunter2
	run "$KL_BIN/kato-sessions" --once --redis 'redis://:hunter2@h:99999'
	assert_failure 100
	assert_output --partial "bad REDIS_URL redis://h:99999: port"
	refute_output --partial hunter2
	run "$KL_BIN/kato-sessions" --once --redis redis://h --max-sessions 0
	assert_failure 100
}

@test "kato-sessions --once: the list equals what the simulator made, node keys skipped" {
	start_redis
	start_kato_sim --redis "$REDIS_URL" --sessions 4
	sim_ctl sessions update 1 >/dev/null
	once --redis "$REDIS_URL"
	assert_success
	[ -z "$ONCE_ERR" ]
	echo "$output" >"$OUT"
	diff <(sim_state '.sessions.ids[]' | sort) <(session_ids_out)
	[ "$(rcli --scan --pattern 'kato:session:node:*' | wc -l)" -eq 4 ]
	# every record: op added, KATO's fields; the tick: the count
	jq -e -s '[.[] | select(.session)] | length==4 and all(.session.op=="added"
		and (.session.node_id|startswith("node-")) and (.session.created_at|test("Z$"))
		and (.session.ttl_ms > 3500000) and (.session.expires_at|type=="string")
		and (.session.access_count|type=="number"))' "$OUT"
	jq -e -s '[.[] | select(.session.access_count==1)] | length==1' "$OUT"
	jq -e -s '.[-1] | .ok==true and .data.active_count==4 and .data.notifications==false
		and .source=="kato-sessions"' "$OUT"
}

@test "kato-sessions: created, ended and expired each reported within 100 ms of the Redis change" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 2
	watch --redis "$REDIS_URL" --interval 1
	jq -e -s '[.[] | select(.ok==true)][0].data.notifications==true' "$OUT"
	[ "$(lines_matching "$OUT" '.session.op=="added"')" -eq 2 ]
	[ "$(lines_matching "$OUT" '.event')" -eq 0 ] # the first list is no news

	created=$(ops sessions create 5)
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_created"' 5
	latency "$created" session_created t_ms | all_under 100

	ended=$(ops sessions delete 2)
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_destroyed"' 2
	latency "$ended" session_destroyed t_ms | all_under 100

	expired=$(ops sessions expire 2)
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_expired"' 2
	latency "$expired" session_expired due_ms | all_under 100

	# the counts run on from the list
	jq -e -s '[.[] | select(.event) | .event] | .[0].previous_count==2 and .[0].current_count==3
		and .[-1].current_count==3 and all(.delta==(.current_count-.previous_count))' "$OUT"
	jq -e -s '[.[] | select(.session.op=="removed")] | map(.session.reason) == ["ended","ended","expired","expired"]' "$OUT"
	wait_until 10 has_lines "$OUT" '.data.active_count==3' 1
}

@test "kato-sessions: touch and update are 'updated' records; the node keys never show" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 1
	watch --redis "$REDIS_URL" --interval 1
	sid=$(sim_state '.sessions.ids[0]')
	rcli EXPIRE "kato:session:$sid" 100 >/dev/null # as if it had been idle a while
	wait_until 10 has_lines "$OUT" '.session.op=="updated" and .session.ttl_ms<=100000' 1
	sim_ctl sessions touch 1 >/dev/null
	wait_until 10 has_lines "$OUT" '.session.op=="updated" and .session.ttl_ms>3000000' 1
	sim_ctl sessions update 1 >/dev/null
	wait_until 10 has_lines "$OUT" '.session.op=="updated" and .session.access_count==1' 1
	[ "$(lines_matching "$OUT" '.session and (.session.session_id|startswith("session-")|not)')" -eq 0 ]
	[ "$(lines_matching "$OUT" '.event')" -eq 0 ]
}

@test "kato-sessions: two sessions that start and end within one tick are both seen" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL"
	watch --redis "$REDIS_URL" --interval 5
	# both inside one 5 s tick, the second within a millisecond or so
	python3 - "$REDIS_PORT" <<-'PY'
	import json, socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	def cmd(*a):
	    s.sendall(b"".join([b"*%d\r\n" % len(a)] + [b"$%d\r\n%s\r\n" % (len(x), x) for x in (v.encode() for v in a)]))
	for i in (1, 2):
	    sid = "session-%032x-1796000000000" % i
	    cmd("SETEX", "kato:session:" + sid, "3600", json.dumps({"session_id": sid, "node_id": "n%d" % i}))
	    cmd("DEL", "kato:session:" + sid)
	s.recv(100)
	PY
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_destroyed"' 2
	[ "$(lines_matching "$OUT" '.event.event_type=="session_created"')" -eq 2 ]
	[ "$(lines_matching "$OUT" '.session.op=="removed" and .session.reason=="ended"')" -eq 2 ]
}

@test "kato-sessions: notifications off: says so once, and a SCAN every tick finds every change" {
	start_redis
	start_kato_sim --redis "$REDIS_URL" --sessions 3
	watch --redis "$REDIS_URL" --interval 0.3
	jq -e -s '[.[] | select(.ok==true)][0].data.notifications==false' "$OUT"
	wait_until 10 grep -q 'keyspace notifications are off' "$ERR"
	sim_ctl sessions create 2 >/dev/null
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_created"' 2
	sim_ctl sessions delete 1 >/dev/null
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_destroyed"' 1
	# an idle session expires (without notifications, a TTL cut short
	# between two scans looks like a delete: only the expiry time tells)
	sim_ctl sessions create 1 ttl=1 >/dev/null
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_expired"' 1
	sim_ctl sessions touch 1 >/dev/null
	wait_until 10 has_lines "$OUT" '.session.op=="updated"' 1
	wait_until 10 has_lines "$OUT" '.data.active_count==3' 1
	# what kato-sessions lists now is what Redis holds
	diff <(sim_state '.sessions.ids[]' | sort) \
		<(jq -r -s 'reduce (.[] | select(.session) | .session) as $s ({};
			if $s.op=="reset" then {} elif $s.op=="removed" then del(.[$s.session_id])
			else .[$s.session_id]=1 end) | keys[]' "$OUT" | sort)
	[ "$(grep -c 'keyspace notifications are off' "$ERR")" -eq 1 ]
	# and never turned them on itself
	[ "$(rcli CONFIG GET notify-keyspace-events | tail -1)" = "" ]
}

@test "kato-sessions: notifications turned off under it: noticed within 100 ticks, nothing lost" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 1
	watch --redis "$REDIS_URL" --interval 0.05
	jq -e -s '[.[] | select(.ok==true)][0].data.notifications==true' "$OUT"
	rcli CONFIG SET notify-keyspace-events "" >/dev/null
	sim_ctl sessions create 2 >/dev/null
	wait_until 20 has_lines "$OUT" '.event.event_type=="session_created"' 2
	grep -q 'keyspace notifications are off' "$ERR"
	wait_until 10 has_lines "$OUT" '.ok==true and .data.notifications==false and .data.active_count==3' 1
}

@test "kato-sessions --enable-notifications turns them on, only when asked" {
	start_redis
	watch --redis "$REDIS_URL" --enable-notifications
	wait_until 10 has_lines "$OUT" '.data.notifications==true' 1
	rcli CONFIG GET notify-keyspace-events | tail -1 | grep -q K
	grep -q 'turned keyspace notifications on' "$ERR"
}

@test "kato-sessions: Redis killed and restarted: ok:false meanwhile, then the list again with what changed" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 2
	watch --redis "$REDIS_URL" --interval 0.3
	gone=$(sim_state '.sessions.ids[0]')
	stop_redis
	# first the lost connection, then the refused reconnects
	wait_until 10 has_lines "$OUT" '.ok==false' 1
	wait_until 10 has_lines "$OUT" ".ok==false and .error==\"connect to $REDIS_URL: Connection refused\"" 1
	grep -q "Connection refused" "$ERR"
	kill -0 "$KS_PID"
	# back, empty (no persistence): one session of the old ones written back,
	# one new one
	restart_redis
	kill -TERM "$KATO_SIM_PID"; wait "$KATO_SIM_PID" 2>/dev/null || true
	start_kato_sim --redis "$REDIS_URL" --sessions 1
	wait_until 20 has_lines "$OUT" '.event.event_type=="session_created"' 1
	wait_until 20 has_lines "$OUT" '.session.op=="removed"' 2
	wait_until 10 has_lines "$OUT" '.ok==true and .data.active_count==1' 1
	grep -q 'reading Redis again' "$ERR"
	[ "$(lines_matching "$OUT" ".session.op==\"removed\" and .session.session_id==\"$gone\"")" -eq 1 ]
}

@test "kato-sessions: values that are not KATO's are warned about once and never listed" {
	start_redis
	start_kato_sim --redis "$REDIS_URL" --sessions 1
	rcli SET kato:session:session-garbage 'not json' >/dev/null
	rcli SET kato:session:session-other '{"session_id": "session-elsewhere", "node_id": "n"}' >/dev/null
	rcli HSET kato:session:session-hash a 1 >/dev/null
	rcli SET kato:session:session-array '[1,2]' >/dev/null
	watch --redis "$REDIS_URL" --interval 0.2
	wait_until 10 has_lines "$OUT" '.ok==true' 3
	# the reset that starts every run, then the one session
	head -n 1 "$OUT" | jq -e '.session == {"op":"reset"}'
	[ "$(lines_matching "$OUT" '.session')" -eq 2 ]
	[ "$(lines_matching "$OUT" '.session.session_id')" -eq 1 ]
	jq -e -s '[.[] | select(.ok==true)] | all(.data.active_count==1)' "$OUT"
	for k in garbage other hash array; do
		[ "$(grep -c "key kato:session:session-$k:" "$ERR")" -eq 1 ]
	done
	grep -q 'session-garbage: value is not JSON' "$ERR"
	grep -q 'session-hash: not a string key' "$ERR"
	kill -0 "$KS_PID"
}

@test "kato-sessions: a wrong password is ok:false, and the password is never shown" {
	start_redis --requirepass s3cret-pw
	once --redis "redis://:wrong-pw@127.0.0.1:$REDIS_PORT"
	assert_failure 1
	echo "$output" | jq -e '.ok==false and (.error|test("AUTH: WRONGPASS"))'
	[[ $output != *wrong-pw* && $ONCE_ERR != *wrong-pw* ]]
	once --redis "$REDIS_URL"
	assert_failure 1
	echo "$output" | jq -e '.ok==false and (.error|test("NOAUTH"))'
	once --redis "redis://:s3cret-pw@127.0.0.1:$REDIS_PORT"
	assert_success
	[[ $output != *s3cret* && $ONCE_ERR != *s3cret* ]]
}

@test "kato-sessions: a server that is not Redis at all is ok:false, not a crash" {
	start_kato_sim
	once --redis "redis://127.0.0.1:$KATO_SIM_PORT" --timeout 2
	assert_failure 1
	echo "$output" | jq -e --arg u "redis://127.0.0.1:$KATO_SIM_PORT" \
		'.ok==false and (.error|startswith($u + ": "))'
}

@test "kato-sessions works as the read-only ACL user its man page gives" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 2
	acl=$(sed -n 's/^ACL SETUSER kato-live \(.*\)$/\1/p' "$TOP/man/kato-sessions.1" | sed 's/\\-/-/g')
	[ -n "$acl" ]
	read -ra words <<<"${acl/>PASSWORD/>ro-pw}"
	rcli ACL SETUSER kato-live "${words[@]}" | grep -qx OK
	watch --redis "redis://kato-live:ro-pw@127.0.0.1:$REDIS_PORT/0" --interval 1
	# CONFIG GET refused: it listens and scans
	jq -e -s '[.[] | select(.ok==true)][0].data | .active_count==2 and .notifications==false' "$OUT"
	grep -q 'cannot read notify-keyspace-events.*NOPERM' "$ERR"
	created=$(ops sessions create 1)
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_created"' 1
	latency "$created" session_created t_ms | all_under 100
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_created"' 1
	# it cannot write
	run rcli --user kato-live --pass ro-pw SET kato:session:x 1
	assert_output --partial NOPERM
}

@test "kato-sessions: SIGTERM stops it at once; a closed stdout stops it quietly" {
	start_redis
	watch --redis "$REDIS_URL" --interval 0.2
	kill -TERM "$KS_PID"
	wait_exit "$KS_PID" 5
	[ "$EXIT_STATUS" -eq 0 ]
	"$KL_BIN/kato-sessions" --redis "$REDIS_URL" --interval 0.05 2>"$ERR" | head -1 >/dev/null
	run grep -v -e 'keyspace notifications are off' -e 'no session keys' "$ERR"
	assert_output ""
}

@test "kato-sessions: an empty database or another program's Redis is said so, once" {
	start_redis
	rcli SET some:other:key 1 >/dev/null
	watch --redis "$REDIS_URL" --interval 0.2
	wait_until 10 has_lines "$OUT" '.ok==true' 3
	grep -q "no session keys (kato:session:session-\*) in database 0 of $REDIS_URL, which holds other keys" "$ERR"
	[ "$(grep -c 'no session keys' "$ERR")" -eq 1 ]
	jq -e -s '[.[] | select(.ok==true)] | all(.data.active_count==0)' "$OUT"
}

@test "kato-sessions through kato-merge and kato-hub: subscribers get session_update and session_event" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 1
	start_hub
	spawn "$KL_BIN/kato-merge" --interval 0.5 \
		--run "exec '$KL_BIN/kato-sessions' --redis '$REDIS_URL' --interval 0.5" \
		>"$HUB_FIFO" 2>"$ERR"
	SUB=$BATS_TEST_TMPDIR/sub
	wait_until 10 test -S "$HUB_SOCKET"
	spawn python3 "$TOP/tests/lib/hubclient.py" "$HUB_SOCKET" sub --timeout 60 >"$SUB"
	wait_until 20 has_lines "$SUB" '.type=="realtime_update" and .data.sessions.active_count_source=="kato-sessions"' 1
	sid=$(ops sessions create 1 | jq -r '.[0].session_id')
	wait_until 10 has_lines "$SUB" ".type==\"session_update\" and .op==\"added\" and .session.session_id==\"$sid\"" 1
	wait_until 10 has_lines "$SUB" ".type==\"session_event\" and .event_type==\"session_created\" and .data.session_id==\"$sid\" and .data.current_count==2" 1
	sim_ctl sessions delete 2 >/dev/null
	wait_until 10 has_lines "$SUB" '.type=="session_event" and .event_type=="session_destroyed" and .data.current_count==0' 1
	wait_until 10 has_lines "$SUB" '.type=="realtime_update" and .data.sessions.active_count==0' 1
}

@test "kato-sessions restarted under kato-merge: the hub forgets sessions that ended meanwhile (reset), keeps the live ones" {
	start_redis --notify-keyspace-events "$NOTIF"
	start_kato_sim --redis "$REDIS_URL" --sessions 2
	start_hub
	spawn "$KL_BIN/kato-merge" --interval 0.5 \
		--run "exec '$KL_BIN/kato-sessions' --redis '$REDIS_URL' --interval 0.5" \
		>"$HUB_FIFO" 2>"$ERR"
	MERGE_PID=$LAST_PID
	wait_until 10 test -S "$HUB_SOCKET"
	SNAP=$BATS_TEST_TMPDIR/snap
	kept() { python3 "$TOP/tests/lib/hubclient.py" "$HUB_SOCKET" snap >"$SNAP" &&
		[ "$(jq -r 'select(.type=="session_update") | .session.session_id' "$SNAP" | sort | paste -sd ' ')" = "$1" ]; }
	all=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'kato:session:session-*' | sed 's/^kato:session://' | sort | paste -sd ' ')
	[ "$(wc -w <<<"$all")" -eq 2 ]
	wait_until 20 kept "$all"

	ks=$(pgrep -P "$MERGE_PID" -f kato-sessions)
	[ -n "$ks" ]
	kill -KILL "$ks"
	wait_until 10 bash -c "! kill -0 $ks 2>/dev/null"
	gone=$(ops sessions delete 1 | jq -r '.[0].session_id')
	left=$(tr ' ' '\n' <<<"$all" | grep -vx "$gone")
	# kato-merge starts kato-sessions again; its reset drops what ended
	wait_until 20 kept "$left"
}
