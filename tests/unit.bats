#!/usr/bin/env bats
# The C unit tests (tests/unit/*.c): each binary prints TAP and exits
# non-zero when a check fails.

load lib/common

@test "C unit tests pass (every tests/unit binary)" {
	local u failed=0
	for u in "$KL_UNIT"/*; do
		[ -x "$u" ] || continue
		run "$u"
		echo "$output"
		[ "$status" -eq 0 ] || failed=1
	done
	[ "$failed" -eq 0 ]
}
