#!/usr/bin/env python3
"""faultserver: a small local HTTP server that misbehaves on demand.

It answers like a tiny Prometheus (/api/v1/query, /api/v1/query_range) and
Alertmanager (/api/v2/alerts) when healthy, and injects one fault at a time
otherwise. The fault is read from a mode file on every request, so a test can
switch it without restarting the server:

  ok        healthy answers
  hang      accept, read the request, never answer
  drip      send headers, then one body byte per second
  500       HTTP 500 with a short text body
  malformed HTTP 200 with broken JSON
  huge      HTTP 200 with a 100 MiB body, as fast as the client reads
  redirect  a redirect loop (302 to itself with a counter)
  echo      HTTP 400 whose body repeats the request's headers (Authorization too)
  dupfp     /api/v2/alerts answers two alerts with one fingerprint and different
            labels (a hostile or broken server); POST /api/v2/silences logs its
            body to stderr as "silence-body: ..." and answers a silence id

"Connection refused" needs no mode: the test stops the server.
Listens on 127.0.0.1 only. Every request is logged to stderr with its headers
so tests can check what was (not) sent. /counts also counts "METHOD /path"
and "proxied" (requests sent to it as an HTTP proxy, with an absolute URL).
With --tls CERT KEY it speaks HTTPS.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
COUNT_LOCK = threading.Lock()
COUNTS = {}


def mode():
    try:
        with open(ARGS.mode_file) as f:
            return f.read().strip() or "ok"
    except OSError:
        return "ok"


def prom_vector(value):
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"instance": "fault"}, "value": [time.time(), value]}]}}


def prom_matrix(value, start, end, step):
    points = []
    t = start
    while t <= end and len(points) < 11000:
        points.append([t, value])
        t += step
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"instance": "fault"}, "values": points}]}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def params(self):
        from urllib.parse import parse_qs, urlsplit
        q = parse_qs(urlsplit(self.path).query)
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            q.update(parse_qs(self.rfile.read(n).decode("utf-8", "replace")))
        return {k: v[0] for k, v in q.items()}

    def count(self, key):
        with COUNT_LOCK:
            COUNTS[key] = COUNTS.get(key, 0) + 1

    def send(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        for k, v in self.headers.items():
            sys.stderr.write("header %s: %s\n" % (k, v))
        if self.path.startswith("http://"):
            # Asked as a proxy: answer for the target as if it were us.
            from urllib.parse import urlsplit
            u = urlsplit(self.path)
            self.path = u.path + ("?" + u.query if u.query else "")
            self.count("proxied")
        path = self.path.split("?")[0]
        self.count(path)
        self.count(self.command + " " + path)
        m = mode()
        if m == "dupfp" and self.command == "POST" and path == "/api/v2/silences":
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            sys.stderr.write("silence-body: %s\n" % body)
            sys.stderr.flush()
            return self.send(200, json.dumps({"silenceID": "dup-0001"}))
        p = self.params()
        if path == "/counts":
            return self.send(200, json.dumps(COUNTS))
        if m == "hang":
            time.sleep(3600)
            return
        if m == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1)
            return
        if m == "500":
            return self.send(500, "internal error\n", "text/plain")
        if m == "echo":
            # a careless server: its error body repeats the request's headers
            return self.send(400, "bad request; you sent:\n" + str(self.headers), "text/plain")
        if m == "malformed":
            return self.send(200, '{"status":"success","data":{"resultType":"vector","result":[{')
        if m == "huge":
            size = 100 << 20
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * 65536
            sent = 0
            try:
                while sent < size:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            return
        if m == "redirect":
            n = int(p.get("hop", "0")) + 1
            self.send_response(302)
            self.send_header("Location", "%s?hop=%d" % (path, n))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        # "clock" makes the value change every second, to see refreshes land.
        value = str(int(time.time()) % 1000) if ARGS.value == "clock" else ARGS.value
        if path == "/api/v1/query":
            return self.send(200, json.dumps(prom_vector(value)))
        if path == "/api/v1/query_range":
            start, end, step = float(p.get("start", 0)), float(p.get("end", 0)), float(p.get("step", 15))
            return self.send(200, json.dumps(prom_matrix(value, start, end, step)))
        if path == "/api/v2/alerts" and m == "dupfp":
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            def alert(name, inst, sev):
                return {"labels": {"alertname": name, "instance": inst, "severity": sev},
                        "annotations": {"summary": name + " on " + inst},
                        "startsAt": now, "endsAt": now, "updatedAt": now, "fingerprint": "dddddddddddddddd",
                        "receivers": [{"name": "null"}],
                        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}
            # the twin comes first in the answer; the critical one first on screen
            return self.send(200, json.dumps([alert("HiddenTwin", "db-9", "warning"),
                                              alert("ShownFirst", "web-1", "critical")]))
        if path == "/api/v2/alerts":
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            return self.send(200, json.dumps([{
                "labels": {"alertname": "FaultServerUp", "severity": "info"},
                "annotations": {"summary": "the fault server is healthy"},
                "startsAt": now, "endsAt": now, "updatedAt": now, "fingerprint": "0f0f0f0f0f0f0f0f",
                "receivers": [{"name": "null"}],
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}]))
        return self.send(404, "not found\n", "text/plain")

    do_GET = handle_any
    do_POST = handle_any


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--mode-file", default="/nonexistent")
    ap.add_argument("--value", default="42", help='sample value, or "clock"')
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ARGS = ap.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    if ARGS.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
