#!/usr/bin/env bash
# Integration: "fresh" is said only of what was verified, with a real nginx
# origin and a real varnishd edge. Two 150-byte ETags that share their first
# 140 bytes are different (the old code cut them at 127 bytes before
# comparing and said "fresh, same ETag"): stale, and the purge is verified
# fresh only when the whole ETags agree. An asset that both sides answer 404
# is "gone", not fresh: it is not purged as stale, and a purge of it ends
# unverified (exit 1, recorded "unverified", not "failed"), never "1 fresh".
# A purge that leaves the edge stale is a failure, recorded "failed".
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
PREFIX=$(printf 'a%.0s' $(seq 140))
etag() { printf 'add_header ETag "\\"%s%s\\"";\n' "$PREFIX" "$1" >"$TMP/etag.conf"; }
mkdir -p "$TMP"
etag v1xxxxxxx
CDN_NGINX_EXTRA="location = /static/long.js { etag off; include $TMP/etag.conf; }"
cdn_servers_up
echo 'console.log("long etag");' >"$TMP/www/static/long.js"
NGINX_PID=$(cat "$TMP/nginx.pid")

curl -sf "$EDGE/static/long.js" >/dev/null
check "the edge caches long.js with its 150-byte ETag" bash -c "curl -sI '$EDGE/static/long.js' | grep -q 'ETag: \"${PREFIX}v1xxxxxxx\"'"
# The origin's ETag changes after its 140th byte; the body stays.
etag v2yyyyyyy
kill -HUP "$NGINX_PID"
wait_for 5 bash -c "curl -sI '$ORIGIN/static/long.js' | grep -q 'v2yyyyyyy'"
check "the origin answers the new ETag, the edge the old" bash -c "
curl -sI '$ORIGIN/static/long.js' | grep -q 'v2yyyyyyy' && curl -sI '$EDGE/static/long.js' | grep -q 'v1xxxxxxx'"

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnishstat": false,
    "edge_url": "$EDGE", "origin_url": "$ORIGIN",
    "assets": ["/static/long.js"], "verify_timeout_seconds": 3 } ] }
JSON
cat >"$TMP/gone.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnishstat": false,
    "edge_url": "$EDGE", "origin_url": "$ORIGIN",
    "assets": ["/static/app.js", "/static/nothere.js"], "verify_timeout_seconds": 2 } ] }
JSON
chmod 600 "$TMP"/*.json
asset() { python3 -c "import json; a=json.load(open('$1'))['panes'][0]['data']['assets'][$2]; print(a['verdict'] + ': ' + a['detail'])"; }

"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/long.json" 2>/dev/null
v=$(asset "$TMP/long.json" 0)
check "ETags that differ past byte 127 are stale ($v)" bash -c "[[ '$v' == 'stale: edge ETag '* ]]"
check "... and the reason says they differ past what is shown" bash -c "[[ '$v' == *'(they differ past what is shown: SHA-256 '* ]]"

USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
check "the purge is verified once the whole ETags agree (rc=$rc)" bash -c "test $rc -eq 0 && grep -q '1 purged, 1 fresh in' '$TMP/do.txt'"
check "the edge answers the new ETag" bash -c "curl -sI '$EDGE/static/long.js' | grep -q 'v2yyyyyyy'"

# ---- 404 at both sides ----
"$SITREP" --once --json -c "$TMP/gone.json" >"$TMP/gone.out" 2>/dev/null
v=$(asset "$TMP/gone.out" 1)
check "404 at the edge and at the origin is gone, not fresh ($v)" test "$v" = "gone: edge and origin answer 404/404: gone at both, nothing to compare"
check "and gone is not counted stale" python3 -c "
import json; d=json.load(open('$TMP/gone.out'))['panes'][0]['data']
assert [a['verdict'] for a in d['assets']] == ['fresh', 'gone'], d"
before=$(purges)
"$SITREP" do purge --stale --yes -c "$TMP/gone.json" >"$TMP/stale.txt" 2>&1
rc=$?
check "purge --stale leaves the gone asset alone (rc=$rc)" bash -c "test $rc -eq 1 && grep -q 'nothing is stale' '$TMP/stale.txt' && test $(purges) = $before"
USER=oncall "$SITREP" do purge /static/nothere.js --yes -c "$TMP/gone.json" >"$TMP/nothere.txt" 2>&1
rc=$?
diag <"$TMP/nothere.txt"
check "a purge of what is gone at both sides is not verified: exit 1 (rc=$rc)" test "$rc" -eq 1
check "... it says unverified, gone at edge and origin, and 0 of 1 fresh" bash -c "
grep -q 'purge accepted, unverified after [0-9]* s: /static/nothere.js gone at edge and origin, not verified' '$TMP/nothere.txt' &&
grep -q '0 of 1 fresh' '$TMP/nothere.txt' && ! grep -q '1 fresh in' '$TMP/nothere.txt'"
check "the audit records it unverified, not failed" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/state/audit.jsonl')][-1]
assert r['result'] == 'unverified' and 'not verified' in r['detail'] and '1 fresh in' not in r['detail'], r"
"$SITREP" timeline -c "$TMP/gone.json" >"$TMP/timeline.txt" 2>&1
diag <"$TMP/timeline.txt"
check "the timeline says unverified" bash -c "tail -n 3 '$TMP/timeline.txt' | grep 'purge' | grep -q 'unverified'"

# ---- stale after the purge: failed, not unverified ----
# A GET for a purge is answered 200 and evicts nothing: the edge keeps its copy.
cat >"$TMP/deaf.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnishstat": false,
    "purge_method": "GET", "edge_url": "$EDGE", "origin_url": "$ORIGIN",
    "assets": ["/static/app.js"], "verify_timeout_seconds": 2 } ] }
JSON
chmod 600 "$TMP/deaf.json"
curl -sf "$EDGE/static/app.js" >/dev/null
echo '// fix 2, longer' >>"$TMP/www/static/app.js"
USER=oncall "$SITREP" do purge /static/app.js --yes -c "$TMP/deaf.json" >"$TMP/still.txt" 2>&1
rc=$?
diag <"$TMP/still.txt"
check "a purge that leaves the edge stale fails: exit 1, still stale (rc=$rc)" bash -c "
test $rc -eq 1 && grep -q 'purge accepted, /static/app.js still stale' '$TMP/still.txt'"
check "the audit records it failed" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/state/audit.jsonl')][-1]
assert r['result'] == 'failed' and 'still stale' in r['detail'], r"
finish
