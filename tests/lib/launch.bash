# tests/lib/launch.bash - scripts/kato-live (no demo) as an operator runs
# it, and raw WebSocket handshakes against it.  Load after lib/common.
#
#   launch [kato-live options...]
#       starts scripts/kato-live with the tools from $KL_BIN on a free
#       loopback port, its hub socket in the test's folder, and waits for
#       the URL it prints.  Exports LAUNCH_PORT, LAUNCH_URL, LAUNCH_PID;
#       its stdout (the URL) goes to $BATS_TEST_TMPDIR/launch.out, its
#       stderr (with websocketd's log) to launch.err.  The settings come
#       from the caller's environment (no env file).
#   handshake PORT [ORIGIN]
#       sends a WebSocket handshake (with that Origin header, or none) to
#       127.0.0.1:PORT and prints the HTTP status of the answer (403...),
#       then drops the connection.  For refusals: an accepted connection
#       dropped like that can make websocketd 0.4.1 panic (it calls Close
#       on the nil writer a failed send leaves); use ws_accepts.
#   ws_accepts URL [ORIGIN]
#       a WebSocket client (with that Origin, or none) gets "connected" at
#       URL and closes with a close handshake.

launch() {
	local try
	for try in 1 2 3; do
		LAUNCH_PORT=$(free_port)
		KATO_LIVE_ENV_FILE= spawn "$TOP/scripts/kato-live" --bin "$KL_BIN" \
			--port "$LAUNCH_PORT" --socket "$BATS_TEST_TMPDIR/run/hub.sock" "$@" \
			>"$BATS_TEST_TMPDIR/launch.out" 2>>"$BATS_TEST_TMPDIR/launch.err" 3>&-
		LAUNCH_PID=$LAST_PID
		if wait_until 60 grep -q '^http://' "$BATS_TEST_TMPDIR/launch.out"; then
			LAUNCH_URL=$(grep -m1 '^http://' "$BATS_TEST_TMPDIR/launch.out")
			export LAUNCH_PORT LAUNCH_URL LAUNCH_PID
			return 0
		fi
		kill -TERM "$LAUNCH_PID" 2>/dev/null
		wait "$LAUNCH_PID" 2>/dev/null
	done
	echo "launch: kato-live did not start:" >&2
	cat "$BATS_TEST_TMPDIR/launch.err" >&2
	return 1
}

handshake() {
	python3 - "$@" <<-'PY'
	import socket, sys
	port = int(sys.argv[1])
	origin = sys.argv[2] if len(sys.argv) > 2 else None
	s = socket.create_connection(("127.0.0.1", port), timeout=10)
	req = (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
	       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	       "Sec-WebSocket-Version: 13\r\n")
	if origin is not None:
	    req += f"Origin: {origin}\r\n"
	s.sendall((req + "\r\n").encode())
	line = b""
	while not line.endswith(b"\r\n"):
	    c = s.recv(1)
	    if not c:
	        break
	    line += c
	s.close()
	parts = line.split()
	print(parts[1].decode() if len(parts) > 1 else "none")
	PY
}

ws_accepts() {
	local o=()
	[ -z "${2:-}" ] || o=(--origin "$2")
	/usr/bin/python3 "$TOP/tests/lib/wsclient.py" --timeout 15 "${o[@]}" "$1" \
		expect connected close >/dev/null
}
