# tests/lib/nginx.bash - Debian's nginx on loopback with the shipped guard
# (etc/nginx/kato-live.conf) in front of a kato-live.  Load after
# lib/common.
#
#   start_guard UPSTREAM_PORT
#       makes a self-signed certificate for 127.0.0.1 (openssl req) and an
#       htpasswd line for ops:$GUARD_PW (openssl passwd -apr1), copies the
#       shipped config with only its addresses and file paths changed
#       (listen 127.0.0.1:free port, upstream 127.0.0.1:UPSTREAM_PORT, the
#       certificate, the password file), checks it with nginx -t and runs
#       nginx -p DIR -c FILE with daemon off, every path in DIR.  Exports
#       GUARD_PORT, GUARD_URL (https://127.0.0.1:PORT), GUARD_DIR, and
#       SSL_CERT_FILE and CURL_CA_BUNDLE (the certificate, so that Python
#       and curl trust it).

GUARD_USER=ops
GUARD_PW=guard-pw-1

start_guard() {
	local up=$1 d=$BATS_TEST_TMPDIR/nginx try port
	GUARD_DIR=$d
	mkdir -p "$d/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/openssl.err" || return 1
	printf '%s:%s\n' "$GUARD_USER" "$(openssl passwd -apr1 "$GUARD_PW")" >"$d/htpasswd"
	for try in 1 2 3; do
		port=$(free_port)
		_guard_conf "$up" "$port" || return 1
		nginx -t -q -p "$d" -c "$d/nginx.conf" -e "$d/error.log" || return 1
		spawn nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 2>>"$d/nginx.err"
		if wait_until 10 port_open "$port"; then
			export GUARD_PORT=$port GUARD_URL=https://127.0.0.1:$port GUARD_DIR
			export SSL_CERT_FILE=$d/cert.pem CURL_CA_BUNDLE=$d/cert.pem
			return 0
		fi
		kill -TERM "$LAST_PID" 2>/dev/null
		wait "$LAST_PID" 2>/dev/null
	done
	cat "$d/error.log" >&2
	return 1
}

# _guard_conf UPSTREAM LISTEN: the shipped server block with test paths, and
# a main config holding it.  Fails if a line it changes is not there.
_guard_conf() {
	local d=$GUARD_DIR src=$TOP/etc/nginx/kato-live.conf line
	for line in 'listen 443 ssl;' 'listen \[::\]:443 ssl;' 'server 127.0.0.1:8080;' \
		'ssl_certificate ' 'ssl_certificate_key ' 'auth_basic_user_file '; do
		grep -q "^[[:space:]]*$line" "$src" || { echo "nginx: '$line' not in $src" >&2; return 1; }
	done
	sed -e "s|^\([[:space:]]*\)listen 443 ssl;|\1listen 127.0.0.1:$2 ssl;|" \
		-e '/^[[:space:]]*listen \[::\]:443 ssl;/d' \
		-e "s|^\([[:space:]]*\)server 127.0.0.1:8080;|\1server 127.0.0.1:$1;|" \
		-e "s|^\([[:space:]]*ssl_certificate\) .*|\1 $d/cert.pem;|" \
		-e "s|^\([[:space:]]*ssl_certificate_key\) .*|\1 $d/key.pem;|" \
		-e "s|^\([[:space:]]*auth_basic_user_file\) .*|\1 $d/htpasswd;|" \
		"$src" >"$d/kato-live.conf"
	{
		[ "$(id -u)" != 0 ] || echo 'user root root;'
		cat <<-EOF
		daemon off;
		worker_processes 1;
		pid $d/nginx.pid;
		error_log $d/error.log info;
		events { worker_connections 256; }
		http {
			access_log $d/access.log;
			client_body_temp_path $d/tmp/body;
			proxy_temp_path $d/tmp/proxy;
			fastcgi_temp_path $d/tmp/fastcgi;
			uwsgi_temp_path $d/tmp/uwsgi;
			scgi_temp_path $d/tmp/scgi;
			include $d/kato-live.conf;
		}
		EOF
	} >"$d/nginx.conf"
}
