#!/usr/bin/env bats
# The C unit tests (tests/unit/*.c): each binary prints TAP and exits
# non-zero when a check fails.  Every source must have been built: a
# missing binary is a failure, never a silent pass.

load lib/common

@test "C unit tests pass (every tests/unit binary)" {
	local src u failed=0 n=0
	for src in "$TOP"/tests/unit/*.c; do
		u=$KL_UNIT/$(basename "$src" .c)
		if [ ! -x "$u" ]; then
			echo "unit test $u was not built (from $src)"
			failed=1
			continue
		fi
		n=$((n + 1))
		run "$u"
		echo "$output"
		[ "$status" -eq 0 ] || failed=1
	done
	[ "$n" -gt 0 ]
	[ "$failed" -eq 0 ]
}
