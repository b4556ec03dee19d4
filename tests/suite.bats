#!/usr/bin/env bats
# The test harness itself: a run that skipped or did not build something
# must not report success.

load lib/common

@test "run-suite counts a skipped test as skipped, not passed, and fails" {
	local d=$BATS_TEST_TMPDIR
	# (printf: bats would take an @test at the start of a line here for its own)
	printf '%s\n' '@test "passes" { true; }' '@test "skips" { skip "not here"; }' \
		>"$d/skips.bats"
	run env KL_SUITES=plain "$TOP/tests/run-suite" "$d/skips.bats"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_line "1 passed, 0 failed, 1 skipped"
	assert_output --partial "skips # skip"
}

@test "run-suite passes a run with no skip and no failure" {
	local d=$BATS_TEST_TMPDIR
	printf '@test "passes" { true; }\n' >"$d/ok.bats"
	run env KL_SUITES=plain "$TOP/tests/run-suite" "$d/ok.bats"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_line "1 passed, 0 failed, 0 skipped"
}

@test "unit.bats fails when a unit test binary was not built" {
	mkdir -p "$BATS_TEST_TMPDIR/nounits"
	run env KL_UNIT="$BATS_TEST_TMPDIR/nounits" bats --tap "$TOP/tests/unit.bats"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_output --partial "was not built"
}

@test "assert_no_sanitizer_reports fails on an ASan, LSan or UBSan report, not on websocketd's recovered Go panic" {
	local d=$BATS_TEST_TMPDIR
	echo '==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x1' >"$d/asan.err"
	echo '==123==ERROR: LeakSanitizer: detected memory leaks' >"$d/lsan.err"
	echo 'cmd/kato-hub/subs.c:120:9: runtime error: signed integer overflow' >"$d/ubsan.err"
	echo '2026/12/02 08:36:39 http: panic serving 127.0.0.1:51910: runtime error: invalid memory address or nil pointer dereference' >"$d/go.err"
	echo 'kato-hub: warning: a line' >"$d/clean.err"
	local f
	for f in asan lsan ubsan; do
		run assert_no_sanitizer_reports "$d/clean.err" "$d/$f.err"
		assert_failure
	done
	run assert_no_sanitizer_reports "$d/go.err" "$d/clean.err" "$d/absent.err"
	assert_success
}
