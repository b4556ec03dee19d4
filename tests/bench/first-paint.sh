#!/usr/bin/env bash
# tests/bench/first-paint.sh - page load to a drawn hour of history in
# Chromium (tests/bench/first-paint.mjs): the dashboard served by
# websocketd (static files and the history API as CGI, as kato-live
# serves them) over a store holding the last hour of 50 containers.
# Needs /usr/bin/chromium and tests/browser's playwright-core
# (scripts/install-deps).  WEB=DIR serves another copy of web/ (to
# compare; its history.js must set the marks).  Raw results in
# build/bench/first-paint/.
set -u
cd "$(dirname "$0")/../.." || exit 111
top=$PWD bin=$top/bin out=$top/build/bench/first-paint
rm -rf "$out" && mkdir -p "$out"
now=$(date +%s)
h0=$((now - now % 3 - 3597))
python3 tests/lib/histframes.py --containers 50 --rates --start "$h0" --count 1200 \
	--alert 100 --session 200 | "$bin/kato-history" --sink --dir "$out/store" || exit 1
KATO_LIVE_HISTORY_DIR=$out/store KATO_LIVE_ENV_FILE= scripts/kato-live --cgi-tree "$out/cgi" --bin "$bin" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
websocketd --address 127.0.0.1 --port "$port" --maxforks 50 --cgidir "$out/cgi" \
	--staticdir "${WEB:-$top/web}" /bin/cat >/dev/null 2>"$out/websocketd.err" &
ws=$!
trap 'kill $ws 2>/dev/null; wait $ws 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores)"
node tests/bench/first-paint.mjs "http://127.0.0.1:$port/" "${RUNS:-9}" | tee "$out/runs.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
