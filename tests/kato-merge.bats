#!/usr/bin/env bats
# kato-merge: records in, one frame per tick out, events at once, children
# kept alive and never left behind.  Producers are small shell scripts.

load lib/common
load lib/merge

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	IN=$BATS_TEST_TMPDIR/in.ndjson
	: >"$IN"
	unset KATO_LIVE_ENV_FILE KATO_LIVE_INTERVAL WEBSOCKET_CONTAINER_STATS \
		WEBSOCKET_SESSION_EVENTS
}

teardown() {
	exec 7>&- 2>/dev/null || true
	stop_spawned
	assert_no_sanitizer_reports "$ERR"
}

@test "kato-merge --help shows the synopsis; bad options are usage errors (100)" {
	run "$KL_BIN/kato-merge" --help
	assert_success
	assert_line --index 0 'usage: kato-merge [--interval SECONDS] [--stale SECONDS] [--legacy]'
	assert_line --index 1 '                  [--run CMD]... [INPUT...]'
	run "$KL_BIN/kato-merge" --interval 0
	assert_failure 100
	assert_output --partial "bad --interval '0'"
	run "$KL_BIN/kato-merge" --stale soon
	assert_failure 100
	run "$KL_BIN/kato-merge" --bogus
	assert_failure 100
	run "$KL_BIN/kato-merge" --run ''
	assert_failure 100
	run "$KL_BIN/kato-merge" - -
	assert_failure 100
	KATO_LIVE_INTERVAL=never run "$KL_BIN/kato-merge"
	assert_failure 100
	WEBSOCKET_SESSION_EVENTS=maybe run "$KL_BIN/kato-merge" </dev/null
	assert_failure 100
	run "$KL_BIN/kato-merge" "$BATS_TEST_TMPDIR/missing"
	assert_failure 100
	assert_output --partial "open $BATS_TEST_TMPDIR/missing: No such file or directory"
}

@test "a frame leaves every tick on schedule while inputs stall mid-line" {
	mkfifo "$BATS_TEST_TMPDIR/f"
	# A writer that sends half a record and then nothing: no input may hold
	# a frame back.
	spawn sh -c 'exec >"$1"; printf "{\"source\":\"kato-metrics\""; exec sleep 60' sh "$BATS_TEST_TMPDIR/f"
	start_merge --interval 0.2 "$BATS_TEST_TMPDIR/f" --run 'printf "{\"source\":"; exec sleep 60'
	frames 11
	# Frame k is due at start + k x 200 ms.  Each is measured against that
	# schedule, not against the frame before it, so drift would show; a
	# loaded machine may make a frame or two late, never a missed tick.
	grep '"type":"realtime_update"' "$OUT" | head -n 11 | jq -r .timestamp >"$BATS_TEST_TMPDIR/ts"
	run python3 -c '
import sys, datetime as d
ts = [d.datetime.fromisoformat(l.strip().replace("Z", "+00:00")).timestamp() * 1000
      for l in open(sys.argv[1])]
# The schedule: start + 200 k, start estimated by the frame least late.
start = min(t - 200 * k for k, t in enumerate(ts))
off = [round(t - start - 200 * k) for k, t in enumerate(ts)]
print("lateness against the schedule (ms):", off)
late = [o for o in off if o > 60]
sys.exit(0 if len(ts) == 11 and sorted(off)[5] < 30 and max(off) < 190 and len(late) <= 2 else 1)' "$BATS_TEST_TMPDIR/ts"
	echo "$output"
	assert_success
	run frame 1 .interval_ms
	assert_output 200
}

@test "the newest record of each source wins" {
	for n in 1 2 3; do
		echo "{\"source\":\"session-summary\",\"ts\":\"$(now_iso)\",\"ok\":true,\"data\":{\"active_count\":$n,\"total_count\":9}}"
	done >"$IN"
	# An older record arriving later does not replace a newer one.
	echo "{\"source\":\"session-summary\",\"ts\":\"$(now_iso -60)\",\"ok\":true,\"data\":{\"active_count\":99,\"total_count\":9}}" >>"$IN"
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	run frame 1 .data.sessions
	assert_output '{"active_count":3,"total_count":9}'
	run frame 1 '.sources["session-summary"] | [.ok, .age_ms < 5000]'
	assert_output '[true,true]'
}

@test "a source older than its allowance is named stale, and its data stays" {
	cat >"$IN" <<-EOF
	{"source":"kato-metrics","ts":"$(now_iso -60)","ok":true,"data":{"metrics":{"uptime_seconds":5},"health":{"status":"healthy"},"status":"healthy"}}
	{"source":"session-summary","ok":true,"data":{"active_count":1,"total_count":2}}
	EOF
	start_merge --interval 0.2 --stale 1 "$IN"
	frames 1
	run frame 1 '.stale'
	assert_output '["kato-metrics","docker-stats"]'
	run frame 1 '[.data.metrics.uptime_seconds, .data.health.status, .sources["kato-metrics"].age_ms > 59000]'
	assert_output '[5,"healthy",true]'
	# session-summary goes stale too once its record is older than 1 s.
	wait_until 5 last_frame_is '.stale | index("session-summary")'
}

@test "a failing source has an error in place of its section; a silent one says no data yet" {
	cat >"$IN" <<-EOF
	{"source":"kato-metrics","ts":"$(now_iso)","ok":false,"error":"GET http://kato:8000/metrics: Connection refused"}
	{"source":"disk-probe","ts":"$(now_iso)","ok":true,"data":{"free":12}}
	EOF
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	run frame 1 '.data.metrics'
	assert_output '{"error":"GET http://kato:8000/metrics: Connection refused"}'
	run frame 1 '.data.health'
	assert_output '{"error":"GET http://kato:8000/metrics: Connection refused"}'
	run frame 1 '.sources["kato-metrics"] | [.ok, .error]'
	assert_output '[false,"GET http://kato:8000/metrics: Connection refused"]'
	run frame 1 '[.data.containers, .data.sessions, .sources["docker-stats"]]'
	assert_output '[{"error":"no data yet from docker-stats"},{"error":"no data yet from session-summary"},{"ok":false,"ts":null,"age_ms":null,"error":"no data yet"}]'
	run frame 1 '.stale'
	assert_output '["docker-stats","session-summary"]'
	# Another source keeps its data under its own name.
	run frame 1 '[.data["disk-probe"], .sources["disk-probe"].ok]'
	assert_output '[{"free":12},true]'
}

@test "WEBSOCKET_SESSION_EVENTS=false drops events; WEBSOCKET_CONTAINER_STATS=false keeps containers for the HTTP fallback" {
	cat >"$IN" <<-EOF
	{"source":"docker-stats","ok":true,"data":{"containers":[],"aggregated":{}}}
	{"source":"session-summary","ok":true,"data":{"active_count":1,"total_count":5}}
	{"source":"session-summary","event":{"type":"session_event","event_type":"session_created","timestamp":"$(now_iso)","data":{"current_count":2,"previous_count":1,"delta":1}}}
	EOF
	# One flag from the env file, the other from the environment.
	echo 'WEBSOCKET_SESSION_EVENTS=false' >"$BATS_TEST_TMPDIR/env"
	KATO_LIVE_ENV_FILE=$BATS_TEST_TMPDIR/env WEBSOCKET_CONTAINER_STATS=off \
		start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	# Containers stay in the frame: kato-sub leaves them out for WebSocket
	# clients, kato-snapshot still serves them over HTTP.
	run frame 1 '[has("type"), (.data.containers | has("containers")), (.sources | has("docker-stats")), .stale]'
	assert_output '[true,true,true,["kato-metrics"]]'
	run count_type session_event
	assert_output 0
	# The event still counts: sessions agree with it.
	run frame 1 '.data.sessions'
	assert_output '{"active_count":2,"total_count":5}'
}

@test "an event is forwarded the moment it arrives, not at the next tick" {
	mkfifo "$BATS_TEST_TMPDIR/f"
	start_merge --interval 30 "$BATS_TEST_TMPDIR/f"
	exec 7>"$BATS_TEST_TMPDIR/f"
	echo '{"source":"session-summary","ok":true,"data":{"active_count":4,"total_count":4}}' >&7
	local ev='{"type":"session_event","event_type":"session_destroyed","timestamp":"2026-11-25T18:45:47.538Z","data":{"current_count":3,"previous_count":4,"delta":-1}}'
	echo "{\"source\":\"session-summary\",\"ts\":\"$(now_iso)\",\"event\":$ev}" >&7
	wait_until 3 grep -q session_event "$OUT"
	run cat "$OUT"
	assert_output "$ev"
}

@test "--legacy writes metrics_update frames with KATO's /metrics body" {
	echo '{"source":"kato-metrics","ok":true,"data":{"metrics":{"uptime_seconds":7,"sessions":{"active":1}},"health":null,"status":"unknown"}}' >"$IN"
	start_merge --legacy --interval 0.2 "$IN"
	wait_until 10 grep -q metrics_update "$OUT"
	run sh -c "head -n 1 '$OUT' | jq -c '[.type, (.timestamp | test(\"Z\$\")), .data]'"
	assert_output '["metrics_update",true,{"uptime_seconds":7,"sessions":{"active":1}}]'
	run count_type realtime_update
	assert_output 0
}

@test "a malformed line is reported with its input and line number, and the next line is used" {
	python3 - "$IN" <<-'EOF'
	import sys
	with open(sys.argv[1], "w") as f:
	    f.write('{"source":"session-summary","ok":true,"data":{"active_count":1,"total_count":1}}\n')
	    f.write('this is not json\n')
	    f.write('[1,2]\n')
	    f.write('{"ok":true,"data":{}}\n')
	    f.write('{"source":"x","data":' + '"' + 'a' * (17 << 20) + '"}\n')
	    f.write('{"source":"session-summary","ok":true,"data":{"active_count":2,"total_count":2}}\n')
	EOF
	start_merge --interval 0.2 --stale 30 "$IN"
	# (a big file may take a few ticks to read)
	wait_until 20 last_frame_is '.data.sessions.active_count==2'
	run cat "$ERR"
	assert_line --partial "$IN: line 2: not JSON"
	assert_line --partial "$IN: line 3: not a JSON object"
	assert_line --partial "$IN: line 4: no \"source\" string"
	assert_line --partial "$IN: line 5: longer than 16777216 bytes, skipped"
}

@test "a --run child that dies is restarted with a log line, and its section comes back" {
	local p
	p=$(producer prod 'echo $$ >>"$0.pids"
echo "{\"source\":\"probe\",\"ok\":true,\"data\":{\"pid\":$$}}"
exec sleep 60')
	start_merge --interval 0.2 --run "exec $p"
	wait_until 10 test -s "$p.pids"
	local first
	first=$(head -n 1 "$p.pids")
	wait_until 10 grep -q "\"pid\":$first" "$OUT"
	kill -KILL "$first"
	wait_until 10 grep -q "(pid $first) was killed by signal 9; restarting in" "$ERR"
	wait_until 10 sh -c "[ \$(wc -l <'$p.pids') -ge 2 ]"
	local second
	second=$(sed -n 2p "$p.pids")
	wait_until 10 sh -c "grep realtime_update '$OUT' | tail -n 1 | grep -q '\"probe\":{\"pid\":$second}'"
	# And an exit status is said as such.
	: >"$p.pids"
	kill -TERM "$second"
	wait_until 10 grep -q "(pid $second) was killed by signal 15" "$ERR"
}

@test "SIGTERM stops every child and what the children started; none is left" {
	local p q
	# A shell with a background and a foreground child,
	p=$(producer prod 'sleep 60 & echo $! >>"$0.pids"; echo $$ >>"$0.pids"; sleep 61')
	# and one that ignores SIGTERM and must be killed after the grace period.
	q=$(producer stubborn 'trap "" TERM; echo $$ >>"$0.pids"; while :; do sleep 1; done')
	start_merge --interval 0.2 --run "$p" --run "$q"
	wait_until 10 sh -c "[ \$(cat '$p.pids' '$q.pids' 2>/dev/null | wc -l) -ge 3 ]"
	local pids
	pids=$(cat "$p.pids" "$q.pids")
	run gone $pids
	assert_failure
	kill -TERM "$MERGE_PID"
	local rc=0
	wait "$MERGE_PID" || rc=$?
	[ "$rc" -eq 0 ]
	run gone $pids
	assert_success
}

@test "a closed stdout ends kato-merge and its children" {
	local p
	p=$(producer prod 'echo $$ >>"$0.pids"; exec sleep 60')
	run timeout 10 sh -c "'$KL_BIN/kato-merge' --interval 0.2 --run '$p' 2>'$ERR' | head -n 1"
	assert_success
	assert_output --partial '"type":"realtime_update"'
	local child
	child=$(cat "$p.pids")
	run gone "$child"
	assert_success
}

@test "a child outlives a SIGKILLed kato-merge by no more than its death signal" {
	local p
	p=$(producer prod 'echo $$ >>"$0.pids"; exec sleep 60')
	start_merge --interval 0.2 --run "exec $p"
	wait_until 10 test -s "$p.pids"
	kill -KILL "$MERGE_PID"
	wait "$MERGE_PID" 2>/dev/null || true
	wait_until 5 gone "$(cat "$p.pids")"
}

@test "staleness is judged on arrival: a record stamped an hour ahead goes stale, and a later one replaces it" {
	mkfifo "$BATS_TEST_TMPDIR/f"
	start_merge --interval 0.2 --stale 1 "$BATS_TEST_TMPDIR/f"
	exec 7>"$BATS_TEST_TMPDIR/f"
	echo "{\"source\":\"disk-probe\",\"ts\":\"$(now_iso 3600)\",\"ok\":true,\"data\":{\"free\":1}}" >&7
	wait_until 10 last_frame_is '.data["disk-probe"].free==1 and (.stale|index("disk-probe")|not)'
	# Nothing more from it: stale after its second, whatever its stamp says.
	wait_until 10 last_frame_is '.stale|index("disk-probe")'
	# A correctly stamped record is newer than the future one.
	echo "{\"source\":\"disk-probe\",\"ts\":\"$(now_iso)\",\"ok\":true,\"data\":{\"free\":2}}" >&7
	wait_until 20 last_frame_is '.data["disk-probe"].free==2 and (.stale|index("disk-probe")|not)'
}

@test "each frame says how kato-merge is doing: pipeline.merge counters" {
	cat >"$IN" <<-EOF
	{"source":"disk-probe","ts":"$(now_iso)","ok":true,"data":{"free":12}}
	not json
	{"source":"disk-probe","ts":"$(now_iso)","ok":true,"data":{"free":13}}
	EOF
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 2
	run frame 2 '.pipeline.merge | [.records_total, .bad_lines_total, .frames_total, (.tick_late_ms|type), (.started_at|test("Z$"))]'
	assert_output '[2,1,2,"number",true]'
	run frame 2 '.pipeline.merge.tick_late_ms >= 0'
	assert_output true
}

@test "a frame over the line limit leaves its largest section out and says so, instead of going dark" {
	# Two sources of 9 MiB each: each record fits the 16 MiB limit, both
	# together do not.
	python3 - "$IN" <<-'PY'
	import json, sys
	with open(sys.argv[1], "w") as f:
	    for name in ("big-a", "big-b"):
	        f.write(json.dumps({"source": name, "ok": True, "data": {"blob": "x" * (9 << 20)}}) + "\n")
	    f.write(json.dumps({"source": "disk-probe", "ok": True, "data": {"free": 5}}) + "\n")
	PY
	start_merge --interval 3 --stale 30 "$IN"
	wait_until 20 has_frames 1
	kill -TERM "$MERGE_PID"   # frames this big: one is enough
	[ "$(grep realtime_update "$OUT" | head -n 1 | wc -c)" -le $((16 << 20)) ]
	run frame 1 '[.data["disk-probe"].free, ([.data["big-a"].error, .data["big-b"].error] | map(select(. != null)) | length)]'
	assert_output '[5,1]'
	run frame 1 '[.data["big-a"].error, .data["big-b"].error] | map(select(. != null))[0]'
	assert_output --partial "left out: the frame would be over its limit of 16777216 bytes"
	grep -q "largest sections were left out" "$ERR"
}

@test "KATO down: the health section names /health, the metrics section /metrics" {
	cat >"$IN" <<-EOF
	{"source":"kato-metrics","ts":"$(now_iso)","ok":false,"error":"GET http://kato:8000/metrics: Connection refused","data":{"health":null,"health_error":"GET http://kato:8000/health: Connection refused","status":"unknown"}}
	EOF
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	run frame 1 '[.data.metrics.error, .data.health.error]'
	assert_output '["GET http://kato:8000/metrics: Connection refused","GET http://kato:8000/health: Connection refused"]'
}

@test "a wrong-typed figure is reported on stderr once and shown as null (unknown), never passed on" {
	cat >"$IN" <<-EOF
	{"source":"session-summary","ts":"$(now_iso)","ok":true,"data":{"active_count":"three","total_count":9}}
	{"source":"session-summary","ts":"$(now_iso)","ok":true,"data":{"active_count":"three","total_count":9}}
	{"source":"docker-stats","ts":"$(now_iso)","ok":true,"data":{"containers":[{"name":"kato","cpu":"hot","memory":{"usage_bytes":{"a":1},"limit_bytes":null}}],"aggregated":{"total_cpu_percent":[1],"container_count":1,"timestamp":"T"}}}
	{"source":"kato-metrics","ts":"$(now_iso)","ok":true,"data":{"metrics":{"performance":{"error_rate":"0.5"},"uptime_seconds":true},"health":{"status":"healthy"}}}
	EOF
	start_merge --interval 0.2 --stale 30 "$IN"
	wait_until 20 last_frame_is '.data.metrics != null and (.data.metrics|has("error")|not)'
	run frame 1 '[.data.sessions.active_count, .data.sessions.total_count]'
	assert_output '[null,9]'
	local f
	f=$(grep realtime_update "$OUT" | tail -n 1)
	run jq -c '[.data.containers.containers[0].cpu, .data.containers.containers[0].memory.usage_bytes, .data.containers.aggregated.total_cpu_percent, .data.containers.aggregated.timestamp, .data.metrics.performance.error_rate, .data.metrics.uptime_seconds]' <<<"$f"
	assert_output '[null,null,null,"T",null,null]'
	run grep -c 'data.active_count is not a number: shown as null' "$ERR"
	assert_output 1
	grep -qF 'record from docker-stats: data.aggregated.total_cpu_percent (and others) is not a number: shown as null (unknown)' "$ERR"
	grep -q 'record from kato-metrics: data.metrics.* is not a number' "$ERR"
}

# docker-stats records of Docker host $1 with containers $2 (JSON array)
# and aggregated CPU $3: no "ts", so each is stamped on arrival.
host_rec() {
	printf '{"source":"docker-stats","host":"%s","ok":true,"data":{"containers":%s,"aggregated":{"total_cpu_percent":%s,"total_memory_mb":%s,"total_memory_limit_mb":1000,"total_memory_percent":%s,"container_count":%s,"running_count":%s,"timestamp":"T"},"engine":"docker","api_version":"1.43"}}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$6"
}

@test "several Docker hosts in one frame: every container with its host, the totals summed, a block per host" {
	{
		host_rec dock-a '[{"name":"kato","status":"running","cpu":10}]' 10 100 10 1
		host_rec dock-b '[{"name":"kato","status":"running","cpu":30},{"name":"kato-redis","status":"exited","cpu":null}]' 30 300 30 2
		echo '{"source":"docker-stats","host":"dock-c","ok":false,"error":"GET unix:///var/run/docker.sock /_ping: Connection refused"}'
	} >"$IN"
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	run frame 1 '.data.containers.containers | map([.host, .name, .stale])'
	assert_output '[["dock-a","kato",null],["dock-b","kato",null],["dock-b","kato-redis",null]]'
	# Memory percent is weighted by each host's limit: (100 + 300) / 2000.
	run frame 1 '.data.containers.aggregated | [.total_cpu_percent, .total_memory_mb, .total_memory_limit_mb, .total_memory_percent, .container_count]'
	assert_output '[40,400,2000,20,3]'
	run frame 1 '.data.containers.hosts | map_values([.ok, .stale, .aggregated.total_cpu_percent, .engine, .error])'
	assert_output '{"dock-a":[true,false,10,"docker",null],"dock-b":[true,false,30,"docker",null],"dock-c":[false,false,null,null,"GET unix:///var/run/docker.sock /_ping: Connection refused"]}'
	run frame 1 '[.stale, .sources["docker-stats"].ok]'
	assert_output '[["kato-metrics","session-summary"],true]'
}

@test "a Docker host whose records stop is named stale on its own, its containers kept and marked; the others flow; it recovers" {
	touch "$BATS_TEST_TMPDIR/b-up"
	a=$(producer a "while :; do $(declare -f host_rec); host_rec dock-a '[{\"name\":\"kato\",\"status\":\"running\",\"cpu\":10}]' 10 100 10 1; sleep 0.2; done")
	b=$(producer b "while :; do $(declare -f host_rec); [ -e '$BATS_TEST_TMPDIR/b-up' ] && host_rec dock-b '[{\"name\":\"kato\",\"status\":\"running\",\"cpu\":30}]' 30 300 30 1; sleep 0.2; done")
	start_merge --interval 0.2 --stale 1 --run "$a" --run "$b"
	wait_until 20 last_frame_is '.data.containers.aggregated.total_cpu_percent == 40'
	rm "$BATS_TEST_TMPDIR/b-up"
	wait_until 20 last_frame_is '.stale | index("docker-stats@dock-b")'
	# Only dock-b: docker-stats itself is not stale while dock-a reports.
	run last_frame_is '(.stale | index("docker-stats") | not) and (.stale | index("docker-stats@dock-a") | not)'
	assert_success
	# Its containers stay, marked; the totals are dock-a's alone.
	f=$(grep '"type":"realtime_update"' "$OUT" | tail -n 1)
	run jq -c '[(.data.containers.containers | map([.host, .stale])), .data.containers.aggregated.total_cpu_percent, .data.containers.aggregated.container_count, (.data.containers.hosts | map_values(.stale)), .data.containers.hosts["dock-a"].age_ms < 1000]' <<<"$f"
	assert_output '[[["dock-a",null],["dock-b",true]],10,1,{"dock-a":false,"dock-b":true},true]'
	touch "$BATS_TEST_TMPDIR/b-up"
	wait_until 20 last_frame_is '(.stale | index("docker-stats@dock-b") | not) and .data.containers.aggregated.total_cpu_percent == 40 and (.data.containers.containers | map(.stale) == [null, null])'
}

@test "at most 64 Docker hosts: the 65th is refused with a report on stderr, the others kept" {
	for i in $(seq 1 65); do
		host_rec "h$i" '[]' 1 1 1 0
	done >"$IN"
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	run frame 1 '[(.data.containers.hosts | length), .data.containers.aggregated.total_cpu_percent, (.data.containers.hosts | has("h65"))]'
	assert_output '[64,64,false]'
	wait_until 5 grep -q 'too many Docker hosts: h65 is one past the limit of 64' "$ERR"
	# A host name that could not be a JSON key or a label as it is: refused.
	echo '{"source":"docker-stats","host":"a\"b","ok":true,"data":{"containers":[]}}' >"$IN"
	start_merge --interval 0.2 --stale 30 "$IN"
	wait_until 5 grep -q 'bad "host" in a record from docker-stats' "$ERR"
}

@test "one docker-stats naming no host: the section as before, with no host anywhere" {
	echo '{"source":"docker-stats","ok":true,"data":{"containers":[{"name":"kato","cpu":5}],"aggregated":{"total_cpu_percent":5,"container_count":1,"timestamp":"T"}}}' >"$IN"
	start_merge --interval 0.2 --stale 30 "$IN"
	frames 1
	run frame 1 '[.data.containers.containers, .data.containers.aggregated, (.stale | map(select(startswith("docker-stats"))))]'
	assert_output '[[{"name":"kato","cpu":5}],{"total_cpu_percent":5,"container_count":1,"timestamp":"T"},[]]'
}
