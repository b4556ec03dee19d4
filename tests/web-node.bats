#!/usr/bin/env bats
# The page's pure modules (web/format.js, store.js, transport.js) under
# node's own test runner, without a browser: formatting and units, the
# staleness rule, thresholds, the sessions list, alerts, the HTTP
# fallback's answers, and the transport's state machine with a fake clock,
# WebSocket and fetch (tests/node/*.test.mjs).  Node 18 (Debian 12's) or
# later.

load lib/common

@test "the page's pure modules pass their node --test suites" {
	command -v node >/dev/null || fail "node is not installed (scripts/install-deps)"
	local n
	n=$(ls "$TOP"/tests/node/*.test.mjs | wc -l)
	[ "$n" -ge 3 ] || fail "expected the node test files, found $n"
	run node --test "$TOP"/tests/node/*.test.mjs
	echo "$output" | grep -E '^# (tests|pass|fail)' >&3 || true
	assert_success
	assert_output --partial '# fail 0'
	refute_output --regexp '# pass 0$'
}

@test "the page loads as ES modules, with no build step" {
	grep -q '<script type="module" src="app.js"></script>' "$TOP/web/index.html"
	run grep -l "^'use strict'\|require(" "$TOP"/web/*.js "$TOP"/web/panels/*.js
	assert_failure
	# every module the page imports is in web/ (no bundler, no node_modules)
	run grep -hoE "from '[^']+'" "$TOP"/web/*.js "$TOP"/web/panels/*.js
	refute_output --regexp "from '[^.]"
}

@test "drawing a frame reads no layout (no forced reflow per container row)" {
	run grep -nE 'getBoundingClientRect|offset(Width|Height|Top|Left)|client(Width|Height)|getComputedStyle' \
		"$TOP"/web/*.js "$TOP"/web/panels/*.js
	assert_failure
}
