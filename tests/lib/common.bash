# tests/lib/common.bash - shared by every bats file: load it with
#   load lib/common
# It gives the binaries under test ($KL_BIN), a scratch dir per test,
# free loopback ports, waiting helpers, and process bookkeeping so a test
# stops exactly the processes it started, by PID.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${KL_BIN:=$TOP/bin}"
: "${KL_UNIT:=$TOP/build/unit}"
export KL_BIN KL_UNIT TOP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}
ARTIFACTS=$TOP/build/test-artifacts
mkdir -p "$ARTIFACTS"
PATH=$KL_BIN:$PATH

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS CMD...: run CMD every 50 ms until it succeeds.
wait_until() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Processes a test started: spawn CMD... in the background, remember it.
KL_PIDS=()
spawn() {
	"$@" &
	KL_PIDS+=($!)
	LAST_PID=$!
}

# Stop what spawn started (TERM, then KILL after 2 s), newest first.
stop_spawned() {
	local i pid
	for ((i = ${#KL_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${KL_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null || continue
	done
	for ((i = ${#KL_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${KL_PIDS[$i]}
		for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	KL_PIDS=()
}

# Fail if a sanitizer reported anything in the given stderr files.
# UBSan's reports are "FILE:LINE:COL: runtime error: ..."; a Go program's
# recovered panic ("http: panic serving ADDR: runtime error: ...", which
# websocketd 0.4.1 logs when it sends to a connection that just closed)
# is not ours and has no such position.
assert_no_sanitizer_reports() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|[^ :]+:[0-9]+:[0-9]+: runtime error:' "$f"; then
			echo "sanitizer report in $f:" >&2
			cat "$f" >&2
			return 1
		fi
	done
}
