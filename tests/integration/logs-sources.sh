#!/bin/bash
# logs-sources: every kind of log source gets the same classification as a
# file: a line's own format gives its severity (a glog E line is an error,
# "level=info ... error_count=0" stays info, a syslog PRI of err is an error),
# a multi-line error is one event named by its exception line, and journald's
# own PRIORITY wins over what the message looks like. Loki (not packaged for
# Debian) is a small local server answering query_range in Loki's documented
# shape; journald is a script printing what `journalctl -o json` prints
# (systemd's JSON export: one object per entry, every field a string; a
# message of several lines keeps its newlines); command is a real child.
source "$(dirname "$0")/../lib.sh"

# what each source delivers, as lines (a Java trace with its cause: one event)
LINES=(
	'E1207 04:10:04.551203 4412 reflector.go:138] watch of *v1.Pod ended'
	'level=info msg="batch done" error_count=0'
	'<131>1 2025-06-01T10:00:00Z web nginx - - - upstream timed out'
	'2025-06-01 10:00:01.000 ERROR [exec-1] c.e.App - request failed'
	'java.lang.IllegalStateException: cart 81 has no price'
	'	at com.example.shop.Cart.total(Cart.java:42)'
	'Caused by: java.sql.SQLException: connection reset by peer'
	'	... 3 more'
	'2025-06-01 10:00:02.000 INFO  [exec-1] c.e.App - done'
)
# counts SOURCE-JSON: "errors warnings | the error groups' names" with that one input
counts() {
	printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ %s ] } ] }\n' "$1" >"$TMP/c.json"
	chmod 600 "$TMP/c.json"
	"$SITREP" --once --json -c "$TMP/c.json" | python3 -c 'import json,sys
d = json.load(sys.stdin)["panes"][0]["data"]
c = d["counts"]
names = sorted(g["sample"] for g in d["groups"] if g["severity"] == "error")
print(c["errors"], c["warnings"], "|", " / ".join(names))'
}
WANT_NAMES='<131>1 2025-06-01T10:00:00Z web nginx - - - upstream timed out / E1207 04:10:04.551203 4412 reflector.go:138] watch of *v1.Pod ended / java.lang.IllegalStateException: cart 81 has no price'

# --- command ---------------------------------------------------------------------
printf '%s\n' "${LINES[@]}" >"$TMP/lines.txt"
got=$(counts "{ \"type\": \"command\", \"argv\": [\"cat\", \"$TMP/lines.txt\"] }")
# (the child's exit is one warning line of sitrep's own)
check "command: formats and the trace as one event: $got" test "$got" = "3 1 | $WANT_NAMES"

# --- loki: one line per entry, and a trace joined into one entry by the shipper ---
PORT=$(free_port)
python3 - "$TMP/entries.json" "${LINES[@]}" <<'PY'
import json, sys, time
out, lines = sys.argv[1], sys.argv[2:]
now = time.time_ns() - 60 * 10**9
# the first three one entry each; the record and its trace one entry
entries = [[str(now + i), l] for i, l in enumerate(lines[:3])]
entries.append([str(now + 3), "\n".join(lines[3:8])])
entries.append([str(now + 4), lines[8]])
json.dump(entries, open(out, "w"))
PY
cat >"$TMP/loki.py" <<'PY'
import json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
port, entries = int(sys.argv[1]), json.load(open(sys.argv[2]))
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path != "/loki/api/v1/query_range":
            self.send_response(404); self.end_headers(); return
        rows = [e for e in entries if int(q["start"]) <= int(e[0]) <= int(q["end"])][: int(q["limit"])]
        body = json.dumps({"status": "success", "data": {"resultType": "streams",
               "result": [{"stream": {"app": "web"}, "values": rows}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$TMP/loki.py" "$PORT" "$TMP/entries.json" &
track_pid $!
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { not_ok "test server starts"; finish; }
got=$(counts "{ \"type\": \"loki\", \"url\": \"http://127.0.0.1:$PORT\", \"query\": \"{app=\\\"web\\\"}\" }")
check "loki: formats, and a joined trace entry as one event: $got" test "$got" = "3 0 | $WANT_NAMES"

# --- journald: PRIORITY wins; without it the message's format decides ------------
python3 - "$TMP/journal.txt" "${LINES[@]}" <<'PY'
import json, sys, time
out, lines = sys.argv[1], sys.argv[2:]
t = (time.time_ns() // 1000) - 60 * 10**6
def entry(i, msg, prio=None):
    e = {"__REALTIME_TIMESTAMP": str(t + i), "SYSLOG_IDENTIFIER": "app", "MESSAGE": msg}
    if prio is not None:
        e["PRIORITY"] = str(prio)
    return json.dumps(e)
with open(out, "w") as f:
    # no PRIORITY: the format decides (glog E error, logfmt info info)
    f.write(entry(0, lines[0]) + "\n")
    f.write(entry(1, lines[1]) + "\n")
    # PRIORITY 6 (info) on a line whose format says error: info
    f.write(entry(2, lines[2], 6) + "\n")
    # PRIORITY 3 on a message holding the record and its trace: one error
    f.write(entry(3, "\n".join(lines[4:8]), 3) + "\n")
    # PRIORITY 4 on a plain line: a warning
    f.write(entry(4, "disk 91% full", 4) + "\n")
PY
printf '#!/bin/sh\ncat "%s"\nsleep 5\n' "$TMP/journal.txt" >"$TMP/journalctl"
chmod +x "$TMP/journalctl"
got=$(counts "{ \"type\": \"journald\", \"journalctl\": \"$TMP/journalctl\" }")
check "journald: priority wins, formats without it, a multi-line message one event: $got" \
	test "$got" = "2 1 | app: E1207 04:10:04.551203 4412 reflector.go:138] watch of *v1.Pod ended / app: java.lang.IllegalStateException: cart 81 has no price"

# --once --json carries the event's lines and its root cause (additive members)
printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ { "type": "command", "argv": ["cat", "%s"] } ] } ] }\n' \
	"$TMP/lines.txt" >"$TMP/c.json"
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json"
check "--once --json: the event's lines and root cause" python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
g = [g for g in d["groups"] if g["sample"].startswith("java.lang")][0]
assert g["root_cause"] == "java.sql.SQLException: connection reset by peer", g
assert g["event"].split("\n")[2] == " at com.example.shop.Cart.total(Cart.java:42)", g["event"]' "$TMP/once.json"

echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
