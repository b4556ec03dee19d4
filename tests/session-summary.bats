#!/usr/bin/env bats
# session-summary against the KATO simulator.

bats_require_minimum_version 1.5.0
load lib/common
load lib/katosim

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	start_kato_sim
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$ERR" "$BATS_TEST_TMPDIR/once.err"
}

once() {
	run --separate-stderr "$KL_BIN/session-summary" --once "$@"
	ONCE_ERR=$stderr
	printf '%s\n' "$stderr" >>"$BATS_TEST_TMPDIR/once.err"
}

events() { jq -c 'select(.event) | .event' "$OUT"; }

# polls_after_last_event N: at least N sample records came after the last
# event, so a spurious event would have had time to show (no sleeping).
polls_after_last_event() {
	jq -s -e --argjson n "$1" \
		'(to_entries | map(select(.value.event)) | last.key) as $e
		 | $e != null and ([.[$e + 1:][] | select(has("ok"))] | length) >= $n' "$OUT" >/dev/null
}

@test "session-summary --help shows the synopsis; bad values are usage errors (100)" {
	run "$KL_BIN/session-summary" --help
	assert_success
	assert_line --index 0 'usage: session-summary [--url URL] [--interval SECONDS] [--settle SECONDS]'
	run "$KL_BIN/session-summary" --interval 0
	assert_failure 100
	run "$KL_BIN/session-summary" --settle -1
	assert_failure 100
	assert_output --partial "bad --settle '-1'"
	SESSION_POLL_INTERVAL=soon run "$KL_BIN/session-summary" --once
	assert_failure 100
	assert_output --partial "bad SESSION_POLL_INTERVAL 'soon'"
}

@test "session-summary --once: active count from /sessions/count, total from /status" {
	sim_ctl sessions create 3 >/dev/null
	sim_ctl sessions delete 1 >/dev/null
	once
	assert_success
	echo "$output" | jq -e '.source=="session-summary" and .ok==true
		and .data.active_count==2 and .data.total_count==3'
	[ -z "$ONCE_ERR" ]
}

@test "session-summary: KATO down, 500, garbage: ok:false saying what, --once exits 1" {
	sim_ctl mode down >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e --arg e "GET $KATO_API_URL/sessions/count: Connection refused" '.ok==false and .error==$e'
	[[ $ONCE_ERR == *"Connection refused"* ]]
	sim_ctl mode 500 >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e '.ok==false and (.error|test("/sessions/count: HTTP 500"))'
	sim_ctl mode garbage >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e '.ok==false and (.error|test("/sessions/count: answer is not JSON"))'
}

@test "session-summary: /status failing alone gives total_count null, still ok" {
	sim_ctl mode 500 routes=/status >/dev/null
	once
	assert_success
	echo "$output" | jq -e '.ok==true and .data.active_count==0 and .data.total_count==null'
	[[ $ONCE_ERR == *"/status: HTTP 500"* ]]
}

@test "session-summary: a created session gives one session_created event with its delta" {
	spawn "$KL_BIN/session-summary" --interval 0.2 --settle 0.3 >"$OUT" 2>"$ERR"
	wait_until 10 has_lines "$OUT" '.ok==true' 1
	sim_ctl sessions create 1 >/dev/null
	wait_until 10 has_lines "$OUT" '.event' 1
	wait_until 20 polls_after_last_event 5
	run events
	assert_equal "${#lines[@]}" 1
	echo "${lines[0]}" | jq -e '.type=="session_event" and .event_type=="session_created"
		and .data=={"current_count":1,"previous_count":0,"delta":1}
		and (.timestamp|test("Z$"))'
	# the records after the event say the same count
	jq -s -e 'map(select(.ok)) | last | .data.active_count==1' "$OUT"
}

@test "session-summary: 3 created and 1 deleted in a burst is one event, delta +2; then destroyed" {
	spawn "$KL_BIN/session-summary" --interval 0.3 --settle 1 >"$OUT" 2>"$ERR"
	wait_until 10 has_lines "$OUT" '.ok==true' 1
	sim_ctl sessions create 3 >/dev/null
	sim_ctl sessions delete 1 >/dev/null
	wait_until 10 has_lines "$OUT" '.event' 1
	sim_ctl sessions delete 2 >/dev/null
	wait_until 10 has_lines "$OUT" '.event' 2
	wait_until 20 polls_after_last_event 5
	run events
	assert_equal "${#lines[@]}" 2
	echo "${lines[0]}" | jq -e '.event_type=="session_created" and .data.delta==2 and .data.current_count==2'
	echo "${lines[1]}" | jq -e '.event_type=="session_destroyed" and .data.delta==-2
		and .data.previous_count==2 and .data.current_count==0'
}

# Two KATO workers caching the count for 2 s, their caches filled on
# either side of a change: polls alternate between the old count and the
# new one until the stale cache expires.
prime_split_caches() {
	sim_ctl cache workers=2 ttl=2 >/dev/null
	curl -s "$KATO_API_URL/sessions/count" >/dev/null      # worker 0: 0
	sim_ctl sessions create 1 >/dev/null
	curl -s "$KATO_API_URL/sessions/count" >/dev/null      # worker 1: 1
}

@test "session-summary: flipping per-worker caches make no spurious created/destroyed pairs" {
	prime_split_caches
	spawn "$KL_BIN/session-summary" --interval 0.2 --settle 2.5 >"$OUT" 2>"$ERR"
	wait_until 20 has_lines "$OUT" '.event' 1
	wait_until 20 polls_after_last_event 5
	# the reads did flip (the simulator's caches disagreed)...
	[ "$(sim_state '.requests["/sessions/count"]')" -ge 6 ]
	# ...yet one event: 0 -> 1
	run events
	assert_equal "${#lines[@]}" 1
	echo "${lines[0]}" | jq -e '.event_type=="session_created" and .data.delta==1'
	# and the reported count never went back
	[ "$(jq -s -c '[.[] | select(.ok) | .data.active_count] | unique' "$OUT")" = "[0,1]" ]
}

@test "session-summary: workers picked at random, caches expiring apart: one event per change" {
	sim_ctl cache workers=4 ttl=1 dispatch=random >/dev/null
	spawn "$KL_BIN/session-summary" --interval 0.1 --settle 1.2 >"$OUT" 2>"$ERR"
	wait_until 10 has_lines "$OUT" '.ok==true' 1
	sim_ctl sessions create 2 >/dev/null
	wait_until 15 has_lines "$OUT" '.event' 1
	sim_ctl sessions delete 1 >/dev/null
	wait_until 15 has_lines "$OUT" '.event' 2
	wait_until 20 polls_after_last_event 20
	run events
	assert_equal "${#lines[@]}" 2
	echo "${lines[0]}" | jq -e '.event_type=="session_created" and .data.delta==2'
	echo "${lines[1]}" | jq -e '.event_type=="session_destroyed" and .data.delta==-1 and .data.current_count==1'
}

@test "session-summary: without settling (--settle 0) the same caches do flip (the simulator shows it)" {
	prime_split_caches
	spawn "$KL_BIN/session-summary" --interval 0.2 --settle 0 >"$OUT" 2>"$ERR"
	wait_until 10 has_lines "$OUT" '.event.event_type=="session_destroyed"' 1
}

@test "session-summary: keeps running through an outage and recovers" {
	spawn "$KL_BIN/session-summary" --interval 0.2 --settle 0.3 >"$OUT" 2>"$ERR"
	pid=$LAST_PID
	wait_until 10 has_lines "$OUT" '.ok==true' 1
	sim_ctl mode down >/dev/null
	wait_until 10 has_lines "$OUT" '.ok==false' 2
	sim_ctl mode normal >/dev/null
	wait_until 15 bash -c "jq -s -e '(map(select(has(\"ok\")).ok)|rindex(false)) < (map(select(has(\"ok\")).ok)|rindex(true))' '$OUT'"
	kill -0 "$pid"
	grep -q 'recovered after' "$ERR"
	# no event from the outage itself
	[ "$(events | wc -l)" -eq 0 ]
}

@test "session-summary: SIGTERM ends it at once, even mid-request to a slow KATO" {
	sim_ctl mode slow delay=30 >/dev/null
	spawn "$KL_BIN/session-summary" --interval 0.2 --timeout 25 >"$OUT" 2>"$ERR"
	pid=$LAST_PID
	wait_until 10 sim_requests /sessions/count 1
	# the request is in flight now: the simulator holds it for 30 s
	kill -TERM "$pid"
	wait_exit "$pid" 3
	assert_equal "$EXIT_STATUS" 0
}

@test "session-summary: a closed stdout ends it quietly (| head -1)" {
	run timeout 20 bash -c "'$KL_BIN/session-summary' --interval 0.2 2>'$ERR' | head -1"
	assert_success
	echo "$output" | jq -e '.ok==true'
	! grep -q . "$ERR"
}
