#!/usr/bin/env bats
# The systemd units and users (etc/*.service, etc/kato-live.sysusers):
# systemd-analyze verify and security on the installed units, the users
# systemd-sysusers makes from the file, and the separation they rely on
# (the web side reaches the hub's socket through its group; no one else
# does), tried with the same permissions under setpriv.  This machine has
# no systemd running, so the units themselves are not started here.

load lib/common

setup() {
	command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (Debian's systemd package)" >&2; return 1; }
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/etc"
	# installed under a private prefix, so ExecStart= and the man pages exist
	make -s -C "$TOP" -o all install PREFIX="$ROOT/usr" SYSCONFDIR="$ROOT/etc" \
		UNITDIR="$ROOT/lib/systemd/system" SYSUSERSDIR="$ROOT/usr/lib/sysusers.d" >/dev/null
	UNITS=("$ROOT/lib/systemd/system/kato-live.service" "$ROOT/lib/systemd/system/kato-live-web.service")
	SHARED=
}

teardown() {
	stop_spawned
	[ -z "${HUB_FEED:-}" ] || exec {HUB_FEED}>&-
	[ -z "$SHARED" ] || rm -rf "$SHARED"
	assert_no_sanitizer_reports "$BATS_TEST_TMPDIR"/*.err
}

@test "units: systemd-analyze verify has nothing to say about the installed units" {
	run env MANPATH="$ROOT/usr/share/man" systemd-analyze verify "${UNITS[@]}"
	assert_success
	assert_output ''
}

@test "units: systemd-analyze security rates the pipeline at most 2.0 and the web endpoint at most 1.5" {
	local u
	for u in "${UNITS[@]}"; do
		systemd-analyze security --offline=yes "$u" >"$ARTIFACTS/security-${u##*/}.txt" 2>&1 || true
		tail -n 1 "$ARTIFACTS/security-${u##*/}.txt"
	done
	# (the threshold is on systemd's 0-100 scale: 20 = "2.0")
	systemd-analyze security --offline=yes --threshold=20 "${UNITS[0]}" >/dev/null
	systemd-analyze security --offline=yes --threshold=15 "${UNITS[1]}" >/dev/null
}

@test "units: the web side runs as its own user in the hub's group only; only the pipeline may get the Docker group" {
	local web=${UNITS[1]} pipe=${UNITS[0]}
	grep -qx 'User=kato-live-web' "$web"
	grep -qx 'Group=kato-live-hub' "$web"
	! grep -q '^SupplementaryGroups=' "$web"
	! grep -q '^DynamicUser=yes' "$web"
	grep -qx 'User=kato-live' "$pipe"
	grep -qx '#SupplementaryGroups=docker' "$pipe"
	grep -qx 'Environment=KATO_HUB_GROUP=kato-live-hub' "$web"
	grep -qx 'Environment=KATO_HUB_GROUP=kato-live-hub' "$pipe"
	grep -qx 'RuntimeDirectoryMode=0750' "$pipe"
	for u in "${UNITS[@]}"; do
		grep -qx 'NoNewPrivileges=yes' "$u"
		grep -qx 'CapabilityBoundingSet=' "$u"
		grep -qx 'ProtectSystem=strict' "$u"
		grep -qx 'SystemCallFilter=@system-service' "$u"
	done
	# the users systemd-sysusers makes from the installed file
	run systemd-sysusers --root="$ROOT" "$ROOT/usr/lib/sysusers.d/kato-live.conf"
	assert_success
	local hub
	hub=$(awk -F: '$1 == "kato-live-hub" {print $3}' "$ROOT/etc/group")
	[ -n "$hub" ]
	[ "$(awk -F: '$1 == "kato-live-web" {print $4}' "$ROOT/etc/passwd")" = "$hub" ]
	[ "$(awk -F: '$1 == "kato-live" {print $4}' "$ROOT/etc/passwd")" = "$hub" ]
	# no one is added to any other group, nor anyone else to the hub's
	run awk -F: '$4 != ""' "$ROOT/etc/group"
	assert_output ''
	[ "$(awk -F: -v g="$hub" '$4 == g' "$ROOT/etc/passwd" | wc -l)" = 2 ]
}

# as UID GID CMD...: run CMD as that user and group, no other groups
as() { local u=$1 g=$2; shift 2; setpriv --reuid "$u" --regid "$g" --clear-groups "$@"; }

@test "units: as the units run them, the web user reaches the hub's socket through the group; another user cannot" {
	command -v setpriv >/dev/null || { echo "setpriv missing (util-linux)" >&2; return 1; }
	[ "$(id -u)" = 0 ] || { echo "needs root to switch users" >&2; return 1; }
	# the hub's group: one that exists here (the units use kato-live-hub)
	local group=nogroup gid pipe=60001 web=60002 other=60003
	gid=$(getent group "$group" | cut -d: -f3)
	[ -n "$gid" ]
	# /run/kato-live as RuntimeDirectory= makes it: pipeline:hub 0750
	SHARED=$(mktemp -d /tmp/kato-live-units.XXXXXX)
	chmod 0755 "$SHARED"
	install -d -m 0750 -o "$pipe" -g "$gid" "$SHARED/run"
	local sock=$SHARED/run/hub.sock
	mkfifo "$SHARED/hub.in"
	# kato-hub as the pipeline's user, with the unit's UMask=0007
	KATO_HUB_GROUP=$group spawn bash -c 'umask 0007; exec setpriv --reuid "$1" --regid "$2" --clear-groups "$3" --socket "$4" <"$0"' \
		"$SHARED/hub.in" "$pipe" "$gid" "$KL_BIN/kato-hub" "$sock" 2>>"$BATS_TEST_TMPDIR/hub.err" 3>&-
	exec {HUB_FEED}>"$SHARED/hub.in"
	wait_until 10 test -S "$sock" || { cat "$BATS_TEST_TMPDIR/hub.err" >&2; false; }
	jq -c --arg ts "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" '.timestamp = $ts' \
		"$TOP/tests/fixtures/snapshot-frame.json" >&"$HUB_FEED"
	# kato-snapshot as the web user: the frame
	export KATO_HUB_GROUP=$group
	wait_until 10 bash -c "$(declare -f as); as $web $gid \"\$0\" --socket \"\$1\" /api/v1/sessions/count >/dev/null 2>&1" \
		"$KL_BIN/kato-snapshot" "$sock"
	run as "$web" "$gid" "$KL_BIN/kato-snapshot" --socket "$sock" /api/v1/sessions/count
	assert_success
	assert_output --partial '"active_count"'
	# the same as a user outside the group: refused by the folder's mode
	run as "$other" "$other" "$KL_BIN/kato-snapshot" --socket "$sock" /api/v1/sessions/count
	assert_failure
	assert_output --partial 'ermission denied'
	refute_output --partial '"active_count":'
}
