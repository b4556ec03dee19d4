#!/usr/bin/python3
"""fakehub.py - a stand-in for kato-hub's socket, for kato-snapshot tests.

  fakehub.py SOCKET SNAP-FILE [--stats LINE] [--endless-sessions]

Answers each "snap" hello with the lines of SNAP-FILE and closes; with
--endless-sessions it then sends session_update messages for ever instead
of closing (the keyed messages a hub with very many sessions sends last).
Answers "stats" with LINE (if given) and closes.  Serves each connection
in a thread until killed.
"""
import argparse
import os
import socket
import threading

ap = argparse.ArgumentParser()
ap.add_argument("socket")
ap.add_argument("snap")
ap.add_argument("--stats")
ap.add_argument("--endless-sessions", action="store_true")
a = ap.parse_args()

SESSION = (b'{"type":"session_update","timestamp":"2026-11-25T18:45:00.000Z",'
           b'"op":"added","session":{"session_id":"session-%032x-1795632300000",'
           b'"node_id":"node-1","created_at":null,"last_accessed":null,'
           b'"expires_at":null,"ttl_ms":3600000,"access_count":1}}\n')


def serve(c):
    try:
        hello = b""
        while not hello.endswith(b"\n") and len(hello) < 64:
            b = c.recv(1)
            if not b:
                return
            hello += b
        if hello == b"snap\n":
            with open(a.snap, "rb") as f:
                c.sendall(f.read())
            i = 0
            while a.endless_sessions:
                c.sendall(b"".join(SESSION % (i + k) for k in range(1000)))
                i += 1000
        elif hello == b"stats\n" and a.stats:
            c.sendall(a.stats.encode() + b"\n")
    except OSError:
        pass
    finally:
        c.close()


try:
    os.unlink(a.socket)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(a.socket)
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
