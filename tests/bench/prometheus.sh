#!/usr/bin/env bash
# tests/bench/prometheus.sh - one Prometheus scrape of a 50-container frame
# through websocketd: wall time and CPU (tests/bench/prometheus.py says
# how).  Target (issue 16): < 10 ms wall, < 2 ms CPU per scrape.
cd "$(dirname "$0")/../.." || exit 111
exec python3 tests/bench/prometheus.py
