# tests/lib/stream.bash - Redis Streams helpers for the kato-stream tests.
# Load it after lib/common and lib/redis:
#   stream_lines KEY    the "line" field of each entry of KEY, in order
#   xread_waiting       some client is blocked in XREAD
#   kill_redis          SIGKILL to redis-server (no goodbye), wait for it

stream_lines() {
	rcli ${REDIS_AUTH:+-a "$REDIS_AUTH"} --raw XRANGE "$1" - + |
		awk 'prev == "line" { print } { prev = $0 }'
}

xread_waiting() { rcli CLIENT LIST | grep -q 'cmd=xread'; }

kill_redis() {
	kill -KILL "$REDIS_PID" 2>/dev/null || true
	wait "$REDIS_PID" 2>/dev/null || true
}
