#!/usr/bin/env bats
# etc/nginx/kato-live.conf, the guard for remote operators, in a real
# nginx on loopback in front of a real kato-live: nothing reaches websocketd
# without the password; with it, the page, the WebSocket stream and the
# HTTP fallback work over TLS.

load lib/common
load lib/launch
load lib/nginx

PY3=/usr/bin/python3

setup() {
	command -v nginx >/dev/null || { echo "nginx is not installed: run scripts/install-deps" >&2; return 1; }
	# kato-live as the guard expects it: loopback, the proxy's origin
	# allowed, websocketd logging every request it sees
	KATO_LIVE_ORIGIN=https://127.0.0.1 KATO_LIVE_WEB_LOGLEVEL=access KATO_LIVE_INTERVAL=0.5 \
		DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock launch --demo --no-demo-containers
	start_guard "$LAUNCH_PORT"
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

# requests websocketd has logged so far (its log is on kato-live's stderr)
ws_requests() { grep -c '| ACCESS |' "$BATS_TEST_TMPDIR/launch.err" || true; }

# more_requests N: websocketd has logged more than N requests
more_requests() { [ "$(ws_requests)" -gt "$1" ]; }

# kato-sub and kato-snapshot processes running now
web_children() { pgrep -c -f "^$KL_BIN/kato-(sub|snapshot)( |\$)" || true; }

# has_sub: a kato-sub is running
has_sub() { [ "$(web_children)" -ge 1 ]; }

# status CURL-ARGS...: the HTTP status of a request through the guard
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }

# upgrade ARGS...: the status of a WebSocket handshake at /ws through the
# guard, for refusals (see handshake in lib/launch)
upgrade() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 --http1.1 \
		-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$@" "$GUARD_URL/ws" || true
}

@test "guard: without the password nothing reaches websocketd (401, no kato-sub or kato-snapshot started)" {
	local before
	before=$(ws_requests)
	[ "$(status "$GUARD_URL/")" = 401 ]
	[ "$(status "$GUARD_URL/api/v1/health")" = 401 ]
	[ "$(status -u "$GUARD_USER:wrong" "$GUARD_URL/api/v1/system/metrics")" = 401 ]
	[ "$(upgrade)" = 401 ]
	[ "$(upgrade -u "$GUARD_USER:wrong" -H "Origin: $GUARD_URL")" = 401 ]
	run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 5 "wss://127.0.0.1:$GUARD_PORT/ws" expect connected
	assert_failure
	assert_output --partial '401'
	[ "$(ws_requests)" = "$before" ] || { grep '| ACCESS |' "$BATS_TEST_TMPDIR/launch.err" >&2; false; }
	[ "$(web_children)" = 0 ]
	# nginx did see them
	[ "$(grep -c '" 401 ' "$GUARD_DIR/access.log")" -ge 6 ]
	# and websocketd's log would have shown one that got through
	[ "$(status -u "$GUARD_USER:$GUARD_PW" "$GUARD_URL/")" = 200 ]
	wait_until 10 more_requests "$before" || { cat "$BATS_TEST_TMPDIR/launch.err" >&2; false; }
}

@test "guard: with the password the page, the HTTP fallback and the WebSocket stream work over TLS" {
	run curl -sf -u "$GUARD_USER:$GUARD_PW" "$GUARD_URL/"
	assert_success
	assert_output --partial '<html'
	wait_until 30 bash -c 'curl -sf -u "$0" "$1/api/v1/sessions/count" | jq -e ".active_count == 3"' \
		"$GUARD_USER:$GUARD_PW" "$GUARD_URL" || {
		curl -s -u "$GUARD_USER:$GUARD_PW" "$GUARD_URL/api/v1/sessions/count" >&2; false; }
	run curl -s -u "$GUARD_USER:$GUARD_PW" "$GUARD_URL/api/v1/system/metrics"
	assert_success
	jq -e '.performance | has("error_rate")' <<<"$output"
	# the stream, as a script (no Origin) and as the page (its origin)
	run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 15 \
		"wss://$GUARD_USER:$GUARD_PW@127.0.0.1:$GUARD_PORT/ws" expect connected expect realtime_update close
	assert_success
	run bash -c 'grep realtime_update <<<"$0" | head -1 | jq -e ".data.metrics.performance.total_requests >= 0"' "$output"
	assert_success
	ws_accepts "wss://$GUARD_USER:$GUARD_PW@127.0.0.1:$GUARD_PORT/ws" "$GUARD_URL"
	# another site's page, even with the operator's password cached, is refused
	[ "$(upgrade -u "$GUARD_USER:$GUARD_PW" -H 'Origin: https://evil.example')" = 403 ]
	# the password stops at nginx: kato-sub's environment (websocketd gives
	# it the request's headers as HTTP_*) has no Authorization
	# (a client that stays 8 s, then closes cleanly: one cut off can make
	# websocketd 0.4.1 panic, see lib/launch)
	spawn "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 30 \
		"wss://$GUARD_USER:$GUARD_PW@127.0.0.1:$GUARD_PORT/ws" expect connected collect 8 close \
		>/dev/null 2>&1
	local client=$LAST_PID
	wait_until 10 has_sub
	local sub
	sub=$(pgrep -f "^$KL_BIN/kato-sub( |\$)" | head -1)
	tr '\0' '\n' </proc/"$sub"/environ >"$BATS_TEST_TMPDIR/sub.env"
	grep -q '^HTTP_UPGRADE=websocket' "$BATS_TEST_TMPDIR/sub.env"
	run grep -i -e '^HTTP_AUTHORIZATION' -e "$(printf '%s' "$GUARD_USER:$GUARD_PW" | base64)" \
		"$BATS_TEST_TMPDIR/sub.env"
	assert_failure
	wait "$client"
}

@test "guard: only GET, small requests, and too many requests per client get 429" {
	local a=(-u "$GUARD_USER:$GUARD_PW")
	[ "$(status "${a[@]}" -X POST -d x=1 "$GUARD_URL/api/v1/health")" = 403 ]
	[ "$(status "${a[@]}" -X GET --data-binary @"$TOP/README.md" "$GUARD_URL/")" = 413 ]
	[ "$(status "${a[@]}" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' x)" "$GUARD_URL/")" = 400 ]
	# 5 requests/s with a burst of 40: 80 at once cannot all pass (the
	# page, which websocketd serves quickly whatever the build)
	local urls=() i
	for i in $(seq 80); do urls+=("$GUARD_URL/" -o /dev/null); done
	run curl -s --no-progress-meter --parallel --parallel-max 20 "${a[@]}" -w '%{http_code}\n' "${urls[@]}"
	[ "$(grep -c '^429$' <<<"$output")" -ge 20 ]
	[ "$(grep -c "^200$" <<<"$output")" -ge 30 ] || { sort <<<"$output" | uniq -c >&2; false; }
}
