#!/usr/bin/env bats
# kato-alerts end to end: real conditions through the real pipeline,
#   kato-merge --run kato-metrics / --run docker-stats | kato-alerts
# against the KATO simulator and against Podman running busybox
# containers.  Intervals are 0.2-0.5 s; waits are generous because the
# machine is shared.

bats_require_minimum_version 1.5.0

load lib/common
load lib/katosim
load lib/podman

setup_file() {
	export P="kato-ae$$" # this run's containers; docker-stats watches only these
	export SOCK="$BATS_FILE_TMPDIR/podman.sock"
	export HOST="unix://$SOCK"
	podman_image
	podman_rm "$P-idle" "$P-burn" "$P-a" "$P-b"
	podman_service "$HOST" "$BATS_FILE_TMPDIR/service.log"
	export SERVICE_PID=$PODMAN_SERVICE_PID
	wait_until 30 podman_service_ready "$HOST"
}

teardown_file() {
	podman_service_stop "$SERVICE_PID"
	podman_rm "$P-idle" "$P-burn" "$P-a" "$P-b"
}

setup() {
	T=$BATS_TEST_TMPDIR
	OUT=$T/out.ndjson
	unset KATO_LIVE_ENV_FILE WEBSOCKET_SYSTEM_ALERTS ALERT_CPU_THRESHOLD \
		ALERT_COOLDOWN_SECONDS ALERT_CONSECUTIVE_FRAMES ALERT_CONTAINERS
}

teardown() {
	stop_spawned
	podman_rm "$P-idle" "$P-burn" "$P-a" "$P-b"
	assert_no_sanitizer_reports "$T"/*.txt
}

# pipeline [KATO-ALERTS OPTIONS...] -- KATO-MERGE --run OPTIONS...:
# kato-merge (0.2 s frames) into kato-alerts through a FIFO, each its own
# PID so that teardown stops exactly them; alerts' output in $OUT.
pipeline() {
	local a=()
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	mkfifo "$T/frames"
	# the FIFO is opened in the child: opening it here would wait for a writer
	spawn sh -c 'f=$1 o=$2 e=$3; shift 3; exec kato-alerts "$@" <"$f" >"$o" 2>"$e"' \
		sh "$T/frames" "$OUT" "$T/alerts-err.txt" "${a[@]}" 3>&-
	spawn sh -c 'f=$1 e=$2; shift 2; exec kato-merge --interval 0.2 --stale 3 "$@" >"$f" 2>"$e"' \
		sh "$T/frames" "$T/merge-err.txt" "$@" 3>&-
}

# has_alert ID STATE LEVEL: kato-alerts said so.
has_alert() {
	jq -Rr 'fromjson? | select(.type == "system_alert") | "\(.id) \(.state) \(.alerts[0].level)"' \
		"$OUT" | grep -qxF "$1 $2 $3"
}

# The ids of the alerts of TYPE that kato-alerts said fire.
fired() {
	jq -Rr --arg t "$1" 'fromjson? | select(.type == "system_alert" and .state == "firing"
		and .alerts[0].type == $t) | .id' "$OUT" | sort -u
}

show() { echo "--- alerts:"; jq -Rc 'fromjson? | select(.type != "realtime_update")' "$OUT"; cat "$T"/*err*.txt; }

kato_pipeline() {
	start_kato_sim
	pipeline "$@" -- --run "kato-metrics --url $KATO_API_URL --interval 0.2 --timeout 1"
	wait_until 20 grep -q "\"total_requests\"" "$OUT" || { show; false; }
}

@test "KATO degraded raises kato_unhealthy (warning), unhealthy makes it an error, healthy resolves it" {
	kato_pipeline
	sim_ctl health degraded >/dev/null
	wait_until 20 has_alert kato_unhealthy firing warning || { show; false; }
	sim_ctl health unhealthy >/dev/null
	wait_until 20 has_alert kato_unhealthy firing error || { show; false; }
	sim_ctl health healthy >/dev/null
	wait_until 20 has_alert kato_unhealthy resolved info || { show; false; }
	run jq -Rr 'fromjson? | select(.type == "active_alerts") | .alerts | map(.id) | index("kato_unhealthy") != null' "$OUT"
	assert_line --index 0 false # the first one, empty
	assert_line true
	[ "${lines[-1]}" = false ]
}

@test "an error rate of 0.2 in KATO raises high_error_rate as an error, and it resolves" {
	kato_pipeline
	sim_ctl metrics error_rate=0.2 >/dev/null
	wait_until 20 has_alert high_error_rate firing error || { show; false; }
	run jq -Rr 'fromjson? | select(.id == "high_error_rate") | .alerts[0] | "\(.value) \(.threshold)"' "$OUT"
	assert_line --index 0 "0.2 0.05"
	sim_ctl metrics error_rate=0.001 >/dev/null
	wait_until 20 has_alert high_error_rate resolved info || { show; false; }
}

@test "KATO down raises kato_unhealthy as unreachable; it resolves when KATO answers again" {
	kato_pipeline
	sim_ctl mode down >/dev/null
	wait_until 20 has_alert kato_unhealthy firing error || { show; false; }
	run jq -Rr 'fromjson? | select(.id == "kato_unhealthy") | .alerts[0].message' "$OUT"
	# The first failing poll may be one the simulator cut as it closed
	# the port (reset), the following ones are refused.
	assert_line --index 0 --regexp '^KATO is unreachable or failing: GET http://127\.0\.0\.1:[0-9]+/metrics: .*(refused|reset by peer)'
	sim_ctl mode normal >/dev/null
	wait_until 30 has_alert kato_unhealthy resolved info || { show; false; }
}

@test "a busybox container burning CPU raises high_cpu at the right level and resolves when stopped" {
	# Half a CPU at most: a steady load that leaves the shared machine
	# most of its two cores.  Thresholds low enough to hold under load.
	podman_run "$P-idle" sleep 3600
	podman_run "$P-burn" --cpus 0.5 -- sh -c 'yes >/dev/null'
	pipeline --cpu 10 --cpu-error 20 -- \
		--run "docker-stats --host $HOST --name '^$P-' --interval 0.5"
	wait_until 60 has_alert high_cpu firing error || { show; false; }
	# every level agrees with the value that came with it (error from 20,
	# and, once an error, until under 20 less 5 %)
	run jq -Rr 'fromjson? | select(.id == "high_cpu" and .state == "firing") | .alerts[0]
		| if .level == "error" then .value >= 19 else .value > 10 and .value < 20 end' "$OUT"
	refute_line false
	pm stop -t 0 "$P-burn" >/dev/null
	wait_until 60 has_alert high_cpu resolved info || { show; false; }
	run jq -Rr 'fromjson? | select(.id == "high_cpu" and .state == "resolved") | .alerts[0].value < 9.5' "$OUT"
	assert_output true
	# the stopped container is also down, and only it
	run fired container_down
	assert_output "container_down:$P-burn"
}

@test "stopping a kato-* container raises container_down for that container only; starting it resolves it" {
	podman_run "$P-a" sleep 3600
	podman_run "$P-b" sleep 3600
	pipeline --containers 'kato-*' -- \
		--run "docker-stats --host $HOST --name '^$P-' --interval 0.5"
	wait_until 30 grep -q '"running_count":2' "$OUT" || { show; false; }
	pm stop -t 0 "$P-b" >/dev/null
	wait_until 30 has_alert "container_down:$P-b" firing error || { show; false; }
	run jq -Rr 'fromjson? | select(.id == "container_down:'"$P-b"'") | .alerts[0] | "\(.container) \(.value)"' "$OUT"
	assert_line --index 0 --regexp "^$P-b (exited|stopped|stopping)$"  # Podman says stopping while it is under way
	pm start "$P-b" >/dev/null
	wait_until 30 has_alert "container_down:$P-b" resolved info || { show; false; }
	run fired container_down
	assert_output "container_down:$P-b"
	run jq -Rc 'fromjson? | select(.type == "active_alerts") | .alerts | map(select(.type == "container_down") | .container)' "$OUT"
	assert_line "[\"$P-b\"]"
	[ "${lines[-1]}" = "[]" ]
}
