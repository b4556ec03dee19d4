# tests/lib/alerts.bash - frames for kato-alerts tests.  Load after lib/common.
#
#   frame SECONDS [JQ-FILTER]  one compact realtime_update frame: the
#       recorded-style fixture tests/fixtures/frames/base.json (all healthy,
#       CPU 31.9 %, memory 11 %, error rate 0.001) changed by JQ-FILTER, its
#       timestamp SECONDS after 2026-11-25T18:45:00Z.
#   cpu_frames START STEP VALUE...  one frame per VALUE of the aggregated
#       CPU % ("null" for unmeasured), STEP seconds apart from START.
#   alerts_of FILE [TYPE]  the system_alert lines of kato-alerts' output FILE
#       as "id state level" (only those of alert TYPE if given).
#   strip_alerts FILE      FILE without what kato-alerts adds: its alert
#       lines, and each frame's data.thresholds.

FRAMES=$TOP/tests/fixtures/frames
FRAME_T0=1795632300 # 2026-11-25T18:45:00Z

frame() {
	local t=$1 f=${2:-.}
	jq -c --arg ts "$(date -u -d "@$((FRAME_T0 + t))" +%Y-%m-%dT%H:%M:%S.000Z)" \
		"($f) | .timestamp = \$ts" "$FRAMES/base.json"
}

cpu_frames() {
	local t=$1 step=$2 v
	shift 2
	for v in "$@"; do
		frame "$t" ".data.containers.aggregated.total_cpu_percent = $v"
		t=$((t + step))
	done
}

alerts_of() {
	jq -Rr --arg t "${2:-}" 'fromjson? | select(.type == "system_alert")
		| select($t == "" or .alerts[0].type == $t)
		| "\(.id) \(.state) \(.alerts[0].level)"' "$1"
}

strip_alerts() {
	{ grep -v -e '^{"type":"system_alert",' -e '^{"type":"active_alerts",' "$1" || true; } |
		jq -R -r '. as $l | (try fromjson catch null) as $j
			| if ($j|type) == "object" and $j.type == "realtime_update"
			  then $j | del(.data.thresholds) | tojson else $l end'
}
