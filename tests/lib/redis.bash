# tests/lib/redis.bash - a real redis-server for bats tests.  Load it
# after lib/common:
#
#   start_redis [redis-server options...]   e.g. --notify-keyspace-events 'K$gx'
#       starts Debian's redis-server on a free loopback port (no
#       persistence, --hz 100 so keys expire within ~10 ms of their time)
#       and exports REDIS_PORT, REDIS_PID (registered for stop_spawned)
#       and REDIS_URL=redis://127.0.0.1:$REDIS_PORT.  Its log goes to
#       $BATS_TEST_TMPDIR/redis.log.
#   rcli ARGS...        redis-cli against it
#   stop_redis          stop it (SIGTERM to its PID), wait for it to go
#   restart_redis       start it again on the same port, same options

REDIS_OPTS=()

redis_up() { [ "$(redis-cli -p "$REDIS_PORT" ${REDIS_AUTH:+-a "$REDIS_AUTH"} --no-auth-warning ping 2>/dev/null)" = PONG ] ||
	redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q NOAUTH; }

_spawn_redis() {
	spawn redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --hz 100 "${REDIS_OPTS[@]}" \
		>>"$BATS_TEST_TMPDIR/redis.log" 2>&1
	REDIS_PID=$LAST_PID
	export REDIS_PID
}

start_redis() {
	local try
	REDIS_OPTS=("$@")
	for try in 1 2 3; do
		REDIS_PORT=$(free_port)
		export REDIS_PORT REDIS_URL=redis://127.0.0.1:$REDIS_PORT
		_spawn_redis
		wait_until 10 redis_up && return 0
		kill -TERM "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
	done
	echo "start_redis: redis-server did not come up:" >&2
	cat "$BATS_TEST_TMPDIR/redis.log" >&2
	return 1
}

rcli() { redis-cli -p "$REDIS_PORT" --no-auth-warning "$@"; }

stop_redis() {
	kill -TERM "$REDIS_PID" 2>/dev/null || true
	wait "$REDIS_PID" 2>/dev/null || true
}

restart_redis() {
	_spawn_redis
	wait_until 10 redis_up
}
