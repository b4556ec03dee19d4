#!/usr/bin/env bats
# kato-stream across "hosts": network namespaces joined by a veth pair,
# Redis in one, put and get in the other; the link cut mid-stream.
# Needs root (ip netns).  Every namespace, veth and process is removed.

load lib/common
load lib/stream

setup() {
	[ "$(id -u)" = 0 ] || { echo "needs root for ip netns" >&2; return 1; }
	NS_R=klsr$$ NS_N=klsn$$
	NET=10.213.$(( $$ % 250 + 1 ))
	ip netns add "$NS_R"
	ip netns add "$NS_N"
	ip link add "klvr$$" type veth peer name "klvn$$"
	ip link set "klvr$$" netns "$NS_R"
	ip link set "klvn$$" netns "$NS_N"
	ip -n "$NS_R" addr add "$NET.1/30" dev "klvr$$"
	ip -n "$NS_N" addr add "$NET.2/30" dev "klvn$$"
	for ns in "$NS_R" "$NS_N"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_R" link set "klvr$$" up
	ip -n "$NS_N" link set "klvn$$" up
	OUT=$BATS_TEST_TMPDIR/out ERR=$BATS_TEST_TMPDIR/err PERR=$BATS_TEST_TMPDIR/put.err
	REDIS_PORT=6379
	# a password, as Redis wants for other hosts (and it must never show)
	REDIS_AUTH=netns-pass-$$
	spawn ip netns exec "$NS_R" redis-server --port "$REDIS_PORT" --bind "$NET.1" \
		--requirepass "$REDIS_AUTH" \
		--save '' --appendonly no --daemonize no --dir "$BATS_TEST_TMPDIR" \
		>"$BATS_TEST_TMPDIR/redis.log" 2>&1
	URL=redis://:$REDIS_AUTH@$NET.1:$REDIS_PORT
	export -f rn; export NS_N NET REDIS_PORT REDIS_AUTH
	wait_until 20 bash -c 'rn PING | grep -q PONG'
}

teardown() {
	stop_spawned
	ip netns del "$NS_R" 2>/dev/null || true
	ip netns del "$NS_N" 2>/dev/null || true
	! ip netns list | grep -q -e "$NS_R" -e "$NS_N"
	! ip link show "klvr$$" >/dev/null 2>&1
	assert_no_sanitizer_reports "$ERR" "$PERR"
}

# rn ARGS: redis-cli from the node's namespace
rn() { ip netns exec "$NS_N" redis-cli -h "$NET.1" -p "$REDIS_PORT" --no-auth-warning -a "$REDIS_AUTH" "$@"; }
rcli() { rn "$@"; }

@test "kato-stream across namespaces: the link cut mid-stream, no line missing or doubled" {
	spawn ip netns exec "$NS_N" "$KL_BIN/kato-stream" get --url "$URL" --timeout 0.5 s \
		>"$OUT" 2>"$ERR"
	wait_until 20 bash -c 'rn CLIENT LIST | grep -q cmd=xread'
	gen=$BATS_TEST_TMPDIR/gen
	mkfifo "$gen"
	spawn bash -c 'exec ip netns exec "$0" "$1" put --url "$2" --timeout 0.5 s <"$3" 2>>"$4"' \
		"$NS_N" "$KL_BIN/kato-stream" "$URL" "$gen" "$PERR"
	PUT_PID=$LAST_PID
	spawn bash -c "for i in \$(seq 1 500); do echo \"{\\\"n\\\":\$i}\"; sleep 0.02; done >$gen"
	GEN_PID=$LAST_PID
	wait_until 30 bash -c "[ \$(wc -l <$OUT) -ge 50 ]"
	ip -n "$NS_N" link set "klvn$$" down
	# both sides notice (put's XADD, get's XREAD go unanswered)
	wait_until 30 grep -q 'no answer within' "$PERR"
	wait_until 30 grep -q "$NET.1" "$ERR"
	ip -n "$NS_N" link set "klvn$$" up
	wait "$GEN_PID"
	wait "$PUT_PID"
	seq 1 500 | sed 's/.*/{"n":&}/' >"$BATS_TEST_TMPDIR/in"
	stream_lines s >"$BATS_TEST_TMPDIR/stream"
	diff "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/stream"
	wait_until 30 bash -c "[ \$(wc -l <$OUT) -ge 500 ]"
	diff "$BATS_TEST_TMPDIR/in" "$OUT"
	grep -q "reading from redis://$NET.1:$REDIS_PORT again" "$ERR"
	! grep -q "$REDIS_AUTH" "$ERR" "$PERR"
}
