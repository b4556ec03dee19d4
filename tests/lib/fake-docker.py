#!/usr/bin/env python3
"""A broken Docker engine for docker-stats' failure tests.

    fake-docker.py PORT MODE

/_ping answers like an engine (Api-Version 1.41) except in mode "noversion";
/containers/json answers according to MODE:
    garbage     HTTP 200 with a body that is not JSON
    500         HTTP 500 {"message": "engine on fire"}
    noversion   /_ping without an Api-Version header
    v140        an engine of API 1.40 (before one-shot) with one container,
                kato-old, whose stats are tests/fixtures/docker/docker-v2-1.json
    v141        the same engine at API 1.41 (stats asked with one-shot=true)
    many        API 1.41, 12 containers kato-0 .. kato-11 whose stats take
                0.2 s each, and /info saying the host has 16 GiB (the
                fixture's limit: no limit); after each stats answer it logs
                "INFLIGHT n", the most stats requests it had at once
    huge        API 1.41, 30000 stopped containers with 120-byte names: a
                record over the 16 MiB line limit
Every request is logged on stdout as "GET <path>" for the test to read.
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, mode = int(sys.argv[1]), sys.argv[2]
version = "1.40" if mode == "v140" else "1.41"
one_shot = "&one-shot=true" if mode == "v141" else ""
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "fixtures", "docker", "docker-v2-1.json")) as f:
    stats = f.read()
old_id = "0123456789ab" * 5 + "0123"
old_list = ('[{"Id":"%s","Names":["/kato-old"],"State":"running",'
            '"NetworkSettings":{"Networks":{"bridge":{}}}}]' % old_id)


many_ids = ["%064x" % (i + 1) for i in range(12)]
many_list = "[" + ",".join(
    '{"Id":"%s","Names":["/kato-%d"],"State":"running",'
    '"NetworkSettings":{"Networks":{"bridge":{}}}}' % (cid, i)
    for i, cid in enumerate(many_ids)) + "]"
huge_list = None
if mode == "huge":
    huge_list = "[" + ",".join(
        '{"Id":"%064x","Names":["/kato-%s"],"State":"exited"}' % (i + 1, "%06d" % i + "x" * 113)
        for i in range(30000)) + "]"
lock = threading.Lock()
inflight = 0
most = 0


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body, ctype="application/json", with_version=True):
        b = body.encode()
        self.send_response(code)
        if with_version:
            self.send_header("Api-Version", version)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        print("GET", self.path, flush=True)
        if self.path == "/_ping":
            return self.send(200, "OK", "text/plain", mode != "noversion")
        if self.path == "/libpod/_ping":
            return self.send(404, '{"message":"page not found"}')
        if mode == "huge":
            if self.path == "/v1.41/containers/json?all=1":
                return self.send(200, huge_list)
            return self.send(404, '{"message":"no such route"}')
        if mode == "many":
            global inflight, most
            if self.path == "/info":
                return self.send(200, '{"MemTotal":%d}' % (16 << 30))
            if self.path == "/v1.41/containers/json?all=1":
                return self.send(200, many_list)
            if "/stats?" in self.path:
                with lock:
                    inflight += 1
                    most = max(most, inflight)
                time.sleep(0.2)
                with lock:
                    inflight -= 1
                    print("INFLIGHT", most, flush=True)
                return self.send(200, stats)
            return self.send(404, '{"message":"no such route"}')
        if mode in ("v140", "v141"):
            if self.path == "/v%s/containers/json?all=1" % version:
                return self.send(200, old_list)
            if self.path == "/v%s/containers/%s/stats?stream=false%s" % (version, old_id, one_shot):
                return self.send(200, stats)
            return self.send(404, '{"message":"no such route"}')
        if mode == "garbage":
            return self.send(200, "<html>surprise</html>", "text/html")
        return self.send(500, '{"message":"engine on fire"}')

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
