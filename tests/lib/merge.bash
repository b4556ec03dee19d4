# tests/lib/merge.bash - helpers for tests/kato-merge.bats.
#   start_merge ARGS...  kato-merge in the background, stdout $OUT, stderr $ERR
#   frames N             wait (up to 10 s) for N realtime_update lines on $OUT
#   frame K [FILTER]     jq FILTER (default .) of the K-th realtime_update (1-based)
#   last_frame_is FILTER  the newest realtime_update on $OUT exists and
#                        FILTER is true of it (for wait_until)
#   now_iso [SECONDS]    UTC ISO 8601 ms timestamp, SECONDS from now (may be negative)
#   producer NAME BODY   an executable sh script $BATS_TEST_TMPDIR/NAME

start_merge() {
	spawn "$KL_BIN/kato-merge" "$@" >"$OUT" 2>"$ERR"
	MERGE_PID=$LAST_PID
}

count_type() { grep -c "\"type\":\"$1\"" "$OUT" 2>/dev/null || true; }

has_frames() { [ "$(count_type realtime_update)" -ge "$1" ]; }

frames() { wait_until 10 has_frames "$1"; }

frame() {
	grep '"type":"realtime_update"' "$OUT" | sed -n "${1}p" | jq -c "${2:-.}"
}

# (jq -e on empty input exits 0: read the frame with input, so that no
# frame yet is a failure, not a vacuous success.)
last_frame_is() {
	grep '"type":"realtime_update"' "$OUT" | tail -n 1 | jq -e -n "input | $1" >/dev/null
}

now_iso() {
	python3 -c 'import sys,datetime as d; t=d.datetime.now(d.timezone.utc)+d.timedelta(seconds=float(sys.argv[1])); print(t.strftime("%Y-%m-%dT%H:%M:%S.")+"%03dZ"%(t.microsecond//1000))' "${1:-0}"
}

producer() {
	local f=$BATS_TEST_TMPDIR/$1
	printf '#!/bin/sh\n%s\n' "$2" >"$f"
	chmod +x "$f"
	echo "$f"
}

# gone PID...: none of them is alive (zombies count as gone).
gone() {
	local p st
	for p in "$@"; do
		st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$st" = Z ] || return 1
	done
}
