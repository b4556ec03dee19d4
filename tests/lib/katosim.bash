# tests/lib/katosim.bash - a simulated KATO for bats tests.  Load it after
# lib/common:
#   load lib/common
#   load lib/katosim
#
#   start_kato_sim [kato-sim options...]   e.g. --workers 3 --cache-ttl 1
#       starts scripts/kato-sim on two free loopback ports, waits until both
#       answer, and exports
#         KATO_SIM_PORT     the KATO port
#         KATO_SIM_CONTROL  the control port
#         KATO_API_URL      http://127.0.0.1:$KATO_SIM_PORT
#         KATO_SIM_PID      its PID (also registered for stop_spawned)
#       Its stderr goes to $BATS_TEST_TMPDIR/kato-sim.err.
#   sim_ctl COMMAND ARGS...                 scripts/kato-simctl on it, e.g.
#       sim_ctl mode down;  sim_ctl mode slow delay=5
#       sim_ctl mode 500 routes=/health;  sim_ctl health degraded
#       sim_ctl metrics error_rate=0.2;   sim_ctl sessions create 2
#       sim_ctl cache workers=3 ttl=1;    sim_ctl state
#     Prints the simulator's new state; fails if the simulator refused.
#   sim_state EXPR                          jq EXPR over the state, e.g.
#       sim_state .sessions.active
#
# Teardown must call stop_spawned (lib/common) as usual.

KATO_SIM=$TOP/scripts/kato-sim
KATO_SIMCTL=$TOP/scripts/kato-simctl

start_kato_sim() {
	local port ctl try
	for try in 1 2 3; do
		port=$(free_port)
		ctl=$(free_port)
		[ "$port" != "$ctl" ] || continue
		spawn python3 "$KATO_SIM" --port "$port" --control-port "$ctl" "$@" \
			2>>"$BATS_TEST_TMPDIR/kato-sim.err"
		KATO_SIM_PID=$LAST_PID
		if wait_until 10 port_open "$ctl" && wait_until 5 port_open "$port"; then
			export KATO_SIM_PORT=$port KATO_SIM_CONTROL=$ctl KATO_SIM_PID
			export KATO_API_URL=http://127.0.0.1:$port
			return 0
		fi
		# lost a race for a port: stop it and try others
		kill -TERM "$KATO_SIM_PID" 2>/dev/null
		wait "$KATO_SIM_PID" 2>/dev/null
	done
	echo "start_kato_sim: the simulator did not come up:" >&2
	cat "$BATS_TEST_TMPDIR/kato-sim.err" >&2
	return 1
}

sim_ctl() {
	python3 "$KATO_SIMCTL" -p "$KATO_SIM_CONTROL" "$@"
}

sim_state() {
	sim_ctl state | jq -r "$1"
}

# wait_exit PID SECONDS: wait up to SECONDS for PID (a child of this shell)
# to end; set EXIT_STATUS to its status.  Fails, leaving it running, if it
# did not end in time.
wait_exit() {
	local pid=$1 limit=$2 st
	local end=$((SECONDS + limit))
	while :; do
		st=$(ps -o stat= -p "$pid" 2>/dev/null) || st=
		case $st in ''|Z*) break ;; esac
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
	EXIT_STATUS=0
	wait "$pid" || EXIT_STATUS=$?
	return 0
}

# lines_matching FILE JQ-FILTER: how many lines of FILE the filter accepts.
lines_matching() {
	jq -c "select($2)" "$1" 2>/dev/null | wc -l
}

# has_lines FILE JQ-FILTER N: FILE holds at least N lines the filter
# accepts (a function, so wait_until re-evaluates it each time).
has_lines() {
	[ "$(lines_matching "$1" "$2")" -ge "$3" ]
}

# sim_requests PATH N: the simulator has served at least N requests for PATH.
sim_requests() {
	[ "$(sim_state ".requests[\"$1\"] // 0")" -ge "$2" ]
}
