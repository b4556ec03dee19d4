# tests/lib/snapshot.bash - kato-snapshot behind a real websocketd --cgidir.
# Load after lib/common and lib/hub.
#
#   start_cgi [websocketd options...]
#       writes the CGI tree with scripts/kato-live --cgi-tree (wrappers
#       running $KL_BIN/kato-snapshot on $HUB_SOCKET), starts websocketd on
#       a free port with it, and exports CGI_PORT, CGI_URL, CGI_PID.
#       websocketd's log and kato-snapshot's stderr go to
#       $BATS_TEST_TMPDIR/cgi.err.  Call it before start_hub: websocketd
#       would otherwise hold the hub's input FIFO open.
#   get PATH [curl options]   curl -si $CGI_URL$PATH; sets $output (the
#       whole response), $HTTP_STATUS, $HEADERS, $BODY
#   frame [jq filter]         a realtime_update frame timestamped now,
#       changed by the filter (e.g. '.data.containers = {"error":"x"}')

start_cgi() {
	_hub_socket
	CGI_TREE=$BATS_TEST_TMPDIR/cgi
	KATO_LIVE_ENV_FILE= "$TOP/scripts/kato-live" --cgi-tree "$CGI_TREE" \
		--bin "$KL_BIN" --socket "$HUB_SOCKET" 2>/dev/null 3>&- || return 1
	local try port
	for try in 1 2 3; do
		port=$(free_port)
		spawn websocketd --address 127.0.0.1 --port "$port" --maxforks 50 \
			--cgidir "$CGI_TREE" --staticdir "$TOP/web" "$@" /bin/cat \
			2>>"$BATS_TEST_TMPDIR/cgi.err" >/dev/null 3>&-
		CGI_PID=$LAST_PID
		if wait_until 10 port_open "$port"; then
			export CGI_PORT=$port CGI_URL=http://127.0.0.1:$port CGI_PID
			return 0
		fi
	done
	return 1
}

get() {
	local path=$1; shift
	output=$(curl -si --max-time 10 "$@" "$CGI_URL$path" | tr -d '\r')
	HTTP_STATUS=$(printf '%s\n' "$output" | sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')
	HEADERS=$(printf '%s\n' "$output" | sed '/^$/q')
	BODY=$(printf '%s\n' "$output" | sed '1,/^$/d')
}

frame() {
	local ts
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
	jq -c --arg ts "$ts" ".timestamp = \$ts | ${1:-.}" "$TOP/tests/fixtures/snapshot-frame.json"
}
