# tests/lib/web.bash - the real pipeline, serving the dashboard, for the
# browser tests.  Load it after lib/common, lib/katosim and lib/podman:
#   load lib/common
#   load lib/katosim
#   load lib/podman
#   load lib/web
#
#   start_pipeline   (in setup_file) starts, all on loopback:
#       a simulated KATO (scripts/kato-sim);
#       two busybox containers in Podman and Podman's Docker-compatible API;
#       kato-merge --run kato-metrics --run docker-stats --run session-summary
#         | kato-alerts | kato-hub   (through FIFOs, so each PID is known);
#       websocketd --staticdir web --cgidir (kato-snapshot) running kato-sub;
#     the tools from $KL_BIN (plain or sanitizer build), a 1 s tick, and
#     exports
#       KL_URL            the page
#       KATO_SIM_CONTROL  the simulator's control port
#       KL_TICK_MS        the pipeline's tick
#       WEB_DIR           where the logs are (*.err)
#   stop_pipeline    (in teardown_file) stops exactly what start_pipeline
#                    started, by PID, and removes the containers.
#   browser_case NAME   runs tests/browser/dashboard.mjs NAME against it.

WEB_TICK=1

# The browser tests need Debian's chromium and playwright-core (both from
# scripts/install-deps).
require_browser() {
	[ -x /usr/bin/chromium ] || { echo "web: /usr/bin/chromium missing: run scripts/install-deps" >&2; return 1; }
	[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
		{ echo "web: playwright-core missing: run scripts/install-deps" >&2; return 1; }
}

# Remember a PID for stop_pipeline (bats keeps no arrays across setup_file).
web_pid() { echo "$1" >>"$WEB_DIR/pids"; }

start_pipeline() {
	require_browser || return 1
	export WEB_DIR=$BATS_FILE_TMPDIR/web
	export WEB_PREFIX="kato-web$$"
	mkdir -p "$WEB_DIR/cgi/api/v1/system" "$WEB_DIR/cgi/api/v1/sessions"
	: >"$WEB_DIR/pids"

	# the simulated KATO (its helper logs to $BATS_TEST_TMPDIR)
	BATS_TEST_TMPDIR=$WEB_DIR start_kato_sim || return 1
	web_pid "$KATO_SIM_PID"

	# containers for docker-stats to report: one idle, one a little busy
	podman_image || return 1
	podman_rm "$WEB_PREFIX-app" "$WEB_PREFIX-cache"
	podman_run "$WEB_PREFIX-app" sleep 3600 || return 1
	podman_run "$WEB_PREFIX-cache" --cpus 0.1 -- sh -c 'while :; do :; done' || return 1
	local host=unix://$WEB_DIR/podman.sock
	podman_service "$host" "$WEB_DIR/podman.err"
	web_pid "$PODMAN_SERVICE_PID"
	wait_until 30 podman_service_ready "$host" || { cat "$WEB_DIR/podman.err" >&2; return 1; }

	# the pipeline
	local hub=$WEB_DIR/hub.sock sessions=""
	mkfifo "$WEB_DIR/merged" "$WEB_DIR/alerted"
	[ -x "$KL_BIN/session-summary" ] &&
		sessions="$KL_BIN/session-summary --url $KATO_API_URL --interval $WEB_TICK"
	KATO_LIVE_INTERVAL=$WEB_TICK "$KL_BIN/kato-merge" --interval "$WEB_TICK" --stale 10 \
		--run "$KL_BIN/kato-metrics --url $KATO_API_URL --interval $WEB_TICK" \
		--run "$KL_BIN/docker-stats --host $host --name '^$WEB_PREFIX-' --interval $WEB_TICK" \
		${sessions:+--run "$sessions"} \
		>"$WEB_DIR/merged" 2>"$WEB_DIR/kato-merge.err" &
	web_pid $!
	"$KL_BIN/kato-alerts" <"$WEB_DIR/merged" >"$WEB_DIR/alerted" 2>"$WEB_DIR/kato-alerts.err" &
	web_pid $!
	"$KL_BIN/kato-hub" --socket "$hub" <"$WEB_DIR/alerted" 2>"$WEB_DIR/kato-hub.err" &
	web_pid $!
	wait_until 10 test -S "$hub" || { cat "$WEB_DIR"/*.err >&2; return 1; }

	# the HTTP fallback: kato-snapshot as CGI at the old backend's paths
	# (websocketd passes CGI children no environment of ours: settings
	# go in the wrapper)
	local p
	for p in health system/metrics system/container-stats sessions/count; do
		printf '#!/bin/sh\nASAN_OPTIONS=%s UBSAN_OPTIONS=%s exec %s --socket %s\n' \
			"${ASAN_OPTIONS:-}" "${UBSAN_OPTIONS:-}" "$KL_BIN/kato-snapshot" "$hub" \
			>"$WEB_DIR/cgi/api/v1/$p"
		chmod +x "$WEB_DIR/cgi/api/v1/$p"
	done

	local port
	port=$(free_port)
	KATO_LIVE_INTERVAL=$WEB_TICK websocketd --address 127.0.0.1 --port "$port" \
		--staticdir "$TOP/web" --cgidir "$WEB_DIR/cgi" --maxforks 50 \
		--passenv PATH,KATO_LIVE_INTERVAL,ASAN_OPTIONS,UBSAN_OPTIONS \
		"$KL_BIN/kato-sub" --socket "$hub" 2>"$WEB_DIR/websocketd.err" &
	web_pid $!
	wait_until 10 port_open "$port" || { cat "$WEB_DIR/websocketd.err" >&2; return 1; }
	export KL_URL=http://127.0.0.1:$port/ KL_TICK_MS=$((WEB_TICK * 1000))
	if [ -n "$sessions" ]; then export KL_SESSIONS=1; else export KL_SESSIONS=0; fi
}

stop_pipeline() {
	[ -n "${WEB_DIR:-}" ] && [ -f "$WEB_DIR/pids" ] || return 0
	local pid pids
	pids=$(tac "$WEB_DIR/pids")
	for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in $pids; do
		for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	: >"$WEB_DIR/pids"
	podman_rm "$WEB_PREFIX-app" "$WEB_PREFIX-cache"
}

browser_case() {
	KL_ARTIFACTS=$ARTIFACTS node "$TOP/tests/browser/dashboard.mjs" "$1"
}
