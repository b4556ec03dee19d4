#!/usr/bin/env bats
# Beyond one machine, on one machine: scripts/kato-live in its roles, the
# parts meeting only in a real redis-server on a loopback port.

load lib/common
load lib/redis
load lib/stream
load lib/katosim

PY3=/usr/bin/python3

setup() {
	start_redis
	start_kato_sim
	export REDIS_URL KATO_LIVE_STREAM=frames KATO_LIVE_INTERVAL=0.5
	export DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock
}

teardown() {
	stop_spawned
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

# launch NAME ARGS...: scripts/kato-live ARGS, stdout NAME.out, stderr NAME.err
launch() {
	local name=$1; shift
	spawn "$TOP/scripts/kato-live" --bin "$KL_BIN" "$@" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&-
}

# web_node NAME: a web node on a free port; its port in $PORT
web_node() {
	PORT=$(free_port)
	launch "$1" --role web --port "$PORT" --socket "$BATS_TEST_TMPDIR/$1/hub.sock"
	wait_until 60 test -s "$BATS_TEST_TMPDIR/$1.out" || {
		cat "$BATS_TEST_TMPDIR/$1.err" >&2; return 1; }
}

stream_has() { [ "$(rcli XLEN frames)" -ge "$1" ]; }

@test "kato-live: a bad role is a usage error; --web-only is for role all" {
	run "$TOP/scripts/kato-live" --bin "$KL_BIN" --role everything
	assert_failure 100
	assert_output --partial 'KATO_LIVE_ROLE=everything: want all, pipeline, web or collector'
	run env KATO_LIVE_ROLE=web "$TOP/scripts/kato-live" --bin "$KL_BIN" --web-only
	assert_failure 100
}

@test "kato-live roles: one pipeline puts frames into Redis; two web nodes serve the same frame sequence" {
	launch pipeline --role pipeline
	wait_until 60 stream_has 2 || { cat "$BATS_TEST_TMPDIR/pipeline.err" >&2; false; }
	# what goes into Redis is the frames themselves, made once, there
	rcli --raw XREVRANGE frames + - COUNT 20 | grep -m1 realtime_update | jq -e '.type == "realtime_update"'
	web_node web1
	P1=$PORT
	web_node web2
	P2=$PORT
	# pipeline runs no web endpoint and no hub of its own
	[ ! -s "$BATS_TEST_TMPDIR/pipeline.out" ]
	for n in 1 2; do
		eval "p=\$P$n"
		spawn "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 30 "ws://127.0.0.1:$p/?ping=0" \
			expect connected count realtime_update 10 close \
			>"$BATS_TEST_TMPDIR/client$n.out" 2>"$BATS_TEST_TMPDIR/client$n.log"
		eval "C$n=\$LAST_PID"
	done
	wait "$C1"
	wait "$C2"
	for n in 1 2; do
		grep '"type":"realtime_update"' "$BATS_TEST_TMPDIR/client$n.out" >"$BATS_TEST_TMPDIR/f$n"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/f$n")" -ge 10 ]
	done
	# the same frames, byte for byte, from the first one both saw on
	first=$(jq -r .timestamp "$BATS_TEST_TMPDIR/f2" | head -n 1)
	a=$(jq -r .timestamp "$BATS_TEST_TMPDIR/f1" | grep -n -F -x "$first" | cut -d: -f1)
	if [ -z "$a" ]; then
		first=$(jq -r .timestamp "$BATS_TEST_TMPDIR/f1" | head -n 1)
		b=$(jq -r .timestamp "$BATS_TEST_TMPDIR/f2" | grep -n -F -x "$first" | cut -d: -f1)
		a=1
	else
		b=1
	fi
	[ -n "$b" ]
	tail -n +"$a" "$BATS_TEST_TMPDIR/f1" | head -n 7 >"$BATS_TEST_TMPDIR/s1"
	tail -n +"$b" "$BATS_TEST_TMPDIR/f2" | head -n 7 >"$BATS_TEST_TMPDIR/s2"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/s1")" -ge 7 ]
	diff "$BATS_TEST_TMPDIR/s1" "$BATS_TEST_TMPDIR/s2"
	# and they are KATO's live frames, one per tick, none repeated
	[ -z "$(jq -r .timestamp "$BATS_TEST_TMPDIR/f1" | sort | uniq -d)" ]
	jq -e '.data.metrics.performance | has("error_rate")' "$BATS_TEST_TMPDIR/s1" >/dev/null
}

@test "kato-live roles: collector hosts' docker-stats reach the pipeline through Redis, each under its own name" {
	# each "host" has its own engine address; none answers
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/collector-host-engine.sock KATO_LIVE_HOST_NAME=dock-a \
		launch collector --role collector
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/other-host-engine.sock KATO_LIVE_HOST_NAME=dock-b \
		launch collector-b --role collector
	wait_until 60 bash -c '[ "$(redis-cli -p '"$REDIS_PORT"' XLEN frames:docker-stats)" -ge 2 ]' || {
		cat "$BATS_TEST_TMPDIR/collector.err" >&2; false; }
	PORT=$(free_port)
	KATO_LIVE_REMOTE_DOCKER=true launch all --port "$PORT"
	wait_until 60 test -s "$BATS_TEST_TMPDIR/all.out" || {
		cat "$BATS_TEST_TMPDIR/all.err" >&2; false; }
	url=$(cat "$BATS_TEST_TMPDIR/all.out")
	# the frame's containers section is the collector host's (its engine's
	# address in the error), not from a docker-stats of the pipeline's own
	wait_until 30 bash -c 'curl -s "${0}api/v1/system/container-stats" | jq -e ".source == \"docker-stats\" and (.error | test(\"collector-host-engine.sock\"))"' "$url"
	# both hosts, in one stream, each failing with its own engine's words
	wait_until 30 bash -c 'curl -s "${0}api/v1/system/container-stats" | jq -e "
		(.hosts[\"dock-a\"].error | test(\"collector-host-engine.sock\")) and
		(.hosts[\"dock-b\"].error | test(\"other-host-engine.sock\"))"' "$url"
	# role all with KATO_LIVE_STREAM also puts its frames into Redis
	wait_until 30 stream_has 1
}

# start_nginx PORT1 PORT2: etc/nginx/kato-live-nodes.conf in front of two
# web nodes, on a free port ($NGINX_PORT), without its TLS and password
# (tested with the one-node guard) so a plain client can use it.
start_nginx() {
	local d=$BATS_TEST_TMPDIR/nginx
	mkdir -p "$d/tmp"
	NGINX_PORT=$(free_port)
	sed -e "s|listen 443 ssl;|listen 127.0.0.1:$NGINX_PORT;|" -e '/listen \[::\]:443/d' \
		-e '/ssl_/d' -e '/auth_basic/d' -e '/Strict-Transport/d' \
		-e "s|10.0.0.11:8080|127.0.0.1:$1|" -e "s|10.0.0.12:8080|127.0.0.1:$2|" \
		"$TOP/etc/nginx/kato-live-nodes.conf" >"$d/site.conf"
	cat >"$d/nginx.conf" <<-CONF
	worker_processes 1;
	daemon off;
	user $(id -un);
	pid $d/nginx.pid;
	error_log $d/error.log;
	events { worker_connections 256; }
	http {
		access_log off;
		client_body_temp_path $d/tmp/body;
		proxy_temp_path $d/tmp/proxy;
		fastcgi_temp_path $d/tmp/fastcgi;
		uwsgi_temp_path $d/tmp/uwsgi;
		scgi_temp_path $d/tmp/scgi;
		include $d/site.conf;
	}
	CONF
	spawn nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	wait_until 20 port_open "$NGINX_PORT" || { cat "$d/error.log" >&2; return 1; }
}

@test "kato-live roles: nginx spreads browsers over two web nodes; one killed, its clients come back through the other" {
	launch pipeline --role pipeline
	wait_until 60 stream_has 2
	web_node web1
	P1=$PORT
	W1=$LAST_PID
	web_node web2
	P2=$PORT
	start_nginx "$P1" "$P2"
	ws=ws://127.0.0.1:$NGINX_PORT/ws?ping=0
	for c in a b; do
		spawn "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 30 "$ws" \
			expect connected count realtime_update 2 hold \
			>"$BATS_TEST_TMPDIR/$c.out" 2>"$BATS_TEST_TMPDIR/$c.log"
		eval "C_$c=\$LAST_PID"
		wait_until 30 bash -c "[ \$(grep -c realtime_update $BATS_TEST_TMPDIR/$c.out) -ge 2 ]"
	done
	# least_conn: one client on each node
	[ "$(ss -Htn state established "( dport = :$P1 )" | wc -l)" -eq 1 ]
	[ "$(ss -Htn state established "( dport = :$P2 )" | wc -l)" -eq 1 ]
	kill -TERM "$W1"
	wait "$W1" || true
	# the client on web1 is cut off; the one on web2 stays
	wait_until 20 bash -c "! kill -0 $C_a 2>/dev/null || ! kill -0 $C_b 2>/dev/null"
	kill -0 "$C_a" 2>/dev/null || kill -0 "$C_b" 2>/dev/null
	# reconnecting through nginx lands on the node that is left, with data
	for i in 1 2 3 4; do
		run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 20 "$ws" \
			expect connected expect realtime_update close
		assert_success
	done
	[ "$(ss -Htn state established "( dport = :$P1 )" | wc -l)" -eq 0 ]
}

@test "kato-live roles: Redis restarted mid-stream, the clients of both web nodes miss and double nothing" {
	stop_spawned   # setup's Redis has no persistence: this one keeps its data
	start_redis --appendonly yes --appendfsync always --dir "$BATS_TEST_TMPDIR"
	start_kato_sim
	launch pipeline --role pipeline
	wait_until 60 stream_has 2
	web_node web1
	P1=$PORT
	web_node web2
	P2=$PORT
	for n in 1 2; do
		eval "p=\$P$n"
		spawn "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 60 "ws://127.0.0.1:$p/?ping=0" \
			expect connected count realtime_update 16 close \
			>"$BATS_TEST_TMPDIR/client$n.out" 2>"$BATS_TEST_TMPDIR/client$n.log"
		eval "C$n=\$LAST_PID"
	done
	for n in 1 2; do
		wait_until 30 bash -c "[ \$(grep -c realtime_update $BATS_TEST_TMPDIR/client$n.out) -ge 4 ]"
	done
	kill_redis
	restart_redis
	wait "$C1"
	wait "$C2"
	# each client's frames are a stretch of the stream's, none left out or twice
	stream_lines frames | grep '"type":"realtime_update"' >"$BATS_TEST_TMPDIR/stream"
	for n in 1 2; do
		grep '"type":"realtime_update"' "$BATS_TEST_TMPDIR/client$n.out" >"$BATS_TEST_TMPDIR/f$n"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/f$n")" -eq 16 ]
		first=$(head -n 1 "$BATS_TEST_TMPDIR/f$n")
		at=$(grep -n -F -x -- "$first" "$BATS_TEST_TMPDIR/stream" | cut -d: -f1)
		[ -n "$at" ]
		tail -n +"$at" "$BATS_TEST_TMPDIR/stream" | head -n 16 | diff - "$BATS_TEST_TMPDIR/f$n"
	done
	# and the restart fell inside what they saw: frames were made meanwhile
	grep -q 'adding to redis://127.0.0.1:[0-9]* again' "$BATS_TEST_TMPDIR/pipeline.err"
}
