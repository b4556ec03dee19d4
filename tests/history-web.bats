#!/usr/bin/env bats
# The history charts (web/history.js) in Debian's chromium, headless,
# driven by playwright-core: a harness page loads history.js as the
# dashboard does, websocketd serves it with the history API (the CGI tree
# scripts/kato-live writes) over a store holding the last hour with a
# 3-minute outage; tests/browser/history.mjs is the browser side.
# Screenshot: build/test-artifacts/history-hour.png.

bats_require_minimum_version 1.5.0

load lib/common
load lib/hub
load lib/snapshot

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

@test "first paint shows the last hour with the outage as a gap; the cursor reads values from the keyboard; the container charts follow at 15 s with the gap; marks from the store" {
	[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium missing: run scripts/install-deps"
	[ -d "$TOP/tests/browser/node_modules/playwright-core" ] || fail "playwright-core missing: run scripts/install-deps"
	[ -f "$TOP/web/vendor/uPlot.esm.js" ] || fail "uPlot missing: run scripts/install-deps, then make"
	store=$BATS_TEST_TMPDIR/store
	# the last hour, ending now: frame i at h0 + 3i
	now=$(date +%s)
	h0=$((now - now % 3 - 3597))
	python3 "$TOP/tests/lib/histframes.py" --start "$h0" --count 1200 --gap 600:660 \
		--alert 100 --session 200 >"$BATS_TEST_TMPDIR/hour"
	"$KL_BIN/kato-history" --sink --dir "$store" <"$BATS_TEST_TMPDIR/hour" 2>"$BATS_TEST_TMPDIR/history.err"
	# the harness: web/'s history files and a page that loads them
	site=$BATS_TEST_TMPDIR/site
	mkdir -p "$site"
	for f in history.js histdata.js history.css vendor; do ln -s "$TOP/web/$f" "$site/$f"; done
	cat >"$site/index.html" <<-'HTML'
	<!doctype html><html lang="en"><head><meta charset="utf-8"><title>history</title></head>
	<body><section id="history" hidden></section>
	<script type="module">
	import { initHistory, historyAppend, historyColumns } from './history.js';
	window.__hist = { historyAppend, historyColumns };
	async function fetchJSON(p) {
		const r = await fetch(String(p).replace(/^\//, ''), { cache: 'no-store' });
		if (!r.ok) throw new Error('HTTP ' + r.status);
		return r.json();
	}
	initHistory(document.getElementById('history'), { fetchJSON });
	</script></body></html>
	HTML
	export KATO_LIVE_HISTORY_DIR=$store
	start_cgi
	# start_cgi serves web/: serve the harness instead
	stop_spawned
	port=$(free_port)
	spawn websocketd --address 127.0.0.1 --port "$port" --maxforks 50 \
		--cgidir "$CGI_TREE" --staticdir "$site" /bin/cat 2>>"$BATS_TEST_TMPDIR/cgi.err" >/dev/null 3>&-
	wait_until 10 port_open "$port"
	run --separate-stderr env KL_URL="http://127.0.0.1:$port/" KL_ARTIFACTS="$ARTIFACTS" KL_H0="$h0" \
		node "$TOP/tests/browser/history.mjs"
	echo "$output"
	echo "$stderr"
	assert_success
	grep -o 'first-paint-ms [0-9]*' <<<"$output" >&3 || true
}
