#!/usr/bin/env bash
# Integration: the outage the cdn pane exists for, with a real nginx origin
# and a real varnishd edge. app.js v1 is cached at the edge, the origin gets
# v2: `--once --json` says stale and why; `do purge --stale --yes` is done
# only when the edge serves v2 (curl through the edge agrees); in read-only
# mode the purge exits 3, varnish's log shows no PURGE and the edge still
# serves the old copy. Then purge --all (a BAN) and a purge the VCL refuses.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"

source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

curl -sf "$EDGE/static/app.js" >/dev/null
curl -sf "$EDGE/static/app.css" >/dev/null
check "the edge caches v1" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v1"

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnish_name": "$TMP/varnish",
    "edge_url": "$EDGE", "origin_url": "http://127.0.0.1:$OPORT",
    "assets": ["/", "/static/app.js", "/static/app.css"], "verify_timeout_seconds": 10 } ] }
JSON
chmod 600 "$TMP"/sitrep*.json
"$SITREP" --check-config -c "$TMP/sitrep.json" 2>"$TMP/check.txt"
check "--check-config accepts the cdn pane" test $? -eq 0

"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/fresh.json" 2>"$TMP/once.err"
check "--once exits 0 while all is fresh" test $? -eq 0
verdicts() { python3 -c "import json; d=json.load(open('$1'))['panes'][0]['data']; print(' '.join(a['verdict'] for a in d['assets']))"; }
check "every asset fresh before the fix: $(verdicts "$TMP/fresh.json")" test "$(verdicts "$TMP/fresh.json")" = "fresh fresh fresh"
check "provider and hit ratio from varnishstat -j" python3 -c "
import json; d=json.load(open('$TMP/fresh.json'))['panes'][0]['data']
assert d['provider']=='varnish', d
assert isinstance(d['hit_ratio'], (int, float)) and 0 <= d['hit_ratio'] <= 1, d['hit_ratio']
assert isinstance(d['objects'], (int, float)) and d['objects'] >= 2, d['objects']"

# The fix is deployed: the origin serves v2, the edge still has v1.
echo 'console.log("v2: booking fixed");' >"$TMP/www/static/app.js"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/stale.json" 2>/dev/null
check "app.js is stale, the rest fresh: $(verdicts "$TMP/stale.json")" test "$(verdicts "$TMP/stale.json")" = "fresh stale fresh"
check "the reason names the difference" python3 -c "
import json; a=json.load(open('$TMP/stale.json'))['panes'][0]['data']['assets'][1]
assert a['path']=='/static/app.js' and a['edge_status']==200 and a['origin_status']==200, a
assert a['detail'].startswith('edge ETag '+a['edge_etag']+' != origin '+a['origin_etag']+', edge copy '), a['detail']
assert ' old (Age %d)' % a['age'] in a['detail'], a"
# What the real varnish said: a hit, its Age, and nginx's ETag passed through.
check "varnish's cache status, Age and ETag reach the JSON" python3 -c "
import json, re; a=json.load(open('$TMP/stale.json'))['panes'][0]['data']['assets'][1]
assert a['edge_cache']=='HIT', a
assert isinstance(a['age'], (int, float)) and a['age'] >= 0, a
assert re.fullmatch(r'\"[0-9a-f]+-[0-9a-f]+\"', a['edge_etag']) and a['edge_etag'] != a['origin_etag'], a
assert a['edge_sha256'] is None, 'strong ETags on both sides: HEAD was enough, no body fetched'"
sleep 2
"$SITREP" --once -c "$TMP/sitrep.json" >"$TMP/aged.txt" 2>/dev/null
check "a copy cached a while ago shows its Age" grep -Eq "stale +/static/app.js +HIT +[0-9]+s .*\(Age [1-9][0-9]*\)" "$TMP/aged.txt"
diag <"$TMP/aged.txt"
"$SITREP" --once -c "$TMP/sitrep.json" >"$TMP/stale.txt" 2>/dev/null
check "the text output says stale /static/app.js" grep -q "stale.*/static/app.js" "$TMP/stale.txt"

"$SITREP" --read-only do purge --stale --yes -c "$TMP/sitrep.json" 2>"$TMP/ro.txt"
rc=$?
check "read-only: do purge exits 3 (rc=$rc)" test "$rc" -eq 3
check "read-only: the message says why" grep -q "read-only" "$TMP/ro.txt"
check "read-only: varnish's log shows no PURGE" test "$(purges)" = 0
check "read-only: the edge still serves v1" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v1"

USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
check "do purge --stale --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "it reports the verified outcome" grep -q "1 purged, 1 fresh in" "$TMP/do.txt"
check "varnish's log shows exactly one PURGE" test "$(purges)" = 1
check "curl through the edge gets v2" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v2"
check "the audit log has the request and the outcome" python3 -c "
import json
recs=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
ok=[r for r in recs if r['action']=='purge' and r['result']=='ok']
assert ok and 'PURGE $EDGE/static/app.js' in json.dumps(recs) and 'fresh in' in ok[-1]['detail'], recs"

"$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/none.txt" 2>&1
rc=$?
check "nothing stale: purge --stale sends nothing and says so (rc=$rc)" \
	bash -c "test $rc -eq 1 && grep -q 'nothing is stale' '$TMP/none.txt' && test \$(varnishlog -n '$TMP/varnish' -d -g request -q 'ReqMethod eq \"PURGE\"' | grep -c 'ReqMethod *PURGE') = 1"

"$SITREP" do purge /static/nope.js /x --stale --yes -c "$TMP/sitrep.json" >/dev/null 2>&1
check "--stale with paths is a usage error" test $? -eq 2

# Everything: a BAN, verified on every asset.
echo 'body { color: green }' >"$TMP/www/static/app.css"
echo 'console.log("v3");' >"$TMP/www/static/app.js"
"$SITREP" do purge --all --yes -c "$TMP/sitrep.json" >"$TMP/all.txt" 2>&1
rc=$?
diag <"$TMP/all.txt"
check "do purge --all --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "everything purged and verified" grep -q "everything purged, 3 of 3 assets fresh" "$TMP/all.txt"
check "the edge serves the new css and js" bash -c "curl -sf '$EDGE/static/app.css' | grep -q green && curl -sf '$EDGE/static/app.js' | grep -q v3"

# A VCL that never evicts: the purge is accepted, the edge stays stale, and
# sitrep says so instead of "ok".
# (nginx's ETag is mtime-size: a new version written in the same second
# with the same length would keep it; this one is longer.)
echo 'console.log("v4: longer");' >"$TMP/www/static/app.js"
cat >"$TMP/sitrep-wrong.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnishstat": false,
    "purge_method": "GET", "edge_url": "$EDGE", "origin_url": "http://127.0.0.1:$OPORT",
    "assets": ["/static/app.js"], "verify_timeout_seconds": 2 } ] }
JSON
chmod 600 "$TMP"/sitrep*.json
"$SITREP" do purge --stale --yes -c "$TMP/sitrep-wrong.json" >"$TMP/wrong.txt" 2>&1
rc=$?
diag <"$TMP/wrong.txt"
check "an accepted purge that evicts nothing fails (rc=$rc)" test "$rc" -eq 1
check "... and says the asset is still stale" grep -q "purge accepted, /static/app.js still stale" "$TMP/wrong.txt"

finish
