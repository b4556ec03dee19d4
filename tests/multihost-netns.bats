#!/usr/bin/env bats
# Several Docker hosts as network namespaces: Redis in one, two collector
# hosts (each docker-stats against its own Podman service, its records
# into one Redis stream with kato-stream put), the pipeline (kato-stream
# get | kato-merge) in a fourth.  One collector host's link is cut: only
# its host and containers go stale in the frames while the other's keep
# flowing; the link comes back and so does the host.
# Needs root (ip netns) and Podman.  Every namespace, veth, process and
# container is removed afterwards.

load lib/common
load lib/podman

setup_file() {
	[ "$(id -u)" = 0 ] || { echo "needs root for ip netns" >&2; return 1; }
	export P="kato-mh$$"
	podman_image
	podman_rm "$P-a" "$P-b"
	podman_run "$P-a" sleep 3600
	podman_run "$P-b" sleep 3600
}

teardown_file() {
	podman_rm "$P-a" "$P-b"
}

# link NS HOSTPART: a veth pair from Redis' namespace to NS, addresses
# $NET.(HOSTPART) on Redis' side and $NET.(HOSTPART+1) on NS's side.
link() {
	local ns=$1 n=$2
	ip link add "klm$n-$$" type veth peer name "klh$n-$$"
	ip link set "klm$n-$$" netns "$NS_R"
	ip link set "klh$n-$$" netns "$ns"
	ip -n "$NS_R" addr add "$NET.$n/30" dev "klm$n-$$"
	ip -n "$ns" addr add "$NET.$((n + 1))/30" dev "klh$n-$$"
	ip -n "$ns" link set lo up
	ip -n "$NS_R" link set "klm$n-$$" up
	ip -n "$ns" link set "klh$n-$$" up
}

setup() {
	NS_R=klmr$$ NS_A=klma$$ NS_B=klmb$$ NS_P=klmp$$
	NET=10.214.$(($$ % 250 + 1))
	T=$BATS_TEST_TMPDIR
	for ns in "$NS_R" "$NS_A" "$NS_B" "$NS_P"; do ip netns add "$ns"; done
	ip -n "$NS_R" link set lo up
	link "$NS_A" 1 # host-a: Redis at $NET.1, host-a at $NET.2
	link "$NS_B" 5 # host-b: $NET.5 / $NET.6
	link "$NS_P" 9 # the pipeline: $NET.9 / $NET.10
	REDIS_AUTH=mh-pass-$$
	spawn ip netns exec "$NS_R" redis-server --port 6379 \
		--bind "$NET.1 $NET.5 $NET.9" --requirepass "$REDIS_AUTH" \
		--save '' --appendonly no --daemonize no --dir "$T" >"$T/redis.log" 2>&1
	wait_until 20 bash -c 'ip netns exec "$0" redis-cli -h "$1" --no-auth-warning -a "$2" PING | grep -q PONG' \
		"$NS_P" "$NET.9" "$REDIS_AUTH"
	OUT=$T/frames ERR=$T/merge.err
}

teardown() {
	stop_spawned
	local ns
	for ns in "$NS_R" "$NS_A" "$NS_B" "$NS_P"; do ip netns del "$ns" 2>/dev/null || true; done
	! ip netns list | grep -q -e "$NS_R" -e "$NS_A" -e "$NS_B" -e "$NS_P"
	! ip link show "klh1-$$" >/dev/null 2>&1
	! ip link show "klm1-$$" >/dev/null 2>&1
	assert_no_sanitizer_reports "$T"/*.err
}

# collector NS NAME REDIS-ADDRESS: a Docker host: a Podman service of its
# own (in NS), docker-stats on it naming itself NAME, its records put into
# Redis; each a process of its own, joined by a FIFO.
collector() {
	local ns=$1 name=$2 addr=$3 sock=$T/$2.sock
	spawn bash -c 'exec ip netns exec "$0" podman system service --time=0 "unix://$1" >"$2" 2>&1' \
		"$ns" "$sock" "$T/$name-podman.log"
	wait_until 30 podman_service_ready "unix://$sock"
	mkfifo "$T/$name.fifo"
	spawn bash -c 'exec ip netns exec "$0" "$1/docker-stats" --host "unix://$2" --name "^$3$" \
		--host-name "$4" --interval 1 --timeout 2 >"$5" 2>"$6"' \
		"$ns" "$KL_BIN" "$sock" "$P-${name#host-}" "$name" "$T/$name.fifo" "$T/$name-stats.err"
	spawn bash -c 'exec ip netns exec "$0" "$1/kato-stream" put --url "$2" --timeout 0.5 mh:docker-stats \
		<"$3" 2>"$4"' "$ns" "$KL_BIN" "redis://:$REDIS_AUTH@$addr:6379" "$T/$name.fifo" "$T/$name-put.err"
}

last_frame() { grep '"type":"realtime_update"' "$OUT" | tail -n 1; }
last_frame_is() { last_frame | jq -e -n "input | $1" >/dev/null; }

@test "two Docker hosts into one stream: one host's link cut, only its host and containers go stale while the other flows; link up, it recovers" {
	collector "$NS_A" host-a "$NET.1"
	collector "$NS_B" host-b "$NET.5"
	spawn bash -c 'exec ip netns exec "$0" "$1/kato-merge" --interval 0.5 --stale 4 \
		--run "$1/kato-stream get --url $2 --timeout 0.5 mh:docker-stats" >"$3" 2>"$4"' \
		"$NS_P" "$KL_BIN" "redis://:$REDIS_AUTH@$NET.9:6379" "$OUT" "$ERR"

	# Both hosts, each container with its host, both fresh.
	wait_until 60 last_frame_is '(.data.containers.containers | map([.host, .name, .stale])) ==
		[["host-a", "'"$P"'-a", null], ["host-b", "'"$P"'-b", null]]
		and (.stale | map(select(startswith("docker-stats"))) == [])
		and .data.containers.aggregated.container_count == 2' || { last_frame; cat "$T"/*.err; false; }

	ip -n "$NS_A" link set "klh1-$$" down
	wait_until 30 last_frame_is '.stale | index("docker-stats@host-a")' || { last_frame; false; }
	f=$(last_frame)
	# Only host-a: docker-stats itself and host-b are not stale; host-a's
	# container stays, marked; the totals are host-b's alone.
	run jq -c '[(.stale | map(select(startswith("docker-stats")))),
		(.data.containers.containers | map([.host, .stale])),
		.data.containers.aggregated.container_count,
		(.data.containers.hosts | map_values(.stale))]' <<<"$f"
	assert_output '[["docker-stats@host-a"],[["host-a",true],["host-b",null]],1,{"host-a":true,"host-b":false}]'
	# host-b keeps flowing while host-a is cut off: its newest record
	# moves on.
	ts0=$(jq -r '.data.containers.hosts["host-b"].ts' <<<"$f")
	wait_until 20 bash -c '[ "$(grep "\"type\":\"realtime_update\"" "$0" | tail -n 1 |
		jq -r ".data.containers.hosts[\"host-b\"].ts")" \> "$1" ]' "$OUT" "$ts0"
	run last_frame_is '(.stale | index("docker-stats@host-a")) and (.data.containers.hosts["host-b"].stale | not)'
	assert_success
	# host-a's put said it lost Redis (and never its password).
	wait_until 20 grep -q "$NET.1" "$T/host-a-put.err"

	ip -n "$NS_A" link set "klh1-$$" up
	wait_until 60 last_frame_is '(.stale | map(select(startswith("docker-stats"))) == [])
		and (.data.containers.containers | map(.stale) == [null, null])
		and .data.containers.aggregated.container_count == 2' || { last_frame; false; }
	! grep -q "$REDIS_AUTH" "$T"/*.err
}
