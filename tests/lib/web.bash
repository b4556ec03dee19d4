# tests/lib/web.bash - serve the dashboard for the browser tests.  Load it
# after lib/common and lib/katosim:
#   load lib/common
#   load lib/katosim
#   load lib/web
#
#   start_dashboard     starts a simulated KATO and the page with its
#                       WebSocket and HTTP fallback on a free port; exports
#                         KL_URL            the page
#                         KATO_SIM_CONTROL  the simulator's control port
#                         KL_TICK_MS        the pipeline's tick
#   browser_case NAME   runs tests/browser/dashboard.mjs NAME against it
#
# Teardown must call stop_spawned (lib/common) as usual.

WEB_TICK=1

# The browser tests need node and playwright-core (scripts/install-deps).
require_browser() {
	[ -x /usr/bin/chromium ] || { echo "web: /usr/bin/chromium missing: run scripts/install-deps" >&2; return 1; }
	[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
		{ echo "web: playwright-core missing: run scripts/install-deps" >&2; return 1; }
}

start_dashboard() {
	require_browser || return 1
	start_kato_sim || return 1
	local port tmp=$BATS_TEST_TMPDIR/standin
	mkdir -p "$tmp"
	cp -R "$TOP/tests/browser/standin/cgi" "$tmp/cgi"
	echo "$KATO_API_URL" >"$tmp/kato-url"
	port=$(free_port)
	KATO_API_URL=$KATO_API_URL STANDIN_TICK=$WEB_TICK spawn websocketd --address 127.0.0.1 --port "$port" \
		--staticdir "$TOP/web" --cgidir "$tmp/cgi" --maxforks 20 \
		--passenv PATH,KATO_API_URL,STANDIN_TICK \
		"$TOP/tests/browser/standin/standin-sub" 2>>"$BATS_TEST_TMPDIR/websocketd.err"
	wait_until 10 port_open "$port" || { cat "$BATS_TEST_TMPDIR/websocketd.err" >&2; return 1; }
	export KL_URL=http://127.0.0.1:$port/ KL_TICK_MS=$((WEB_TICK * 1000))
}

browser_case() {
	KL_ARTIFACTS=$ARTIFACTS node "$TOP/tests/browser/dashboard.mjs" "$1"
}
