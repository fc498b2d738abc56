#!/usr/bin/env bash
# Integration: what the prometheus source asks for and how, seen from the
# server side (tests/faultserver.py logs every request). The range query's step
# follows the width of the pane's sparkline (and a resize); a long expression
# travels as a POST form; the http_proxy / no_proxy environment is honoured;
# TLS is verified unless the pane says "insecure", which shows a warning.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

PORT=$(free_port)
python3 "$TOP/tests/faultserver.py" "$PORT" --value 7 2>"$TMP/server.log" &
track_pid $!
wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$PORT/counts" || not_ok "fault server started"
URL=http://127.0.0.1:$PORT
count() { curl -fsS "$URL/counts" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"; }
# The step of the last range query in the server's log.
last_step() { grep -oE 'query_range\?[^ ]*step=[0-9]+' "$TMP/server.log" | tail -1 | grep -oE '[0-9]+$'; }

pane() { # URL EXTRA-KEYS
	cat <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "p", "kind": "metrics", "source": "prometheus", "url": "$1", "timeout_seconds": 3 $2,
    "queries": [ { "name": "v", "expr": "v" } ] } ] }
JSON
}
pane "$URL" "" >"$TMP/plain.json"

# --once draws nothing: 60 points over the default 30 minutes, a 30 s step.
"$SITREP" --once --json -c "$TMP/plain.json" >"$TMP/once.json"
check "--once: value from the server" grep -q '"value":[[:space:]]*7' "$TMP/once.json"
check "--once: step 30 s (60 points over 30 min; got $(last_step))" test "$(last_step)" = 30
check "--once: 61 history slots" python3 -c "
import json; s=json.load(open('$TMP/once.json'))['panes'][0]['data']['series'][0]
assert len(s['history'])==61, len(s['history'])"

# In a 160-column terminal the only pane is 158 wide inside: name 4 + 1,
# value 9, and a 30-column sparkline field whose 29 cells get one point each:
# step = ceil(1800 / 29) = 63 s.
tm_start 160 20 "$SITREP -c $TMP/plain.json"
tm_wait_text 10 "p ─ ok"
step63() { test "$(last_step)" = 63; }
check "dashboard at 160 columns: step 63 s (one point per sparkline cell; got $(wait_for 5 step63; last_step))" step63
# At 60 columns: 58 inside, 44 left after name and value, a 22-column field
# of 21 cells: step = ceil(1800 / 21) = 86 s.
tm resize-window -t t -x 60 -y 20
step86() { test "$(last_step)" = 86; }
check "after a resize to 60 columns: step 86 s (got $(wait_for 5 step86; last_step))" step86
tm send-keys -t t q
wait_for 5 tm_pane_dead

# An explicit "points" wins over the pane's width.
pane "$URL" ', "points": 120' >"$TMP/points.json"
tm_kill
tm_start 160 20 "$SITREP -c $TMP/points.json"
step15() { test "$(last_step)" = 15; }
check "\"points\": 120 fixes the step at 15 s (got $(wait_for 5 step15; last_step))" step15
tm send-keys -t t q
wait_for 5 tm_pane_dead

# A long expression goes as a POST form body, a short one as GET.
long="v$(printf ' + 0 * v%.0s' $(seq 1 200))"
cat >"$TMP/long.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "p", "kind": "metrics", "source": "prometheus", "url": "$URL",
    "queries": [ { "name": "long", "expr": "$long" } ] } ] }
JSON
p0=$(count "POST /api/v1/query") g0=$(count "GET /api/v1/query") gr0=$(count "GET /api/v1/query_range")
"$SITREP" --once --json -c "$TMP/long.json" >"$TMP/long-out.json"
check "a ${#long}-character expression is answered" grep -q '"value":[[:space:]]*7' "$TMP/long-out.json"
# (--once may end before the history's range query goes out: whether it
# went is not the point, that nothing of it went as a GET is)
check "it was sent with POST" test "$(count "POST /api/v1/query")" -eq $((p0 + 1))
check "and not with GET (query and query_range)" \
	test "$(count "GET /api/v1/query")" -eq "$g0" -a "$(count "GET /api/v1/query_range")" -eq "$gr0"
# The proxy environment: a URL nobody listens on, reached through the proxy.
pane "http://127.0.0.2:9" "" >"$TMP/proxied.json"
x0=$(count proxied)
http_proxy=$URL "$SITREP" --once --json -c "$TMP/proxied.json" >"$TMP/proxy-out.json"
rc=$?
check "http_proxy is used (rc=$rc)" test "$rc" -eq 0 -a "$(count proxied)" -ge $((x0 + 2))
check "through the proxy the value arrives" grep -q '"value":[[:space:]]*7' "$TMP/proxy-out.json"
x1=$(count proxied)
http_proxy=$URL no_proxy=127.0.0.2 "$SITREP" --once --json -c "$TMP/proxied.json" >"$TMP/noproxy.json"
rc=$?
check "no_proxy is honoured: direct, refused (rc=$rc)" test "$rc" -eq 1 -a "$(count proxied)" -eq "$x1"

# TLS: a self-signed certificate fails verification; "insecure" accepts it
# and shows a warning.
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
	TPORT=$(free_port)
	python3 "$TOP/tests/faultserver.py" "$TPORT" --value 9 --tls "$TMP/cert.pem" "$TMP/key.pem" 2>"$TMP/tls.log" &
	track_pid $!
	wait_for 10 curl -fsSk -o /dev/null "https://127.0.0.1:$TPORT/counts" || not_ok "TLS fault server started"
	pane "https://127.0.0.1:$TPORT" "" >"$TMP/tls.json"
	"$SITREP" --once --json -c "$TMP/tls.json" >"$TMP/tls-out.json"
	rc=$?
	check "self-signed certificate: the pane fails (rc=$rc)" test "$rc" -eq 1
	check "the error names the certificate" grep -qi "certificate" "$TMP/tls-out.json"
	pane "https://127.0.0.1:$TPORT" ', "insecure": true' >"$TMP/insecure.json"
	"$SITREP" --once --json -c "$TMP/insecure.json" >"$TMP/insecure-out.json"
	rc=$?
	check "\"insecure\": true accepts it (rc=$rc)" test "$rc" -eq 0
	check "the value arrives over TLS" grep -q '"value":[[:space:]]*9' "$TMP/insecure-out.json"
	check "the pane carries the warning" grep -q '"warning":[[:space:]]*"TLS verify off"' "$TMP/insecure-out.json"
	tm_kill
	tm_start 120 12 "$SITREP -c $TMP/insecure.json"
	check "the dashboard shows the warning badge" tm_wait_text 10 "TLS verify off"
	tm send-keys -t t q
else
	ok "# SKIP openssl not installed (TLS checks)"
fi
finish
