#!/usr/bin/env bats
# The KATO simulator the collectors' tests stand on: scripts/kato-sim.

load lib/common
load lib/katosim

setup() { start_kato_sim; }
teardown() { stop_spawned; }

get() { curl -sS --max-time 10 "$KATO_API_URL$1"; }

@test "kato-sim: /metrics, /health, /status, /sessions/count have KATO's shapes" {
	run get /metrics
	assert_success
	echo "$output" | jq -e '(.timestamp|type=="number") and .sessions.total_created==0
		and (.performance|has("error_rate") and has("average_response_time"))
		and (.resources.cpu_percent|type=="number") and (.databases|type=="object")
		and (.rates.requests_per_second|type=="number") and (.processor_manager|type=="object")
		and (.uptime_seconds|type=="number") and .active_sessions==0'
	get /health | jq -e '.status=="healthy" and .service_name=="kato" and (.issues==[])'
	get /status | jq -e '.sessions.total_sessions==0 and .version=="3.10.0"'
	run get /sessions/count
	assert_output '{"active_session_count":0}'
}

@test "kato-sim: values drift between samples" {
	a=$(get /metrics | jq -c '[.resources.cpu_percent,.performance.total_requests]')
	sleep 0.5
	b=$(get /metrics | jq -c '[.resources.cpu_percent,.performance.total_requests]')
	[ "$a" != "$b" ]
}

@test "kato-sim: down refuses connections and cuts kept-alive ones; normal reopens" {
	# a kept-alive connection opened before "down"
	python3 - "$KATO_SIM_PORT" "$KATO_SIM_CONTROL" <<-'EOF'
	import http.client, json, sys, urllib.request
	c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
	c.request("GET", "/health"); c.getresponse().read()
	urllib.request.urlopen(urllib.request.Request(
	    "http://127.0.0.1:%s/mode" % sys.argv[2], data=b'{"mode":"down"}', method="POST")).read()
	try:
	    c.request("GET", "/health"); c.getresponse().read()
	    sys.exit("the kept-alive connection still answers")
	except (OSError, http.client.HTTPException):
	    pass
	EOF
	run get /metrics
	assert_failure 7
	[ "$(sim_state .listening)" = false ]
	sim_ctl mode normal >/dev/null
	get /health | jq -e '.status=="healthy"'
}

@test "kato-sim: 500, error, garbage and slow, for all routes or some" {
	sim_ctl mode 500 >/dev/null
	run curl -s -w ' %{http_code}' "$KATO_API_URL/metrics"
	assert_output '{"detail":"Internal Server Error"} 500'
	sim_ctl mode error >/dev/null
	get /metrics | jq -e '(.error|type=="string") and .sessions==null and .performance==null'
	get /health | jq -e '.status=="healthy"'
	sim_ctl mode garbage >/dev/null
	run get /health
	refute_output --partial '{'
	sim_ctl mode 500 routes=/health >/dev/null
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$KATO_API_URL/health")" = 500 ]
	get /metrics | jq -e '.performance'
	sim_ctl mode slow delay=30 >/dev/null
	run curl -sS --max-time 0.5 "$KATO_API_URL/health"
	assert_failure 28
	# leaving slow mode releases the requests that wait
	local n
	n=$(sim_state '.requests["/health"] // 0')
	curl -sS --max-time 20 "$KATO_API_URL/health" >"$BATS_TEST_TMPDIR/h" &
	# the request is waiting in the simulator before slow mode is left
	wait_until 10 sim_requests /health $((n + 1))
	sim_ctl mode normal >/dev/null
	wait $!
	jq -e '.status=="healthy"' "$BATS_TEST_TMPDIR/h"
}

@test "kato-sim: health status and metrics overrides" {
	sim_ctl health degraded >/dev/null
	get /health | jq -e '.status=="degraded" and (.issues|length)>0'
	sim_ctl metrics error_rate=0.2 cpu_percent=91 >/dev/null
	get /metrics | jq -e '.performance.error_rate==0.2 and .resources.cpu_percent==91'
	sim_ctl metrics reset >/dev/null
	get /metrics | jq -e '.performance.error_rate < 0.05'
	run sim_ctl health sick
	assert_failure 1
}

@test "kato-sim: sessions through KATO's routes and the control port" {
	id=$(curl -sS -X POST "$KATO_API_URL/sessions" | jq -r .session_id)
	get /sessions/count | jq -e '.active_session_count==1'
	curl -sS -X DELETE "$KATO_API_URL/sessions/$id" | jq -e '.status=="deleted"'
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$KATO_API_URL/sessions/$id")" = 404 ]
	sim_ctl sessions create 3 >/dev/null
	sim_ctl sessions delete 1 >/dev/null
	get /sessions/count | jq -e '.active_session_count==2'
	get /status | jq -e '.sessions.total_sessions==4 and .sessions.active_sessions==2'
	get /metrics | jq -e '.sessions.total_created==4 and .sessions.total_deleted==2 and .active_sessions==2'
	sim_ctl sessions active 5 >/dev/null
	get /sessions/count | jq -e '.active_session_count==5'
}

@test "kato-sim: per-worker caches of /sessions/count disagree until they expire" {
	sim_ctl cache workers=3 ttl=2 >/dev/null
	get /sessions/count >/dev/null            # worker 0 caches 0
	sim_ctl sessions create 1 >/dev/null
	seen=$(for i in 1 2 3; do get /sessions/count | jq .active_session_count; done | tr '\n' ' ')
	[ "$seen" = "1 1 0 " ]                    # workers 1, 2 fresh; 0 stale
	sleep 2.1
	seen=$(for i in 1 2 3; do get /sessions/count | jq .active_session_count; done | tr '\n' ' ')
	[ "$seen" = "1 1 1 " ]
}

@test "kato-sim: --help; SIGTERM stops it" {
	run python3 "$KATO_SIM" --help
	assert_success
	assert_output --partial 'POST /mode'
	kill -TERM "$KATO_SIM_PID"
	# gone, or a zombie waiting for us to reap it
	wait_until 5 bash -c "[ \"\$(ps -o stat= -p $KATO_SIM_PID)\" = '' ] || ps -o stat= -p $KATO_SIM_PID | grep -q Z"
}

@test "kato-sim: a client that resets its connection mid-request is no error: no traceback, and it goes on serving" {
	start_kato_sim
	# half a request line, then a reset (SO_LINGER 0), on both ports
	for p in "$KATO_SIM_PORT" "$KATO_SIM_CONTROL"; do
		python3 - "$p" <<-'PY'
		import socket, struct, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		s.sendall(b"GET /hea")
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		s.close()
		PY
	done
	wait_until 10 bash -c 'curl -sf "$0/health" >/dev/null' "$KATO_API_URL"
	run cat "$BATS_TEST_TMPDIR/kato-sim.err"
	refute_output --partial Traceback
	refute_output --partial 'Exception occurred'
}
