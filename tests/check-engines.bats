#!/usr/bin/env bats
# scripts/check-engines: every npm package the project pins must run on the
# Node.js Debian 12 ships, whatever Node the machine running the check has.

load lib/common

@test "the packages the project pins all run on Debian 12's Node" {
	cd "$TOP"
	run scripts/check-engines
	assert_success
	assert_output ''
}

@test "a pin that needs Node 20 fails the check and is named" {
	run "$TOP/scripts/check-engines" "$TOP/tests/fixtures/engines/node20-lock.json"
	assert_failure 1
	assert_output --partial 'playwright-core@1.65.1 needs node >=20; Debian 12 ships 18.19.0'
	refute_output --partial 'fine@'
}

@test "check-engines reads npm's range grammar" {
	lock() { printf '{"packages":{"node_modules/p":{"version":"1","engines":{"node":"%s"}}}}' "$1" >"$BATS_TEST_TMPDIR/l.json"; }
	for r in '>=18' '>= 18.0.0' '^18.12.0 || >=20' '16 - 18' '18.x' '~18.19.0' '*' '>=14 <19'; do
		lock "$r"
		run "$TOP/scripts/check-engines" "$BATS_TEST_TMPDIR/l.json"
		[ "$status" -eq 0 ] || { echo "range $r refused" >&2; false; }
	done
	for r in '>=20' '^20.0.0' '>=18.20.0' '16 - 17.5' '>=14 <18' '~18.20.0' '20.x'; do
		lock "$r"
		run "$TOP/scripts/check-engines" "$BATS_TEST_TMPDIR/l.json"
		[ "$status" -eq 1 ] || { echo "range $r admitted" >&2; false; }
	done
	run "$TOP/scripts/check-engines" --node 20.0.0 "$BATS_TEST_TMPDIR/l.json"
	assert_success
}

@test "check-engines: an unreadable lock file is a system failure, a bad option a usage error" {
	run "$TOP/scripts/check-engines" "$BATS_TEST_TMPDIR/missing.json"
	assert_failure 111
	assert_output --partial 'unable to read'
	run "$TOP/scripts/check-engines" --bogus
	assert_failure 100
}
