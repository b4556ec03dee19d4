#!/usr/bin/env python3
"""A broken Docker engine for docker-stats' failure tests.

    fake-docker.py PORT MODE

/_ping answers like an engine (Api-Version 1.41) except in mode "noversion";
/containers/json answers according to MODE:
    garbage     HTTP 200 with a body that is not JSON
    500         HTTP 500 {"message": "engine on fire"}
    noversion   /_ping without an Api-Version header
Every request is logged on stdout as "GET <path>" for the test to read.
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, mode = int(sys.argv[1]), sys.argv[2]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body, ctype="application/json", version=True):
        b = body.encode()
        self.send_response(code)
        if version:
            self.send_header("Api-Version", "1.41")
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
        if mode == "garbage":
            return self.send(200, "<html>surprise</html>", "text/html")
        return self.send(500, '{"message":"engine on fire"}')

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
