#!/usr/bin/env bash
# tests/bench/page.sh - what a frame costs the dashboard page in Chromium
# (tests/bench/page-frame.mjs): script, style and layout time per
# realtime_update with 50 and 300 containers.  Needs /usr/bin/chromium and
# tests/browser's playwright-core (scripts/install-deps).
cd "$(dirname "$0")/../.." || exit 111
for n in 50 300; do
	node tests/bench/page-frame.mjs web "$n" 40 || exit 1
done
