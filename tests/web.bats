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
