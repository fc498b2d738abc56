#!/usr/bin/env bash
# Integration: the generic "http" provider puts each path where its template
# says, in that place's syntax. tests/cdnapi.py stands for the purge endpoint
# (POST /generic/purge?u=PATH, a JSON body naming the path three times: in a
# string, in the edge URL, and as a bare array element); it refuses any
# request whose query or body a path has reshaped, and carries out the
# accepted ones on a real varnishd edge in front of a real nginx origin, so
# the re-probe verifies them. The paths hold what breaks each syntax: '&' and
# '=' (a query parameter of their own when left raw), and a quote.
# The old code put them in raw: the query split and the body was not JSON.
# The request the audit log records (what the dialog showed) carries the
# body byte for byte as the endpoint received it.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up
printf 'console.log("quoted v1");\n' >"$TMP/www/static/say\"hi\".js"

TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export CDN_TOKEN=$TOKEN
APORT=$(free_port)
python3 "$TOP/tests/cdnapi.py" "$APORT" "$EDGE" "$TMP/api.log" "$TOKEN" AKIDUNUSED unused "https://www.example.com" \
	2>"$TMP/api.stderr" &
track_pid $!
API="http://127.0.0.1:$APORT"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$APORT" || { diag <"$TMP/api.stderr"; not_ok "cdnapi.py starts"; finish; }
touch "$TMP/api.log"

# Written with a heredoc quoted against the shell: the JSON escapes are the file's.
cat >"$TMP/sitrep.json.in" <<'JSON'
{ "state_dir": "@TMP@/state", "panes": [
  { "id": "cdn", "kind": "cdn", "provider": "http", "edge_url": "@EDGE@", "origin_url": "@ORIGIN@",
    "assets": ["/static/app.js?v=1&all=1", "/static/say\"hi\".js"], "verify_timeout_seconds": 8,
    "purge_method": "POST", "purge_url": "@API@/generic/purge?u={path}",
    "purge_body": "{\"path\": \"{path}\", \"url\": \"{url}\", \"paths\": [{path}]}",
    "token_env": "CDN_TOKEN" } ] }
JSON
sed -e "s|@TMP@|$TMP|" -e "s|@EDGE@|$EDGE|" -e "s|@ORIGIN@|$ORIGIN|" -e "s|@API@|$API|" \
	"$TMP/sitrep.json.in" >"$TMP/sitrep.json"
chmod 600 "$TMP/sitrep.json"
"$SITREP" --check-config -c "$TMP/sitrep.json" >"$TMP/check.txt" 2>&1
check "--check-config accepts the pane" test $? -eq 0
diag <"$TMP/check.txt"

# A JSON body template that is not JSON once filled is a config error.
sed 's|\[{path}\]}"|[{path}"|' "$TMP/sitrep.json" >"$TMP/bad.json"
chmod 600 "$TMP/bad.json"
"$SITREP" --check-config -c "$TMP/bad.json" >"$TMP/bad.txt" 2>&1
rc=$?
diag <"$TMP/bad.txt"
check "a JSON body template that is not JSON is refused with its location (rc=$rc)" bash -c "
test $rc -eq 2 && grep -q 'bad.json:[0-9]*:[0-9]*: expected a JSON body template' '$TMP/bad.txt'"

# Both assets cached at the edge, then changed at the origin: stale.
curl -sf "$EDGE/static/app.js?v=1&all=1" >/dev/null
curl -sf "$EDGE/static/say%22hi%22.js" >/dev/null
echo '// fix 1' >>"$TMP/www/static/app.js"
echo '// fix 1' >>"$TMP/www/static/say\"hi\".js"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/stale.json" 2>/dev/null
check "both assets are stale" python3 -c "
import json; d=json.load(open('$TMP/stale.json'))['panes'][0]['data']
assert [a['verdict'] for a in d['assets']] == ['stale', 'stale'], d['assets']"

USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/purge.txt" 2>&1
rc=$?
diag <"$TMP/purge.txt"
diag <"$TMP/api.log"
check "the purge is accepted and verified fresh (rc=$rc)" bash -c "test $rc -eq 0 && grep -q '2 purged, 2 fresh in' '$TMP/purge.txt'"
check "the endpoint got two requests, each query one parameter and each body JSON naming its path" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/api.log')]
assert len(r) == 2 and all(x['status'] == 200 and 'check_failed' not in x for x in r), r
assert sorted(json.loads(x['body'])['path'] for x in r) == ['/static/app.js?v=1&all=1', '/static/say%22hi%22.js'], r"
check "the audit record shows each body exactly as the endpoint received it" python3 -c "
import json
sent = [json.loads(l)['body'] for l in open('$TMP/api.log')]
rec = [json.loads(l) for l in open('$TMP/state/audit.jsonl')]
what = [x for x in rec if x['result'] == 'started'][-1]['what'].split('\n')
for b in sent:
    assert '  ' + b in what, (b, what)"
check "the edge serves the new copies" bash -c "
curl -sf '$EDGE/static/app.js?v=1&all=1' | grep -q 'fix 1' && curl -sf '$EDGE/static/say%22hi%22.js' | grep -q 'fix 1'"
check "the token is in no output and no record" bash -c "! grep -qF '$TOKEN' '$TMP/purge.txt' '$TMP/state/audit.jsonl'"
finish
