#!/bin/bash
# checks-http: the checks pane's http source against a real nginx on a
# loopback port (and a tiny python server for the slow answer): ok, wrong
# status, missing text, regex found and not found, HEAD, too slow, connect
# refused over HTTP and TCP, a TCP connect that works; then the --once JSON
# values, and that a hostile page body reaches neither the reason nor any
# output (the reason quotes the config, never the body).
source "$(dirname "$0")/../lib.sh"

command -v nginx >/dev/null || skip_all "nginx not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"

PORT=$(free_port)
SLOW_PORT=$(free_port)
DEAD_PORT=$(free_port) # nothing listens there
mkdir -p "$TMP/www" "$TMP/logs" "$TMP/tmp"
chmod 755 "$TMP" "$TMP/www" # workers run unprivileged when the test runs as root
echo '<html><button>Book now</button></html>' >"$TMP/www/index.html"
echo '<html><button>Sold out</button></html>' >"$TMP/www/sold.html"
echo '<p>total: 12 rooms</p>' >"$TMP/www/rooms.html"
printf '<title>\033]0;pwned-title\007</title>\033[2J\033[31mHOSTILE-BODY Book now\r\033[H' >"$TMP/www/hostile.html"
nginx_serve "$TMP" <<CONF
	access_log $TMP/logs/access.log;
	server {
		listen 127.0.0.1:$PORT;
		root $TMP/www;
		location = /down { return 503; }
	}
CONF
# The slow answer: nginx-light has no echo module, so a python server that
# sleeps 0.5 s before a 200.
cat >"$TMP/slow.py" <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.5)
        body = b"slow but fine"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$TMP/slow.py" "$SLOW_PORT" 2>"$TMP/slow.stderr" &
track_pid $!
probe() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1"; }
wait_for 5 probe "$PORT" || { diag <"$TMP/nginx.stderr"; not_ok "nginx starts"; finish; }
wait_for 5 probe "$SLOW_PORT" || { diag <"$TMP/slow.stderr"; not_ok "slow server starts"; finish; }

U="http://127.0.0.1:$PORT"
cat >"$TMP/sitrep.json" <<CONF
{ "state_dir": "$TMP/state",
  "panes": [ { "id": "checks", "kind": "checks", "checks": [
    { "name": "booking", "url": "$U/", "expect_status": 200, "expect_text": "Book now", "max_latency_ms": 2000 },
    { "name": "wrong-status", "url": "$U/nothing-here", "expect_status": 200 },
    { "name": "maintenance", "url": "$U/down" },
    { "name": "sold-out", "url": "$U/sold.html", "expect_text": "Book now" },
    { "name": "rooms", "url": "$U/rooms.html", "expect_regex": "total: [0-9]+ rooms?" },
    { "name": "rooms-none", "url": "$U/rooms.html", "expect_regex": "^free: \\\\d+$" },
    { "name": "head", "url": "$U/sold.html", "method": "HEAD", "expect_status": 200 },
    { "name": "slow", "url": "http://127.0.0.1:$SLOW_PORT/", "max_latency_ms": 200, "timeout_seconds": 5 },
    { "name": "slow-allowed", "url": "http://127.0.0.1:$SLOW_PORT/", "max_latency_ms": 3000 },
    { "name": "http-refused", "url": "http://127.0.0.1:$DEAD_PORT/" },
    { "name": "tcp-refused", "type": "tcp", "host": "127.0.0.1", "port": $DEAD_PORT },
    { "name": "tcp-nginx", "type": "tcp", "host": "localhost", "port": $PORT, "max_latency_ms": 1000 },
    { "name": "hostile", "url": "$U/hostile.html", "expect_text": "Sold out" }
  ] } ] }
CONF
chmod 600 "$TMP/sitrep.json"

check "--check-config accepts the checks pane" bash -c "\"$SITREP\" --check-config -c \"$TMP/sitrep.json\" >/dev/null"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/once.json" 2>"$TMP/once.stderr"
rc=$?
check "--once --json exits 0 (the pane worked; failing checks are its data)" test "$rc" = 0
diag <"$TMP/once.stderr"

# field NAME KEY: the value of one check's key, as JSON.
field() {
	python3 - "$TMP/once.json" "$1" "$2" 2>/dev/null <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["panes"][0]["data"]["checks"]:
    if c["name"] == sys.argv[2]:
        print(json.dumps(c.get(sys.argv[3])))
PY
}
expect() { # expect NAME KEY VALUE
	local got
	got=$(field "$1" "$2")
	if [ "$got" = "$3" ]; then ok "$1: $2 = $3"; else
		not_ok "$1: $2 = $3 (got $got)"
	fi
}
expect booking ok true
expect booking status 200
expect booking reason null
check "booking: a latency in ms" python3 -c "import json,sys; c=[c for c in json.load(open(sys.argv[1]))['panes'][0]['data']['checks'] if c['name']=='booking'][0]; sys.exit(not (isinstance(c['latency_ms'],(int,float)) and 0 <= c['latency_ms'] < 2000 and len(c['history'])==1))" "$TMP/once.json"
expect wrong-status ok false
expect wrong-status status 404
expect wrong-status reason '"status 404, expected 200"'
expect maintenance reason '"status 503"'
expect sold-out reason '"status 200 but \"Book now\" missing"'
expect rooms ok true
expect rooms-none reason '"status 200 but /^free: \\d+$/ not found"'
expect head ok true
check "the HEAD check reached nginx as a HEAD request" grep -q '"HEAD /sold.html' "$TMP/logs/access.log"
slow_reason=$(field slow reason)
if [[ "$slow_reason" =~ ^\"(5[0-9][0-9]|[6-9][0-9][0-9]|1[0-9]{3})\ ms\ \>\ 200\ ms\"$ ]]; then
	ok "slow: reason $slow_reason"
else
	not_ok "slow: reason 'NNN ms > 200 ms' (got $slow_reason)"
fi
expect slow status 200
expect slow-allowed ok true
expect http-refused ok false
expect http-refused status null
expect http-refused reason '"connect refused"'
expect tcp-refused reason '"connect refused"'
expect tcp-nginx ok true
expect tcp-nginx target "\"tcp localhost:$PORT\""
expect hostile reason '"status 200 but \"Sold out\" missing"'

# Nothing of the hostile body anywhere: not in JSON, text, or stderr.
"$SITREP" --once -c "$TMP/sitrep.json" >"$TMP/once.txt" 2>>"$TMP/once.stderr"
check "--once text shows the failing reason" grep -qF 'FAIL sold-out' "$TMP/once.txt"
check "no byte of the hostile body in any output" \
	bash -c "! grep -q -e HOSTILE-BODY -e pwned-title '$TMP/once.json' '$TMP/once.txt' '$TMP/once.stderr'"
check "no ESC or BEL byte in any output" bash -c "! grep -qP '[\\x1b\\x07]' '$TMP/once.json' '$TMP/once.txt'"

# The page is fixed: the same check passes on the next run.
echo '<html><button>Book now</button></html>' >"$TMP/www/sold.html"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/once.json" 2>/dev/null
expect sold-out ok true

# A check that never answers in time fails by its own timeout, not the run's.
cat >"$TMP/hang.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)  # accepted, never answered
PY
HANG_PORT=$(free_port)
python3 "$TMP/hang.py" "$HANG_PORT" &
track_pid $!
wait_for 5 probe "$HANG_PORT"
cat >"$TMP/hang.json" <<CONF
{ "panes": [ { "id": "checks", "kind": "checks", "checks": [
    { "name": "mute", "url": "http://127.0.0.1:$HANG_PORT/", "timeout_seconds": 1 } ] } ] }
CONF
chmod 600 "$TMP/hang.json"
start=$SECONDS
"$SITREP" --once --json -c "$TMP/hang.json" >"$TMP/once.json" 2>/dev/null
check "a mute server costs the check its 1 s timeout ($((SECONDS - start)) s)" test $((SECONDS - start)) -le 4
reason=$(field mute reason)
check "mute: the reason says it timed out ($reason)" grep -qE '^"timed out after 1[0-9]{3} ms"$' <<<"$reason"

# TLS: the certificate's days left are read from a fresh connection and
# judged against min_tls_days; a refused HTTP connect says so.
openssl req -x509 -newkey rsa:2048 -nodes -days 5 -subj /CN=localhost \
	-keyout "$TMP/tls.key" -out "$TMP/tls.crt" >/dev/null 2>&1
TLS_PORT=$(free_port)
python3 "$TOP/tests/faultserver.py" "$TLS_PORT" --tls "$TMP/tls.crt" "$TMP/tls.key" 2>/dev/null &
track_pid $!
wait_for 10 curl -ksf -o /dev/null "https://127.0.0.1:$TLS_PORT/counts"
CLOSED_PORT=$(free_port)
cat >"$TMP/tls.json" <<CONF
{ "panes": [ { "id": "checks", "kind": "checks", "checks": [
    { "name": "soon", "url": "https://127.0.0.1:$TLS_PORT/counts", "insecure": true, "min_tls_days": 14 },
    { "name": "fine", "url": "https://127.0.0.1:$TLS_PORT/counts", "insecure": true, "min_tls_days": 2 },
    { "name": "closed", "url": "http://127.0.0.1:$CLOSED_PORT/" } ] } ] }
CONF
chmod 600 "$TMP/tls.json"
"$SITREP" --once --json -c "$TMP/tls.json" >"$TMP/once.json" 2>/dev/null
check "tls: days left are reported ($(field soon tls_days_left))" grep -qE '^[45]$' <<<"$(field soon tls_days_left)"
check "tls: a certificate expiring before min_tls_days fails ($(field soon reason))" \
	grep -qE '^"certificate expires in [45] days \(< 14\)"$' <<<"$(field soon reason)"
check "tls: one that lasts long enough is ok" [ "$(field fine ok)" = true ]
check "a refused HTTP connect says so ($(field closed reason))" [ "$(field closed reason)" = '"connect refused"' ]

finish
