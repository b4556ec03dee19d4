#!/usr/bin/env bats
# kato-metrics against the KATO simulator.

bats_require_minimum_version 1.5.0
load lib/common
load lib/katosim

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	start_kato_sim
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$ERR" "$BATS_TEST_TMPDIR/once.err"
}

# once ARGS: kato-metrics --once ARGS; the record in $output, stderr in
# $ONCE_ERR, the exit status in $status.
once() {
	run --separate-stderr "$KL_BIN/kato-metrics" --once "$@"
	ONCE_ERR=$stderr
	printf '%s\n' "$stderr" >>"$BATS_TEST_TMPDIR/once.err"
}

@test "kato-metrics --help shows the synopsis; bad options are usage errors (100)" {
	run "$KL_BIN/kato-metrics" --help
	assert_success
	assert_line --index 0 'usage: kato-metrics [--url URL] [--interval SECONDS] [--timeout SECONDS] [--once]'
	run "$KL_BIN/kato-metrics" --interval 0
	assert_failure 100
	assert_output --partial "bad --interval '0'"
	run "$KL_BIN/kato-metrics" --interval fast
	assert_failure 100
	run "$KL_BIN/kato-metrics" --url 'ftp://x'
	assert_failure 100
	assert_output --partial 'bad KATO URL'
	run "$KL_BIN/kato-metrics" --bogus
	assert_failure 100
}

@test "kato-metrics --once: KATO's /metrics and /health bodies as they are, exit 0" {
	once
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e '.source=="kato-metrics" and .ok==true
		and (.ts|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$"))
		and (.data.metrics|has("sessions") and has("performance") and has("resources")
		     and has("databases") and has("rates") and has("processor_manager")
		     and has("uptime_seconds") and has("active_sessions"))
		and .data.health.service_name=="kato" and .data.status=="healthy"'
	[ -z "$ONCE_ERR" ]
}

@test "kato-metrics: --url wins over KATO_API_URL" {
	good=$KATO_API_URL
	KATO_API_URL=http://127.0.0.1:$(free_port) once --url "$good"
	assert_success
}

@test "kato-metrics: KATO down is an ok:false record saying connection refused, exit 1" {
	sim_ctl mode down >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e --arg e "GET $KATO_API_URL/metrics: Connection refused" \
		--arg h "GET $KATO_API_URL/health: Connection refused" \
		'.ok==false and .error==$e and .data.health==null and .data.health_error==$h
		 and (.data|has("metrics")|not)'
	[[ $ONCE_ERR == *"kato-metrics: warning: GET $KATO_API_URL/metrics: Connection refused"* ]]
}

@test "kato-metrics: HTTP 500 and garbage say what came back" {
	sim_ctl mode 500 >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e --arg e "GET $KATO_API_URL/metrics: HTTP 500: {\"detail\":\"Internal Server Error\"}" \
		'.ok==false and .error==$e'
	sim_ctl mode garbage >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e '.ok==false and (.error|test("/metrics: answer is not JSON .*: <html>"))'
}

@test "kato-metrics: a slow KATO times out with the time it waited" {
	sim_ctl mode slow delay=20 >/dev/null
	once --timeout 0.3
	assert_failure 1
	echo "$output" | jq -e --arg e "GET $KATO_API_URL/metrics: timed out after 300 ms" '.error==$e'
}

@test "kato-metrics: KATO's error-shaped /metrics is a failure, not data, and keeps health" {
	sim_ctl mode error >/dev/null
	once
	assert_failure 1
	echo "$output" | jq -e '.ok==false
		and .error=="KATO /metrics reports an error: Failed to collect metrics: redis connection lost"
		and .data.health.status=="healthy" and .data.status=="healthy" and (.data|has("metrics")|not)'
}

@test "kato-metrics: /health failing alone gives health null, status unknown, still ok" {
	sim_ctl mode 500 routes=/health >/dev/null
	once
	assert_success
	echo "$output" | jq -e '.ok==true and .data.health==null and .data.status=="unknown"
		and (.data.metrics.performance|type=="object")'
	[[ $ONCE_ERR == *"/health: HTTP 500"*"status unknown"* ]]
	sim_ctl mode garbage routes=/health >/dev/null
	once
	assert_success
	echo "$output" | jq -e '.data.health==null and .data.status=="unknown"'
}

@test "kato-metrics: health status degraded and unhealthy pass through" {
	sim_ctl health degraded >/dev/null
	once
	echo "$output" | jq -e '.ok and .data.status=="degraded" and .data.health.status=="degraded"'
	sim_ctl health unhealthy >/dev/null
	once
	echo "$output" | jq -e '.ok and .data.status=="unhealthy"'
	sim_ctl metrics error_rate=0.2 >/dev/null
	once
	echo "$output" | jq -e '.data.metrics.performance.error_rate==0.2'
}

@test "kato-metrics: keeps running through an outage and recovers" {
	spawn "$KL_BIN/kato-metrics" --interval 0.2 >"$OUT" 2>"$ERR"
	pid=$LAST_PID
	wait_until 10 has_lines "$OUT" '.ok==true' 1
	sim_ctl mode down >/dev/null
	wait_until 10 has_lines "$OUT" '.ok==false' 2
	sim_ctl mode normal >/dev/null
	# an ok record after the failures
	wait_until 15 bash -c "jq -s -e '(map(.ok)|rindex(false)) < (map(.ok)|rindex(true))' '$OUT'"
	kill -0 "$pid"
	grep -q 'Connection refused' "$ERR"
	grep -q 'recovered after' "$ERR"
	# the failure is logged once, not on every sample
	[ "$(grep -c 'Connection refused' "$ERR")" -eq 1 ]
	# every line is one whole JSON record
	jq -e -s 'all(.source=="kato-metrics")' "$OUT"
}

@test "kato-metrics: SIGTERM ends it at once, even mid-request to a slow KATO" {
	sim_ctl mode slow delay=30 >/dev/null
	spawn "$KL_BIN/kato-metrics" --interval 0.2 --timeout 25 >"$OUT" 2>"$ERR"
	pid=$LAST_PID
	wait_until 10 sim_requests /metrics 1
	# the request is in flight now: the simulator holds it for 30 s
	kill -TERM "$pid"
	wait_exit "$pid" 3
	assert_equal "$EXIT_STATUS" 0
}

@test "kato-metrics: SIGINT ends it cleanly" {
	spawn "$KL_BIN/kato-metrics" --interval 0.2 >"$OUT" 2>"$ERR"
	pid=$LAST_PID
	wait_until 10 test -s "$OUT"
	kill -INT "$pid"
	wait_exit "$pid" 3
	assert_equal "$EXIT_STATUS" 0
}

@test "kato-metrics: a closed stdout ends it quietly (| head -1)" {
	run timeout 20 bash -c "'$KL_BIN/kato-metrics' --interval 0.2 2>'$ERR' | head -1"
	assert_success
	echo "$output" | jq -e '.ok==true'
	! grep -q . "$ERR"
}

@test "kato-metrics: while KATO stays down a record still comes every tick, and its return is seen within a tick" {
	spawn "$KL_BIN/kato-metrics" --interval 0.2 >"$OUT" 2>"$ERR"
	wait_until 10 has_lines "$OUT" '.ok==true' 1
	sim_ctl mode down >/dev/null
	wait_until 20 has_lines "$OUT" '.ok==false' 12
	# no backoff past the tick: consecutive failed records 0.2 s apart
	# (a loaded machine may stretch one; doubling would reach 2 s)
	run jq -s -r '[.[] | select(.ok==false) | .ts | sub("\\.[0-9]+Z$"; "Z") as $s
		| (.[20:23] | tonumber / 1000) + ($s | fromdate)] | [range(1; length) as $i | .[$i] - .[$i-1]] | max' "$OUT"
	echo "largest gap: $output s"
	awk -v g="$output" 'BEGIN { exit !(g < 1.0) }'
	sim_ctl mode normal >/dev/null
	wait_until 20 bash -c "jq -s -e 'last.ok==true' '$OUT' >/dev/null"
	# the first good record follows the last failed one by a tick, not more
	run jq -s -r '[.[] | .ts | sub("\\.[0-9]+Z$"; "Z") as $s | (.[20:23] | tonumber / 1000) + ($s | fromdate)] as $t
		| (map(.ok) | rindex(false)) as $i | $t[$i + 1] - $t[$i]' "$OUT"
	echo "back after $output s"
	awk -v g="$output" 'BEGIN { exit !(g < 1.0) }'
}
