# tests/lib/hub.bash - a kato-hub, a test producer and websocketd+kato-sub
# for bats tests.  Load it after lib/common:
#   load lib/common
#   load lib/hub
#
#   start_hub [kato-hub options...]
#       starts $KL_BIN/kato-hub reading a FIFO that the test holds open,
#       on $HUB_SOCKET (default: $BATS_TEST_TMPDIR/hub/hub.sock; call it
#       again after the hub died to start a new one on the same socket),
#       waits for the socket and exports
#         HUB_SOCKET, KATO_HUB_SOCKET   the socket path
#         HUB_PID                       its PID (also registered for stop_spawned)
#         HUB_FEED                      an fd of the test shell writing its stdin
#       stderr goes to $BATS_TEST_TMPDIR/hub.err (appended).
#   hub_send LINE...        write lines to the hub's stdin
#   hub_close_input         close HUB_FEED (the hub then drains and exits 0)
#   wait_retained N         wait (5 s) until a snap gets N messages
#   start_feed [hubfeed.py options...]   e.g. --interval 0.2 --events
#       a producer (tests/lib/hubfeed.py: realtime_update frames with
#       "seq" and "sent_ns") writing into the hub's FIFO; FEED_PID.
#   hub_client sub|snap|stats|stall [--count N] [--timeout S]
#       tests/lib/hubclient.py on $HUB_SOCKET
#   wait_subscribers N      wait (10 s) until the hub counts N plain
#                           subscribers (its stats line)
#   start_ws [websocketd options...]
#       websocketd on a free 127.0.0.1 port running $KL_BIN/kato-sub per
#       connection (--maxforks 100, --passenv for the variables kato-sub
#       and the sanitizers read); exports WS_PORT, WS_URL, WS_PID, and
#       KATO_HUB_SOCKET (= $HUB_SOCKET, default as for start_hub).
#       stderr (websocketd's log, kato-sub's stderr) goes to
#       $BATS_TEST_TMPDIR/ws.err.  KL_SUB_CMD overrides the command.
#   ws_client ARGS...       tests/lib/wsclient.py (see its header)
#   ws_run ARGS...          ws_client into $MSGS (and $output), status in $status
#   sub_pids                PIDs of kato-sub children of $WS_PID
#   wait_subs N [SECONDS]   wait until websocketd runs N of them
#
# Teardown: stop_spawned (lib/common), then hub_close_input.
# Every helper closes bats' fd 3 in its children, so bats never waits on
# them.

PY3=/usr/bin/python3   # Debian's, which has python3-websockets
HUB_LIB=$TOP/tests/lib
# The clients as commands, for the background: a function run with & is a
# subshell whose PID is not the client's, so start them as
#   "${WSCLIENT[@]}" ARGS... 3>&- &    (then $! is the client itself)
WSCLIENT=("$PY3" "$HUB_LIB/wsclient.py")
HUBCLIENT=("$PY3" "$HUB_LIB/hubclient.py")

_hub_socket() {
	: "${HUB_SOCKET:=$BATS_TEST_TMPDIR/hub/hub.sock}"
	export HUB_SOCKET KATO_HUB_SOCKET=$HUB_SOCKET
}

start_hub() {
	_hub_socket
	HUB_N=$((${HUB_N:-0} + 1))
	HUB_FIFO=$BATS_TEST_TMPDIR/hub.in.$HUB_N
	rm -f "$HUB_FIFO"
	mkfifo "$HUB_FIFO"
	# The child opens the FIFO for reading (that open blocks until the
	# test opens it for writing just below), then becomes kato-hub.
	spawn bash -c 'exec "$@" <"$0"' "$HUB_FIFO" "$KL_BIN/kato-hub" \
		--socket "$HUB_SOCKET" "$@" 2>>"$BATS_TEST_TMPDIR/hub.err" 3>&-
	HUB_PID=$LAST_PID
	[ -z "${HUB_FEED:-}" ] || exec {HUB_FEED}>&-
	exec {HUB_FEED}>"$HUB_FIFO"
	export HUB_PID HUB_FEED
	if ! wait_until 10 test -S "$HUB_SOCKET"; then
		echo "start_hub: no socket at $HUB_SOCKET:" >&2
		cat "$BATS_TEST_TMPDIR/hub.err" >&2
		return 1
	fi
}

hub_send() {
	local l
	for l in "$@"; do printf '%s\n' "$l" >&"$HUB_FEED"; done
}

hub_close_input() {
	[ -z "${HUB_FEED:-}" ] || exec {HUB_FEED}>&-
	HUB_FEED=
}

_retained_is() {
	[ "$("$PY3" "$HUB_LIB/hubclient.py" "$HUB_SOCKET" snap --timeout 2 | wc -l)" = "$1" ]
}

wait_retained() {
	wait_until 5 _retained_is "$1"
}

start_feed() {
	spawn "$PY3" "$HUB_LIB/hubfeed.py" "$@" >"$HUB_FIFO" 3>&- \
		2>>"$BATS_TEST_TMPDIR/feed.err"
	FEED_PID=$LAST_PID
}

hub_client() {
	"$PY3" "$HUB_LIB/hubclient.py" "$HUB_SOCKET" "$@" 3>&-
}

_subscribers_are() {
	[ "$("$PY3" "$HUB_LIB/hubclient.py" "$HUB_SOCKET" stats --timeout 2 | jq .subscribers)" = "$1" ]
}

wait_subscribers() {
	wait_until 10 _subscribers_are "$1"
}

start_ws() {
	local try port
	: "${KL_SUB_CMD:=$KL_BIN/kato-sub}"
	_hub_socket
	for try in 1 2 3; do
		port=$(free_port)
		spawn websocketd --address 127.0.0.1 --port "$port" --maxforks 100 \
			--passenv KATO_HUB_SOCKET,KATO_SUB_HEARTBEAT,KATO_SUB_SILENCE,KATO_LIVE_INTERVAL,KATO_LIVE_ENV_FILE,WEBSOCKET_SELECTIVE_SUBSCRIPTIONS,WEBSOCKET_CONTAINER_STATS,WEBSOCKET_SESSION_EVENTS,WEBSOCKET_SYSTEM_ALERTS,ASAN_OPTIONS,UBSAN_OPTIONS,PATH \
			"$@" "$KL_SUB_CMD" 2>>"$BATS_TEST_TMPDIR/ws.err" >/dev/null 3>&-
		WS_PID=$LAST_PID
		if wait_until 10 port_open "$port"; then
			export WS_PORT=$port WS_URL=ws://127.0.0.1:$port/ WS_PID
			return 0
		fi
		kill -TERM "$WS_PID" 2>/dev/null
		wait "$WS_PID" 2>/dev/null
	done
	echo "start_ws: websocketd did not come up:" >&2
	cat "$BATS_TEST_TMPDIR/ws.err" >&2
	return 1
}

ws_client() {
	"$PY3" "$HUB_LIB/wsclient.py" "$@" 3>&-
}

ws_run() {
	run ws_client "$@"
	MSGS=$output
}

sub_pids() {
	pgrep -P "$WS_PID" 2>/dev/null || true
}

# wait_subs N [SECONDS]: wait until websocketd has N children
_subs_are() { [ "$(sub_pids | wc -l)" = "$1" ]; }
wait_subs() { wait_until "${2:-5}" _subs_are "$1"; }
