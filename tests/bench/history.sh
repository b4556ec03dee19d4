#!/usr/bin/env bash
# tests/bench/history.sh - the history store with 50 containers (every
# container series: 7 each, 361 in all): disk at the default tiers, the
# store's memory and CPU per frame, and /api/v1/history for the page's
# 1 h, 24 h and 7 d questions through websocketd (CGI).  Figures as a Markdown
# table; raw results in build/bench/history/.
set -u
cd "$(dirname "$0")/../.." || exit 111
top=$PWD bin=$top/bin out=$top/build/bench/history
rm -rf "$out" && mkdir -p "$out"
store=$out/store
N=50
now=$(date +%s)
h0=$((now - now % 600 - 3600))     # the last hour, at 3 s
w0=$((h0 - 7 * 86400))             # the week before it, one frame a minute
gen() { python3 "$top/tests/lib/histframes.py" --containers "$N" --rates "$@"; }

# the week (per-minute frames), then the hour at 3 s, CPU and RSS of each run
gen --start "$w0" --count 10080 --step 60 >"$out/week.ndjson"
gen --start "$h0" --count 1200 --step 3 --alert 100 --session 200 >"$out/hour.ndjson"
/usr/bin/time -f '%U %S %M' -o "$out/week.time" "$bin/kato-history" --sink --dir "$store" <"$out/week.ndjson"
/usr/bin/time -f '%U %S %M' -o "$out/hour.time" "$bin/kato-history" --sink --dir "$store" <"$out/hour.ndjson"
# the cost of reading and parsing the same frames, without storing them
/usr/bin/time -f '%U %S %M' -o "$out/parse.time" jq -c 'empty' <"$out/hour.ndjson"
read -r hu hs hrss <"$out/hour.time"
read -r wu wsys wrss <"$out/week.time"
series=$("$bin/kato-history-query" --dir "$store" --now "$((h0 + 3600))" '/api/v1/history?since=-3&series=*' | jq '.series | length')
bytes=$(find "$store" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
blocks=$(ls "$store" | grep -c '^coarse\.')
perday=$((blocks * 1440 * 784))
hourday=$((blocks * 24 * 784))

# the page's questions, through websocketd
cgi=$out/cgi
KATO_LIVE_HISTORY_DIR=$store KATO_LIVE_ENV_FILE= scripts/kato-live --cgi-tree "$cgi" --bin "$bin" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
websocketd --address 127.0.0.1 --port "$port" --cgidir "$cgi" /bin/cat >/dev/null 2>"$out/websocketd.err" &
ws=$!
trap 'kill $ws 2>/dev/null; wait $ws 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
page_series='kato.requests_per_second,kato.error_rate,kato.response_time_s,host.cpu_percent,host.memory_percent,host.disk_percent,sessions.active,container.*.cpu_percent,container.*.memory_bytes,container.*.rx_bytes_per_s'
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ask() { # ask NAME QUERY: median of 21 requests, in ms; size of the answer;
	# and the CPU time of kato-history-query alone (median of 21, perf
	# stat's task-clock, ms)
	local i
	for i in $(seq 21); do
		perf stat -x, -e task-clock "$bin/kato-history-query" --dir "$store" "$2" 2>&1 >/dev/null |
			awk -F, '/task-clock/ {printf "%.1f\n", $1}'
	done | median >"$out/$1.cpums"
	for i in $(seq 21); do
		curl -s -o "$out/$1.json" -w '%{time_total}\n' "http://127.0.0.1:$port$2"
	done | awk '{printf "%.1f\n", $1 * 1000}' | median >"$out/$1.ms"
}
ask h1 "/api/v1/history?since=-3600&step=3&series=$page_series"
ask d1 "/api/v1/history?since=-86400&step=120&series=$page_series"
ask d7 "/api/v1/history?since=-604800&step=3600&series=$page_series"
ask ev "/api/v1/events?since=-604800"
# the server's clock decides the tier: now is within minutes of h0 + 1 h
jq -e '.tier == "fine" and (.time | length) >= 1200' "$out/h1.json" >/dev/null || echo "history.sh: the 1 h answer is not the fine tier" >&2
jq -e '.tier == "hour" and (.time | length) >= 168' "$out/d7.json" >/dev/null || echo "history.sh: the 7 d answer is not the hour tier" >&2

cat <<TABLE
| history store, $N containers ($series series) | measured | target |
| --- | --- | --- |
| disk, whole store (1 h at 3 s, 7 d at 1 min, 90 d at 1 h; fixed size) | $((bytes / 1000000)) MB | |
| disk per day of history (minute tier; hour tier) | $(awk -v b="$perday" 'BEGIN {printf "%.1f", b / 1e6}') MB; $(awk -v b="$hourday" 'BEGIN {printf "%.2f", b / 1e6}') MB | ≤ 20 MB |
| kato-history max RSS (1 h at 3 s; a week of 1-minute frames) | $(awk -v k="$hrss" 'BEGIN {printf "%.1f", k / 1024}') MB; $(awk -v k="$wrss" 'BEGIN {printf "%.1f", k / 1024}') MB | < 10 MB |
| kato-history CPU per frame (parse + store, 1 h at 3 s) | $(awk -v u="$hu" -v s="$hs" 'BEGIN {printf "%.2f", (u + s) * 1000 / 1200}') ms | < 1 ms |
| kato-history CPU per frame (a week of 1-minute frames) | $(awk -v u="$wu" -v s="$wsys" 'BEGIN {printf "%.2f", (u + s) * 1000 / 10080}') ms | |
| /api/v1/history 1 h, 3 s steps, page's series: wall through websocketd; CPU of the CGI (medians of 21) | $(cat "$out/h1.ms") ms; $(cat "$out/h1.cpums") ms CPU; $(($(stat -c %s "$out/h1.json") / 1000)) kB | < 50 ms |
| /api/v1/history 24 h, 2 min steps (minute tier), page's series: same | $(cat "$out/d1.ms") ms; $(cat "$out/d1.cpums") ms CPU; $(($(stat -c %s "$out/d1.json") / 1000)) kB | |
| /api/v1/history 7 d, 1 h steps (hour tier), page's series: same | $(cat "$out/d7.ms") ms; $(cat "$out/d7.cpums") ms CPU; $(($(stat -c %s "$out/d7.json") / 1000)) kB | < 50 ms |
| /api/v1/events 7 d: same | $(cat "$out/ev.ms") ms; $(cat "$out/ev.cpums") ms CPU | |
| machine load average during the run | $(cut -d' ' -f1-3 /proc/loadavg) (2 cores) | |
TABLE
