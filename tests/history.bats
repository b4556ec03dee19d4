#!/usr/bin/env bats
# kato-history (the store, a filter in the pipeline) and kato-history-query
# (the history API): a simulated week of frames, made by
# tests/lib/histframes.py with numbers that are functions of the frame's
# index, goes in; the answers must be those numbers, gaps stay gaps, and
# the files never grow.

bats_require_minimum_version 1.5.0

load lib/common
load lib/hub
load lib/snapshot

# Week: one frame a minute for 7 days from W0, then the last hour at 3 s
# from H0 = W0 + 7 d, with a 3-minute outage (frames 600..659).
# W0 is a week and an hour ago (rounded up to 10 minutes), so that NOW is
# at most 10 minutes after the real time the CGI under websocketd (which
# gets no --now) sees.
W0=$(($(date +%s) - 7 * 86400 - 3600))
W0=$((W0 + 600 - W0 % 600))
H0=$((W0 + 7 * 86400))
NOW=$((H0 + 3600))

setup() {
	export KATO_LIVE_ENV_FILE=
	STORE=$BATS_TEST_TMPDIR/store
	FR=$BATS_TEST_TMPDIR/frames
	mkdir -p "$FR"
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

# Is the store locked by a writer?  (Looked up in /proc/locks: taking the
# lock to see would race with the writer starting.)
store_locked() { grep -q "FLOCK .*:$(stat -c %i "$STORE/meta") " /proc/locks; }

gen() { python3 "$TOP/tests/lib/histframes.py" "$@"; }
store() { "$KL_BIN/kato-history" --dir "$STORE" "$@" 2>>"$BATS_TEST_TMPDIR/history.err"; }
query() { "$KL_BIN/kato-history-query" --dir "$STORE" --now "$NOW" "$1" 2>>"$BATS_TEST_TMPDIR/query.err"; }

# The simulated week, stored in two runs (a restart in the middle of a
# minute: frame 905 of the last hour).
store_week() {
	gen --start "$W0" --count 10080 --step 60 >"$FR/week"
	gen --start "$H0" --count 1200 --step 3 --gap 600:660 --alert 100 --session 200 >"$FR/hour"
	head -n 905 "$FR/hour" >"$FR/hour1"
	tail -n +906 "$FR/hour" >"$FR/hour2"
	store --sink <"$FR/week"
	store --sink <"$FR/hour1"
	store --sink <"$FR/hour2"
}

@test "kato-history and kato-history-query --help show the man pages' synopses" {
	run "$KL_BIN/kato-history" --help
	assert_success
	assert_line --index 0 --partial 'usage: kato-history [--dir DIR] [--sink]'
	run "$KL_BIN/kato-history-query" --help
	assert_success
	assert_line --index 0 --partial 'usage: kato-history-query [--dir DIR]'
	run "$KL_BIN/kato-history" --bogus
	assert_failure 100
	run "$KL_BIN/kato-history" --fine-step 7
	assert_failure 100
	assert_output --partial 'multiple of the fine step'
	run "$KL_BIN/kato-history-query"
	assert_failure 100
}

@test "the filter copies every line through unchanged, even lines it cannot store" {
	gen --start "$H0" --count 20 --alert 3 >"$FR/in"
	printf 'not json\n{"type":"heartbeat"}\n' >>"$FR/in"
	run --separate-stderr store <"$FR/in"
	assert_success
	[ "$output" = "$(cat "$FR/in")" ]
	grep -q 'not JSON' "$BATS_TEST_TMPDIR/history.err"
}

@test "a store that cannot be opened: said once, the stream still flows" {
	gen --start "$H0" --count 3 >"$FR/in"
	printf 'x' >"$BATS_TEST_TMPDIR/file"
	run --separate-stderr "$KL_BIN/kato-history" --dir "$BATS_TEST_TMPDIR/file/store" <"$FR/in"
	assert_success
	[ "$output" = "$(cat "$FR/in")" ]
	[[ $stderr == *"unable to open the history store"* ]]
	run "$KL_BIN/kato-history" --sink --dir "$BATS_TEST_TMPDIR/file/store" <"$FR/in"
	assert_failure 111
}

@test "a simulated week: the last hour at 3 s with the outage as a gap, not a line" {
	store_week
	run query "/api/v1/history?since=$H0&until=$((H0 + 3597))&series=host.cpu_percent,sessions.active"
	assert_success
	jq -e '.tier == "fine" and .step == 3 and (.time | length) == 1200' <<<"$output"
	jq -e --argjson h0 "$H0" '.time[0] == $h0 and .time[1199] == $h0 + 3597' <<<"$output"
	# frame i holds i % 100 and i % 7; the outage is null, nothing else is
	jq -e '[.series["host.cpu_percent"] | to_entries[] | select((.key >= 600 and .key < 660) != (.value == null))] | length == 0' <<<"$output"
	jq -e '[.series["host.cpu_percent"] | to_entries[] | select(.value != null and .value != (.key % 100))] | length == 0' <<<"$output"
	jq -e '[.series["sessions.active"] | to_entries[] | select(.value != null and .value != (.key % 7))] | length == 0' <<<"$output"
}

@test "a simulated week: seven days of per-minute min/avg/max, and the hour's minutes aggregated" {
	store_week
	run query "/api/v1/history?since=$W0&until=$((NOW - 60))&series=host.cpu_percent,host.cpu_percent:min,host.cpu_percent:max"
	assert_success
	jq -e '.tier == "coarse" and .step == 60 and (.time | length) == 10140' <<<"$output"
	# the week: one frame a minute, minute k holds k % 100
	jq -e '[.series["host.cpu_percent"][:10080] | to_entries[] | select(.value != (.key % 100))] | length == 0' <<<"$output"
	# the hour: minute m holds frames 20m..20m+19: min, average, max
	jq -e '.series["host.cpu_percent:min"][10080 + 1] == 20 and .series["host.cpu_percent:max"][10080 + 1] == 39 and .series["host.cpu_percent"][10080 + 1] == 29.5' <<<"$output"
	# the minute the restart cut in two (frames 900..919) is whole
	jq -e '.series["host.cpu_percent:min"][10080 + 45] == 0 and .series["host.cpu_percent:max"][10080 + 45] == 19 and .series["host.cpu_percent"][10080 + 45] == 9.5' <<<"$output"
	# the outage's three minutes are gaps, the minutes around them are not
	jq -e '.series["host.cpu_percent"][10080 + 29] != null and .series["host.cpu_percent"][10080 + 30:10080 + 33] == [null,null,null] and .series["host.cpu_percent"][10080 + 33] != null' <<<"$output"
	# a wider step averages whole minutes
	run query "/api/v1/history?since=$W0&until=$((W0 + 599))&step=600&series=host.cpu_percent"
	jq -e '.step == 600 and .series["host.cpu_percent"] == [4.5]' <<<"$output"
}

@test "a simulated week at 1 h steps: the hour tier, each hour the aggregate of its minutes, the hour in progress included" {
	store_week
	# the page's 7 d question: hour steps
	run query "/api/v1/history?since=-604800&step=3600&series=host.cpu_percent,host.cpu_percent:min,host.cpu_percent:max"
	assert_success
	jq -e '.tier == "hour" and .step == 3600 and (.time | length) == 169' <<<"$output"
	hours=$output
	# the same week at 60 s steps, grouped by hour here: the same numbers
	# (the last hour, the one in progress, comes from its minutes)
	t0=$(jq '.time[0]' <<<"$hours")
	run query "/api/v1/history?since=$t0&until=$((t0 + 169 * 3600 - 1))&step=60&series=host.cpu_percent,host.cpu_percent:min,host.cpu_percent:max"
	assert_success
	jq -e '.tier == "coarse" and (.time | length) == 169 * 60' <<<"$output"
	printf '%s\n' "$hours" >"$FR/hours.json"
	printf '%s\n' "$output" >"$FR/minutes.json"
	jq -en --slurpfile hh "$FR/hours.json" --slurpfile mm "$FR/minutes.json" '$hh[0] as $h | $mm[0] as $m |
		def hourly(f): [range(0; 169) as $k | [$m.series[f][$k * 60:($k + 1) * 60][] | select(. != null)]];
		[hourly("host.cpu_percent")[] | if length == 0 then null else (add / length) end] as $avg |
		[hourly("host.cpu_percent:min")[] | min] as $min |
		[hourly("host.cpu_percent:max")[] | max] as $max |
		[range(0; 169) | select(
			(($h.series["host.cpu_percent"][.] // -1) - ($avg[.] // -1) | fabs) > 0.001 or
			$h.series["host.cpu_percent:min"][.] != $min[.] or
			$h.series["host.cpu_percent:max"][.] != $max[.])] == [] and ($avg | map(select(. != null)) | length) > 160' >/dev/null
	# the last hour stored (at 3 s: the hour in progress, and the one before
	# it when the hour at 3 s spans two) is there, not a hole at the seam
	jq -e '[.series["host.cpu_percent"][-2:][] | select(. != null)] | length >= 1' <<<"$hours"
	# a 24 h question at 120 s steps stays on the minute tier
	run query "/api/v1/history?since=-86400&step=120&series=host.cpu_percent"
	jq -e '.tier == "coarse" and .step == 120' <<<"$output"
}

@test "an hour with no frames stays a gap in the hour tier; a restart keeps the hour rows" {
	# 3 hours of 1-minute frames with the middle hour missing, and 10
	# minutes of a fourth
	W0=$((W0 - W0 % 3600))
	gen --start "$W0" --count 190 --step 60 --gap 60:120 >"$FR/in"
	store --sink <"$FR/in"
	NOW=$((W0 + 190 * 60))
	run query "/api/v1/history?since=$W0&until=$((W0 + 4 * 3600 - 1))&step=3600&series=host.cpu_percent:min,host.cpu_percent:max"
	jq -e '.tier == "hour" and .series["host.cpu_percent:min"] == [0,null,20,80] and .series["host.cpu_percent:max"] == [59,null,79,89]' <<<"$output"
	# the minute rows gone (as when they are older than 7 days): the hour
	# rows stand alone, the hour in progress (never closed) is gone too
	dd if=/dev/zero of="$STORE/coarse.000" bs=784 count=10140 conv=notrunc status=none
	run query "/api/v1/history?since=$W0&until=$((W0 + 4 * 3600 - 1))&step=3600&series=host.cpu_percent:min,host.cpu_percent:max"
	jq -e '.series["host.cpu_percent:min"] == [0,null,20,null]' <<<"$output"
	# a restart: nothing lost, nothing made up
	store --sink </dev/null
	run query "/api/v1/history?since=$W0&until=$((W0 + 4 * 3600 - 1))&step=3600&series=host.cpu_percent:min,host.cpu_percent:max"
	jq -e '.series["host.cpu_percent:min"] == [0,null,20,null] and .series["host.cpu_percent:max"] == [59,null,79,null]' <<<"$output"
}

@test "per-container series, a glob selects them, and rates absent from the frames are not invented" {
	store_week
	run query "/api/v1/history?since=-60&series=container.*.cpu_percent,container.c1.rx_bytes_per_s,container.c1.read_bytes_per_s"
	assert_success
	jq -e '.series | keys == ["container.c0.cpu_percent","container.c1.cpu_percent","container.c1.rx_bytes_per_s"]' <<<"$output"
	jq -e '.series["container.c1.cpu_percent"][-2] == 1 + (1199 % 10) and .series["container.c1.rx_bytes_per_s"][-2] == 1001' <<<"$output"
}

@test "a restart keeps the data, and the files never grow past their fixed size" {
	store_week
	size1=$(du -sb "$STORE" | cut -f1)
	run query "/api/v1/history?since=$W0&until=$((W0 + 59))&series=host.cpu_percent"
	jq -e '.series["host.cpu_percent"] == [0]' <<<"$output"
	# two more hours: the oldest hour of the week falls off the coarse ring
	gen --start "$NOW" --count 2400 --step 3 >"$FR/more"
	store --sink <"$FR/more"
	size2=$(du -sb "$STORE" | cut -f1)
	[ "$size1" = "$size2" ]
	# one block of 64 series: fine (1220 rows) + coarse (10140 rows) +
	# hour (90 d + 1 d: 2184 rows) + series + marks + meta
	[ "$(ls "$STORE" | wc -l)" = 6 ]
	[ "$(stat -c %s "$STORE"/fine.000)" = $((1220 * 272)) ]
	[ "$(stat -c %s "$STORE"/coarse.000)" = $((10140 * 784)) ]
	[ "$(stat -c %s "$STORE"/hour.000)" = $((2184 * 784)) ]
	total=$(find "$STORE" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
	[ "$total" = $((1220 * 272 + 10140 * 784 + 2184 * 784 + 1024 * 128 + 4096 * 512 + 64)) ]
	NOW=$((NOW + 7200))
	# (the hour tier still has that hour: minutes 0 to 59 - o of the week,
	# W0 being o minutes into it)
	o=$((W0 % 3600 / 60))
	run query "/api/v1/history?since=$W0&until=$((W0 + 59))&series=host.cpu_percent"
	jq -e --argjson o "$o" '.tier == "hour" and .series["host.cpu_percent"] == [(59 - $o) / 2]' <<<"$output"
	run query "/api/v1/history?since=-60&series=host.cpu_percent"
	jq -e '.tier == "fine" and .series["host.cpu_percent"][-2] == (2399 % 100)' <<<"$output"
}

@test "frames older than the last one stored are skipped and said once; a second writer is refused" {
	gen --start "$H0" --count 10 >"$FR/in"
	# frames every second: the first of each 3 s step (times rounded to the
	# nearest step: 31 s is step 30, 32 s step 33) is kept, silently
	gen --start "$((H0 + 30))" --count 9 --step 1 >"$FR/fast"
	run --separate-stderr "$KL_BIN/kato-history" --dir "$STORE" --sink <"$FR/fast"
	assert_success
	[ -z "$stderr" ]
	NOW=$((H0 + 60))
	run query "/api/v1/history?since=$((H0 + 30))&until=$((H0 + 36))&series=host.cpu_percent"
	jq -e '.series["host.cpu_percent"] == [0,2,5]' <<<"$output"
	rm -rf "$STORE"
	store --sink <"$FR/in"
	run --separate-stderr "$KL_BIN/kato-history" --dir "$STORE" --sink <"$FR/in"
	assert_success
	[ "$(grep -c 'older than the last one stored' <<<"$stderr")" = 1 ]
	# a writer that stays: its stdin is a FIFO this shell holds open
	mkfifo "$BATS_TEST_TMPDIR/hold"
	exec 8<>"$BATS_TEST_TMPDIR/hold"
	# (a background job's stdin is /dev/null unless it redirects its own)
	spawn bash -c 'exec "$@" <&8' _ "$KL_BIN/kato-history" --dir "$STORE" --sink 2>>"$BATS_TEST_TMPDIR/first.err" 3>&-
	wait_until 20 store_locked
	run "$KL_BIN/kato-history" --dir "$STORE" --sink </dev/null
	assert_failure 111
	assert_output --partial 'another kato-history writes there'
	stop_spawned
	exec 8>&-
	# made with other tiers: refused, not mixed
	run "$KL_BIN/kato-history" --dir "$STORE" --sink --fine-span 7200 </dev/null
	assert_failure 111
	assert_output --partial 'other tiers'
}

@test "a stale source is stored as missing, not as its old value again" {
	gen --start "$H0" --count 4 >"$FR/in"
	{ head -n 2 "$FR/in"; tail -n 2 "$FR/in" | jq -c '.stale = ["kato-metrics"]'; } >"$FR/stale"
	store --sink <"$FR/stale"
	NOW=$((H0 + 12))
	run query "/api/v1/history?since=$H0&until=$((H0 + 9))&series=host.cpu_percent,container.c0.cpu_percent"
	jq -e '.series["host.cpu_percent"] == [0,1,null,null] and .series["container.c0.cpu_percent"] == [0,1,2,3]' <<<"$output"
}

@test "two Docker hosts: container.HOST/NAME series that do not collide; one host stops, only its series gap; one host keeps the old names" {
	gen --start "$H0" --count 4 >"$FR/in"
	# Frames 3 and 4 hold c0 on two hosts; in frame 4 host b has stopped.
	{
		head -n 2 "$FR/in"
		sed -n 3p "$FR/in" | jq -c '.data.containers.containers = [
			{"name":"c0","host":"a","cpu":10}, {"name":"c0","host":"b","cpu":20}]
			| .data.containers.hosts = {"a":{},"b":{}}'
		sed -n 4p "$FR/in" | jq -c '.data.containers.containers = [
			{"name":"c0","host":"a","cpu":11}, {"name":"c0","host":"b","cpu":20,"stale":true}]
			| .data.containers.hosts = {"a":{},"b":{}} | .stale = ["docker-stats@b"]'
	} >"$FR/hosts"
	store --sink <"$FR/hosts"
	NOW=$((H0 + 12))
	run query "/api/v1/history?since=$H0&until=$((H0 + 9))&series=container.*.cpu_percent"
	assert_success
	# One host (the first frames): the name alone, as before hosts were named.
	jq -e '.series["container.c0.cpu_percent"] == [0,1,null,null]
	       and .series["container.a/c0.cpu_percent"] == [null,null,10,11]
	       and .series["container.b/c0.cpu_percent"] == [null,null,20,null]' <<<"$output"
	# The stopped host leaves the fresh one's figures and the totals stored.
	run query "/api/v1/history?since=$H0&until=$((H0 + 9))&series=containers.cpu_percent"
	jq -e '.series["containers.cpu_percent"][3] != null' <<<"$output"
}

@test "events: alerts and session events as marks; a firing alert sent again is one mark" {
	gen --start "$H0" --count 30 --alert 5 --alert 5 --session 7 >"$FR/in"
	# the alert again (its cooldown), then resolved
	sed -n '/system_alert/p' "$FR/in" | head -1 >"$FR/alert"
	jq -c '.state = "resolved" | .alerts[0].state = "resolved" | .timestamp = "'"$(date -u -d @$((H0 + 60)) +%FT%T.000Z)"'"' "$FR/alert" >"$FR/resolved"
	cat "$FR/in" "$FR/alert" "$FR/resolved" | store --sink
	NOW=$((H0 + 120))
	run query "/api/v1/events?since=$H0"
	assert_success
	jq -e '.events | length == 3' <<<"$output"
	jq -e --argjson h0 "$H0" '.events[0] | .kind == "alert" and .state == "firing" and .type == "high_cpu" and .value == 5 and .threshold == 80 and (.time - ($h0 + 15.1) | fabs) < 0.01' <<<"$output"
	jq -e '.events[1] | .kind == "session" and .event_type == "session_created" and .delta == 1' <<<"$output"
	jq -e --argjson h0 "$H0" '.events[2] | .state == "resolved" and .time == $h0 + 60' <<<"$output"
	run query "/api/v1/events?since=$((H0 + 30))"
	jq -e '.events | length == 1' <<<"$output"
}

@test "bad requests: 400 with a reason, unknown paths 404, no store 503" {
	store_week
	run query "/api/v1/history?since=banana"
	assert_failure 1
	jq -e '.error | test("bad since")' <<<"$output"
	run query "/api/v1/history?bogus=1"
	assert_failure 1
	jq -e '.error | test("unknown query key")' <<<"$output"
	run query "/api/v1/history?step=0"
	assert_failure 1
	run query "/api/v1/history?since=$NOW&until=$H0"
	assert_failure 1
	run query "/api/v1/history?series=%zz"
	assert_failure 1
	run query "/api/v1/nothing"
	assert_failure 1
	jq -e '.error | test("no such path")' <<<"$output"
	run --separate-stderr "$KL_BIN/kato-history-query" --dir "$BATS_TEST_TMPDIR/none" /api/v1/history
	assert_failure 1
	jq -e '.error | test("no history store")' <<<"$output"
	# a huge range is answered in at most 20000 points with a wider step
	run query "/api/v1/history?since=0&until=$NOW&series=host.cpu_percent"
	assert_success
	jq -e '(.time | length) <= 20000 and .step % 60 == 0' <<<"$output"
}

@test "through websocketd: the CGI tree kato-live writes answers /api/v1/history and /api/v1/events" {
	store_week
	export KATO_LIVE_HISTORY_DIR=$STORE
	start_cgi
	get "/api/v1/history?since=$((H0 + 300))&until=$((H0 + 330))&series=host.cpu_percent"
	[ "$HTTP_STATUS" = 200 ]
	[ "$(printf '%s\n' "$HEADERS" | sed -n 's/^Content-Type: *//Ip')" = application/json ]
	jq -e '.series["host.cpu_percent"][:10] == [0,1,2,3,4,5,6,7,8,9]' <<<"$BODY"
	get "/api/v1/events?since=$H0&until=$NOW"
	[ "$HTTP_STATUS" = 200 ]
	jq -e '.events | length == 2' <<<"$BODY"
	get "/api/v1/history?since=x"
	[ "$HTTP_STATUS" = 400 ]
	get "/api/v1/history" -X POST
	[ "$HTTP_STATUS" = 405 ]
}

@test "the history API as CGI: no CORS header unless an origin is configured (as kato-snapshot); OPTIONS; a bad origin is a 500" {
	gen --start "$H0" --count 3 >"$FR/in"
	store --sink <"$FR/in"
	cgi() { env REQUEST_METHOD="$1" SCRIPT_NAME=/ PATH_INFO=/api/v1/history QUERY_STRING="since=$H0&until=$((H0 + 6))&series=host.cpu_percent" \
		"$KL_BIN/kato-history-query" --dir "$STORE" --now "$((H0 + 9))" "${@:2}" 2>>"$BATS_TEST_TMPDIR/query.err" | tr -d '\r'; }
	run cgi GET
	assert_line 'Status: 200 OK'
	assert_line 'Content-Type: application/json'
	refute_output --partial 'Access-Control'
	jq -e '.series["host.cpu_percent"] == [0,1,2]' <<<"$(sed '1,/^$/d' <<<"$output")"
	run cgi HEAD
	assert_line 'Status: 200 OK'
	[ -z "$(sed '1,/^$/d' <<<"$output")" ]
	run cgi GET --cors-origin https://ops.example.com
	assert_line 'Access-Control-Allow-Origin: https://ops.example.com'
	assert_line 'Vary: Origin'
	run cgi OPTIONS --cors-origin https://ops.example.com
	assert_line 'Status: 204 No Content'
	assert_line 'Access-Control-Allow-Methods: GET, HEAD, OPTIONS'
	run cgi POST
	assert_line 'Status: 405 Method Not Allowed'
	assert_line 'Allow: GET, HEAD, OPTIONS'
	run cgi GET --cors-origin 'https://x.example.com
Set-Cookie: a=b'
	assert_line 'Status: 500 Internal Server Error'
	refute_output --partial 'Set-Cookie'
}
