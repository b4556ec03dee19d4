#!/usr/bin/env bats
# The libFuzzer targets (tests/fuzz/*.c, built into build/fuzz/ by
# `make fuzz-build` with clang, ASan and UBSan): each runs briefly on its
# seeds, so that a parser that crashes, leaks or trips a sanitizer on a
# kept input (the regressions among the seeds) or within seconds of
# mutation fails the suite.  The binaries are the same for both suites.
# A target that was not built fails: there is no fallback without clang.

load lib/common

FUZZ_TEST_SECONDS=${FUZZ_TEST_SECONDS:-3}

@test "every fuzz target is built and has seeds" {
	local f t missing=0
	for f in "$TOP"/tests/fuzz/*.c; do
		t=$(basename "$f" .c)
		if [ ! -x "$TOP/build/fuzz/$t" ]; then
			echo "not built: build/fuzz/$t (make fuzz-build; needs clang and libclang-rt-14-dev)"
			missing=1
		fi
		if [ -z "$(ls -A "$TOP/tests/fuzz/corpus/$t" 2>/dev/null)" ]; then
			echo "no seeds: tests/fuzz/corpus/$t/"
			missing=1
		fi
	done
	[ "$missing" -eq 0 ]
}

@test "every fuzz target runs clean for a few seconds: no crash, no leak, no sanitizer report" {
	run "$TOP/tests/fuzz/run" -t "$FUZZ_TEST_SECONDS"
	echo "$output"
	[ "$status" -eq 0 ]
	# one "ok" line per target
	[ "$(grep -c ': ok, ' <<<"$output")" -eq "$(ls "$TOP"/tests/fuzz/*.c | wc -l)" ]
}

# The runner itself must say FAILED when a target misbehaves, or the two
# tests above prove nothing.
build_bad_target() {
	mkdir -p "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/seeds/$1"
	printf 'x' >"$BATS_TEST_TMPDIR/seeds/$1/seed"
	clang -g -fsanitize=fuzzer,address,undefined -o "$BATS_TEST_TMPDIR/bin/$1" -x c - <<<"$2"
}

@test "the fuzz runner reports a target that leaks" {
	build_bad_target leaky '#include <stdint.h>
#include <stdlib.h>
#include <string.h>
void *keep;
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n > 0 && d[0] == 120) { /* the seed, "x" */
		char *p = malloc(16);
		memset(p, 1, 16);
		keep = p + 1; /* no pointer to the block itself: a leak */
		keep = NULL;
	}
	return 0;
}'
	KL_FUZZ_DIR=$BATS_TEST_TMPDIR/bin KL_FUZZ_SEEDS=$BATS_TEST_TMPDIR/seeds \
		run "$TOP/tests/fuzz/run" -t 2 leaky
	echo "$output"
	[ "$status" -eq 1 ]
	assert_output --partial "leaky: FAILED"
	grep -q "LeakSanitizer" "$BATS_TEST_TMPDIR/bin/logs/leaky.log"
}

@test "the fuzz runner reports a target that reads out of bounds, and one not built" {
	build_bad_target overread '#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	volatile uint8_t c = n > 0 ? d[n] : 0; /* one past the end */
	(void)c;
	return 0;
}'
	KL_FUZZ_DIR=$BATS_TEST_TMPDIR/bin KL_FUZZ_SEEDS=$BATS_TEST_TMPDIR/seeds \
		run "$TOP/tests/fuzz/run" -t 2 overread absent
	echo "$output"
	[ "$status" -ne 0 ]
	assert_output --partial "overread: FAILED"
	assert_output --partial "absent: NOT BUILT"
	grep -q "heap-buffer-overflow" "$BATS_TEST_TMPDIR/bin/logs/overread.log"
}

# What the fuzzers found, seen through a tool: cJSON took a raw NUL (and
# cut the string there) and malformed UTF-8 (and passed it on, where a
# browser would drop its WebSocket); both are now malformed lines.
@test "kato-merge refuses records with a raw NUL or malformed UTF-8, and its frames stay UTF-8" {
	local in=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	python3 - "$in" <<-'PY'
	import sys
	with open(sys.argv[1], "wb") as f:
	    f.write(b'{"source":"session-summary","ok":true,"data":{"active_count":1,"total_count":1}}\n')
	    f.write(b'{"source":"kato-metrics","ok":false,"error":"bad \xff\xfe byte"}\n')
	    f.write(b'{"source":"session-summary","ok":true,"data":{"active_count":2,"total_count":2,"x":"a\x00b"}}\n')
	PY
	spawn "$KL_BIN/kato-merge" --interval 0.2 --stale 30 "$in" >"$out" 2>"$err"
	wait_until 20 grep -q realtime_update "$out"
	run cat "$err"
	assert_line --partial "$in: line 2: not JSON (invalid JSON at byte 49: not UTF-8)"
	assert_line --partial "$in: line 3: not JSON (invalid JSON at byte 85: a control character)"
	run jq -c 'select(.type == "realtime_update") | .data.sessions.active_count' "$out"
	assert_line --index 0 1
	python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$out"
	stop_spawned
}
