# tests/lib/podman.bash - a real container engine for docker-stats' tests:
# Podman with runc, busybox containers, and its Docker-compatible API
# served on a socket the test chooses.  Load after lib/common.
#
# This machine's sandbox refuses crun and Podman's default ulimits, so
# every container runs with --runtime runc and explicit ulimits
# (DESIGN.md, "Test machines").  Podman's state is machine-wide: names
# carry a per-run prefix and are removed by the test that made them.

: "${KL_PODMAN_IMAGE:=localhost/kato-live-busybox:1}"
export KL_PODMAN_IMAGE

pm() { podman --runtime runc "$@"; }

# The busybox image, imported once (kept between runs: it is a few MB
# and importing it takes a second).
podman_image() {
	podman image exists "$KL_PODMAN_IMAGE" && return 0
	local d root bb
	d=$(mktemp -d)
	root=$d/root
	bb=$(command -v busybox) || { echo "busybox-static is not installed" >&2; return 1; }
	mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
	cp "$bb" "$root/bin/busybox"
	local a
	for a in $("$root/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	tar -C "$root" -cf "$d/image.tar" .
	podman import "$d/image.tar" "$KL_PODMAN_IMAGE" >/dev/null
	local rc=$?
	rm -rf "$d"
	return $rc
}

# podman_run NAME [podman run options --] CMD...: start a detached
# container from the busybox image.
podman_run() {
	local name=$1; shift
	local opts=()
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != -- ]; do opts+=("$1"); shift; done
		shift
	fi
	pm run -d --name "$name" --ulimit nofile=20000:20000 \
		--ulimit nproc=1000:1000 "${opts[@]}" "$KL_PODMAN_IMAGE" "$@" >/dev/null
}

# Remove containers by name (those that exist), at once.
podman_rm() {
	[ $# -gt 0 ] || return 0
	podman rm -f -t 0 --ignore "$@" >/dev/null 2>&1 || true
}

# podman_service ADDRESS LOG: serve Podman's Docker-compatible API on
# ADDRESS (unix:///path or tcp://127.0.0.1:port) in the background; sets
# PODMAN_SERVICE_PID.  Does not wait: see podman_service_ready.
podman_service() {
	podman system service --time=0 "$1" >"$2" 2>&1 3>&- &
	PODMAN_SERVICE_PID=$!
}

# Succeeds when the API at ADDRESS answers /_ping.
podman_service_ready() {
	case $1 in
	unix://*) curl -sf --max-time 2 --unix-socket "${1#unix://}" http://d/_ping >/dev/null ;;
	tcp://*)  curl -sf --max-time 2 "http://${1#tcp://}/_ping" >/dev/null ;;
	esac
}

# Stop a service started by podman_service, by its PID.
podman_service_stop() {
	local pid=${1:-$PODMAN_SERVICE_PID}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	local i
	for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# The CPU% podman stats reports for a container, as a bare number.
podman_cpu() {
	podman stats --no-stream --format json "$1" |
		jq -r '.[0].cpu_percent' | tr -d '%'
}

# The memory in use podman stats reports for a container, in bytes.
podman_mem_bytes() {
	podman inspect --format '{{.Id}}' "$1" >/dev/null || return 1
	podman stats --no-stream --format json "$1" | jq -r '.[0].mem_usage' |
		awk '{ v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[a-zA-Z]+$/, "", v);
		       m = u=="kB" ? 1e3 : u=="MB" ? 1e6 : u=="GB" ? 1e9 : 1;
		       printf "%d\n", v * m }'
}
