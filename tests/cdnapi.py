#!/usr/bin/env python3
"""tests/cdnapi.py: a stand-in for the Cloudflare, Fastly and CloudFront purge
APIs, for tests/integration/cdn-api.sh. It checks each request exactly
(method, path, credential headers, body; for CloudFront it recomputes the AWS
SigV4 signature with the test secret) and answers in each API's documented
shape. The scenario is picked by the id in the path:

  Cloudflare zone    Fastly host          CloudFront distribution
  0000000000000ace   ok.example           EOK          accepted
  000000000000f403   e403.example         E403         403
  000000000000f429   e429.example         E429         429 (Retry-After: 1), then accepted
  00000000000fa15e   false.example        EFALSE       refused in the body (success false / error)
  000000000000ba0d   bad.example          EBAD         502 with an HTML body
  0000000000000307   e307.example         E307         307 to $CDNAPI_REDIRECT + the same path
  0000000000000308   e308.example         E308         308, the same way

The generic "http" provider's endpoint is POST /generic/purge?u=PATH with a
JSON body {"path": PATH, "url": EDGE + PATH, "paths": [PATH]}: the query must
hold exactly one parameter and the body exactly those keys, all naming the
same path, so a path that leaks out of its place (an '&' splitting the
query, a quote or a bare value breaking the JSON) is a failed check.

A redirect is an answer the client must not follow: the test gives
CDNAPI_REDIRECT as the address of another server and checks it heard nothing.

An accepted purge is carried out on the real edge (PURGE per path, BAN for
everything), so sitrep's re-probe sees what a real CDN would do. Every request
is appended as one JSON line to the log; a failed check is answered 400 and
logged with "check_failed", which the test looks for.

usage: cdnapi.py PORT EDGE_URL LOG TOKEN AWS_KEY_ID AWS_SECRET SITE_URL
"""
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, EDGE, LOG, TOKEN, AKID, SECRET, SITE = sys.argv[1:8]
REDIRECT = os.environ.get("CDNAPI_REDIRECT", "http://127.0.0.1:9")
seen_429 = set()


def edge(method, path):
    req = urllib.request.Request(EDGE + path, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        r.read()


def sigv4_check(h, method, path, query, body):
    """Recomputes curl's AWS SigV4 ("aws:amz:us-east-1:cloudfront")."""
    auth = h.headers.get("Authorization", "")
    m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/us-east-1/cloudfront/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
    if not m:
        return "Authorization is not a SigV4 header for us-east-1/cloudfront: " + auth
    key_id, day, signed, sig = m.groups()
    if key_id != AKID:
        return "wrong access key id " + key_id
    amz_date = h.headers.get("X-Amz-Date", "")
    if not amz_date.startswith(day):
        return "X-Amz-Date does not match the credential's day"
    names = signed.split(";")
    if "host" not in names or "x-amz-date" not in names:
        return "host and x-amz-date must be signed: " + signed
    canon_headers = "".join("%s:%s\n" % (n, " ".join(h.headers.get(n, "").split())) for n in names)
    payload = hashlib.sha256(body).hexdigest()
    canon = "\n".join([method, path, query, canon_headers, signed, payload])
    scope = "%s/us-east-1/cloudfront/aws4_request" % day
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (day, "us-east-1", "cloudfront", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return "SigV4 signature does not verify"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        path, _, query = self.path.partition("?")
        rec = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
               "body": body.decode("utf-8", "replace")}
        try:
            status, out, ctype, extra = self.route(path, query, body)
        except CheckFailed as e:
            rec["check_failed"] = str(e)
            status, out, ctype, extra = 400, json.dumps({"check_failed": str(e)}), "application/json", None
        rec["status"] = status
        with open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.answer(status, out, ctype, extra)

    def scenario(self, key, body):
        """(status, body, content type, headers) of the error scenarios, or None: accept."""
        for code in (307, 308):
            if key.endswith(str(code)):
                return code, body, "application/json", {"Location": REDIRECT + self.path}
        if key in seen_429 or not key.endswith("429"):
            return None
        seen_429.add(key)
        return 429, body, "application/json", {"Retry-After": "1"}

    def route(self, path, query, body):
        m = re.fullmatch(r"/client/v4/zones/([0-9a-f]+)/purge_cache", path)
        if m:
            return self.cloudflare(m.group(1), body)
        m = re.fullmatch(r"/service/([A-Za-z0-9]+)/purge_all", path)
        if m:
            return self.fastly(m.group(1), None)
        m = re.fullmatch(r"/purge/([a-z0-9.]+)(/.*)", path)
        if m:
            return self.fastly(m.group(1).split(".")[0], m.group(2))
        m = re.fullmatch(r"/2020-05-31/distribution/([A-Z0-9]+)/invalidation", path)
        if m:
            return self.cloudfront(m.group(1), path, query, body)
        if path == "/generic/purge":
            return self.generic(query, body)
        raise CheckFailed("no such API path: " + path)

    def cloudflare(self, zone, body):
        need(self.headers.get("Authorization") == "Bearer " + TOKEN, "Authorization is not the bearer token")
        need(self.headers.get("Content-Type") == "application/json", "Content-Type is not application/json")
        doc = json.loads(body)
        if doc == {"purge_everything": True}:
            paths = None
        else:
            need(list(doc) == ["files"] and isinstance(doc["files"], list), "body is not {\"files\": [...]}")
            need(1 <= len(doc["files"]) <= 100, "files must hold 1 to 100 URLs")
            need(all(f.startswith(SITE + "/") for f in doc["files"]), "files are not URLs of the site")
            paths = [f[len(SITE):] for f in doc["files"]]
        if zone.endswith("f403"):
            return 403, json.dumps({"success": False, "errors": [{"code": 10000, "message": "Authentication error"}],
                                    "messages": [], "result": None}), "application/json", None
        if zone.endswith("fa15e"):
            return 200, json.dumps({"success": False, "errors": [{"code": 1012, "message": "Request must contain one of purge_everything, files, tags, hosts or prefixes"}],
                                    "messages": [], "result": None}), "application/json", None
        if zone.endswith("ba0d"):
            return 502, "<html><body>502 Bad Gateway</body></html>", "text/html", None
        s = self.scenario(zone, json.dumps({"success": False, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}], "messages": [], "result": None}))
        if s:
            return s
        self.carry_out(paths)
        return 200, json.dumps({"success": True, "errors": [], "messages": [], "result": {"id": "9a7806061c88ada191ed06f989cc3dac"}}), "application/json", None

    def fastly(self, which, path):
        need(self.headers.get("Fastly-Key") == TOKEN, "Fastly-Key is not the key")
        need(self.headers.get("Fastly-Soft-Purge") in (None, "1"), "Fastly-Soft-Purge must be 1 when sent")
        if which == "e403":
            return 403, json.dumps({"msg": "Provided credentials are missing or invalid"}), "application/json", None
        if which == "false":
            return 200, json.dumps({"status": "error", "msg": "purge rejected", "detail": "service locked"}), "application/json", None
        if which == "bad":
            return 502, "<html><body>502 Bad Gateway</body></html>", "text/html", None
        s = self.scenario(which, json.dumps({"msg": "rate limit exceeded"}))
        if s:
            return s
        self.carry_out([path] if path else None)
        if path is None:
            return 200, json.dumps({"status": "ok"}), "application/json", None
        return 200, json.dumps({"status": "ok", "id": "108-1391560174-974124"}), "application/json", None

    def cloudfront(self, dist, path, query, body):
        why = sigv4_check(self, "POST", path, query, body)
        need(why is None, why or "")
        need(self.headers.get("Content-Type") == "text/xml", "Content-Type is not text/xml")
        ns = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"
        root = ET.fromstring(body)
        need(root.tag == ns + "InvalidationBatch", "not an InvalidationBatch")
        items = [p.text for p in root.iter(ns + "Path")]
        qty = int(root.find(ns + "Paths/" + ns + "Quantity").text)
        need(qty == len(items) and qty > 0, "Quantity does not count the paths")
        need(root.find(ns + "CallerReference").text, "no CallerReference")
        err = '<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>b1f1</RequestId></ErrorResponse>'
        if dist == "E403":
            return 403, err % ("AccessDenied", "User is not authorized to perform cloudfront:CreateInvalidation"), "text/xml", None
        if dist == "EFALSE":
            return 400, err % ("TooManyInvalidationsInProgress", "Your request contains too many invalidations."), "text/xml", None
        if dist == "EBAD":
            return 502, "<html><body>502 Bad Gateway</body></html>", "text/html", None
        s = self.scenario(dist, err % ("Throttling", "Rate exceeded"))
        if s:
            return s[0], s[1], "text/xml", s[3]
        self.carry_out(None if items == ["/*"] else items)
        return 201, ('<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
                     '<Id>I2J0I21PCUYOIK</Id><Status>InProgress</Status><CreateTime>2026-12-01T09:00:00Z</CreateTime>'
                     '<InvalidationBatch>...</InvalidationBatch></Invalidation>'), "text/xml", None

    def generic(self, query, body):
        need(self.headers.get("Authorization") == "Bearer " + TOKEN, "Authorization is not the bearer token")
        need(self.headers.get("Content-Type") == "application/json", "Content-Type is not application/json")
        try:
            q = urllib.parse.parse_qs(query, keep_blank_values=True, strict_parsing=True)
        except ValueError as e:
            raise CheckFailed("query does not parse: %s" % e)
        need(list(q) == ["u"] and len(q["u"]) == 1, "query is not exactly u=PATH: " + query)
        path = q["u"][0]
        try:
            doc = json.loads(body)
        except ValueError as e:
            raise CheckFailed("body is not JSON: %s" % e)
        need(isinstance(doc, dict) and sorted(doc) == ["path", "paths", "url"],
             "body is not {path, url, paths}: %r" % (doc,))
        need(doc["path"] == path and doc["paths"] == [path] and doc["url"] == EDGE + path,
             "body and query name different paths: %r, %r" % (doc, path))
        need(path.startswith("/"), "not a path: " + path)
        self.carry_out([path])
        return 200, json.dumps({"purged": path}), "application/json", None

    def carry_out(self, paths):
        if paths is None:
            edge("BAN", "/")
        else:
            for p in paths:
                edge("PURGE", p)


class CheckFailed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise CheckFailed(why)


ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
