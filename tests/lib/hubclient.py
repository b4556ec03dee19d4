#!/usr/bin/python3
"""hubclient.py - a tiny kato-hub subscriber for tests.

  hubclient.py SOCKET sub|snap|stats [--count N] [--timeout SECONDS]
  hubclient.py SOCKET stall

sub/snap/stats: send the hello, print every line received, stop after N lines
(sub) or when the hub closes; exit 1 on timeout (default 10 s) with what
arrived so far printed.  stall: subscribe with a tiny receive buffer and
never read (a stuck subscriber); runs until killed, or exits 0 when the
hub cuts it off (noticed every 0.2 s by peeking without reading).
"""
import argparse
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("socket")
ap.add_argument("mode", choices=["sub", "snap", "stats", "stall"])
ap.add_argument("--count", type=int, default=0)
ap.add_argument("--timeout", type=float, default=10)
a = ap.parse_args()

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if a.mode == "stall":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(a.socket)
if a.mode == "stall":
    s.sendall(b"sub\n")
    print("stalled", flush=True)
    # never read; watch for the hub hanging up (MSG_PEEK on a socket the
    # hub shut down returns b"" only once everything was consumed, so
    # check with poll for POLLHUP instead)
    import select
    p = select.poll()
    p.register(s, select.POLLRDHUP if hasattr(select, "POLLRDHUP") else select.POLLHUP)
    while True:
        for _, ev in p.poll(200):
            if ev & (select.POLLHUP | getattr(select, "POLLRDHUP", 0)):
                print("cut off", flush=True)
                sys.exit(0)
s.sendall(a.mode.encode() + b"\n")
deadline = time.monotonic() + a.timeout
buf = b""
n = 0
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        print("hubclient: timed out", file=sys.stderr)
        sys.exit(1)
    s.settimeout(left)
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        sys.stdout.write(line.decode() + "\n")
        sys.stdout.flush()
        n += 1
        if a.count and n >= a.count:
            sys.exit(0)
if a.mode == "sub":
    print("hubclient: the hub closed the connection", file=sys.stderr)
    sys.exit(2)
