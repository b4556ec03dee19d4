#!/usr/bin/env bats
# docker-stats against a real engine: Podman's Docker-compatible API,
# served by `podman system service` on a socket this file starts, with
# real busybox containers: one burning CPU, one idle, one stopped, one
# whose name the filter does not match.

bats_require_minimum_version 1.5.0

load lib/common
load lib/podman

setup_file() {
	export P="kato-t$$"              # this run's containers
	export OTHER="notkato-t$$"       # one the default filter must skip
	export SOCK="$BATS_FILE_TMPDIR/podman.sock"
	export HOST="unix://$SOCK"
	podman_image
	podman_rm "$P-burn" "$P-idle" "$P-nonet" "$P-stopped" "$OTHER"
	# Half a CPU burning: a steady figure, and the shared machine keeps
	# its other core and a half.
	podman_run "$P-burn" --cpus 0.5 -- sh -c 'yes >/dev/null'
	podman_run "$P-idle" sleep 3600
	podman_run "$P-nonet" --network none -- sleep 3600
	podman_run "$P-stopped" true
	podman_run "$OTHER" sleep 3600
	podman_service "$HOST" "$BATS_FILE_TMPDIR/service.log"
	export SERVICE_PID=$PODMAN_SERVICE_PID
	wait_until 20 podman_service_ready "$HOST"
	wait_until 20 bash -c "[ \"\$(podman inspect -f '{{.State.Status}}' $P-stopped)\" = exited ]"
}

teardown_file() {
	podman_service_stop "$SERVICE_PID"
	podman_rm "$P-burn" "$P-idle" "$P-nonet" "$P-stopped" "$P-new" "$OTHER"
}

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
}

teardown() {
	stop_spawned
	[ -z "${SVC2:-}" ] || podman_service_stop "$SVC2"
	assert_no_sanitizer_reports "$ERR"
}

# The record for container $1 in the first line of $OUT.
entry() { head -n 1 "$OUT" | jq -c --arg n "$1" '.data.containers[] | select(.name == $n)'; }

@test "--help prints the usage and exits 0" {
	run docker-stats --help
	assert_success
	# the same SYNOPSIS as man/docker-stats.1
	assert_line --index 0 "usage: docker-stats [--host ADDRESS] [--host-name NAME]"
	assert_line --index 1 "                    [--name REGEX | --all]"
	assert_line --index 2 "                    [--interval SECONDS] [--timeout SECONDS] [--once]"
	assert_line --index 3 "                    [--once-gap SECONDS] [--max-requests N]"
	run man -l "$TOP/man/docker-stats.1"
	assert_output --partial "docker-stats [--host ADDRESS] [--host-name NAME]"
}

@test "a bad option or regular expression is a usage error (exit 100)" {
	run docker-stats --frobnicate
	[ "$status" -eq 100 ]
	run docker-stats --name '(' --once
	[ "$status" -eq 100 ]
	assert_output --partial "bad --name '('"
	run docker-stats --host http://x --once
	[ "$status" -eq 100 ]
}

@test "--once reports every matching container with CPU, memory, network and block I/O" {
	docker-stats --host "$HOST" --name "^$P-" --once >"$OUT" 2>"$ERR"
	run jq -r '[.source, .ok, (.data.containers | map(.name) | join(","))] | @tsv' "$OUT"
	assert_output "$(printf 'docker-stats\ttrue\t%s-burn,%s-idle,%s-nonet,%s-stopped' "$P" "$P" "$P" "$P")"
	[ "$(wc -l <"$OUT")" -eq 1 ]
	run entry "$P-idle"
	assert_output --regexp '"status":"running","cpu":[0-9.]+,'
	run jq -e '.memory.usage_bytes > 0 and .memory.limit_bytes > 0 and
	           (.memory.usage_mb | type) == "number" and
	           .network.rx_bytes >= 0 and .block_io.read_bytes >= 0 and
	           (.id | length) == 64 and (.timestamp | test("Z$"))' <<<"$output"
	run jq -r '.data.engine, .data.api_version' "$OUT"
	assert_output --regexp '^podman
[0-9]+\.[0-9]+$'
}

@test "every record and container entry names its Docker host: --host-name, else KATO_LIVE_HOST_NAME, else the machine's name" {
	docker-stats --host "$HOST" --name "^$P-idle$" --host-name dock-1.example --once >"$OUT" 2>"$ERR"
	run jq -c '[.host, (.data.containers | map(.host))]' "$OUT"
	assert_output '["dock-1.example",["dock-1.example"]]'
	KATO_LIVE_HOST_NAME=from-env docker-stats --host "$HOST" --name "^$P-idle$" --once >"$OUT" 2>"$ERR"
	run jq -c '[.host, .data.containers[0].host]' "$OUT"
	assert_output '["from-env","from-env"]'
	docker-stats --host "$HOST" --name "^$P-idle$" --once >"$OUT" 2>"$ERR"
	run jq -r .host "$OUT"
	assert_output "$(hostname)"
	# A failed sample names its host too: kato-merge files it under it.
	docker-stats --host unix:///nonexistent/engine.sock --host-name dock-2 --once >"$OUT" 2>"$ERR" || true
	run jq -c '[.ok, .host]' "$OUT"
	assert_output '[false,"dock-2"]'
	# A name must be usable as a JSON key and a label as it is.
	run docker-stats --host-name 'a b' --once
	assert_failure 100
	assert_output --partial "bad --host-name 'a b'"
	run docker-stats --host-name "$(printf 'x%.0s' {1..65})" --once
	assert_failure 100
}

@test "the burning container's CPU% agrees with podman stats within 5 points, memory within 5%" {
	# `podman stats --no-stream` reports the average since the container
	# started; on a shared machine the rate varies from second to second.
	# So restart the burner and measure across nearly all of its life:
	# the two figures then cover the same 3 seconds.
	podman restart -t 0 "$P-burn" >/dev/null
	docker-stats --host "$HOST" --name "^$P-burn$" --once --once-gap 3 >"$OUT" 2>"$ERR"
	ours=$(entry "$P-burn" | jq -r .cpu)
	theirs=$(podman_cpu "$P-burn")
	mem_ours=$(entry "$P-burn" | jq -r .memory.usage_bytes)
	mem_theirs=$(podman_mem_bytes "$P-burn")
	echo "cpu: docker-stats $ours, podman stats $theirs" >&3
	echo "memory: docker-stats $mem_ours, podman stats $mem_theirs" >&3
	awk -v a="$ours" -v b="$theirs" 'BEGIN { d = a - b; exit !(a > 20 && (d < 0 ? -d : d) <= 5) }'
	awk -v a="$mem_ours" -v b="$mem_theirs" 'BEGIN { d = a - b; exit !(b > 0 && (d < 0 ? -d : d) <= 0.05 * b) }'
}

@test "a stopped container is listed with its status and null numbers, never zeros" {
	docker-stats --host "$HOST" --name "^$P-stopped$" --once >"$OUT" 2>"$ERR"
	run entry "$P-stopped"
	assert_output --partial '"status":"exited","cpu":null,'
	assert_output --partial '"memory":{"usage_bytes":null,"limit_bytes":null,"usage_mb":null,"limit_mb":null,"usage_percent":null}'
	assert_output --partial '"network":{"rx_bytes":null,"tx_bytes":null,"rx_mb":null,"tx_mb":null,"rx_bytes_per_s":null,"tx_bytes_per_s":null}'
	run jq -c '.data.aggregated | [.total_cpu_percent, .total_memory_mb, .container_count, .running_count]' "$OUT"
	assert_output '[null,null,1,0]'
}

@test "a container without networks has null network figures, the rest measured" {
	docker-stats --host "$HOST" --name "^$P-nonet$" --once >"$OUT" 2>"$ERR"
	run entry "$P-nonet"
	assert_output --partial '"network":{"rx_bytes":null,"tx_bytes":null,"rx_mb":null,"tx_mb":null,"rx_bytes_per_s":null,"tx_bytes_per_s":null}'
	assert_output --regexp '"cpu":[0-9.]+,'
	run jq -e '.memory.usage_bytes > 0' <<<"$output"
}

@test "the aggregate sums the containers' figures" {
	docker-stats --host "$HOST" --name "^$P-" --once >"$OUT" 2>"$ERR"
	run jq -e '.data as $d | ($d.containers | map(.cpu // 0) | add) as $cpu |
	           ($d.containers | map(.memory.usage_bytes // 0) | add / 1048576) as $mem |
	           ($d.aggregated.total_cpu_percent - $cpu | fabs) < 0.05 and
	           ($d.aggregated.total_memory_mb - $mem | fabs) < 0.05 and
	           $d.aggregated.container_count == 4 and $d.aggregated.running_count == 3 and
	           ($d.aggregated.total_memory_percent | type) == "number"' "$OUT"
}

@test "by default only kato and kato-* are picked; --all takes every container" {
	docker-stats --host "$HOST" --once >"$OUT" 2>"$ERR"
	run jq -r '.data.containers[].name' "$OUT"
	assert_line "$P-burn"
	refute_line "$OTHER"
	docker-stats --host "$HOST" --all --once >"$OUT" 2>"$ERR"
	run jq -r '.data.containers[].name' "$OUT"
	assert_line "$OTHER"
	assert_line "$P-idle"
}

@test "the first sample of a running loop has null CPU, the next ones a figure" {
	spawn docker-stats --host "$HOST" --name "^$P-idle$" --interval 0.3 >"$OUT" 2>"$ERR"
	wait_until 20 bash -c "[ \$(wc -l <'$OUT') -ge 2 ]"
	run jq -c '.data.containers[0].cpu' "$OUT"
	[ "${lines[0]}" = null ]
	[[ "${lines[1]}" =~ ^[0-9.]+$ ]]
}

@test "containers that start and vanish while it runs come and go" {
	spawn docker-stats --host "$HOST" --name "^$P-(idle|new)$" --interval 0.3 >"$OUT" 2>"$ERR"
	wait_until 20 grep -q "$P-idle" "$OUT"
	podman_run "$P-new" sleep 3600
	has_new_cpu() { tail -n 1 "$OUT" | jq -e --arg n "$P-new" '.data.containers[] | select(.name == $n) | .cpu != null' >/dev/null; }
	wait_until 30 has_new_cpu
	podman_rm "$P-new"
	gone() { tail -n 1 "$OUT" | jq -e --arg n "$P-new" '.ok and ([.data.containers[].name] | index($n) == null)' >/dev/null; }
	wait_until 30 gone
	run jq -s 'map(select(.ok | not)) | length' "$OUT"
	assert_output 0
}

@test "engine socket missing: ok:false saying so, then recovery when the engine starts" {
	sock=$BATS_TEST_TMPDIR/late.sock
	spawn docker-stats --host "unix://$sock" --all --interval 0.2 >"$OUT" 2>"$ERR"
	wait_until 20 grep -q '"ok":false' "$OUT"
	run head -n 1 "$OUT"
	assert_output --partial "\"error\":\"GET unix://$sock /_ping: No such file or directory\""
	podman_service "unix://$sock" "$BATS_TEST_TMPDIR/service.log"
	SVC2=$PODMAN_SERVICE_PID
	wait_until 40 grep -q '"ok":true' "$OUT"
	kill -0 "$LAST_PID"
	run grep -c 'recovered after' "$ERR"
	assert_output 1
}

@test "the engine going away and coming back: docker-stats recovers" {
	sock=$BATS_TEST_TMPDIR/flaky.sock
	podman_service "unix://$sock" "$BATS_TEST_TMPDIR/service.log"
	SVC2=$PODMAN_SERVICE_PID
	wait_until 20 podman_service_ready "unix://$sock"
	spawn docker-stats --host "unix://$sock" --name "^$P-idle$" --interval 0.2 >"$OUT" 2>"$ERR"
	wait_until 20 grep -q '"ok":true' "$OUT"
	podman_service_stop "$SVC2"
	wait_until 20 grep -q '"ok":false' "$OUT"
	podman_service "unix://$sock" "$BATS_TEST_TMPDIR/service2.log"
	SVC2=$PODMAN_SERVICE_PID
	wait_until 40 bash -c "awk '/\"ok\":false/ { f = 1 } f && /\"ok\":true/ { found = 1 } END { exit !found }' '$OUT'"
}

@test "tcp:// reaches the engine too" {
	port=$(free_port)
	podman_service "tcp://127.0.0.1:$port" "$BATS_TEST_TMPDIR/service.log"
	SVC2=$PODMAN_SERVICE_PID
	wait_until 20 podman_service_ready "tcp://127.0.0.1:$port"
	DOCKER_HOST="tcp://127.0.0.1:$port" docker-stats --name "^$P-idle$" --once >"$OUT" 2>"$ERR"
	run jq -r '.ok, .data.containers[0].name, (.data.containers[0].cpu | type)' "$OUT"
	assert_output "true
$P-idle
number"
}

@test "--once with no engine exits 1 and says why on stderr" {
	run -1 docker-stats --host "unix://$BATS_TEST_TMPDIR/none.sock" --once
	assert_output --partial "docker-stats: warning: GET unix://$BATS_TEST_TMPDIR/none.sock /_ping: No such file or directory"
	assert_output --partial '"ok":false'
}

@test "permission denied on the engine's socket: ok:false saying so" {
	dir=$BATS_TEST_TMPDIR/private
	mkdir -m 700 "$dir"
	spawn python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' "$dir/engine.sock"
	wait_until 20 test -S "$dir/engine.sock"
	run -1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KL_BIN/docker-stats" --host "unix://$dir/engine.sock" --once
	assert_output --partial "\"ok\":false,\"error\":\"GET unix://$dir/engine.sock /_ping: Permission denied\""
}

@test "an engine answering garbage or an error status: ok:false with what it said, and it keeps running" {
	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" garbage >/dev/null
	wait_until 20 port_open "$port"
	run -1 docker-stats --host "tcp://127.0.0.1:$port" --once
	assert_output --partial "GET http://127.0.0.1:$port/v1.41/containers/json?all=1: answer is not a list of containers (invalid JSON at byte 0)"
	stop_spawned

	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" 500 >/dev/null
	wait_until 20 port_open "$port"
	spawn docker-stats --host "tcp://127.0.0.1:$port" --interval 0.2 >"$OUT" 2>"$ERR"
	wait_until 20 grep -q 'engine on fire' "$OUT"
	run head -n 1 "$OUT"
	assert_output --partial "\"ok\":false,\"error\":\"GET http://127.0.0.1:$port/v1.41/containers/json?all=1: HTTP 500: {\\\"message\\\":\\\"engine on fire\\\"}\""
	kill -0 "$LAST_PID"
}

@test "an answer without an Api-Version header is not taken for an engine" {
	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" noversion >/dev/null
	wait_until 20 port_open "$port"
	run -1 docker-stats --host "tcp://127.0.0.1:$port" --once
	assert_output --partial "not a Docker engine: no usable Api-Version header"
}

@test "the API version is the engine's: 1.40 gets /v1.40/ routes and no one-shot" {
	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" v140 >"$BATS_TEST_TMPDIR/requests"
	wait_until 20 port_open "$port"
	docker-stats --host "tcp://127.0.0.1:$port" --once --once-gap 0.01 >"$OUT" 2>"$ERR"
	run jq -c '[.ok, .data.api_version, .data.engine, .data.containers[0].name, .data.containers[0].memory.usage_bytes]' "$OUT"
	assert_output '[true,"1.40","docker","kato-old",4294967296]'
	run grep -c "^GET /v1.40/containers/0123456789ab.*/stats?stream=false\$" "$BATS_TEST_TMPDIR/requests"
	assert_output 2
	run grep -c 'one-shot' "$BATS_TEST_TMPDIR/requests"
	assert_output 0
}

@test "an engine that comes back upgraded is spoken to in its new API version" {
	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" v140 >/dev/null
	fake=$LAST_PID
	wait_until 20 port_open "$port"
	spawn docker-stats --host "tcp://127.0.0.1:$port" --interval 0.2 >"$OUT" 2>"$ERR"
	wait_until 20 grep -q '"api_version":"1.40"' "$OUT"
	kill -TERM "$fake"
	wait "$fake" 2>/dev/null || true
	wait_until 20 grep -q '"ok":false' "$OUT"
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" v141 >/dev/null
	wait_until 30 grep -q '"api_version":"1.41"' "$OUT"
	run bash -c "tail -n 1 '$OUT' | jq -c '[.ok, .data.containers[0].name]'"
	assert_output '[true,"kato-old"]'
}

@test "SIGTERM stops it at once with status 0; a closed stdout stops it quietly" {
	spawn docker-stats --host "$HOST" --name "^$P-idle$" --interval 0.2 >"$OUT" 2>"$ERR"
	pid=$LAST_PID
	wait_until 20 grep -q '"ok":true' "$OUT"
	kill -TERM "$pid"
	wait_until 5 bash -c "! kill -0 $pid"
	run wait "$pid"
	assert_success
	KL_PIDS=()

	run bash -c "docker-stats --host '$HOST' --name '^$P-idle\$' --interval 0.2 2>'$ERR' | head -n 2 | wc -l"
	assert_output 2
	run cat "$ERR"
	assert_output ""
}

@test "stats requests to the engine are capped (--max-requests); a limit the size of the host is no limit" {
	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" many >"$BATS_TEST_TMPDIR/requests"
	wait_until 20 port_open "$port"
	docker-stats --host "tcp://127.0.0.1:$port" --once --once-gap 0.01 --max-requests 3 >"$OUT" 2>"$ERR"
	run jq -c '[.ok, (.data.containers | length)]' "$OUT"
	assert_output '[true,12]'
	run sh -c "grep INFLIGHT '$BATS_TEST_TMPDIR/requests' | awk '{print \$2}' | sort -n | tail -n 1"
	echo "most at once: $output"
	[ "$output" -le 3 ]
	[ "$output" -ge 2 ]
	# the fixture's 16 GiB limit is the host's memory: no limit
	run jq -c '.data.containers[0].memory | [.limit_bytes, .usage_percent, .usage_bytes > 0]' "$OUT"
	assert_output '[null,null,true]'
	run jq -c '.data.aggregated | [.total_memory_limit_mb, .total_memory_percent]' "$OUT"
	assert_output '[null,null]'
	run docker-stats --max-requests 0 --once
	assert_failure 100
}

@test "network and block I/O rates per second from docker-stats' own deltas: null first, numbers after" {
	spawn docker-stats --host "$HOST" --name "^$P-idle$" --interval 0.3 >"$OUT" 2>"$ERR"
	wait_until 30 sh -c "[ \$(jq -c 'select(.ok==true)' '$OUT' | wc -l) -ge 2 ]"
	run jq -s -c '[.[] | select(.ok) | .data.containers[0] | [.network.rx_bytes_per_s, .block_io.read_bytes_per_s]] | .[0]' "$OUT"
	assert_output '[null,null]'
	run jq -s -c '[.[] | select(.ok) | .data.containers[0] | [(.network.rx_bytes_per_s|type), (.block_io.write_bytes_per_s|type)]] | .[1]' "$OUT"
	assert_output '["number","number"]'
	run jq -s -c '[.[] | select(.ok) | .data.aggregated | (.total_rx_bytes_per_s|type)] | .[1]' "$OUT"
	assert_output '"number"'
}

@test "a record over the 16 MiB line limit is not sent: an ok:false record says so instead" {
	port=$(free_port)
	spawn python3 "$TOP/tests/lib/fake-docker.py" "$port" huge >/dev/null
	wait_until 30 port_open "$port"
	run -1 --separate-stderr docker-stats --host "tcp://127.0.0.1:$port" --once --once-gap 0.01 --timeout 20
	[ "${#output}" -lt 1000 ]
	jq -e '.ok == false and (.error | test("^record of [0-9]+ bytes is over the 16777216-byte line limit: not sent$"))' <<<"$output"
}
