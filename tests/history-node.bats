#!/usr/bin/env bats
# The history charts' pure module (web/histdata.js) under node's own test
# runner: steps, columns, gaps, live appends, units (tests/node/histdata.test.mjs).

load lib/common

@test "web/histdata.js passes its node --test suite" {
	command -v node >/dev/null || fail "node is not installed (scripts/install-deps)"
	run node --test "$TOP/tests/node/histdata.test.mjs"
	assert_success
	assert_output --partial '# fail 0'
	refute_output --regexp '# pass 0$'
}

@test "uPlot is in place for the page (make copies it from scripts/npm/)" {
	[ -f "$TOP/scripts/npm/package.json" ]
	[ -f "$TOP/web/vendor/uPlot.esm.js" ] || fail "web/vendor/uPlot.esm.js missing: run scripts/install-deps, then make"
	grep -q '"uplot"' "$TOP/scripts/npm/package.json"
}
