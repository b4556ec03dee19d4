#!/usr/bin/python3
"""pybcast.py - the old backend's broadcast design, as a benchmark baseline.

A plain asyncio `websockets` server (Debian's python3-websockets) that
reads NDJSON messages on stdin and, for each one, sends it to every
connected client in turn, awaiting each send: the loop of the Python
backend kato-live replaces (FastAPI's
`for connection in active_connections: await connection.send_text(m)`).

Usage: pybcast.py --port PORT [--host 127.0.0.1]
Runs until stdin closes or SIGTERM.  Run it with /usr/bin/python3: the
websockets module is Debian's package.
"""
import argparse
import asyncio
import signal
import sys

import websockets

clients = set()


async def handler(ws, path=None):
    clients.add(ws)
    try:
        await ws.send('{"type":"connected"}')
        async for _ in ws:  # drain what the client sends
            pass
    except websockets.ConnectionClosed:
        pass
    finally:
        clients.discard(ws)


async def pump(stop):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                 sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        msg = line.decode().rstrip("\n")
        for ws in list(clients):  # to each client in turn
            try:
                await ws.send(msg)
            except websockets.ConnectionClosed:
                clients.discard(ws)
    stop.set_result(None)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(handler, a.host, a.port, backlog=4096,
                                compression=None):
        task = asyncio.create_task(pump(stop))
        await stop
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
