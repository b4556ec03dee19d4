#!/usr/bin/env bats
# GET /metrics: kato-snapshot's Prometheus exposition under a real
# websocketd --cgidir, checked with promtool, and scraped by a real
# Prometheus server from a whole kato-live (KATO simulator, Podman).

load lib/common
load lib/hub
load lib/snapshot
load lib/katosim
load lib/podman

setup() {
	export HUB_SOCKET=$BATS_TEST_TMPDIR/hub/hub.sock
	mkdir -p -m 700 "$BATS_TEST_TMPDIR/hub"  # kato-hub refuses a folder others can enter
	P=kato-prom$$ SERVICE_PID=
}

teardown() {
	stop_spawned
	hub_close_input
	[ -z "$SERVICE_PID" ] || { podman_service_stop "$SERVICE_PID"; podman_rm "$P-burn"; }
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

header() { printf '%s\n' "$HEADERS" | sed -n "s/^$1: *//Ip" | head -1; }

# promtool_ok: promtool accepts $BODY (format and lint)
promtool_ok() {
	run promtool check metrics <<<"$BODY"
	assert_success
	assert_output ''
}

# refute_body ERE: no line of $BODY matches (a function, since bash's
# "! cmd" never fails a bats test)
refute_body() {
	if printf '%s\n' "$BODY" | grep -E "$1"; then
		echo "the exposition has lines matching $1" >&2
		return 1
	fi
}

# sample NAME{LABELS}: the value of that exact series in $BODY
sample() {
	printf '%s\n' "$BODY" | S=$1 awk 'index($0, ENVIRON["S"] " ") == 1 { print substr($0, length(ENVIRON["S"]) + 2) }'
}

@test "GET /metrics: Prometheus text format 0.0.4 that promtool accepts, with the frame's numbers" {
	start_cgi
	start_hub
	local f
	f=$(frame '.data.thresholds = {"cpu_percent": 80, "error_rate": 0.05}')
	hub_send "$f" '{"type":"active_alerts","timestamp":"2026-11-25T18:45:00.000Z","alerts":[{"level":"error","type":"high_cpu","container":"kato","value":97.5}]}'
	wait_retained 2
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	[ "$(header Content-Type)" = 'text/plain; version=0.0.4; charset=utf-8' ]
	[ "$(header Content-Length)" = "$(printf '%s\n' "$BODY" | wc -c)" ]
	promtool_ok
	# the same numbers as the frame the page gets
	[ "$(sample 'kato_live_container_cpu_percent{container="kato"}')" = "$(jq -r '.data.containers.containers[] | select(.name == "kato") | .cpu' <<<"$f")" ]
	[ "$(sample 'kato_live_container_memory_usage_bytes{container="kato"}')" = "$(jq -r '.data.containers.containers[] | select(.name == "kato") | .memory.usage_bytes' <<<"$f")" ]
	[ "$(sample 'kato_live_container_network_receive_bytes_total{container="kato-redis"}')" = "$(jq -r '.data.containers.containers[] | select(.name == "kato-redis") | .network.rx_bytes' <<<"$f")" ]
	# kato-redis has no CPU figure in this frame: no sample, not a 0
	[ "$(jq -r '.data.containers.containers[] | select(.name == "kato-redis") | .cpu' <<<"$f")" = null ]
	[ -z "$(sample 'kato_live_container_cpu_percent{container="kato-redis"}')" ]
	[ "$(sample kato_live_sessions_active)" = "$(jq -r .data.sessions.active_count <<<"$f")" ]
	[ "$(sample kato_requests_total)" = "$(jq -r .data.metrics.performance.total_requests <<<"$f")" ]
	[ "$(sample kato_error_ratio)" = "$(jq -r .data.metrics.performance.error_rate <<<"$f")" ]
	[ "$(sample 'kato_live_alert_active{type="high_cpu",level="error",container="kato"}')" = 1 ]
	[ "$(sample kato_live_alerts_firing)" = 1 ]
	[ "$(sample 'kato_health_status{status="degraded"}')" = "$(jq -r 'if .data.health.status == "degraded" then 1 else 0 end' <<<"$f")" ]
	[ "$(sample 'kato_live_source_up{source="docker-stats"}')" = 1 ]
	[ "$(sample kato_live_frame_stale)" = 0 ]
	[ "$(sample kato_live_hub_up)" = 1 ]
	# counters are typed as such, and no session id is a label
	printf '%s\n' "$BODY" | grep -qx '# TYPE kato_live_container_network_receive_bytes_total counter'
	refute_body 'session-[0-9a-f]{8}'
	# HEAD: the headers alone
	run bash -c 'curl -sI --max-time 10 "$0/metrics" | tr -d "\r"' "$CGI_URL"
	assert_line 'Content-Type: text/plain; version=0.0.4; charset=utf-8'
	[ "$(curl -s --max-time 10 -X HEAD "$CGI_URL/metrics" | wc -c)" = 0 ]
	# from a shell: the exposition alone
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" /metrics
	assert_success
	assert_line 'kato_live_hub_up 1'
	get /metrics -X POST
	[ "$HTTP_STATUS" = 405 ]
}

@test "GET /metrics: two Docker hosts' containers side by side by host label; a stale host's left out, its stale gauge 1" {
	start_cgi
	start_hub
	hub_send "$(frame '.data.containers.containers = [
		{"name": "kato", "host": "dock-a", "status": "running", "cpu": 1.5},
		{"name": "kato", "host": "dock-b", "status": "running", "cpu": 7, "stale": true}]
		| .data.containers.hosts = {"dock-a": {"ok": true, "stale": false}, "dock-b": {"ok": true, "stale": true},
		                            "dock-c": {"ok": false, "stale": false, "error": "GET /_ping: Connection refused"}}
		| .stale = ["docker-stats@dock-b"]')"
	wait_retained 1
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ "$(sample 'kato_live_container_cpu_percent{container="kato",host="dock-a"}')" = 1.5 ]
	[ -z "$(sample 'kato_live_container_cpu_percent{container="kato",host="dock-b"}')" ]
	[ "$(sample 'kato_live_docker_host_stale{host="dock-a"}')" = 0 ]
	[ "$(sample 'kato_live_docker_host_stale{host="dock-b"}')" = 1 ]
	# a failing host is not stale, but not up either: its containers' absence is said
	[ "$(sample 'kato_live_docker_host_stale{host="dock-c"}')" = 0 ]
	[ "$(sample 'kato_live_docker_host_up{host="dock-a"}')" = 1 ]
	[ "$(sample 'kato_live_docker_host_up{host="dock-b"}')" = 0 ]
	[ "$(sample 'kato_live_docker_host_up{host="dock-c"}')" = 0 ]
	[ "$(sample 'kato_live_containers')" = 1 ]
}

@test "GET /metrics: hostile container names and hosts are escaped, duplicates dropped, a line with bad UTF-8 refused; promtool still accepts it" {
	start_cgi
	start_hub
	hub_send "$(frame '.data.containers.containers = [
		{"name": "/we\"ird\\name\nx", "host": "h\"1", "status": "running", "cpu": 1.5},
		{"name": "dup", "status": "running", "cpu": 2},
		{"name": "dup", "status": "running", "cpu": 3},
		{"name": "nolimit", "status": "running", "cpu": null, "memory": {"usage_bytes": 10, "limit_bytes": null}}]')"
	wait_retained 1
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ "$(sample 'kato_live_container_cpu_percent{container="we\"ird\\name\nx",host="h\"1"}')" = 1.5 ]
	[ "$(printf '%s\n' "$BODY" | grep -c '^kato_live_container_cpu_percent{container="dup"}')" = 1 ]
	# null is not 0: no CPU and no limit for nolimit
	[ -z "$(sample 'kato_live_container_cpu_percent{container="nolimit"}')" ]
	[ -z "$(sample 'kato_live_container_memory_limit_bytes{container="nolimit"}')" ]
	[ "$(sample 'kato_live_container_memory_usage_bytes{container="nolimit"}')" = 10 ]
	# a byte that is not UTF-8, straight from the hub's input: every stage's
	# JSON reader refuses the line (and says so), so the exposition keeps
	# the frame before it, still valid
	printf '%s\n' "$(frame)" | sed 's/"name":"kato"/"name":"bad\xffname"/' >&"$HUB_FEED"
	wait_until 10 grep -q 'UTF-8' "$BATS_TEST_TMPDIR/hub.err"
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ -z "$(printf '%s\n' "$BODY" | grep 'bad.*name')" ]
	[ "$(sample 'kato_live_container_memory_usage_bytes{container="nolimit"}')" = 10 ]
}

@test "GET /metrics with no hub: a valid exposition saying kato_live_hub_up 0, not an error page" {
	start_cgi
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ "$BODY" = '# HELP kato_live_hub_up 1 if kato-hub answered this scrape, else 0.
# TYPE kato_live_hub_up gauge
kato_live_hub_up 0' ]
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" /metrics
	assert_failure 1
	assert_line 'kato_live_hub_up 0'
}

@test "GET /metrics with no data yet and a source in error: the sources' state and ages, no invented numbers" {
	start_cgi
	start_hub
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ "$(sample kato_live_hub_up)" = 1 ]
	refute_body '^kato_live_(frame|source)'
	# a real kato-merge whose kato-metrics finds no KATO; no other
	# collector runs, so session-summary never reports
	local closed
	closed=$(free_port)
	spawn sh -c 'exec "$0" --interval 0.2 --stale 30 --run "$1" >"$2"' "$KL_BIN/kato-merge" \
		"$KL_BIN/kato-metrics --url http://127.0.0.1:$closed --interval 0.2 --timeout 1" \
		"$HUB_FIFO" 2>>"$BATS_TEST_TMPDIR/merge.err" 3>&-
	wait_until 20 bash -c '"$0" --socket "$1" /metrics | grep -q "^kato_live_source_up{source=\"kato-metrics\"} 0$"' \
		"$KL_BIN/kato-snapshot" "$HUB_SOCKET"
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ "$(sample 'kato_live_source_up{source="kato-metrics"}')" = 0 ]
	# in error, yet not stale: it keeps reporting (that KATO is down,
	# with backoff: hence the generous --stale)
	[ "$(sample 'kato_live_source_stale{source="kato-metrics"}')" = 0 ]
	# it reported (errors), so it has an age; session-summary never did
	[ -n "$(sample 'kato_live_source_age_seconds{source="kato-metrics"}')" ]
	[ "$(sample 'kato_live_source_up{source="session-summary"}')" = 0 ]
	[ "$(sample 'kato_live_source_stale{source="session-summary"}')" = 1 ]
	[ -z "$(sample 'kato_live_source_age_seconds{source="session-summary"}')" ]
	[ "$(sample kato_live_frame_stale)" = 0 ]
	# nothing from KATO: no zeros standing in for what was not measured
	refute_body '^kato_([^l]|l[^i]|li[^v]|liv[^e]|live[^_])'
	refute_body '^kato_live_(container|sessions)'
}

@test "GET /metrics with the hub's statistics, and a hub with endless session_update messages after its retained ones" {
	# A stand-in for the hub: its stats line is the agreed hub_stats shape,
	# and its snap never ends (session_update after session_update, as a
	# hub with very many sessions sends them after the other messages).
	start_cgi
	local snapf=$BATS_TEST_TMPDIR/snap.ndjson
	frame >"$snapf"
	echo '{"type":"active_alerts","timestamp":"2026-11-25T18:45:00.000Z","alerts":[]}' >>"$snapf"
	spawn "$PY3" "$HUB_LIB/fakehub.py" "$HUB_SOCKET" "$snapf" --endless-sessions \
		--stats '{"type":"hub_stats","timestamp":"2026-11-25T18:45:00.000Z","started_at":"2026-11-25T18:00:00.250Z","clients":7,"subscribers":1,"messages_in_total":100,"bad_lines_total":2,"frames_sent_total":600,"messages_sent_total":700,"bytes_sent_total":123456789012,"serializations_total":50,"topic_sets":2,"queue_bytes":4096,"cutoffs_total":{"too_slow":3,"queue_full":0,"timeout":1,"protocol":0}}' \
		2>>"$BATS_TEST_TMPDIR/fakehub.err" 3>&-
	wait_until 10 test -S "$HUB_SOCKET"
	get /metrics
	[ "$HTTP_STATUS" = 200 ]
	promtool_ok
	[ "$(sample kato_live_hub_up)" = 1 ]
	[ "$(sample kato_live_sessions_active)" = 3 ]
	[ "$(sample kato_live_alerts_firing)" = 0 ]
	[ "$(sample kato_live_hub_start_time_seconds)" = 1795629600.25 ]
	[ "$(sample kato_live_hub_clients)" = 7 ]
	[ "$(sample kato_live_hub_sent_bytes_total)" = 123456789012 ]
	[ "$(sample kato_live_hub_queue_bytes)" = 4096 ]
	[ "$(sample 'kato_live_hub_cutoffs_total{reason="too_slow"}')" = 3 ]
	[ "$(sample 'kato_live_hub_cutoffs_total{reason="timeout"}')" = 1 ]
	refute_body 'session-[0-9a-f]{8}'
}

# --- a real Prometheus ------------------------------------------------------

# start_prometheus HOST:PORT: a Prometheus server on a free loopback port,
# its own TSDB in the test's folder, scraping HOST:PORT/metrics every
# second; PROM_URL.
start_prometheus() {
	local d=$BATS_TEST_TMPDIR/prometheus port
	mkdir -p "$d/tsdb"
	cat >"$d/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: kato-live
	    scrape_interval: 1s
	    scrape_timeout: 1s
	    static_configs:
	      - targets: ['$1']
	EOF
	port=$(free_port)
	spawn prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/tsdb" \
		--web.listen-address="127.0.0.1:$port" 2>"$d/prometheus.log" 3>&-
	PROM_URL=http://127.0.0.1:$port
	wait_until 60 curl -sf --max-time 2 "$PROM_URL/-/ready" || { tail -20 "$d/prometheus.log" >&2; return 1; }
}

# promq QUERY: the value of the query's first series now, or nothing
promq() {
	curl -sf --max-time 5 "$PROM_URL/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}
has_result() { [ -n "$(promq "$1")" ]; }

# in_frames JQ-PATH VALUE: some recorded frame had VALUE (numerically) there
in_frames() {
	jq -e -n --arg v "$2" "[inputs | select(.type == \"realtime_update\") | $1 | numbers] | any(. == (\$v | tonumber))" \
		"$BATS_TEST_TMPDIR/frames.ndjson" >/dev/null
}

@test "a real Prometheus scraping kato-live gets the values the frames had: a burning container's CPU, the session count, a firing alert" {
	command -v podman >/dev/null || { echo "podman is not installed" >&2; false; }
	local T=$BATS_TEST_TMPDIR host
	host=unix://$T/podman.sock
	podman_image
	podman_rm "$P-burn"
	podman_service "$host" "$T/podman-service.log"
	SERVICE_PID=$PODMAN_SERVICE_PID
	wait_until 30 podman_service_ready "$host"
	podman_run "$P-burn" sh -c 'while :; do :; done'
	start_kato_sim --sessions 4

	local port
	port=$(free_port)
	spawn env KATO_LIVE_ENV_FILE= DOCKER_HOST="$host" DOCKER_STATS_NAME="^$P-" \
		KATO_LIVE_INTERVAL=1 SESSION_SETTLE_SECONDS=0.5 \
		"$TOP/scripts/kato-live" --bin "$KL_BIN" --port "$port" --socket "$HUB_SOCKET" \
		>"$T/url.out" 2>"$T/launcher.err" 3>&-
	wait_until 60 test -s "$T/url.out" || { cat "$T/launcher.err" >&2; false; }
	# every frame the hub sends, to compare with what Prometheus stored
	spawn "$PY3" "$HUB_LIB/hubclient.py" "$HUB_SOCKET" sub --timeout 600 >"$T/frames.ndjson" 3>&-
	start_prometheus "127.0.0.1:$port"

	wait_until 60 has_result 'up{job="kato-live"} == 1' || { cat "$T/launcher.err" >&2; false; }
	# the burning container, as Prometheus stored it and a frame had it
	wait_until 60 has_result "kato_live_container_cpu_percent{container=\"$P-burn\"} > 20" || {
		promq "kato_live_container_cpu_percent{container=\"$P-burn\"}" >&2; tail -3 "$T/frames.ndjson" >&2; false; }
	local v
	v=$(promq "kato_live_container_cpu_percent{container=\"$P-burn\"}")
	echo "burning container CPU in Prometheus: $v" >&2
	in_frames ".data.containers.containers[]? | select(.name == \"$P-burn\") | .cpu" "$v"
	# the session count
	wait_until 30 has_result 'kato_live_sessions_active == 4' || { promq kato_live_sessions_active >&2; false; }
	in_frames '.data.sessions.active_count' 4
	# KATO's error rate crosses its threshold: the alert, in Prometheus
	sim_ctl metrics error_rate=0.2 >/dev/null
	wait_until 60 has_result 'kato_live_alert_active{type="high_error_rate"} == 1' || {
		curl -s "$PROM_URL/api/v1/query" --data-urlencode 'query={__name__=~"kato_live_alert.*"}' >&2; false; }
	[ "$(promq 'kato_error_ratio')" = 0.2 ]
	[ "$(promq 'kato_live_alerts_firing >= 1')" != "" ]
	[ "$(promq 'kato_live_source_up{source="docker-stats"}')" = 1 ]
	# the target's own health: a fresh frame
	[ "$(promq 'kato_live_frame_stale')" = 0 ]
	v=$(promq 'kato_live_frame_age_seconds < 3')
	[ -n "$v" ]
}
