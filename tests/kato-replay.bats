#!/usr/bin/env bats
# kato-replay: a recording played at its own pace (or --speed N), lines
# unchanged unless --retime.  Pacing is checked from below only: under
# load a line may come late, it must never come early.

bats_require_minimum_version 1.5.0

load lib/common

# Prefix each line read with the seconds since $1 (an $EPOCHREALTIME
# taken before kato-replay started: its clock starts later, so a line due
# at d seconds cannot arrive before $1 + d).
stamp() {
	local l t0=$1
	while IFS= read -r l; do
		printf '%s %s\n' "$(bc <<<"$EPOCHREALTIME - $t0")" "$l"
	done
}

setup() {
	REC=$BATS_TEST_TMPDIR/rec.ndjson
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

@test "kato-replay --help shows the man page's synopsis; bad use exits 100" {
	run "$KL_BIN/kato-replay" --help
	assert_success
	assert_line --index 0 'usage: kato-replay [--speed N] [--retime] FILE'
	run "$KL_BIN/kato-replay"
	assert_failure 100
	run "$KL_BIN/kato-replay" --speed -1 x
	assert_failure 100
	run "$KL_BIN/kato-replay" "$BATS_TEST_TMPDIR/none"
	assert_failure 111
}

@test "--speed 0 copies every line byte for byte, untimed and non-JSON lines too" {
	python3 "$TOP/tests/lib/histframes.py" --start 1795000000 --count 5 --alert 2 >"$REC"
	printf 'not json\n{"type":"heartbeat"}\n{"source":"x","ts":"2026-11-25T18:45:47.538Z","ok":true}\n' >>"$REC"
	run --separate-stderr "$KL_BIN/kato-replay" --speed 0 "$REC"
	assert_success
	[ "$output" = "$(cat "$REC")" ]
	[ "$(grep -c 'written at once' <<<"$stderr")" = 1 ]
}

@test "lines come at the recording's pace divided by --speed, never early" {
	# five frames 1 s apart (+-2 ms), an alert 0.1 s after the third; at
	# speed 4: 0, .25, .5, .525, .75, 1 s
	python3 "$TOP/tests/lib/histframes.py" --start 1795000000 --count 5 --step 1 --alert 2 >"$REC"
	t0=$EPOCHREALTIME
	"$KL_BIN/kato-replay" --speed 4 "$REC" 2>"$BATS_TEST_TMPDIR/replay.err" |
		stamp "$t0" >"$BATS_TEST_TMPDIR/stamped"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/stamped")" = 6 ]
	# each arrival is at least its due time (minus 5 ms of timestamp rounding)
	awk 'BEGIN { split("0 0.25 0.5 0.525 0.75 1", due, " ") }
	     { if ($1 < due[NR] - 0.005) { print "line " NR " at " $1 " < " due[NR]; bad = 1 } }
	     END { exit bad }' "$BATS_TEST_TMPDIR/stamped"
	# and the lines are the recording's, in order
	[ "$(cut -d' ' -f2- "$BATS_TEST_TMPDIR/stamped")" = "$(cat "$REC")" ]
}

@test "--retime: the times become now, spaced as the pace says" {
	python3 "$TOP/tests/lib/histframes.py" --start 1795000000 --count 4 --step 3 >"$REC"
	before=$(date +%s)
	run --separate-stderr "$KL_BIN/kato-replay" --speed 30 --retime "$REC"
	assert_success
	jq -se --argjson b "$before" '
	    [.[].timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601] as $t
	    | ($t[0] >= $b and $t[0] <= $b + 60)' <<<"$output"
	# 3 s apart at speed 30: 100 ms apart (jitter in the recording: a few ms / 30)
	jq -se '[.[].timestamp | capture("T(?<h>..):(?<m>..):(?<s>[0-9.]+)Z") | (.h|tonumber)*3600 + (.m|tonumber)*60 + (.s|tonumber)]
	    | [range(1; length) as $i | .[$i] - .[$i-1]] | all(. > 0.095 and . < 0.105)' <<<"$output"
	# the rest of each line is unchanged
	diff <(jq -c 'del(.timestamp)' <<<"$output") <(jq -c 'del(.timestamp)' "$REC")
}

@test "SIGTERM during a long wait: exits at once with 0" {
	printf '%s\n' '{"type":"x","timestamp":"2026-11-25T18:00:00.000Z"}' \
		'{"type":"x","timestamp":"2026-11-25T19:00:00.000Z"}' >"$REC"
	spawn "$KL_BIN/kato-replay" "$REC" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/replay.err"
	pid=$LAST_PID
	wait_until 20 grep -q '18:00' "$BATS_TEST_TMPDIR/out"
	kill -TERM "$pid"
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 1 ]
	KL_PIDS=()
}
