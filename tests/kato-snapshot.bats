#!/usr/bin/env bats
# kato-snapshot: the HTTP fallback as CGI under a real websocketd --cgidir,
# answering from a real kato-hub fed by the test.

load lib/common
load lib/hub
load lib/snapshot

setup() {
	export HUB_SOCKET=$BATS_TEST_TMPDIR/hub/hub.sock
	mkdir -p -m 700 "$BATS_TEST_TMPDIR/hub" # the hub refuses a directory others can read
}

teardown() {
	stop_spawned
	hub_close_input
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

# a header's value (case-insensitive name) from $HEADERS
header() { printf '%s\n' "$HEADERS" | sed -n "s/^$1: *//Ip" | head -1; }

@test "kato-snapshot --help shows the man page's synopsis" {
	run "$KL_BIN/kato-snapshot" --help
	assert_success
	assert_line --index 0 --partial 'usage: kato-snapshot [--socket PATH] [--env-file FILE] [--timeout SECONDS]'
	run "$KL_BIN/kato-snapshot" --bogus
	assert_failure 100
	run "$KL_BIN/kato-snapshot"
	assert_failure 100
	assert_output --partial 'no PATH given'
}

@test "no hub: 503 with a JSON error saying the hub is not running" {
	start_cgi
	get /api/v1/system/metrics
	[ "$HTTP_STATUS" = 503 ]
	[ "$(header Content-Type)" = application/json ]
	[ "$(header Cache-Control)" = no-store ]
	[ -z "$(header Access-Control-Allow-Origin)" ]
	run jq -r .error <<<"$BODY"
	assert_output --partial "hub is not running"
	assert_output --partial "$HUB_SOCKET"
	jq -e '.timestamp | test("Z$")' <<<"$BODY"
}

@test "a hub with no frame yet: 503 no data yet on every path" {
	start_cgi
	start_hub
	for p in /api/v1/health /api/v1/system/metrics /api/v1/system/container-stats \
		/api/v1/sessions/count '/api/v1/system/container-stats?name=kato'; do
		get "$p"
		[ "$HTTP_STATUS" = 503 ] || { echo "$p: $output"; false; }
		jq -e '.error | test("no data yet")' <<<"$BODY"
	done
}

@test "with a frame: 200 and the old backend's bodies with JSON and no-store headers, no CORS" {
	start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1

	get /api/v1/system/metrics
	[ "$HTTP_STATUS" = 200 ]
	[ "$(header Content-Type)" = application/json ]
	[ "$(header Cache-Control)" = no-store ]
	[ -z "$(header Access-Control-Allow-Origin)" ]
	[ -n "$(header X-Data-Timestamp)" ]
	# KATO's /metrics body, its own timestamp kept, plus "stale"
	jq -e '.timestamp == 1795641435.5 and .performance.error_rate == 0.0025
	       and .error == null and .stale == []' <<<"$BODY"

	get /api/v1/health
	[ "$HTTP_STATUS" = 200 ]
	jq -e '.status == "degraded" and .kato.issues == ["slow"]
	       and .sources["docker-stats"].ok == true and .stale == []
	       and (.timestamp | test("Z$")) and .age_ms >= 0' <<<"$BODY"

	get /api/v1/system/container-stats
	[ "$HTTP_STATUS" = 200 ]
	jq -e '(.containers | map(.name)) == ["kato","kato-redis"]
	       and .aggregated.container_count == 2 and .stale == []
	       and .containers[1].cpu == null' <<<"$BODY"

	get /api/v1/sessions/count
	[ "$HTTP_STATUS" = 200 ]
	jq -e '.active_count == 3 and .total_count == 12
	       and .active_session_count == 3' <<<"$BODY"
}

@test "one container by name: its entry, 404 for an unknown one" {
	start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	get '/api/v1/system/container-stats?name=kato-redis'
	[ "$HTTP_STATUS" = 200 ]
	jq -e '.name == "kato-redis" and .memory.usage_bytes == null and .stale == []' <<<"$BODY"
	get '/api/v1/system/container-stats?name=kato-nope'
	[ "$HTTP_STATUS" = 404 ]
	[ "$(header Content-Type)" = application/json ]
	jq -e '.error == "no container named kato-nope"' <<<"$BODY"
}

@test "the /container-stats/NAME form works where the server passes PATH_INFO" {
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	# as Apache or lighttpd call it: the script, then the rest of the path
	run env REQUEST_METHOD=GET SCRIPT_NAME=/api/v1/system/container-stats \
		PATH_INFO=/kato "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET"
	assert_success
	assert_line --index 0 --partial 'Status: 200 OK'
	run bash -c 'sed "1,/^\r$/d" <<<"$0" | jq -e ".name == \"kato\""' "$output"
	assert_success
	# repeated and trailing slashes name the same path
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" '//api/v1/system//container-stats/?name=kato'
	assert_success
	# and as a shell command
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" /api/v1/system/container-stats/nope
	assert_failure 1
	assert_output --partial 'no container named nope'
	run "$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" /api/v1/nothing
	assert_failure 1
	assert_output --partial 'no such path'
}

@test "bad container names and query strings are refused with 400" {
	start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	local q
	for q in 'name=a%3Bb' 'name=' "name=$(printf 'x%.0s' {1..129})" 'name=a/b' \
		'name=kato&name=kato' 'foo=1' '_=abc' 'x%00=1' "t=$(printf '1%.0s' {1..600})"; do
		get "/api/v1/system/container-stats?$q"
		[ "$HTTP_STATUS" = 400 ] || { echo "$q: $output"; false; }
		jq -e '.error | type == "string"' <<<"$BODY"
	done
	get '/api/v1/sessions/count?name=kato'
	[ "$HTTP_STATUS" = 400 ]
	# cache busters are fine
	get '/api/v1/sessions/count?_=1732560000000&t=5'
	[ "$HTTP_STATUS" = 200 ]
	# a name with shell metacharacters never reaches a shell: it is refused
	run env REQUEST_METHOD=GET SCRIPT_NAME=/ \
		'PATH_INFO=/api/v1/system/container-stats/$(touch '"$BATS_TEST_TMPDIR"'/pwned)' \
		"$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET"
	assert_line --index 0 --partial 'Status: 400'
	[ ! -e "$BATS_TEST_TMPDIR/pwned" ]
}

@test "methods: POST is 405 with Allow, OPTIONS answers Allow, HEAD has no body" {
	start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	get /api/v1/health -X POST -d x=1
	[ "$HTTP_STATUS" = 405 ]
	[ "$(header Allow)" = 'GET, HEAD, OPTIONS' ]
	jq -e '.error | test("method")' <<<"$BODY"
	get /api/v1/health -X OPTIONS
	[ "$HTTP_STATUS" = 204 ]
	[ "$(header Allow)" = 'GET, HEAD, OPTIONS' ]
	[ -z "$(header Access-Control-Allow-Methods)" ]
	get /api/v1/health -I
	[ "$HTTP_STATUS" = 200 ]
	[ -z "$BODY" ]
}

@test "KATO_LIVE_CORS_ORIGIN: exactly that origin may read, with Vary: Origin; a bad value is refused" {
	KATO_LIVE_CORS_ORIGIN=https://ops.example.com:8443 start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	get /api/v1/system/metrics -H 'Origin: http://evil.example'
	[ "$HTTP_STATUS" = 200 ]
	[ "$(header Access-Control-Allow-Origin)" = https://ops.example.com:8443 ]
	[ "$(header Vary)" = Origin ]
	get /api/v1/health -X OPTIONS -H 'Origin: https://ops.example.com:8443'
	[ "$HTTP_STATUS" = 204 ]
	[ "$(header Access-Control-Allow-Methods)" = 'GET, HEAD, OPTIONS' ]
	# a value that could end the header line is a configuration error
	run bash -c 'REQUEST_METHOD=GET SCRIPT_NAME=/ PATH_INFO=/api/v1/health \
		"$KL_BIN/kato-snapshot" --socket "$HUB_SOCKET" --cors-origin "$0" 2>/dev/null' \
		$'http://a\r\nSet-Cookie: x=1'
	assert_line --index 0 --partial 'Status: 500'
	refute_output --partial 'Set-Cookie'
	refute_output --partial 'Access-Control-Allow-Origin'
}

@test "a section in error is 503 naming its source; stale data says so" {
	start_cgi
	start_hub
	hub_send "$(frame '.data.containers = {"error":"GET /_ping: Connection refused"} | .stale = ["docker-stats"]')"
	wait_retained 1
	get /api/v1/system/container-stats
	[ "$HTTP_STATUS" = 503 ]
	jq -e '.error == "docker-stats: GET /_ping: Connection refused"
	       and .source == "docker-stats" and .stale == true' <<<"$BODY"
	get /api/v1/sessions/count
	[ "$HTTP_STATUS" = 200 ]
	jq -e '.stale == []' <<<"$BODY"

	# a frame older than three intervals: the pipeline stopped
	hub_send "$(frame '.timestamp = "2026-01-01T00:00:00.000Z"')"
	wait_until 5 bash -c '[ "$(curl -s "$0/api/v1/sessions/count" | jq -c .stale)" = "[\"session-summary\"]" ]' "$CGI_URL"
	get /api/v1/health
	jq -e '.stale == ["kato-metrics","docker-stats","session-summary"] and .age_ms > 9000' <<<"$BODY"
}

@test "the hub going away turns answers into 503 again" {
	start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	get /api/v1/sessions/count
	[ "$HTTP_STATUS" = 200 ]
	hub_close_input
	wait_until 5 bash -c '! test -S "$0"' "$HUB_SOCKET"
	get /api/v1/sessions/count
	[ "$HTTP_STATUS" = 503 ]
	jq -e '.error | test("hub is not running")' <<<"$BODY"
}

@test "/api/v1/alerts: the alerts firing now (kato-alerts' active_alerts), stale when the frames stopped, 503 when unknown" {
	start_cgi
	start_hub
	hub_send "$(frame)"
	wait_retained 1
	get /api/v1/alerts
	[ "$HTTP_STATUS" = 503 ]
	jq -e '.error | test("no alert state")' <<<"$BODY"
	hub_send '{"type":"active_alerts","timestamp":"2026-11-25T18:45:09.000Z","alerts":[{"id":"container_down:kato-redis","level":"error","type":"container_down","message":"Container kato-redis is exited","container":"kato-redis","state":"firing"}]}'
	wait_retained 2
	get /api/v1/alerts
	[ "$HTTP_STATUS" = 200 ]
	[ "$(header Cache-Control)" = no-store ]
	jq -e '(.alerts | map(.id)) == ["container_down:kato-redis"] and .stale == false
	       and .timestamp == "2026-11-25T18:45:09.000Z" and .age_ms >= 0' <<<"$BODY"
	# frames that stopped an hour ago: what fires now is not known
	hub_send "$(frame | jq -c '.timestamp = "2026-11-25T17:45:00.000Z"')"
	wait_until 10 bash -c 'curl -s "$0/api/v1/alerts" | jq -e ".stale == true" >/dev/null' "$CGI_URL"
}

@test "a frame whose timestamp holds CR LF adds no header to the answer (X-Data-Timestamp only when it is a time)" {
	start_cgi
	start_hub
	hub_send "$(frame '.timestamp = "2026-12-02T07:00:00.000Z\r\nSet-Cookie: pwn=1; Path=/\r\nX-Evil: y"')"
	wait_retained 1
	get /api/v1/health
	[ -z "$(header Set-Cookie)" ]
	[ -z "$(header X-Evil)" ]
	[ -z "$(header X-Data-Timestamp)" ]
	hub_send "$(frame '.timestamp = "2026-12-02T07:00:03.000Z"')"
	wait_until 5 bash -c 'curl -sD - -o /dev/null "$0/api/v1/health" | grep -q "^X-Data-Timestamp: 2026-12-02T07:00:03.000Z"' "$CGI_URL"
}
