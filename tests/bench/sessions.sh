#!/usr/bin/env bash
# tests/bench/sessions.sh - kato-sessions: event latency, CPU, memory and
# the SCAN fallback's cost with 10,000 sessions in a real redis-server
# (tests/bench/sessions.py does the measuring).
set -eu
cd "$(dirname "$0")/../.."
raw=build/bench/sessions
mkdir -p "$raw"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize no >"$raw/redis.log" 2>&1 &
rpid=$!
trap 'kill -TERM $rpid 2>/dev/null; wait $rpid 2>/dev/null' EXIT
for _ in $(seq 100); do
	[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
	sleep 0.05
done
python3 tests/bench/sessions.py bin "$port" "$raw" "$@"
