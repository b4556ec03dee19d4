#!/usr/bin/env bats
# Security: credentials in KATO_API_URL and DOCKER_HOST never reach any
# output; other sites' pages can neither open the WebSocket stream nor
# read the HTTP fallback unless configured to.

load lib/common
load lib/katosim
load lib/launch

PY3=/usr/bin/python3

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

# What must never show: the user names and passwords the test sets.
SECRETS=(katoadmin Kp4ss-w0rd dockeruser Dp4ss-w0rd)

# refute_secrets FILE...: none of the secrets in any of the files; each
# file must hold something (an empty output would prove nothing).
refute_secrets() {
	local f s
	for f in "$@"; do
		[ -s "$f" ] || { echo "$f is empty" >&2; return 1; }
		for s in "${SECRETS[@]}"; do
			if grep -F -- "$s" "$f" >&2; then
				echo "^ '$s' leaked into $f" >&2
				return 1
			fi
		done
	done
}

@test "credentials in KATO_API_URL and DOCKER_HOST are in no collector's record or message" {
	local d=$BATS_TEST_TMPDIR closed
	closed=$(free_port)
	start_kato_sim
	local kato=http://katoadmin:Kp4ss-w0rd@127.0.0.1
	# KATO down, KATO answering 500, the engine down, bad addresses
	KATO_API_URL=$kato:$closed "$KL_BIN/kato-metrics" --once >"$d/m1.out" 2>"$d/m1.err" || true
	KATO_API_URL=$kato:$closed "$KL_BIN/session-summary" --once >"$d/s1.out" 2>"$d/s1.err" || true
	sim_ctl mode 500 >/dev/null
	KATO_API_URL=$kato:$KATO_SIM_PORT "$KL_BIN/kato-metrics" --once >"$d/m2.out" 2>"$d/m2.err" || true
	KATO_API_URL=$kato:$KATO_SIM_PORT "$KL_BIN/session-summary" --once >"$d/s2.out" 2>"$d/s2.err" || true
	DOCKER_HOST=tcp://dockeruser:Dp4ss-w0rd@127.0.0.1:$closed "$KL_BIN/docker-stats" --once \
		>"$d/d1.out" 2>"$d/d1.err" || true
	KATO_API_URL=$kato:8x00 "$KL_BIN/kato-metrics" --once >/dev/null 2>"$d/m3.err" || true
	"$KL_BIN/docker-stats" --once --host tcpx://dockeruser:Dp4ss-w0rd@h:1 2>"$d/d2.err" || true
	refute_secrets "$d"/{m1,s1,m2,s2,d1}.{out,err} "$d"/m3.err "$d"/d2.err
	# the errors still say where: the address without its userinfo
	jq -e --arg p "$closed" '.ok == false and (.error | startswith("GET http://127.0.0.1:\($p)/metrics: "))' "$d/m1.out"
	jq -e --arg p "$KATO_SIM_PORT" '.error | startswith("GET http://127.0.0.1:\($p)/sessions/count: HTTP 500")' "$d/s2.out"
	jq -e --arg p "$closed" '.error | startswith("GET http://127.0.0.1:\($p)/_ping: ")' "$d/d1.out"
	grep -q 'bad KATO URL http://127.0.0.1:8x00: ' "$d/m3.err"
}

@test "credentials never reach frames, the HTTP fallback, the WebSocket or kato-live's log" {
	local d=$BATS_TEST_TMPDIR closed
	closed=$(free_port)
	KATO_API_URL=http://katoadmin:Kp4ss-w0rd@127.0.0.1:$closed \
	DOCKER_HOST=tcp://dockeruser:Dp4ss-w0rd@127.0.0.1:$closed \
	KATO_LIVE_INTERVAL=0.5 launch
	# the errors reach the fallback ...
	wait_until 30 bash -c 'curl -s "${0}api/v1/system/container-stats" | jq -e ".error | test(\"_ping\")"' "$LAUNCH_URL" || {
		cat "$d/launch.err" >&2; false; }
	wait_until 30 bash -c 'curl -s "${0}api/v1/system/metrics" | jq -e ".error | test(\"/metrics\")"' "$LAUNCH_URL"
	local p
	for p in health system/metrics system/container-stats sessions/count; do
		curl -si "${LAUNCH_URL}api/v1/$p" >"$d/fallback-${p//\//-}.out"
	done
	# ... and the stream: frames from kato-merge through kato-alerts and the hub
	"$PY3" "$TOP/tests/lib/wsclient.py" --timeout 20 "ws://127.0.0.1:$LAUNCH_PORT/" \
		count realtime_update 2 close >"$d/ws.out"
	grep -q "GET http://127.0.0.1:$closed/metrics: " "$d/ws.out"
	grep -q "GET http://127.0.0.1:$closed/_ping: " "$d/ws.out"
	refute_secrets "$d"/fallback-*.out "$d/ws.out" "$d/launch.out" "$d/launch.err"
}

@test "the WebSocket accepts the page's own origin and clients with no Origin, refuses other sites (403)" {
	launch
	local ws=ws://127.0.0.1:$LAUNCH_PORT/
	ws_accepts "$ws" "http://127.0.0.1:$LAUNCH_PORT"
	ws_accepts "$ws" "http://localhost:$LAUNCH_PORT"
	[ "$(handshake "$LAUNCH_PORT" http://evil.example)" = 403 ]
	[ "$(handshake "$LAUNCH_PORT" "http://evil.example:$LAUNCH_PORT")" = 403 ]
	[ "$(handshake "$LAUNCH_PORT" "http://127.0.0.1:1")" = 403 ]
	[ "$(handshake "$LAUNCH_PORT" null)" = 403 ]
	# a client that sends no Origin (websocat, scripts) gets the stream
	run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 10 "ws://127.0.0.1:$LAUNCH_PORT/" expect connected close
	assert_success
	assert_output --partial '"type":"connected"'
}

@test "KATO_LIVE_ORIGIN and --origin widen the WebSocket's origins; the page's own stays" {
	KATO_LIVE_ORIGIN=http://evil.example launch
	ws_accepts "ws://127.0.0.1:$LAUNCH_PORT/" http://evil.example
	ws_accepts "ws://127.0.0.1:$LAUNCH_PORT/" "http://127.0.0.1:$LAUNCH_PORT"
	[ "$(handshake "$LAUNCH_PORT" http://other.example)" = 403 ]
	stop_spawned
	launch --origin https://ops.example.com:8443
	ws_accepts "ws://127.0.0.1:$LAUNCH_PORT/" https://ops.example.com:8443
	[ "$(handshake "$LAUNCH_PORT" http://ops.example.com:8443)" = 403 ]
	[ "$(handshake "$LAUNCH_PORT" http://evil.example)" = 403 ]
}

@test "the HTTP fallback answers a foreign Origin without CORS headers; KATO_LIVE_CORS_ORIGIN allows exactly one" {
	launch
	run curl -si -H 'Origin: http://evil.example' "${LAUNCH_URL}api/v1/health"
	assert_output --regexp 'HTTP/1.1 [0-9]+'
	refute_output --partial 'Access-Control-Allow-Origin'
	run curl -si -X OPTIONS -H 'Origin: http://evil.example' \
		-H 'Access-Control-Request-Method: GET' "${LAUNCH_URL}api/v1/health"
	refute_output --partial 'Access-Control-Allow'
	stop_spawned
	KATO_LIVE_CORS_ORIGIN=https://ops.example.com launch
	run bash -c 'curl -si -H "Origin: https://ops.example.com" "${0}api/v1/health" | tr -d "\r"' "$LAUNCH_URL"
	assert_line 'Access-Control-Allow-Origin: https://ops.example.com'
	assert_line 'Vary: Origin'
}
