#!/usr/bin/python3
"""wsclient.py - a WebSocket client for tests, scripted on the command line.

  wsclient.py [--timeout S] [--stamp] [--origin ORIGIN] URL COMMAND...

Commands run in order; every message received is printed on stdout, one
per line, as it arrives (with --stamp, a JSON object message gets
"_recv_ns": CLOCK_REALTIME nanoseconds when it was read):
  expect TYPE       read until a message of that type (fails after --timeout)
  count TYPE N      read until N messages of that type have arrived
  send TEXT         send one text message
  sendsize N        send a text message of N bytes ("x" * N)
  collect S         read for S seconds
  sleep S           wait S seconds without reading (buffered by the library)
  close             close the connection (a normal close handshake)
  hold              read until killed (or the server closes)
With --origin, the handshake carries that Origin header (as a browser's
would); without, none.
Exit 0 when the script ran; 1 on a timeout, 2 when the server closed the
connection early; the reason on stderr.

  wsclient.py stuck URL
a raw client with a tiny receive buffer that completes the handshake and
then never reads: prints "stuck" and sleeps until killed.

Debian's python3-websockets (10.x); run with /usr/bin/python3.
"""
import asyncio
import base64
import json
import os
import socket
import sys
import time
import urllib.parse


def out(msg, stamp):
    if stamp:
        try:
            j = json.loads(msg)
            if isinstance(j, dict):
                j["_recv_ns"] = time.time_ns()
                msg = json.dumps(j, separators=(",", ":"))
        except ValueError:
            pass
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def mtype(msg):
    try:
        j = json.loads(msg)
        return j.get("type") if isinstance(j, dict) else None
    except ValueError:
        return None


async def run(url, cmds, timeout, stamp, origin=None):
    import websockets
    async with websockets.connect(url, max_size=None, ping_interval=None,
                                  open_timeout=timeout, origin=origin) as ws:
        i = 0
        while i < len(cmds):
            c = cmds[i]
            if c == "expect" or c == "count":
                want = cmds[i + 1]
                n = int(cmds[i + 2]) if c == "count" else 1
                i += 3 if c == "count" else 2
                seen = 0
                deadline = time.monotonic() + timeout
                while seen < n:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        print(f"wsclient: timed out waiting for {want}", file=sys.stderr)
                        return 1
                    try:
                        msg = await asyncio.wait_for(ws.recv(), left)
                    except asyncio.TimeoutError:
                        continue
                    out(msg, stamp)
                    if mtype(msg) == want:
                        seen += 1
            elif c == "send":
                await ws.send(cmds[i + 1])
                i += 2
            elif c == "sendsize":
                await ws.send("x" * int(cmds[i + 1]))
                i += 2
            elif c == "collect":
                end = time.monotonic() + float(cmds[i + 1])
                i += 2
                while True:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        out(await asyncio.wait_for(ws.recv(), left), stamp)
                    except asyncio.TimeoutError:
                        break
            elif c == "sleep":
                await asyncio.sleep(float(cmds[i + 1]))
                i += 2
            elif c == "close":
                await ws.close()
                return 0
            elif c == "hold":
                while True:
                    out(await ws.recv(), stamp)
            else:
                print(f"wsclient: unknown command {c}", file=sys.stderr)
                return 100
    return 0


def stuck(url):
    u = urllib.parse.urlparse(url)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((u.hostname, u.port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {u.path or '/'} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            print("wsclient: handshake failed", file=sys.stderr)
            return 1
        head += chunk
    if b" 101 " not in head.split(b"\r\n")[0]:
        print("wsclient: handshake refused: " + head.decode(errors="replace"), file=sys.stderr)
        return 1
    print("stuck", flush=True)
    while True:
        time.sleep(3600)


def main():
    args = sys.argv[1:]
    timeout, stamp, origin = 10.0, False, None
    while args and args[0].startswith("--"):
        if args[0] == "--timeout":
            timeout = float(args[1])
            args = args[2:]
        elif args[0] == "--origin":
            origin = args[1]
            args = args[2:]
        elif args[0] == "--stamp":
            stamp = True
            args = args[1:]
        else:
            print(f"wsclient: unknown option {args[0]}", file=sys.stderr)
            return 100
    if args and args[0] == "stuck":
        return stuck(args[1])
    import websockets
    try:
        return asyncio.run(run(args[0], args[1:], timeout, stamp, origin))
    except websockets.exceptions.ConnectionClosed as e:
        print(f"wsclient: connection closed: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
