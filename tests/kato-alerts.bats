#!/usr/bin/env bats
# kato-alerts: a filter that copies frames through and adds system alerts.
# Frames are synthesized from a recorded-style fixture and fed at once
# (far faster than the 3 s ticks they claim): cooldowns run on the frames'
# own timestamps, so the results are what they would be live.

load lib/common
load lib/alerts
load lib/hub

setup() {
	T=$BATS_TEST_TMPDIR
	IN=$T/in.ndjson OUT=$T/out.ndjson ERR=$T/err.txt
	unset KATO_LIVE_ENV_FILE WEBSOCKET_SYSTEM_ALERTS ALERT_CPU_THRESHOLD \
		ALERT_MEMORY_THRESHOLD ALERT_ERROR_RATE_THRESHOLD ALERT_COOLDOWN_SECONDS \
		ALERT_CONSECUTIVE_FRAMES ALERT_HYSTERESIS_PERCENT ALERT_CONTAINERS \
		ALERT_HOST_CPU_THRESHOLD ALERT_HOST_MEMORY_THRESHOLD
	# Most tests here judge one rule frame by frame: one clear frame
	# resolves.  The default (2) has tests of its own, which unset this.
	export ALERT_CLEAR_FRAMES=1
}

teardown() {
	stop_spawned
	hub_close_input
	assert_no_sanitizer_reports "$T"/*.txt "$T/hub.err"
}

# filter [OPTIONS...]: kato-alerts OPTIONS < $IN > $OUT 2> $ERR
filter() {
	status=0
	kato-alerts "$@" <"$IN" >"$OUT" 2>"$ERR" || status=$?
	return "$status"
}

@test "--help prints the synopsis; a bad option or value is a usage error (100)" {
	run kato-alerts --help
	assert_success
	assert_output --partial 'usage: kato-alerts [--cpu PCT]'
	assert_output --partial 'kato-alerts --once [options] [FRAME-FILE]'
	run man -l "$TOP/man/kato-alerts.1"
	assert_output --partial 'kato-alerts [--cpu PCT] [--cpu-error PCT] [--memory PCT]'
	assert_output --partial 'kato-alerts --once [options] [FRAME-FILE]'
	run kato-alerts --bogus </dev/null
	assert_equal "$status" 100
	run kato-alerts --cpu lots </dev/null
	assert_equal "$status" 100
	assert_output --partial "--cpu: not a number"
	run kato-alerts --consecutive 0 </dev/null
	assert_equal "$status" 100
	run kato-alerts extra-arg </dev/null
	assert_equal "$status" 100
}

@test "every line is copied through unchanged, in order, whatever it is" {
	{
		frame 0
		echo '{"type":"session_event","event_type":"session_created","timestamp":"2026-11-25T18:45:01.000Z","data":{"current_count":15,"previous_count":14,"delta":1}}'
		frame 3 '.data.containers.aggregated.total_cpu_percent = 95'
		echo 'not json at all'
		printf '%s\n' '{"type":"metrics_update","timestamp":"2026-11-25T18:45:04.000Z","data":{"note":"caf\u00e9 \"q\" \\ ünï"}}'
		echo '   {"spaced":  true}  '
		echo ''
		frame 6 '.data.containers.aggregated.total_cpu_percent = 10'
	} >"$IN"
	filter
	strip_alerts "$OUT" >"$T/copied"
	cmp "$IN" "$T/copied"
	# and the alerts come right after the frame that triggered them
	run jq -Rr 'fromjson? | .type // empty' "$OUT"
	assert_output "realtime_update
active_alerts
session_event
realtime_update
system_alert
active_alerts
metrics_update
realtime_update
system_alert
active_alerts"
}

@test "each line is passed on at once, before the next one arrives" {
	mkfifo "$T/fifo"
	spawn sh -c 'exec kato-alerts <"$1" >"$2" 2>"$3"' sh "$T/fifo" "$OUT" "$T/err.txt" 3>&-
	exec 5>"$T/fifo"
	frame 0 >&5
	wait_until 5 grep -q active_alerts "$OUT"
	echo '{"type":"session_event","n":1}' >&5
	wait_until 5 grep -q '"n":1' "$OUT"
	exec 5>&-
	wait_until 5 sh -c "! kill -0 $LAST_PID"
}

@test "high_cpu fires as a warning, turns error at once at 90, resolves with state resolved" {
	cpu_frames 0 3 50 85 86 92 93 70 >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing warning
high_cpu firing error
high_cpu resolved info"
	run jq -c 'select(.type=="system_alert") | .alerts[0] | [.value,.threshold,.since,.state]' "$OUT"
	assert_output '[85,80,"2026-11-25T18:45:03.000Z","firing"]
[92,80,"2026-11-25T18:45:03.000Z","firing"]
[70,80,"2026-11-25T18:45:03.000Z","resolved"]'
	run jq -r 'select(.type=="system_alert") | .timestamp' "$OUT"
	assert_output "2026-11-25T18:45:03.000Z
2026-11-25T18:45:09.000Z
2026-11-25T18:45:15.000Z"
}

@test "high_memory fires (error at 95) and resolves" {
	{
		frame 0 '.data.containers.aggregated.total_memory_percent = 88'
		frame 3 '.data.containers.aggregated.total_memory_percent = 96'
		frame 6 '.data.containers.aggregated.total_memory_percent = 40'
	} >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_memory firing warning
high_memory firing error
high_memory resolved info"
}

@test "high_error_rate fires on KATO's performance.error_rate (error at 0.10) and resolves" {
	{
		frame 0 '.data.metrics.performance.error_rate = 0.07'
		frame 3 '.data.metrics.performance.error_rate = 0.2'
		frame 6 '.data.metrics.performance.error_rate = 0.01'
	} >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_error_rate firing warning
high_error_rate firing error
high_error_rate resolved info"
	run jq -c 'select(.type=="system_alert") | .alerts[0].threshold' "$OUT"
	assert_output "0.05
0.05
0.05"
}

@test "container_down fires for the stopped container only and resolves when it runs again" {
	{
		frame 0
		frame 3 '.data.containers.containers[3].status = "exited"'
		frame 6 '.data.containers.containers[3].status = "exited" | .data.containers.containers[1].status = "paused"'
		frame 9 '.data.containers.containers[1].status = "paused"'
		frame 12
	} >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "container_down:kato-redis firing error
container_down:kato-clickhouse firing error
container_down:kato-redis resolved info
container_down:kato-clickhouse resolved info"
	run jq -c 'select(.type=="system_alert") | .alerts[0] | [.container,.value,.message]' "$OUT"
	assert_line --index 0 '["kato-redis","exited","Container kato-redis is exited"]'
	assert_line --index 2 '["kato-redis","running","Resolved after 6 s: Container kato-redis is exited. Container kato-redis is running again"]'
}

@test "a container that leaves the list is missing until it is back; stale container stats hold it" {
	{
		frame 0 '.data.containers.containers[3].status = "exited"'
		frame 3 '.data.containers = {"error":"GET unix:///run/docker.sock /containers/json: Connection refused"} | .stale = ["docker-stats"]'
		frame 6 '.data.containers.containers |= map(select(.name != "kato-redis" and .name != "kato-qdrant"))'
		frame 9 '.data.containers.containers |= map(select(.name != "kato-redis" and .name != "kato-qdrant"))'
		frame 12 '.data.containers.containers |= map(select(.name != "kato-redis"))'
		frame 15
	} >"$IN"
	filter
	run alerts_of "$OUT" container_down
	assert_output "container_down:kato-redis firing error
container_down:kato-qdrant firing error
container_down:kato-redis firing error
container_down:kato-qdrant resolved info
container_down:kato-redis resolved info"
	run jq -c 'select(.type=="system_alert" and .alerts[0].type=="container_down") | .alerts[0] | [.container,.value,.message]' "$OUT"
	assert_line --index 1 '["kato-qdrant","missing","Container kato-qdrant is missing: the container engine no longer lists it"]'
	assert_line --index 2 '["kato-redis","missing","Container kato-redis is missing: the container engine no longer lists it"]'
}

# Two Docker hosts, each with a container named kato-redis (and the rest
# of the fixture on host a): alerts are keyed and worded per host.
two_hosts='.data.containers.containers |= (map(.host = "a") + [.[] | select(.name == "kato-redis") | .host = "b"])
	| .data.containers.hosts = {"a":{"ok":true,"stale":false},"b":{"ok":true,"stale":false}}'

@test "with two Docker hosts a container is known by host and name: the same name on each host is two alerts, each naming its host" {
	{
		frame 0 "$two_hosts"
		frame 3 "$two_hosts"' | (.data.containers.containers[] | select(.host == "b" and .name == "kato-redis") | .status) = "exited"'
		frame 6 "$two_hosts"' | (.data.containers.containers[] | select(.name == "kato-redis") | .status) = "exited"'
		# host b stops: its containers are kept, marked stale: not judged,
		# not missing; host a's kato-redis runs again.
		frame 9 "$two_hosts"' | (.data.containers.containers[] | select(.host == "b") | .status) = "exited"
			| (.data.containers.containers[] | select(.host == "b") | .stale) = true
			| .data.containers.hosts.b.age_ms = 12500 | .stale = ["docker-stats@b"]'
		frame 12 "$two_hosts"
	} >"$IN"
	filter
	run alerts_of "$OUT" container_down
	assert_output "container_down:b/kato-redis firing error
container_down:a/kato-redis firing error
container_down:a/kato-redis resolved info
container_down:b/kato-redis resolved info"
	run jq -c 'select(.type=="system_alert" and .alerts[0].type=="container_down") | .alerts[0] | [.container,.message]' "$OUT"
	assert_line --index 0 '["b/kato-redis","Container kato-redis on host b is exited"]'
	assert_line --index 1 '["a/kato-redis","Container kato-redis on host a is exited"]'
	# The host that stopped is named in its own stale alert.
	run jq -r 'select(.type=="system_alert" and .alerts[0].type=="source_stale") | "\(.id) \(.state) \(.alerts[0].message)"' "$OUT"
	assert_line --index 0 'source_stale:docker-stats@b firing No fresh container stats from host b for 12 s'
	assert_line --index 1 --partial 'source_stale:docker-stats@b resolved'
}

@test "with two Docker hosts, all of them stopping is one alert (docker-stats), not one more per host" {
	{
		frame 0 "$two_hosts"
		frame 9 "$two_hosts"' | .data.containers.hosts.a.age_ms = 12500 | .data.containers.hosts.b.age_ms = 12500
			| .sources["docker-stats"].age_ms = 12500 | .stale = ["docker-stats","docker-stats@a","docker-stats@b"]'
		frame 12 "$two_hosts"' | .data.containers.hosts.a.age_ms = 15500 | .data.containers.hosts.b.age_ms = 15500
			| .sources["docker-stats"].age_ms = 15500 | .stale = ["docker-stats","docker-stats@a","docker-stats@b"]'
		frame 15 "$two_hosts"
	} >"$IN"
	filter
	run jq -r 'select(.type=="system_alert" and .alerts[0].type=="source_stale") | "\(.id) \(.state)"' "$OUT"
	assert_output "source_stale:docker-stats firing
source_stale:docker-stats resolved"
}

@test "--containers picks the containers container_down watches" {
	frame 0 '.data.containers.containers[0].status = "exited" | .data.containers.containers[3].status = "exited"' >"$IN"
	filter --containers 'kato-r*,nothing'
	run alerts_of "$OUT" container_down
	assert_output "container_down:kato-redis firing error"
}

@test "kato_unhealthy: degraded is a warning, unhealthy and unreachable are errors, healthy resolves" {
	{
		frame 0 '.data.health.status = "degraded" | .data.health.issues = ["redis slow"]'
		frame 3 '.data.health.status = "unhealthy"'
		frame 6
		frame 9 '.data.metrics = {"error":"GET http://127.0.0.1:9/metrics: Connection refused"} | .data.health = .data.metrics | .sources["kato-metrics"] = {"ok":false,"ts":"2026-11-25T18:45:09.000Z","age_ms":10,"error":"GET http://127.0.0.1:9/metrics: Connection refused"}'
		frame 12
	} >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "kato_unhealthy firing warning
kato_unhealthy firing error
kato_unhealthy resolved info
kato_unhealthy firing error
kato_unhealthy resolved info"
	run jq -r 'select(.type=="system_alert") | .alerts[0].message' "$OUT"
	assert_line --index 0 "KATO health is degraded: redis slow"
	assert_line --index 3 "KATO is unreachable or failing: GET http://127.0.0.1:9/metrics: Connection refused"
}

@test "no data yet: kato_unhealthy does not fire; source_stale only after three intervals of start-up grace" {
	nodata='.data.metrics = {"error":"no data yet from kato-metrics"} | .data.health = .data.metrics
		| .stale = ["kato-metrics"] | .sources["kato-metrics"] = {"ok":false,"ts":null,"age_ms":null,"error":"no data yet"}'
	{ frame 0 "$nodata"; frame 3 "$nodata"; frame 6 "$nodata"; } >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output ""
	{ frame 0 "$nodata"; frame 9 "$nodata"; frame 12; } >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "source_stale:kato-metrics firing warning
source_stale:kato-metrics resolved info"
	run jq -c 'select(.type=="system_alert") | .alerts[0] | [.timestamp // .since,.source,.value,.message]' "$OUT"
	assert_line --index 0 '["2026-11-25T18:45:09.000Z","kato-metrics",null,"No metrics from KATO yet"]'
}

@test "source_stale fires per source with its age and resolves when it reports again" {
	{
		frame 0 '.stale = ["docker-stats"] | .sources["docker-stats"].age_ms = 12500'
		frame 3 '.stale = ["docker-stats","session-summary"]'
		frame 6 '.stale = ["session-summary"]'
		frame 9
	} >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "source_stale:docker-stats firing warning
source_stale:session-summary firing warning
source_stale:docker-stats resolved info
source_stale:session-summary resolved info"
	run jq -r 'select(.type=="system_alert") | .alerts[0].value' "$OUT"
	assert_line --index 0 "12.5"
}

@test "cooldown: a firing alert is re-sent only after ALERT_COOLDOWN_SECONDS of frame time" {
	# 51 frames 3 s apart = 150 s of frame time, fed in well under a second
	cpu_frames 0 3 $(seq -s ' ' 85 135 | sed 's/[0-9]*/85/g') >"$IN"
	filter
	run jq -r 'select(.type=="system_alert") | "\(.timestamp) \(.state)"' "$OUT"
	assert_output "2026-11-25T18:45:00.000Z firing
2026-11-25T18:46:00.000Z firing
2026-11-25T18:47:00.000Z firing"
	# reminders do not change the firing set: the first frame's active_alerts only
	run grep -c '"type":"active_alerts"' "$OUT"
	assert_output 1
	ALERT_COOLDOWN_SECONDS=100 filter
	run grep -c '"type":"system_alert"' "$OUT"
	assert_output 2
}

@test "cooldown is per alert and per container; a level change is sent at once" {
	{
		frame 0 '.data.containers.containers[3].status = "exited"'
		frame 10 '.data.containers.containers[3].status = "exited" | .data.containers.containers[2].status = "exited"'
		frame 20 '.data.containers.containers[3].status = "exited" | .data.containers.containers[2].status = "exited" | .data.containers.aggregated.total_cpu_percent = 85'
		frame 25 '.data.containers.containers[3].status = "exited" | .data.containers.containers[2].status = "exited" | .data.containers.aggregated.total_cpu_percent = 99'
		frame 30 '.data.containers.containers[3].status = "exited" | .data.containers.containers[2].status = "exited" | .data.containers.aggregated.total_cpu_percent = 99'
		frame 40 '.data.containers.containers[3].status = "exited" | .data.containers.containers[2].status = "exited" | .data.containers.aggregated.total_cpu_percent = 99'
	} >"$IN"
	filter --cooldown 30
	run jq -r 'select(.type=="system_alert") | "\(.timestamp[14:19]) \(.id) \(.alerts[0].level)"' "$OUT"
	assert_output "45:00 container_down:kato-redis error
45:10 container_down:kato-qdrant error
45:20 high_cpu warning
45:25 high_cpu error
45:30 container_down:kato-redis error
45:40 container_down:kato-qdrant error"
}

@test "hysteresis: a value hovering at the threshold does not flap" {
	cpu_frames 0 3 81 79 80.5 78 81 77 79.9 75 >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing warning
high_cpu resolved info"
	run jq -r 'select(.state=="resolved") | .alerts[0].value' "$OUT"
	assert_output 75
	# without hysteresis the same values flap
	filter --hysteresis 0
	run alerts_of "$OUT"
	assert_output "high_cpu firing warning
high_cpu resolved info
high_cpu firing warning
high_cpu resolved info
high_cpu firing warning
high_cpu resolved info"
	# an error-level alert drops to warning only under 90 minus 5 %
	cpu_frames 0 3 91 88 86 85 >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing error
high_cpu firing warning"
}

@test "a null (unmeasured) value neither fires nor resolves: the alert keeps its state" {
	cpu_frames 0 3 null 90 null null 50 null >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing error
high_cpu resolved info"
	run jq -r 'select(.type=="system_alert") | .timestamp[14:19]' "$OUT"
	assert_output "45:03
45:12"
}

@test "ALERT_CONSECUTIVE_FRAMES: an alert fires only after that many frames over in a row" {
	cpu_frames 0 3 85 85 50 85 null 85 85 85 >"$IN"
	ALERT_CONSECUTIVE_FRAMES=3 filter
	run jq -r 'select(.type=="system_alert") | "\(.timestamp[14:19]) \(.state)"' "$OUT"
	# 85 85 | 50 breaks the run | 85 (null holds) 85 85 -> fires at 45:18
	assert_output "45:18 firing"
	filter --consecutive 1
	run jq -r 'select(.type=="system_alert") | .timestamp[14:19]' "$OUT"
	assert_line --index 0 "45:00"
}

@test "active_alerts: empty after the first frame, then the firing set whenever it changes" {
	{
		frame 0
		frame 3
		frame 6 '.data.containers.aggregated.total_cpu_percent = 85'
		frame 9 '.data.containers.aggregated.total_cpu_percent = 85 | .data.containers.containers[3].status = "exited"'
		frame 12 '.data.containers.aggregated.total_cpu_percent = 85 | .data.containers.containers[3].status = "exited"'
		frame 15 '.data.containers.containers[3].status = "exited"'
		frame 18
	} >"$IN"
	filter
	run jq -c 'select(.type=="active_alerts") | [.timestamp[14:19], (.alerts | map(.id))]' "$OUT"
	assert_output '["45:00",[]]
["45:06",["high_cpu"]]
["45:09",["high_cpu","container_down:kato-redis"]]
["45:15",["container_down:kato-redis"]]
["45:18",[]]'
	run jq -c 'select(.type=="active_alerts") | .alerts[] | select(.id=="container_down:kato-redis") | [.level,.type,.container,.state,.since]' "$OUT"
	assert_line --index 0 '["error","container_down","kato-redis","firing","2026-11-25T18:45:09.000Z"]'
}

@test "WEBSOCKET_SYSTEM_ALERTS=false: a pass-through that only adds the thresholds" {
	cpu_frames 0 3 95 95 10 >"$IN"
	echo 'garbage' >>"$IN"
	WEBSOCKET_SYSTEM_ALERTS=false filter
	strip_alerts "$OUT" | cmp "$IN" -
	! grep -q -e system_alert -e active_alerts "$OUT"
	# the thresholds still reach the page
	run sh -c "grep realtime_update '$OUT' | jq -c .data.thresholds.cpu_percent"
	assert_output "80
80
80"
	[ ! -s "$ERR" ]
}

@test "thresholds come from the env file, the environment overrides it, options override both" {
	printf '# thresholds\nALERT_CPU_THRESHOLD=30\nexport ALERT_CPU_ERROR_THRESHOLD="31"\nALERT_CONTAINERS=none\n' >"$T/kl.env"
	frame 0 '.data.containers.containers[3].status = "exited"' >"$IN" # CPU is 31.9
	KATO_LIVE_ENV_FILE=$T/kl.env filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing error"
	KATO_LIVE_ENV_FILE=$T/kl.env ALERT_CPU_ERROR_THRESHOLD=50 filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing warning"
	KATO_LIVE_ENV_FILE=$T/kl.env ALERT_CPU_ERROR_THRESHOLD=50 filter --cpu 40 --containers '*'
	run alerts_of "$OUT"
	assert_output "container_down:kato-redis firing error"
	printf 'WEBSOCKET_SYSTEM_ALERTS=off\n' >"$T/off.env"
	KATO_LIVE_ENV_FILE=$T/off.env filter
	strip_alerts "$OUT" | cmp "$IN" -
	! grep -q system_alert "$OUT"
	ALERT_COOLDOWN_SECONDS=soon run kato-alerts <"$IN"
	assert_equal "$status" 100
	assert_output --partial "ALERT_COOLDOWN_SECONDS: not a number"
}

@test "--once: exit 0 and nothing printed when nothing fires, 1 with the firing alerts when some do" {
	frame 0 >"$T/ok.json"
	run kato-alerts --once "$T/ok.json"
	assert_success
	assert_output ""
	frame 0 '.data.metrics.performance.error_rate = 0.2 | .data.health.status = "degraded"' >"$T/bad.json"
	run kato-alerts --once <"$T/bad.json"
	assert_equal "$status" 1
	assert_line --index 0 --partial '"id":"high_error_rate","timestamp":"2026-11-25T18:45:00.000Z","state":"firing"'
	assert_line --index 1 --partial '"id":"kato_unhealthy"'
	[ "${#lines[@]}" -eq 2 ]
	# consecutive frames and cooldown do not apply; a pretty-printed frame is fine
	jq . "$T/bad.json" >"$T/pretty.json"
	ALERT_CONSECUTIVE_FRAMES=5 run kato-alerts --once "$T/pretty.json"
	assert_equal "$status" 1
	# NDJSON: the last realtime_update counts
	{ cat "$T/bad.json"; echo '{"type":"session_event"}'; cat "$T/ok.json"; } >"$T/rec.ndjson"
	run kato-alerts --once "$T/rec.ndjson"
	assert_success
	{ cat "$T/ok.json"; cat "$T/bad.json"; echo 'junk'; } | kato-alerts --once >/dev/null && false || [ $? -eq 1 ]
	# the shell idiom
	run sh -c 'kato-alerts --once <"$1" || echo ALERT' sh "$T/bad.json"
	assert_line --index 2 ALERT
}

@test "--once: a missing file, frameless input or two files are usage errors (100)" {
	run kato-alerts --once "$T/missing.json"
	assert_equal "$status" 100
	assert_output --partial "unable to open $T/missing.json"
	run kato-alerts --once </dev/null
	assert_equal "$status" 100
	assert_output --partial "no realtime_update frame in stdin"
	echo '{"type":"session_event"}' >"$T/ev.json"
	run kato-alerts --once "$T/ev.json"
	assert_equal "$status" 100
	run kato-alerts --once "$T/ev.json" "$T/ev.json"
	assert_equal "$status" 100
}

@test "a malformed line is copied through, reported with its line number, and judging goes on" {
	{
		frame 0
		echo '{"type":"realtime_update", broken'
		echo '{"no":"type"}'
		frame 6 '.data.containers.aggregated.total_cpu_percent = 99'
		frame 9 '.data.containers.aggregated.total_cpu_percent = 10' | jq -c '.timestamp = 17'
	} >"$IN"
	filter
	assert_equal "$status" 0
	strip_alerts "$OUT" >"$T/copied"
	cmp "$IN" "$T/copied"
	run cat "$ERR"
	assert_line --index 0 --regexp '^kato-alerts: warning: line 2: not JSON \(invalid JSON at byte [0-9]+\): copied through, not judged$'
	assert_line --index 1 --partial 'no valid "timestamp": timing alerts by the clock instead'
	run alerts_of "$OUT"
	assert_output "high_cpu firing error
high_cpu resolved info"
}

@test "a closed stdout (EPIPE) ends it quietly with status 0" {
	for i in $(seq 0 3 600); do frame "$i"; done >"$IN"
	run bash -c 'kato-alerts <"$1" 2>"$2" | head -n 1 >/dev/null; echo "${PIPESTATUS[0]}"' sh "$IN" "$ERR"
	assert_output 0
	[ ! -s "$ERR" ]
}

@test "SIGTERM and SIGINT end it at once with status 0, end of input too" {
	mkfifo "$T/fifo"
	for sig in TERM INT; do
		kato-alerts <"$T/fifo" >"$OUT" 2>"$T/err-$sig.txt" 3>&- &
		pid=$!
		KL_PIDS+=($pid)
		exec 5>"$T/fifo"
		frame 0 >&5
		wait_until 5 grep -q active_alerts "$OUT"
		kill -"$sig" "$pid"
		wait "$pid"
		exec 5>&-
	done
	frame 0 | kato-alerts >/dev/null
}

@test "through kato-hub, a client connecting later sees at once what fires now" {
	start_hub
	{
		frame 0
		frame 3 '.data.containers.aggregated.total_cpu_percent = 95 | .data.containers.containers[3].status = "exited"'
		frame 6 '.data.containers.containers[3].status = "exited"'
	} >"$IN"
	kato-alerts <"$IN" >&"$HUB_FEED" 2>"$ERR"
	wait_retained 2
	run hub_client snap
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	run jq -c '[.type, .timestamp[14:19], (.alerts // [] | map(.id))]' <<<"$output"
	assert_output '["realtime_update","45:06",[]]
["active_alerts","45:06",["container_down:kato-redis"]]'
}

@test "CPU hovering between 74 and 82 % for 20 s fires once and does not flap (default clear frames)" {
	unset ALERT_CLEAR_FRAMES
	cpu_frames 0 3 81 75 82 74 81 76 80 >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing warning"
	# clear for two frames in a row resolves it
	cpu_frames 0 3 81 75 70 >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "high_cpu firing warning
high_cpu resolved info"
}

@test "a resolved alert says what fired and for how long" {
	unset ALERT_CLEAR_FRAMES
	cpu_frames 0 3 85 85 85 60 60 >"$IN"
	filter
	run jq -c 'select(.state=="resolved") | .alerts[0] | [.message, .duration_s]' "$OUT"
	assert_output '["Resolved after 12 s: Container CPU at 85.0% (threshold 80%); most in kato. Container CPU back to 60.0% (threshold 80%)",12]'
}

@test "each frame carries the thresholds in force for the page" {
	cpu_frames 0 3 10 >"$IN"
	ALERT_CPU_THRESHOLD=70 ALERT_HOST_MEMORY_THRESHOLD=75 filter
	run jq -c 'select(.type=="realtime_update") | .data.thresholds' "$OUT"
	assert_output '{"cpu_percent":70,"memory_percent":85,"error_rate":0.05,"host_cpu_percent":90,"host_memory_percent":75}'
}

@test "KATO's own host CPU and memory (/metrics resources) raise alerts" {
	{
		frame 0 '.data.metrics.resources.cpu_percent = 93'
		frame 3 '.data.metrics.resources.cpu_percent = 93 | .data.metrics.resources.memory_percent = 97'
		frame 6
	} >"$IN"
	filter
	run alerts_of "$OUT"
	assert_output "kato_host_cpu firing warning
kato_host_memory firing error
kato_host_cpu resolved info
kato_host_memory resolved info"
	run jq -r 'select(.type=="system_alert") | .alerts[0].message' "$OUT"
	assert_line --index 0 "KATO host CPU at 93.0% (threshold 90%)"
}

@test "high_cpu names the busiest container, so the page can point at its row" {
	frame 0 '.data.containers.aggregated.total_cpu_percent = 95 | .data.containers.containers[2].cpu = 80' >"$IN"
	filter
	run jq -c 'select(.type=="system_alert") | .alerts[0] | [.container, .message]' "$OUT"
	assert_output '["kato-qdrant","Container CPU at 95.0% (threshold 80%); most in kato-qdrant"]'
}

@test "stale data judges nothing: numbers and health hold while their source is stale" {
	{
		frame 0 '.data.containers.aggregated.total_cpu_percent = 95'
		frame 3 '.data.containers.aggregated.total_cpu_percent = 10 | .stale = ["docker-stats"] | .sources["docker-stats"].age_ms = 9500'
		frame 6 '.data.health.status = "degraded"'
		frame 9 '.stale = ["kato-metrics"] | .sources["kato-metrics"].age_ms = 9500'
	} >"$IN"
	filter
	run alerts_of "$OUT"
	# (high_cpu holds at 10 % while stale, resolves at 31.9 % when fresh;
	# degraded health holds while KATO's metrics are stale)
	assert_output "high_cpu firing error
source_stale:docker-stats firing warning
high_cpu resolved info
kato_unhealthy firing warning
source_stale:docker-stats resolved info
source_stale:kato-metrics firing warning"
}

@test "operator words: a stale source says what is missing and for how long; fresh failing records do not resolve it" {
	down='.sources["kato-metrics"] = {"ok":false,"ts":"2026-11-25T18:45:09.000Z","age_ms":10,"error":"GET http://127.0.0.1:9/health: Connection refused"}'
	{
		frame 0 '.stale = ["kato-metrics"] | .sources["kato-metrics"].age_ms = 12000'
		frame 3 '.stale = ["session-summary"] | .sources["session-summary"].age_ms = 9000 | .sources["session-summary"].ok = false'
		frame 6 '.sources["session-summary"].ok = false'
		frame 9 '.sources["session-summary"].ok = false'
		frame 12
	} >"$IN"
	filter
	run jq -r 'select(.type=="system_alert") | "\(.state) \(.alerts[0].message)"' "$OUT"
	assert_line --index 0 "firing No fresh metrics from KATO for 12 s"
	assert_line --index 1 "firing No fresh session counts from KATO for 9 s"
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 2 --partial "resolved Resolved after 3 s: No fresh metrics from KATO"
	assert_line --index 3 --partial "resolved Resolved after 9 s: No fresh session counts from KATO for 9 s. Fresh session counts from KATO again"
	! grep -q 'kato-metrics\|session-summary' <(jq -r 'select(.type=="system_alert") | .alerts[0].message' "$OUT")
}

@test "one outage, one alert: no source_stale for KATO's metrics while KATO is known down; the message follows the cause" {
	down='.data.metrics = {"error":"GET http://127.0.0.1:9/metrics: Connection refused"} | .data.health = .data.metrics | .sources["kato-metrics"] = {"ok":false,"ts":"2026-11-25T18:45:09.000Z","age_ms":10,"error":"GET http://127.0.0.1:9/metrics: Connection refused"}'
	reset='.data.metrics = {"error":"GET http://127.0.0.1:9/metrics: Connection reset by peer"} | .data.health = .data.metrics | .sources["kato-metrics"] = {"ok":false,"ts":"2026-11-25T18:45:09.000Z","age_ms":10,"error":"GET http://127.0.0.1:9/metrics: Connection reset by peer"}'
	{
		frame 0 "$down"
		frame 3 "$down"
		frame 6 "$down | .stale = [\"kato-metrics\"] | .sources[\"kato-metrics\"].age_ms = 9500"
		frame 9 "$reset"
		frame 12 "$reset"
	} >"$IN"
	filter
	run jq -r 'select(.type=="system_alert") | "\(.id) \(.alerts[0].message)"' "$OUT"
	assert_output "kato_unhealthy KATO is unreachable or failing: GET http://127.0.0.1:9/metrics: Connection refused
kato_unhealthy KATO is unreachable or failing for 9 s: GET http://127.0.0.1:9/metrics: Connection reset by peer"
}

@test "a line over the 16 MiB limit is dropped and said in the stream" {
	{
		frame 0
		python3 -c 'import sys; sys.stdout.write("{\"type\":\"realtime_update\",\"x\":\"" + "a" * (17 << 20) + "\"}\n")'
		frame 3
	} >"$IN"
	filter
	run jq -c 'select(.type=="error") | .error.code' "$OUT"
	assert_output '"line_too_long"'
	[ "$(grep -c '"type":"realtime_update"' "$OUT")" -eq 2 ]
	grep -q "line 2: longer than 16777216 bytes: dropped" "$ERR"
}
