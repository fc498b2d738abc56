#!/bin/bash
# logs-loki: the loki input against a small local server speaking Loki's
# query_range API (Loki is not packaged for Debian). The server answers from a
# file of lines the test appends to, honours start/end/limit like Loki (start
# inclusive, forward), and records every request. Checked: the exact query,
# X-Scope-OrgID and the bearer token on every request, paging when a page is
# full, start just after the newest line seen (nothing served twice) and
# every line counted once on the real screen.
source "$(dirname "$0")/../lib.sh"

PORT=$(free_port)
DATA="$TMP/lines"
REQS="$TMP/requests"
: >"$DATA"
: >"$REQS"
cat >"$TMP/server.py" <<'PY'
import json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
port, data, reqs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path != "/loki/api/v1/query_range":
            self.send_response(404); self.end_headers(); return
        start, end, limit = int(q["start"]), int(q["end"]), int(q["limit"])
        rows = []
        for l in open(data):
            ns, text = l.rstrip("\n").split(" ", 1)
            if start <= int(ns) <= end:
                rows.append([ns, text])
        rows.sort(key=lambda r: int(r[0]))
        rows = rows[:limit]
        with open(reqs, "a") as f:
            f.write(json.dumps({"query": q.get("query"), "start": start, "limit": limit,
                                "direction": q.get("direction"),
                                "org": self.headers.get("X-Scope-OrgID"),
                                "auth": self.headers.get("Authorization"),
                                "served": [r[0] for r in rows]}) + "\n")
        body = json.dumps({"status": "success", "data": {"resultType": "streams",
               "result": [{"stream": {"app": "web"}, "values": rows}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$TMP/server.py" "$PORT" "$DATA" "$REQS" &
track_pid $!
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { not_ok "test server starts"; finish; }

# add N AGO_S: N error lines stamped AGO_S seconds ago, 1 ms apart.
N=0
add() {
	local base i
	base=$(($(date +%s%N) - $2 * 1000000000))
	for ((i = 0; i < $1; i++)); do
		N=$((N + 1))
		echo "$((base + i * 1000000)) error: job $N failed on worker-$((N % 3))" >>"$DATA"
	done
}
add 5 60

cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "web", "kind": "logs", "sources": [ { "type": "loki",
  "url": "http://127.0.0.1:$PORT", "query": "{app=\"web\"} |= \"error\"", "org_id": "tenant-a",
  "token_env": "SITREP_TEST_LOKI_TOKEN", "limit": 2, "poll_seconds": 0.5 } ] } ] }
CONF
# the header's figures are labelled, their digits grouped: "1,200 errors, 0 warnings, 1,200 lines"
header_has() {
	local n s=s
	n=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1")
	[ "$1" = 1 ] && s=
	tm_capture | grep -q " $n error$s, 0 warnings, $n line$s"
}

tm_start 160 20 env SITREP_TEST_LOKI_TOKEN=s3cret-token "$SITREP" -c "$TMP/sitrep.json"
if wait_for 5 header_has 5; then ok "the first 5 lines arrive (pages of 2)"; else
	not_ok "the first 5 lines arrive (pages of 2)"; tm_capture | diag; fi
add 4 0
if wait_for 5 header_has 9; then ok "4 new lines arrive, counted once"; else
	not_ok "4 new lines arrive, counted once"; tm_capture | diag; fi
sleep 1.2
check "still 9 after more polls (no duplicates)" header_has 9
check "one group for all jobs" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '^.E ×9 .* job [0-9]+ failed on'"

check "requests are exact" python3 - "$REQS" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ok = len(reqs) >= 4
served = []
for r in reqs:
    ok &= r["query"] == '{app="web"} |= "error"'
    ok &= r["org"] == "tenant-a" and r["auth"] == "Bearer s3cret-token"
    ok &= r["limit"] == 2 and r["direction"] == "forward"
    served += r["served"]
# start is just after the newest line seen so far: nothing served twice, none skipped
ok &= len(served) == len(set(served)) == 9
newest = 0
for r in reqs:
    if newest:
        ok &= r["start"] == newest + 1
    if r["served"]:
        newest = max(newest, max(int(s) for s in r["served"]))
sys.exit(0 if ok else 1)
PY
check "the token is never drawn" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q s3cret"
finish
