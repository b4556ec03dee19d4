#!/usr/bin/env bats
# scripts/kato-live: the launcher.  --demo on a free port: the page, the
# HTTP fallback and the WebSocket with live data; SIGTERM stops every
# process it started; make install into a DESTDIR.

load lib/common

PY3=/usr/bin/python3

setup() {
	LAUNCHER_PID=
}

teardown() {
	stop_spawned
	[ -z "${KL_DEMO_CONTAINERS:-}" ] || podman rm -f -t 0 --ignore $KL_DEMO_CONTAINERS >/dev/null 2>&1 || true
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

# every descendant of PID, recursively
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# start_launcher ARGS...: scripts/kato-live on a free port; sets PORT, URL
start_launcher() {
	PORT=$(free_port)
	spawn "$TOP/scripts/kato-live" --bin "$KL_BIN" --port "$PORT" "$@" \
		>"$BATS_TEST_TMPDIR/url.out" 2>"$BATS_TEST_TMPDIR/launcher.err" 3>&-
	LAUNCHER_PID=$LAST_PID
	if ! wait_until 60 test -s "$BATS_TEST_TMPDIR/url.out"; then
		cat "$BATS_TEST_TMPDIR/launcher.err" >&2
		return 1
	fi
	URL=$(cat "$BATS_TEST_TMPDIR/url.out")
}

# stop_launcher: SIGTERM, then every process it started must be gone
stop_launcher() {
	local pids p
	pids=$(descendants "$LAUNCHER_PID")
	[ -n "$pids" ]
	kill -TERM "$LAUNCHER_PID"
	local rc=0
	wait_until 10 bash -c '! kill -0 "$0"' "$LAUNCHER_PID" || rc=1
	LAUNCHER_STATUS=0
	wait "$LAUNCHER_PID" 2>/dev/null || LAUNCHER_STATUS=$?
	for p in $pids; do
		if kill -0 "$p" 2>/dev/null; then
			echo "still running after SIGTERM: $(ps -o pid=,cmd= -p "$p")" >&2
			rc=1
		fi
	done
	return $rc
}

sessions_from_sim() {
	curl -sf "${URL}api/v1/sessions/count" | jq -e '.active_count == 3' >/dev/null
}

@test "kato-live --help shows the man page's synopsis; bad options are usage errors" {
	run "$TOP/scripts/kato-live" --help
	assert_success
	assert_line --index 0 --partial 'usage: kato-live [--demo] [--address ADDR] [--port PORT] [--origin ORIGINS]'
	run "$TOP/scripts/kato-live" --bogus
	assert_failure 100
	run "$TOP/scripts/kato-live" --port 99999
	assert_failure 100
	run env WEBSOCKET_ENABLED=maybe "$TOP/scripts/kato-live" --bin "$KL_BIN"
	assert_failure 100
	assert_output --partial 'WEBSOCKET_ENABLED=maybe: not a boolean'
}

@test "kato-live --demo serves the page, live data over HTTP and WebSocket, and SIGTERM stops everything it started" {
	# no container engine for this one: its section says so
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock KATO_LIVE_INTERVAL=0.5 \
		start_launcher --demo
	[ "$URL" = "http://127.0.0.1:$PORT/" ]

	run curl -sf "$URL"
	assert_success
	assert_output --partial '<html'

	# the simulator's KATO, through the whole pipeline and kato-snapshot
	wait_until 20 sessions_from_sim
	wait_until 20 bash -c 'curl -sf "${0}api/v1/system/metrics" | jq -e ".performance | has(\"error_rate\")"' "$URL" || {
		cat "$BATS_TEST_TMPDIR/launcher.err" >&2; curl -s "${URL}api/v1/system/metrics" >&2; false; }
	wait_until 20 bash -c 'curl -s "${0}api/v1/system/container-stats" | jq -e ".source == \"docker-stats\" and (.error | test(\"no-engine.sock\"))"' "$URL" || {
		curl -s "${URL}api/v1/system/container-stats" >&2; false; }

	# the WebSocket: connected, then a frame with KATO's metrics
	run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 15 "ws://127.0.0.1:$PORT/" \
		expect connected expect realtime_update close
	assert_success
	run bash -c 'grep realtime_update <<<"$0" | head -1 | jq -e ".data.metrics.performance.total_requests >= 0"' "$output"
	assert_success

	stop_launcher
	[ "$LAUNCHER_STATUS" = 0 ]
	# its scratch folder (CGI tree, hub socket) is gone
	run bash -c 'ls -d "${TMPDIR:-/tmp}"/kato-live.* 2>/dev/null | while read d; do [ -e "$d/cgi" ] && grep -l "$0" "$d"/cgi/api/v1/health; done' "$KL_BIN"
	refute_output --partial "$BATS_TEST_TMPDIR"
}

@test "WEBSOCKET_ENABLED=false: the page and the HTTP fallback stay, no WebSocket stream" {
	WEBSOCKET_ENABLED=false DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock \
		KATO_LIVE_INTERVAL=0.5 start_launcher --demo
	run curl -sf "$URL"
	assert_success
	wait_until 20 sessions_from_sim
	# the handshake is refused
	run curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Connection: Upgrade' \
		-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H "Origin: $URL" "$URL"
	assert_output 403
	run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 5 "ws://127.0.0.1:$PORT/" expect connected
	assert_failure
	refute_output --partial '"connected"'
	[ -z "$(pgrep -f "$KL_BIN/kato-sub" -P "$(pgrep -P "$LAUNCHER_PID" websocketd)" || true)" ]
	stop_launcher
}

@test "kato-live --demo with Podman: real container stats from demo containers, removed on exit" {
	command -v podman >/dev/null || skip "podman is not installed"
	unset DOCKER_HOST
	KATO_LIVE_INTERVAL=1 start_launcher --demo
	wait_until 60 bash -c 'curl -sf "${0}api/v1/system/container-stats" | jq -e --arg s "-$1" "[.containers[].name | select(startswith(\"kato-demo-\") and endswith(\$s))] | length == 2" >/dev/null' "$URL" "$LAUNCHER_PID" || {
		cat "$BATS_TEST_TMPDIR/launcher.err" >&2; curl -s "${URL}api/v1/system/container-stats" >&2; false; }
	KL_DEMO_CONTAINERS=$(curl -sf "${URL}api/v1/system/container-stats" | jq -r --arg s "-$LAUNCHER_PID" '.containers[].name | select(startswith("kato-demo-") and endswith($s))')
	stop_launcher
	# (Podman's state is machine-wide: only this launcher's containers,
	# named after its PID, are looked at)
	run podman ps -a --format '{{.Names}}' --filter name=kato-demo-
	assert_success
	# (refute_line trips over an empty output in this bats-assert)
	for c in $KL_DEMO_CONTAINERS; do
		if grep -qx -- "$c" <<<"$output"; then echo "$c was not removed" >&2; false; fi
	done
	KL_DEMO_CONTAINERS=
}

@test "make install DESTDIR=... PREFIX=/usr installs tools, launcher, man pages, web, env file and units" {
	local d=$BATS_TEST_TMPDIR/root
	# the plain build is what gets installed; do not rebuild it here
	run make -C "$TOP" -o all install DESTDIR="$d" PREFIX=/usr
	assert_success
	for f in usr/bin/kato-live usr/bin/kato-snapshot usr/bin/kato-hub usr/bin/kato-merge \
		usr/share/man/man1/kato-live.1 usr/share/man/man1/kato-snapshot.1 \
		usr/share/kato-live/web/index.html usr/share/kato-live/kato-sim \
		etc/kato-live/kato-live.env lib/systemd/system/kato-live.service \
		lib/systemd/system/kato-live-web.service; do
		[ -e "$d/$f" ] || { echo "missing $f"; false; }
	done
	[ -x "$d/usr/bin/kato-live" ]
	grep -q '^ExecStart=/usr/bin/kato-live --pipeline-only$' "$d/lib/systemd/system/kato-live.service"
	grep -q '^ExecStart=/usr/bin/kato-live --web-only$' "$d/lib/systemd/system/kato-live-web.service"
	grep -q '^Environment=KATO_LIVE_ENV_FILE=/etc/kato-live/kato-live.env$' "$d/lib/systemd/system/kato-live-web.service"
	# the tools read the env file themselves: systemd's grammar would keep
	# a trailing "# comment" in a value
	! grep -q '^EnvironmentFile=' "$d/lib/systemd/system/kato-live-web.service" "$d/lib/systemd/system/kato-live.service"
	# the installed launcher finds its own tools and web folder
	run "$d/usr/bin/kato-live" --cgi-tree "$BATS_TEST_TMPDIR/cgi" --socket /run/kato-live/hub.sock
	assert_success
	run cat "$BATS_TEST_TMPDIR/cgi/api/v1/sessions/count"
	assert_output --partial "exec '$d/usr/bin/kato-snapshot' --socket '/run/kato-live/hub.sock'"
	# an env file already there is kept
	echo 'KATO_API_URL=http://kato:8000' >"$d/etc/kato-live/kato-live.env"
	run make -C "$TOP" -o all install DESTDIR="$d" PREFIX=/usr
	assert_success
	[ "$(cat "$d/etc/kato-live/kato-live.env")" = 'KATO_API_URL=http://kato:8000' ]
}

# make_demo_stopped HOW: `make demo` on a pseudo-terminal, stopped as a user
# would (HOW: --ctrl-c, or --term-child kato-live for SIGTERM to the
# launcher); sets output and status from tests/lib/ptyrun.py.
make_demo_stopped() {
	PORT=$(free_port)
	run "$PY3" "$TOP/tests/lib/ptyrun.py" --timeout 90 --ready 'Ctrl-C stops it' "$@" -- \
		make -s -C "$TOP" demo DEMO_ARGS="--bin $KL_BIN --port $PORT"
}

@test "make demo stopped with Ctrl-C ends quietly and leaves nothing running" {
	make_demo_stopped --ctrl-c
	assert_success
	refute_output --partial 'make: ***'
	refute_output --partial 'Error'
	refute_output --partial 'ERROR'
	assert_output --partial 'running; Ctrl-C stops it'
	# nothing of this demo is left listening or running
	run port_open "$PORT"
	assert_failure
	run pgrep -f -- "--port $PORT"
	assert_failure
}

@test "make demo whose launcher gets SIGTERM exits 0 with no error line" {
	make_demo_stopped --term-child scripts/kato-live
	assert_success
	assert_line --partial 'status 0'
	refute_output --partial 'make: ***'
	refute_output --partial 'Error 143'
	run pgrep -f -- "--port $PORT"
	assert_failure
}

@test "stdout carries the URL only: websocketd's own log goes to stderr" {
	KATO_LIVE_WEB_LOGLEVEL=info DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock start_launcher --demo
	wait_until 20 grep -q 'Starting WebSocket server' "$BATS_TEST_TMPDIR/launcher.err"
	run curl -sf "$URL"
	assert_success
	stop_launcher
	run cat "$BATS_TEST_TMPDIR/url.out"
	assert_output "http://127.0.0.1:$PORT/"
}

@test "one env-file grammar: the launcher reads the env file exactly as the C tools do" {
	# the same fixture tests/unit/test_common.c checks common/cfg.c against
	run "$TOP/scripts/kato-live" --print-env --env-file "$TOP/tests/fixtures/env/grammar.env"
	assert_success
	diff <(echo "$output") "$TOP/tests/fixtures/env/grammar.expected"
	printf 'X="open\n' >"$BATS_TEST_TMPDIR/bad.env"
	run "$TOP/scripts/kato-live" --print-env --env-file "$BATS_TEST_TMPDIR/bad.env"
	assert_failure 100
	assert_output --partial "bad.env:1: quote not closed"
	# a C tool takes a commented value as the launcher does
	printf 'ALERT_CPU_THRESHOLD=30   # percent\n' >"$BATS_TEST_TMPDIR/c.env"
	run "$TOP/scripts/kato-live" --print-env --env-file "$BATS_TEST_TMPDIR/c.env"
	assert_output "ALERT_CPU_THRESHOLD=30"
	echo '{"type":"realtime_update","timestamp":"2026-11-25T18:45:00.000Z","data":{"containers":{"aggregated":{"total_cpu_percent":31.9}}}}' |
		KATO_LIVE_ENV_FILE=$BATS_TEST_TMPDIR/c.env "$KL_BIN/kato-alerts" --once >"$BATS_TEST_TMPDIR/once.out" || true
	grep -q '"id":"high_cpu"' "$BATS_TEST_TMPDIR/once.out"
}

@test "KATO_LIVE_PORT=PORT  # web port in the env file starts the launcher on PORT" {
	local port
	port=$(free_port)
	printf 'KATO_LIVE_PORT=%s  # web port\n' "$port" >"$BATS_TEST_TMPDIR/p.env"
	spawn "$TOP/scripts/kato-live" --bin "$KL_BIN" --demo --no-demo-containers \
		--env-file "$BATS_TEST_TMPDIR/p.env" \
		>"$BATS_TEST_TMPDIR/url.out" 2>"$BATS_TEST_TMPDIR/launcher.err" 3>&-
	LAUNCHER_PID=$LAST_PID
	wait_until 60 test -s "$BATS_TEST_TMPDIR/url.out" || { cat "$BATS_TEST_TMPDIR/launcher.err"; false; }
	grep -q ":$port/" "$BATS_TEST_TMPDIR/url.out"
	wait_until 30 port_open "$port"
	stop_launcher
}

# the pid of the descendant of the launcher running PROGRAM (a full path)
launched() {
	local p
	for p in $(descendants "$LAUNCHER_PID"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$1" ] && { echo "$p"; return 0; }
	done
	return 1
}

@test "a pipeline stage killed with -9 is restarted with backoff; websocketd stays, browsers get data again" {
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock KATO_LIVE_INTERVAL=0.5 \
		start_launcher --demo
	local ws merge
	ws=$(launched "$(command -v websocketd)")
	spawn "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 120 "ws://127.0.0.1:$PORT/?ping=0" hold \
		>"$BATS_TEST_TMPDIR/ws.out" 2>"$BATS_TEST_TMPDIR/ws.err"
	local client=$LAST_PID
	wait_until 30 grep -q '"type":"realtime_update"' "$BATS_TEST_TMPDIR/ws.out"
	# kato-merge or kato-alerts: the browser keeps its WebSocket
	for stage in kato-merge kato-alerts; do
		local pid before
		pid=$(launched "$KL_BIN/$stage")
		before=$(wc -l <"$BATS_TEST_TMPDIR/ws.out")
		kill -KILL "$pid"
		wait_until 30 grep -q "pipeline stopped: .*$stage was killed by signal 9 (KILL)" "$BATS_TEST_TMPDIR/launcher.err" || {
			cat "$BATS_TEST_TMPDIR/launcher.err" >&2; false; }
		# frames again on the same connection
		wait_until 60 bash -c "tail -n +$((before + 1)) '$BATS_TEST_TMPDIR/ws.out' | grep -q '\"type\":\"realtime_update\"'" || {
			cat "$BATS_TEST_TMPDIR/launcher.err" "$BATS_TEST_TMPDIR/ws.err" >&2; tail -n 5 "$BATS_TEST_TMPDIR/ws.out" >&2; false; }
		kill -0 "$client"
		[ "$(launched "$(command -v websocketd)")" = "$ws" ]
	done
	grep -q 'starting it again in 0.5 s' "$BATS_TEST_TMPDIR/launcher.err"
	# kato-hub: the pipes it wrote close with it, so the browser's
	# connection ends; a new one gets data from the restarted hub
	kill -KILL "$(launched "$KL_BIN/kato-hub")"
	wait_until 30 bash -c '! kill -0 "$0"' "$client"
	wait_until 30 grep -q "kato-hub stopped: kato-hub was killed by signal 9 (KILL)" "$BATS_TEST_TMPDIR/launcher.err"
	run "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 30 "ws://127.0.0.1:$PORT/?ping=0" expect realtime_update close
	assert_success
	[ "$(launched "$(command -v websocketd)")" = "$ws" ]
	stop_launcher
}

@test "websocketd dying is noticed even with a browser connected: the launcher stops with 111 and says how it died" {
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/no-engine.sock KATO_LIVE_INTERVAL=0.5 \
		start_launcher --demo
	spawn "$PY3" "$TOP/tests/lib/wsclient.py" --timeout 120 "ws://127.0.0.1:$PORT/?ping=0" hold \
		>"$BATS_TEST_TMPDIR/ws.out" 2>"$BATS_TEST_TMPDIR/ws.err"
	wait_until 30 grep -q '"type":"realtime_update"' "$BATS_TEST_TMPDIR/ws.out"
	kill -KILL "$(launched "$(command -v websocketd)")"
	wait_until 20 bash -c '! kill -0 "$0"' "$LAUNCHER_PID"
	local rc=0
	wait "$LAUNCHER_PID" || rc=$?
	[ "$rc" -eq 111 ]
	grep -q "websocketd was killed by signal 9 (KILL): stopping everything" "$BATS_TEST_TMPDIR/launcher.err"
}
