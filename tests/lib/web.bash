# tests/lib/web.bash - the dashboard served as `make demo` serves it, for
# the browser tests.  Load it after lib/common:
#   load lib/common
#   load lib/web
#
#   start_pipeline   (in setup_file) runs scripts/kato-live --demo on a free
#       port with the tools from $KL_BIN (plain or sanitizer build) and a
#       1 s tick: the KATO simulator, Podman's API with its demo
#       containers, the collectors, kato-merge | kato-alerts | kato-hub,
#       and websocketd serving web/, kato-sub and kato-snapshot.  Exports
#         KL_URL            the page
#         KATO_SIM_CONTROL  the simulator's control port (from its log)
#         KL_TICK_MS        the pipeline's tick
#         KL_SESSIONS       1 when session-summary is built, else 0
#         WEB_DIR           where its log is (kato-live.err)
#   stop_pipeline    (in teardown_file) stops it (kato-live stops every
#                    process it started, and removes its demo containers).
#   browser_case NAME   runs tests/browser/dashboard.mjs NAME against it.

WEB_TICK=1

# The browser tests need Debian's chromium and playwright-core (both from
# scripts/install-deps).
require_browser() {
	[ -x /usr/bin/chromium ] || { echo "web: /usr/bin/chromium missing: run scripts/install-deps" >&2; return 1; }
	[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
		{ echo "web: playwright-core missing: run scripts/install-deps" >&2; return 1; }
}

start_pipeline() {
	require_browser || return 1
	export WEB_DIR=$BATS_FILE_TMPDIR/web
	mkdir -p "$WEB_DIR"
	# a quick tick; everything else as shipped
	cat >"$WEB_DIR/test.env" <<-EOF
	KATO_LIVE_INTERVAL=$WEB_TICK
	KATO_METRICS_INTERVAL=$WEB_TICK
	DOCKER_STATS_INTERVAL=$WEB_TICK
	SESSION_POLL_INTERVAL=$WEB_TICK
	SESSION_SETTLE_SECONDS=$WEB_TICK
	EOF
	local port try
	for try in 1 2 3; do
		port=$(free_port)
		# its own private Podman service and demo containers, not the
		# machine's engine
		env -u DOCKER_HOST -u KATO_API_URL \
			"$TOP/scripts/kato-live" --demo --port "$port" --bin "$KL_BIN" --socket "$WEB_DIR/run/hub.sock" \
			--env-file "$WEB_DIR/test.env" >"$WEB_DIR/kato-live.out" 2>"$WEB_DIR/kato-live.err" &
		export WEB_PID=$!
		wait_until 60 grep -q "^http://" "$WEB_DIR/kato-live.out" && break
		stop_pipeline
		unset WEB_PID
	done
	[ -n "${WEB_PID:-}" ] || { echo "web: kato-live --demo did not start:" >&2; cat "$WEB_DIR/kato-live.err" >&2; return 1; }
	KATO_SIM_CONTROL=$(sed -n 's/.*control port \([0-9][0-9]*\).*/\1/p' "$WEB_DIR/kato-live.err" | head -n 1)
	[ -n "$KATO_SIM_CONTROL" ] || { echo "web: no simulator control port in kato-live's log:" >&2; cat "$WEB_DIR/kato-live.err" >&2; return 1; }
	export KATO_SIM_CONTROL
	export KL_URL=http://127.0.0.1:$port/ KL_TICK_MS=$((WEB_TICK * 1000))
	if [ -x "$KL_BIN/session-summary" ]; then export KL_SESSIONS=1; else export KL_SESSIONS=0; fi
}

stop_pipeline() {
	[ -n "${WEB_PID:-}" ] || return 0
	kill -TERM "$WEB_PID" 2>/dev/null || return 0
	local i
	for i in $(seq 200); do kill -0 "$WEB_PID" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$WEB_PID" 2>/dev/null || true
	wait "$WEB_PID" 2>/dev/null || true
}

browser_case() {
	KL_ARTIFACTS=$ARTIFACTS node "$TOP/tests/browser/dashboard.mjs" "$1"
}

# The case's own notes ("# ..." lines, e.g. how long the page took to
# show live data) as TAP comments.
browser_notes() {
	grep '^# ' <<<"$output" | grep -v ': ok$' >&3 || true
}
