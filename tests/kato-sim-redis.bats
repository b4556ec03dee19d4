#!/usr/bin/env bats
# The KATO simulator's Redis mode: sessions kept in a real redis-server
# exactly as KATO's RedisSessionManager keeps them.

load lib/common
load lib/katosim
load lib/redis

setup() { start_redis; start_kato_sim --redis "$REDIS_URL"; }
teardown() { stop_spawned; }

db_empty() { [ "$(rcli DBSIZE)" -eq 0 ]; }
api() { curl -sS --max-time 10 -X "$1" "$KATO_API_URL$2"; }

@test "kato-sim --redis: a session is KATO's key, json.dumps value, TTL, and the node key" {
	sid=$(api POST /sessions | jq -r .session_id)
	[[ $sid =~ ^session-[0-9a-f]{32}-[0-9]{13}$ ]]
	v=$(rcli GET "kato:session:$sid")
	# json.dumps: ", " and ": " separators, KATO's field order
	[[ $v == "{\"session_id\": \"$sid\", \"node_id\": \""* ]]
	echo "$v" | jq -e --arg s "$sid" '(keys_unsorted[0:6]==["session_id","node_id","created_at","last_accessed","expires_at","ttl_seconds"])
		and .ttl_seconds==3600 and (.created_at|test("\\+00:00$")) and .access_count==0
		and (keys_unsorted|index("access_count")) > (keys_unsorted|index("metadata_accumulator"))'
	node=$(echo "$v" | jq -r .node_id)
	[ "$(rcli GET "kato:session:node:$node:active")" = "$sid" ]
	ttl=$(rcli TTL "kato:session:$sid")
	[ "$ttl" -gt 3590 ] && [ "$ttl" -le 3600 ]
	api GET /sessions/count | jq -e '.active_session_count==1'
}

@test "kato-sim --redis: reading slides the TTL (EXPIRE), DELETE removes both keys, idle ones expire" {
	sid=$(api POST /sessions | jq -r .session_id)
	node=$(rcli GET "kato:session:$sid" | jq -r .node_id)
	rcli EXPIRE "kato:session:$sid" 100 >/dev/null
	api GET "/sessions/$sid" | jq -e --arg s "$sid" '.session_id==$s'
	[ "$(rcli TTL "kato:session:$sid")" -gt 3500 ]
	[ "$(rcli TTL "kato:session:node:$node:active")" -gt 3500 ]
	api DELETE "/sessions/$sid" | jq -e '.status=="deleted"'
	[ "$(rcli EXISTS "kato:session:$sid" "kato:session:node:$node:active")" -eq 0 ]
	api GET "/sessions/$sid" | jq -e '.detail|test("not found")'
	sim_ctl sessions create 2 ttl=1 | jq -e '[.ops[].op]==["create","create"]'

	wait_until 10 db_empty
	api GET /sessions/count | jq -e '.active_session_count==0'
}

@test "kato-sim --redis: update rewrites with SETEX (access_count + 1); the ops carry their times" {
	sim_ctl sessions create 1 >/dev/null
	out=$(sim_ctl sessions update 1)
	echo "$out" | jq -e '.ops[0].op=="update" and (.ops[0].t_ms|type=="number") and .redis==true'
	sid=$(echo "$out" | jq -r '.ops[0].session_id')
	rcli GET "kato:session:$sid" | jq -e '.access_count==1'
	run python3 "$KATO_SIMCTL" -p "$KATO_SIM_CONTROL" sessions touch 5
	assert_failure 1
	assert_output --partial "cannot touch 5 of 1 sessions"
}
