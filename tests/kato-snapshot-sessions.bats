#!/usr/bin/env bats
# kato-snapshot's session list (/api/v1/sessions/list, paged, newest
# first) from the session_update messages a hub retains, one per session
# (the hub's "snap" answer is played by a small stand-in here, so the
# list does not depend on the hub's retention settings).

load lib/common
load lib/hub
load lib/snapshot

setup() {
	SNAP=$BATS_TEST_TMPDIR/snap.ndjson
	SOCK=$BATS_TEST_TMPDIR/hub.sock
	export HUB_SOCKET=$SOCK
	: >"$SNAP"
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR/cgi.err" "$BATS_TEST_TMPDIR/snap.err"
}

# A hub stand-in: answers every connection's hello line with $SNAP.
fake_hub() {
	spawn python3 -c '
import os, socket, sys
path, snap = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
while True:
    c, _ = s.accept()
    c.recv(64)
    c.sendall(open(snap, "rb").read())
    c.close()
' "$SOCK" "$SNAP"
	wait_until 10 test -S "$SOCK"
}

upd() { # ID CREATED [OP]
	printf '{"type":"session_update","timestamp":"2026-12-02T03:00:00.000Z","op":"%s","session":{"op":"%s","session_id":"%s","node_id":"n","created_at":%s,"last_accessed":null,"expires_at":"2026-12-02T05:00:00.000Z","ttl_ms":1000,"access_count":1}}\n' \
		"${3:-added}" "${3:-added}" "$1" "$2" >>"$SNAP"
}

snap() { "$KL_BIN/kato-snapshot" --socket "$SOCK" "$1" 2>>"$BATS_TEST_TMPDIR/snap.err"; }

@test "/api/v1/sessions/list: newest first, paged with limit and offset, the total beside" {
	frame '.sources["kato-sessions"]={"ok":true}' >>"$SNAP"
	upd session-b '"2026-12-02T02:00:00.000Z"'
	upd session-a '"2026-12-02T01:00:00.000Z"'
	upd session-d null
	upd session-c '"2026-12-02T03:00:00.000Z"'
	fake_hub
	run snap /api/v1/sessions/list
	assert_success
	echo "$output" | jq -e '[.sessions[].session_id]==["session-c","session-b","session-a","session-d"]
		and .total==4 and .limit==100 and .offset==0 and .stale==[]
		and (.sessions[0]|has("op")|not) and .sessions[0].node_id=="n"'
	run snap '/api/v1/sessions/list?limit=2&offset=1'
	echo "$output" | jq -e '[.sessions[].session_id]==["session-b","session-a"] and .total==4'
	run snap '/api/v1/sessions?offset=10'
	echo "$output" | jq -e '.sessions==[] and .total==4'
}

@test "/api/v1/sessions/list: Redis unreachable marks the list stale; no kato-sessions is 503" {
	frame '.sources["kato-sessions"]={"ok":false,"error":"connect to redis://h:1: Connection refused"}' >>"$SNAP"
	upd session-a '"2026-12-02T01:00:00.000Z"'
	fake_hub
	run snap /api/v1/sessions/list
	assert_success
	echo "$output" | jq -e '.total==1 and .stale==["kato-sessions"]'
	frame >"$SNAP"
	run snap /api/v1/sessions/list
	assert_failure 1
	echo "$output" | jq -e '.error|test("kato-sessions is not running")'
}

@test "/api/v1/sessions/list: bad limit and offset are 400; limit is for this path only" {
	frame '.sources["kato-sessions"]={"ok":true}' >>"$SNAP"
	fake_hub
	start_cgi
	for q in limit=0 limit=1001 limit=x offset=-1 'offset=' 'limit=5&bogus=1'; do
		get "/api/v1/sessions/list?$q"
		[ "$HTTP_STATUS" = 400 ] || { echo "$q: $HTTP_STATUS"; return 1; }
	done
	get "/api/v1/system/metrics?limit=5"
	[ "$HTTP_STATUS" = 400 ]
	# through websocketd's CGI: the list beside /api/v1/sessions/count
	get "/api/v1/sessions/list?limit=5"
	[ "$HTTP_STATUS" = 200 ]
	echo "$BODY" | jq -e '.total==0 and .limit==5'
}
