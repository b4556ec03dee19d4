#!/usr/bin/env bats
# The dashboard page (web/) in Debian's chromium, headless, driven by
# playwright-core, against the real pipeline as `make demo` starts it
# (scripts/kato-live --demo: simulated KATO, real websocketd, Podman
# containers; tests/lib/web.bash); tests/browser/dashboard.mjs holds the
# browser side of each case.  Screenshots go to
# build/test-artifacts/dashboard-*.png.

load lib/common
load lib/web

setup_file() { start_pipeline; }
teardown_file() {
	stop_pipeline
	assert_no_sanitizer_reports "$WEB_DIR"/kato-live.err
}

@test "page shows live KATO metrics, containers and sessions within a tick, and follows the simulator" {
	run browser_case live
	browser_notes
	assert_success
}

@test "an alert raised in the pipeline appears, then shows as resolved" {
	run browser_case alerts
	assert_success
}

@test "a session created in the simulator appears in the event log" {
	[ -x "$KL_BIN/session-summary" ] || skip "session-summary is not built yet"
	run browser_case sessions
	assert_success
}

@test "WebSocket down: HTTP fallback keeps data fresh; back up: polling stops" {
	run browser_case fallback
	browser_notes
	assert_success
}

@test "page subscribes to the topics of the panels it shows, and pings" {
	run browser_case subscribe
	assert_success
}

@test "KATO down: the panel says so with the error text, and recovers" {
	run browser_case failing
	assert_success
}

@test "unmeasured values show as —, never 0; stale and failing sections say why; landmarks and keyboard" {
	run browser_case nulls
	assert_success
}

# The cases below answer the page's WebSocket themselves (Playwright's
# routeWebSocket) with the message shapes of kato-live(7), so they test the
# page alone; the page and its HTTP fallback still come from the pipeline.

@test "containers of two Docker hosts: a Host column, one row per host and name, a stopped host's rows marked as its last word" {
	run browser_case hosts
	assert_success
}

@test "heartbeats are not data: no frame for two ticks and the page says 'No new data', dims, claims no health, alerts unknown" {
	run browser_case stale
	browser_notes
	assert_success
}

@test "dashboard server unreachable: the header blames it, KATO is not painted unreachable; one header line at 375 px" {
	run browser_case unreachable
	assert_success
}

@test "too_slow: the page says 'You fell behind · reconnecting', not 'server unavailable', and comes back" {
	run browser_case behind
	assert_success
}

@test "frame thresholds, rates beside totals, 'no limit', per-container alert row, the sessions list from session_update, events naming sessions" {
	run browser_case shapes
	assert_success
}

# A second kato-live, with WebSockets off: every handshake is refused (403).
@test "WEBSOCKET_ENABLED=false: the page learns it from the first refused handshake and polls everything over HTTP" {
	local dir=$BATS_TEST_TMPDIR/off port pid try
	mkdir -p -m 700 "$dir"  # it holds the hub's socket: kato-hub wants it private
	printf 'WEBSOCKET_ENABLED=false\nKATO_LIVE_INTERVAL=1\nKATO_METRICS_INTERVAL=1\n' >"$dir/test.env"
	for try in 1 2 3; do
		port=$(free_port)
		env -u DOCKER_HOST -u KATO_API_URL \
			"$TOP/scripts/kato-live" --demo --no-demo-containers --port "$port" --bin "$KL_BIN" \
			--socket "$dir/hub.sock" --env-file "$dir/test.env" >"$dir/out" 2>"$dir/err" &
		pid=$!
		wait_until 60 grep -q "^http://" "$dir/out" && break
		kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
	done
	[ -n "$pid" ] || { cat "$dir/err" >&2; fail "kato-live with WEBSOCKET_ENABLED=false did not start"; }
	# (each bats test runs in its own process: this KL_URL is this test's)
	export KL_URL
	KL_URL=$(head -n 1 "$dir/out")
	run browser_case refused
	kill -TERM "$pid"
	wait_until 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	browser_notes
	assert_no_sanitizer_reports "$dir/err"
	assert_success
}

@test "history charts have their place: hidden without web/history.js, initHistory and every frame with it" {
	run browser_case history
	assert_success
}
