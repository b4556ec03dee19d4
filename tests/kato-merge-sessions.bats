#!/usr/bin/env bats
# kato-merge with kato-sessions among its inputs: the list's changes and
# the session events forwarded at once, the frame's count from Redis, and
# the cross-check against KATO's own count.

load lib/common
load lib/merge
load lib/katosim # lines_matching, has_lines

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	unset KATO_LIVE_ENV_FILE KATO_LIVE_INTERVAL WEBSOCKET_SESSION_EVENTS \
		KATO_SESSION_CACHE_SECONDS SESSION_SETTLE_SECONDS SESSION_POLL_INTERVAL
	mkfifo "$BATS_TEST_TMPDIR/f"
}

teardown() {
	exec 7>&- 2>/dev/null || true
	stop_spawned
	assert_no_sanitizer_reports "$ERR"
}

feed() { printf '%s\n' "$@" >&7; }

open_feed() {
	start_merge --interval 0.2 --stale 30 "$@" "$BATS_TEST_TMPDIR/f"
	exec 7>"$BATS_TEST_TMPDIR/f"
}

sess_rec() { # OP ID [REASON]
	printf '{"source":"kato-sessions","ts":"%s","session":{"op":"%s","session_id":"%s","node_id":"n1","created_at":"2026-12-02T03:00:00.000Z","last_accessed":null,"expires_at":"2026-12-02T04:00:00.000Z","ttl_ms":3600000,"access_count":2%s}}' \
		"$(now_iso)" "$1" "$2" "${3:+,\"reason\":\"$3\"}"
}

tick_rec() { printf '{"source":"kato-sessions","ts":"%s","ok":true,"data":{"active_count":%s,"notifications":true}}' "$(now_iso)" "$1"; }

kato_rec() { printf '{"source":"session-summary","ts":"%s","ok":true,"data":{"active_count":%s,"total_count":9}}' "$(now_iso)" "$1"; }

@test "kato-merge: kato-sessions' changes go out at once as session_update, events as session_event" {
	open_feed
	feed "$(tick_rec 0)" "$(sess_rec added session-a)"
	feed '{"source":"kato-sessions","ts":"2026-12-02T03:00:01.000Z","event":{"event_type":"session_created","session_id":"session-a","node_id":"n1","current_count":1,"previous_count":0,"delta":1}}'
	wait_until 10 grep -q '"type":"session_event"' "$OUT"
	jq -e -s '[.[] | select(.type=="session_update")][0] | .op=="added"
		and .session.session_id=="session-a" and .session.node_id=="n1"
		and .session.access_count==2 and .session.expires_at=="2026-12-02T04:00:00.000Z"
		and (.timestamp|test("Z$"))' "$OUT"
	jq -e -s '[.[] | select(.type=="session_event")][0] | .event_type=="session_created"
		and .timestamp=="2026-12-02T03:00:01.000Z"
		and .data=={"current_count":1,"previous_count":0,"delta":1,"session_id":"session-a","node_id":"n1"}' "$OUT"
	# the next frame counts from Redis, and kato-sessions has no section of its own
	n=$(count_type realtime_update)
	frames $((n + 1))
	frame $((n + 1)) '.data.sessions' | jq -e '.active_count==1 and .active_count_source=="kato-sessions"'
	frame $((n + 1)) '.data | has("kato-sessions") | not' | grep -qx true
	frame $((n + 1)) '.sources["kato-sessions"].ok' | grep -qx true
	feed "$(sess_rec removed session-a expired)"
	wait_until 10 has_lines "$OUT" '.type=="session_update" and .op=="removed" and .session.reason=="expired"' 1
}

@test "kato-merge: with WEBSOCKET_SESSION_EVENTS=false the list still goes out, the events do not" {
	WEBSOCKET_SESSION_EVENTS=false open_feed
	feed '{"source":"kato-sessions","ts":"2026-12-02T03:00:01.000Z","event":{"event_type":"session_created","session_id":"session-a","node_id":"n1","current_count":1,"previous_count":0,"delta":1}}'
	feed "$(sess_rec added session-a)"
	wait_until 10 grep -q '"type":"session_update"' "$OUT"
	frames 2
	[ "$(count_type session_event)" -eq 0 ]
}

@test "kato-merge: a malformed kato-sessions record is skipped with a warning" {
	open_feed
	feed '{"source":"kato-sessions","ts":"2026-12-02T03:00:01.000Z","session":{"op":"exploded","session_id":"x"}}'
	feed '{"source":"kato-sessions","ts":"2026-12-02T03:00:01.000Z","event":{"event_type":"session_created"}}'
	feed "$(sess_rec added session-ok)"
	wait_until 10 grep -q '"type":"session_update"' "$OUT"
	[ "$(count_type session_update)" -eq 1 ]
	[ "$(count_type session_event)" -eq 0 ]
	[ "$(grep -c 'is not one kato-sessions writes' "$ERR")" -eq 2 ]
}

@test "kato-merge: Redis down: the count comes from KATO again, and the frame says why" {
	open_feed
	feed "$(kato_rec 4)" "$(tick_rec 3)"
	frames 2
	wait_until 10 has_lines "$OUT" '.data.sessions.active_count_source=="kato-sessions"' 1
	feed "{\"source\":\"kato-sessions\",\"ts\":\"$(now_iso)\",\"ok\":false,\"error\":\"connect to redis://h:1: Connection refused\"}"
	wait_until 10 has_lines "$OUT" '.data.sessions.active_count_source=="session-summary" and .data.sessions.active_count==4' 1
	wait_until 10 has_lines "$OUT" '.sources["kato-sessions"].error=="connect to redis://h:1: Connection refused"' 1
}

@test "kato-merge: KATO's count and Redis's disagreeing past KATO's caches is reported, then cleared" {
	# KATO's count may lag Redis's by 2.2 s; wrong for more than 2 s counts
	KATO_SESSION_CACHE_SECONDS=2 SESSION_SETTLE_SECONDS=0 SESSION_POLL_INTERVAL=0.2 open_feed
	feed "$(tick_rec 3)" "$(kato_rec 3)"
	frames 2
	# KATO lags: 3 is a count Redis had within the window, no mismatch
	feed "$(tick_rec 4)"
	frames 4
	[ "$(lines_matching "$OUT" '.data.sessions.count_mismatch')" -eq 0 ]
	# KATO says 7, which Redis never had: after 2 s, reported
	feed "$(kato_rec 7)"
	wait_until 10 has_lines "$OUT" '.data.sessions.count_mismatch.kato==7 and .data.sessions.count_mismatch.redis==4' 1
	jq -e -s '[.[] | select(.data.sessions.count_mismatch)][0].data.sessions.count_mismatch.since|test("Z$")' "$OUT"
	[ "$(grep -c 'session counts disagree: KATO.s /sessions/count says 7, Redis has 4' "$ERR")" -eq 1 ]
	feed "$(kato_rec 4)"
	wait_until 10 grep -q 'session counts agree again' "$ERR"
	frames $(( $(count_type realtime_update) + 2 ))
	[ "$(grep '"type":"realtime_update"' "$OUT" | tail -1 | jq '.data.sessions | has("count_mismatch")')" = false ]
}

@test "kato-merge: with kato-sessions there, session-summary's late count events are not forwarded" {
	open_feed
	feed '{"source":"session-summary","ts":"2026-12-02T03:00:00.000Z","event":{"type":"session_event","event_type":"session_created","timestamp":"2026-12-02T03:00:00.000Z","data":{"current_count":1,"previous_count":0,"delta":1}}}'
	wait_until 10 has_lines "$OUT" '.type=="session_event"' 1
	feed "$(tick_rec 1)"
	feed '{"source":"session-summary","ts":"2026-12-02T03:00:09.000Z","event":{"type":"session_event","event_type":"session_created","timestamp":"2026-12-02T03:00:09.000Z","data":{"current_count":2,"previous_count":1,"delta":1}}}'
	feed '{"source":"kato-sessions","ts":"2026-12-02T03:00:01.000Z","event":{"event_type":"session_created","session_id":"session-b","node_id":"n1","current_count":2,"previous_count":1,"delta":1}}'
	wait_until 10 has_lines "$OUT" '.type=="session_event" and .data.session_id=="session-b"' 1
	frames 2
	[ "$(lines_matching "$OUT" '.type=="session_event"')" -eq 2 ]
}
