#!/usr/bin/env bats
# Session events and alerts end to end, through the pipeline as `make demo`
# runs it: kato-sim -> session-summary/kato-metrics -> kato-merge ->
# kato-alerts -> kato-hub -> websocketd -> kato-sub -> a WebSocket client.

load lib/common
load lib/katosim
load lib/hub
load lib/web

setup_file() {
	WEB_TICK=2 # long enough to tell "at once" from "at the next tick"
	start_pipeline
	export WS_URL=ws://127.0.0.1:${KL_URL#http://127.0.0.1:}ws
}

teardown_file() {
	stop_pipeline
	assert_no_sanitizer_reports "$WEB_DIR/kato-live.err"
}

teardown() {
	stop_spawned
}

# The session events in FILE, as "event_type delta current" lines.
events() {
	jq -r 'select(.type == "session_event") | "\(.event_type) \(.data.delta) \(.data.current_count)"' "$1"
}
has_events() { [ "$(events "$1" | wc -l)" -ge "$2" ]; }

@test "a session created then deleted in KATO reaches a connected client as two events, in order" {
	local out=$BATS_TEST_TMPDIR/a.out
	spawn "${WSCLIENT[@]}" --timeout 60 "$WS_URL" hold >"$out" 3>&-
	wait_until 10 grep -q '"type":"realtime_update"' "$out"
	local before
	before=$(jq -r 'select(.type == "realtime_update") | .data.sessions.active_count' "$out" | tail -n 1)
	sim_ctl sessions create 1 >/dev/null
	wait_until 20 has_events "$out" 1
	sim_ctl sessions delete 1 >/dev/null
	wait_until 20 has_events "$out" 2
	run events "$out"
	assert_line --index 0 "session_created 1 $((before + 1))"
	assert_line --index 1 "session_destroyed -1 $before"
}

@test "a client that connects later gets the current count and the firing alerts at once" {
	sim_ctl health degraded >/dev/null
	# Wait until the pipeline has raised the alert ...
	local out=$BATS_TEST_TMPDIR/a.out
	spawn "${WSCLIENT[@]}" --timeout 60 "$WS_URL" hold >"$out" 3>&-
	wait_until 20 grep -q '"type":"system_alert".*"kato_unhealthy"' "$out"
	local active
	active=$(sim_ctl state | jq -r '.sessions.active')
	# ... then connect: the retained frame and alert set come before any
	# tick could have sent them (1.5 s < the 2 s tick; active_alerts is
	# only sent live when the set changes).
	ws_run --timeout 1.5 "$WS_URL" expect active_alerts
	assert_success
	run jq -r 'select(.type == "active_alerts") | .alerts[].type' <<<"$MSGS"
	assert_output --partial kato_unhealthy
	run jq -r 'select(.type == "realtime_update") | .data.sessions.active_count' <<<"$MSGS"
	assert_success
	assert_output "$active"
	run jq -r '.type' <<<"$MSGS"
	assert_line --index 0 connected
	sim_ctl health healthy >/dev/null
	wait_until 20 grep -q '"state":"resolved".*"kato_unhealthy"\|"kato_unhealthy".*"state":"resolved"' "$out"
}
