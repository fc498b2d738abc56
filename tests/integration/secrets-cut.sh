#!/usr/bin/env bash
# Integration: a secret is masked before anything is cut. A real nginx plays
# every careless server sitrep talks to with a token (Prometheus,
# Alertmanager, Loki, an HTTP check, the Cloudflare and Fastly APIs): it
# answers 401 with a body that echoes the Authorization header, the 62-byte
# token starting at byte 40 of the body, or at other offsets so that it
# straddles every limit an error text is cut at (80, 160, 300, 400 bytes).
# No 8 bytes of the token may reach the --once text (stdout and stderr) or
# JSON, `sitrep do`'s output, the audit log, the timeline (file, `sitrep
# timeline`, its Markdown) or the dashboard's screen, while the echo itself
# (the words around the token) does reach them.
source "$(dirname "$0")/../lib.sh"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"

# 62 bytes of upper case and digits; the bodies around it are lower case.
TOKEN=$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(62)))')
export SITREP_TEST_TOKEN=$TOKEN
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
# The echo starts with "Bearer ": a pad of N bytes puts the token at N+7.
PADS="0 33 60 75 100 130 150 250 290 380"
pad() { python3 -c "import sys; print(('denied; the request carried header ' * 20)[:int(sys.argv[1])], end='')" "$1"; }
ALERTS='[{"labels":{"alertname":"EchoAlert","severity":"critical"},"annotations":{"summary":"s"},"startsAt":"2024-05-01T10:00:00Z","endsAt":"2099-01-01T00:00:00Z","updatedAt":"2024-05-01T10:00:00Z","fingerprint":"0123456789abcdef","receivers":[{"name":"null"}],"status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]'

mkdir -p "$TMP/logs" "$TMP/tmp" "$TMP/state"
chmod 755 "$TMP"
{
	echo "  log_format auth '\$request_method \$uri \$http_authorization \$http_fastly_key';"
	echo "  access_log $TMP/logs/access.log auth;"
	echo "  server { listen 127.0.0.1:$PORT; default_type text/plain;"
	echo "    location /www/ { return 200 'hello\n'; }"
	for n in $PADS; do
		echo "    location = /p$n/api/v2/alerts { default_type application/json; return 200 '$ALERTS'; }"
		echo "    location /p$n/ { return 401 '$(pad "$n")\$http_authorization\$http_fastly_key (check the token and try again)\n'; }"
	done
	echo "  }"
} >"$TMP/http.conf"
nginx_serve "$TMP" <"$TMP/http.conf"
wait_for 5 curl -sf "$URL/www/x" || { cat "$TMP/nginx.stderr" "$TMP/logs/error.log" | diag; not_ok "nginx starts"; finish; }
body=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL/p33/x")
check "nginx echoes the token at byte 40 of a 401 body" test "${body:40:62}" = "$TOKEN"

panes() { # the panes for pad N
	local n=$1
	cat <<JSON
  { "id": "prom$n", "kind": "metrics", "source": "prometheus", "url": "$URL/p$n", "token_env": "SITREP_TEST_TOKEN",
    "queries": [ { "name": "up", "expr": "up" } ] },
  { "id": "am$n", "kind": "alerts", "source": "alertmanager", "url": "$URL/p$n", "token_env": "SITREP_TEST_TOKEN" },
  { "id": "loki$n", "kind": "logs", "sources": [ { "type": "loki", "url": "$URL/p$n", "token_env": "SITREP_TEST_TOKEN",
    "query": "{app=\"web\"}" } ] },
  { "id": "chk$n", "kind": "checks", "checks": [ { "name": "api$n", "url": "$URL/p$n/health",
    "token_env": "SITREP_TEST_TOKEN", "expect_text": "ok" } ] },
  { "id": "cf$n", "kind": "cdn", "provider": "cloudflare", "edge_url": "$URL/www", "origin_url": "$URL/www",
    "assets": ["/a.txt"], "api_url": "$URL/p$n/client/v4", "zone_id": "0000000000000ace",
    "site_url": "https://www.example.com", "token_env": "SITREP_TEST_TOKEN", "verify_timeout_seconds": 2 },
  { "id": "fastly$n", "kind": "cdn", "provider": "fastly", "edge_url": "$URL/www", "origin_url": "$URL/www",
    "assets": ["/a.txt"], "api_url": "$URL/p$n", "purge_host": "www.example.com",
    "service_id": "SU1Z0isxPaozGVKXdv0eY", "token_env": "SITREP_TEST_TOKEN", "verify_timeout_seconds": 2 }
JSON
}
# One config per offset (a screen holds 16 panes).
for n in $PADS; do
	{
		echo "{ \"refresh_seconds\": 1, \"state_dir\": \"$TMP/state\", \"panes\": ["
		panes "$n"
		echo "] }"
	} >"$TMP/c$n.json"
	chmod 600 "$TMP/c$n.json"
done
"$SITREP" --check-config -c "$TMP/c33.json" >"$TMP/check.txt" 2>&1
check "the config loads" test $? -eq 0
diag <"$TMP/check.txt"

for n in $PADS; do
	"$SITREP" --once -c "$TMP/c$n.json" >"$TMP/once$n.txt" 2>"$TMP/once$n.err"
	"$SITREP" --once --json -c "$TMP/c$n.json" >"$TMP/once$n.json" 2>"$TMP/once-json$n.err"
	USER=oncall "$SITREP" do purge /a.txt --yes --pane "cf$n" -c "$TMP/c$n.json" >"$TMP/do-cf$n.txt" 2>"$TMP/do-cf$n.err"
	USER=oncall "$SITREP" do purge /a.txt --yes --pane "fastly$n" -c "$TMP/c$n.json" >"$TMP/do-fastly$n.txt" \
		2>"$TMP/do-fastly$n.err"
	USER=oncall "$SITREP" do silence EchoAlert --for 10m --yes --pane "am$n" -c "$TMP/c$n.json" \
		>"$TMP/do-am$n.txt" 2>"$TMP/do-am$n.err"
done

# The dashboard, with a few of the panes: the timeline's pane_failed events.
python3 - "$TMP/dash.json" "$TMP"/c*.json <<'PY'
import json, sys
c = json.load(open(sys.argv[2]))
c["panes"] = [p for f in sys.argv[2:] for p in json.load(open(f))["panes"]
              if p["id"] in ("prom33", "prom130", "am150", "chk100", "cf75")]
json.dump(c, open(sys.argv[1], "w"))
PY
chmod 600 "$TMP/dash.json"
tm_start 220 60 "env SITREP_TEST_TOKEN=$TOKEN $SITREP -c $TMP/dash.json"
check "the dashboard shows a server's echo" tm_wait_text 15 "check the token"
sleep 2
tm_capture >"$TMP/screen.txt"
tm send-keys -t t q
wait_for 5 tm_pane_dead
"$SITREP" timeline -c "$TMP/dash.json" >"$TMP/timeline.txt" 2>&1
"$SITREP" timeline --markdown -c "$TMP/dash.json" >"$TMP/timeline.md" 2>&1

check "the token was sent to the servers (the fault is real)" grep -q "Bearer $TOKEN" "$TMP/logs/access.log"
check "fastly sent it as Fastly-Key" grep -q "POST .* $TOKEN" "$TMP/logs/access.log"
for n in 33 130; do
	check "--once $n: the server's echo is shown" grep -q "check the token" "$TMP/once$n.txt"
	check "--once --json $n: the server's echo is shown" grep -q "check the token" "$TMP/once$n.json"
done
check "do purge (cloudflare): the echo is shown" grep -q "denied" "$TMP/do-cf33.txt" "$TMP/do-cf33.err"
check "do purge (fastly): the echo is shown" grep -q "denied" "$TMP/do-fastly130.txt" "$TMP/do-fastly130.err"
check "do silence: the echo is shown" grep -q "denied" "$TMP/do-am150.txt" "$TMP/do-am150.err"
check "the dashboard: the echo is shown" grep -q "check the token" "$TMP/screen.txt"
check "the audit log holds the failures" grep -q "check the token" "$TMP/state/audit.jsonl"
check "the timeline holds the failures" grep -q "check the token" "$TMP/state/timeline.jsonl"

# no8 FILE...: no file holds 8 bytes in a row of the token.
no8() {
	python3 - "$TOKEN" "$@" <<'PY'
import sys
tok, bad = sys.argv[1], []
for path in sys.argv[2:]:
    text = open(path, errors="replace").read()
    for i in range(len(tok) - 7):
        if tok[i:i + 8] in text:
            at = text.index(tok[i:i + 8])
            bad.append("%s: bytes %d-%d of the token: %r" % (path, i, i + 8, text[max(0, at - 50):at + 20]))
            break
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
PY
}
check "--once text and stderr hold no 8 bytes of the token" no8 "$TMP"/once[0-9]*.txt "$TMP"/once[0-9]*.err
check "--once --json and stderr hold no 8 bytes of the token" no8 "$TMP"/once*.json "$TMP"/once-json*.err
check "sitrep do's output and stderr hold no 8 bytes of the token" no8 "$TMP"/do-*.txt "$TMP"/do-*.err
check "the audit log holds no 8 bytes of the token" no8 "$TMP/state/audit.jsonl"
check "the timeline holds no 8 bytes of the token" no8 "$TMP/state/timeline.jsonl" "$TMP/timeline.txt" "$TMP/timeline.md"
check "the screen holds no 8 bytes of the token" no8 "$TMP/screen.txt"
check "nothing in the state dir holds 8 bytes of the token" no8 $(find "$TMP/state" -type f)
finish
