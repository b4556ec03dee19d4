# tests/lib/redis.bash - a real redis-server of the test's own.
#   start_redis [ARGS...]  redis-server on a free loopback port ($REDIS_PORT,
#                          $REDIS_URL), data in $REDIS_DIR, log $REDIS_DIR/log;
#                          ARGS go to redis-server (--requirepass, --appendonly)
#   stop_redis [SIGNAL]    stop it by its PID (default TERM) and wait for it
#   rcli ARGS...           redis-cli against it (with $REDIS_AUTH if set)
#   stream_lines KEY       the "line" field of each entry of KEY, in order
#   xread_waiting          some client is blocked in XREAD

start_redis() {
	: "${REDIS_PORT:=$(free_port)}"
	REDIS_DIR=${REDIS_DIR:-$BATS_TEST_TMPDIR/redis}
	mkdir -p "$REDIS_DIR"
	REDIS_ARGS=("$@")
	spawn redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize no \
		--dir "$REDIS_DIR" --save '' --logfile "$REDIS_DIR/log" "$@"
	REDIS_PID=$LAST_PID
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT
	wait_until 20 redis_up
}

redis_up() { rcli PING 2>/dev/null | grep -q PONG; }

stop_redis() {
	kill "-${1:-TERM}" "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null || true
}

rcli() {
	if [ -n "${REDIS_AUTH:-}" ]; then
		REDISCLI_AUTH=$REDIS_AUTH redis-cli -p "$REDIS_PORT" "$@"
	else
		redis-cli -p "$REDIS_PORT" "$@"
	fi
}

stream_lines() { rcli --raw XRANGE "$1" - + | awk 'prev == "line" { print } { prev = $0 }'; }

xread_waiting() { rcli CLIENT LIST | grep -q 'cmd=xread'; }
