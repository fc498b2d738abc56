#!/usr/bin/env bash
# Integration: one cdn pane, two real varnishd edges ("fra", "lhr") in front
# of one real nginx origin. fra cached app.js v1, then the origin got v2:
# --once --json has one row per edge and asset, each with its own verdict
# and its edge's name; the pane's request_headers reach both edges
# (varnishlog); `do purge --stale --yes` sends a PURGE to the stale row's
# edge alone (fra) and is done when it serves v2. An edge of two that is down is its rows' error,
# not the pane's; config mistakes about edges are reported where they are.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v varnishlog >/dev/null || skip_all "varnishlog not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up
cdn_edge2_up

# cfg NAME EDGES-JSON [EXTRA]: a one-pane config with those edges.
cfg() {
	cat >"$TMP/$1.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnishstat": false,
    "edges": $2, "origin_url": "$ORIGIN", "timeout_seconds": 2, "verify_timeout_seconds": 10,
    "request_headers": { "X-Sitrep-Probe": "edges-test" }${3:-},
    "assets": ["/static/app.js", "/static/app.css"] } ] }
JSON
	chmod 600 "$TMP/$1.json"
}
py() {
	local f=$1; shift
	python3 -c "
import json, sys
p = json.load(open('$f'))['panes'][0]; d = p['data'] or {}
r = {(x.get('edge'), x['path']): x for x in d.get('assets', [])}
$*" 2>&1
}
# purges_at INSTANCE: the PURGE requests that varnish instance logged.
purges_at() { varnishlog -n "$1" -d -g request -q 'ReqMethod eq "PURGE"' 2>/dev/null | grep -c 'ReqMethod *PURGE'; }

curl -s -o /dev/null "$EDGE/static/app.js"
check "fra caches app.js v1" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v1"
echo 'console.log("v2: booking fixed");' >"$TMP/www/static/app.js"
TWO='[ { "name": "fra", "url": "'$EDGE'" }, { "name": "lhr", "url": "'$EDGE2'" } ]'
cfg two "$TWO"

"$SITREP" --once --json -c "$TMP/two.json" >"$TMP/two.out" 2>"$TMP/two.err"
rc=$?
check "two edges: --once exits 0 (rc=$rc)" test "$rc" -eq 0
[ "$rc" -ne 0 ] && diag <"$TMP/two.err"
out=$(py "$TMP/two.out" "
assert p['state'] == 'ok', p
assert [(x['edge'], x['path']) for x in d['assets']] == [('fra', '/static/app.js'), ('lhr', '/static/app.js'), ('fra', '/static/app.css'), ('lhr', '/static/app.css')], d['assets']
assert r[('fra', '/static/app.js')]['verdict'] == 'stale', r[('fra', '/static/app.js')]
assert r[('fra', '/static/app.js')]['detail'].startswith('edge ETag '), r[('fra', '/static/app.js')]
assert r[('lhr', '/static/app.js')]['verdict'] == 'fresh', r[('lhr', '/static/app.js')]
assert r[('fra', '/static/app.css')]['verdict'] == 'fresh' and r[('lhr', '/static/app.css')]['verdict'] == 'fresh'")
check "one row per edge and asset, each with its edge's name and its own verdict (fra stale, lhr fresh)" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
"$SITREP" --once -c "$TMP/two.json" >"$TMP/two.txt" 2>&1
check "the text output names the edge of the stale row" grep -qE '^ *stale +/static/app.js .*fra: edge ETag' "$TMP/two.txt"

for inst in varnish varnish2; do
	n=$(varnishlog -n "$TMP/$inst" -d -g request -q 'ReqHeader:X-Sitrep-Probe eq "edges-test"' 2>/dev/null | grep -c 'ReqHeader *X-Sitrep-Probe: edges-test')
	check "the pane's request header reached $inst ($n requests carried it)" test "${n:-0}" -ge 2
done
n=$(varnishlog -n "$TMP/varnish2" -d -g request -q 'BereqHeader:X-Sitrep-Probe eq "edges-test"' 2>/dev/null | grep -c 'BereqHeader *X-Sitrep-Probe: edges-test')
check "and went on to the origin with lhr's fetch ($n)" test "${n:-0}" -ge 1

USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/two.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
check "do purge --stale --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "it reports the outcome at the stale row's edge" grep -q "1 purged, 1 fresh at fra in" "$TMP/do.txt"
check "fra logged one PURGE" test "$(purges_at "$TMP/varnish")" = 1
check "lhr, fresh, was sent nothing" test "$(purges_at "$TMP/varnish2")" = 0
check "curl through fra now gets v2" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v2"

# ---- a selected row: its edge alone, in the dialog and in the requests ----
curl -s -o /dev/null "$EDGE2/static/app.js"
echo 'console.log("v3: both edges stale now, longer");' >"$TMP/www/static/app.js"
check "both edges serve v2 while the origin has v3" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v2 && curl -sf '$EDGE2/static/app.js' | grep -q v2"
tm_start 200 24 "env USER=oncall $SITREP --theme mono -c $TMP/two.json"
tm_wait_text 10 "stale   lhr /static/app.js"
tm send-keys -t t 1 j p
check "p on fra's row: the dialog names fra alone" tm_wait_text 5 "at edge fra ($EDGE): 1 asset"
check "... says nothing goes to lhr" tm_wait_text 3 "nothing is sent to lhr"
check "... shows fra's request" tm_wait_text 3 "PURGE $EDGE/static/app.js"
tm_capture >"$TMP/dialog.txt"
diag <"$TMP/dialog.txt"
check "... and no request to lhr" bash -c "! grep -qF 'PURGE $EDGE2' '$TMP/dialog.txt'"
tm send-keys -t t y
check "y: verified at fra" tm_wait_text 15 "1 purged, 1 fresh at fra in"
check "fra logged its second PURGE" test "$(purges_at "$TMP/varnish")" = 2
check "lhr was sent nothing and still serves v2" bash -c "test \$(varnishlog -n '$TMP/varnish2' -d -g request -q 'ReqMethod eq \"PURGE\"' 2>/dev/null | grep -c 'ReqMethod *PURGE') = 0 && curl -sf '$EDGE2/static/app.js' | grep -q v2"
tm send-keys -t t 1 j p
check "p on lhr's row: the dialog names lhr alone" tm_wait_text 5 "at edge lhr ($EDGE2): 1 asset"
tm send-keys -t t y
check "y: verified at lhr" tm_wait_text 15 "1 purged, 1 fresh at lhr in"
check "lhr logged one PURGE, fra none more" bash -c "test $(purges_at "$TMP/varnish") = 2 && test \$(varnishlog -n '$TMP/varnish2' -d -g request -q 'ReqMethod eq \"PURGE\"' 2>/dev/null | grep -c 'ReqMethod *PURGE') = 1"
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill

# ---- one edge of two down ----
DOWN=$(free_port)
cfg down '[ { "name": "fra", "url": "'$EDGE'" }, { "name": "gone", "url": "http://127.0.0.1:'$DOWN'" } ]'
"$SITREP" --once --json -c "$TMP/down.json" >"$TMP/down.out" 2>/dev/null
rc=$?
out=$(py "$TMP/down.out" "
assert p['state'] == 'ok', p
assert r[('fra', '/static/app.js')]['verdict'] == 'fresh', r
g = r[('gone', '/static/app.js')]
assert g['verdict'] == 'error' and g['edge_status'] is None and g['detail'].startswith('edge: '), g")
check "an edge of two down: its rows say error, the other edge's rows are judged, the pane is ok (rc=$rc)" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
cfg alldown '[ { "name": "a", "url": "http://127.0.0.1:'$DOWN'" }, { "name": "b", "url": "http://127.0.0.1:'$DOWN'/x" } ]'
"$SITREP" --once --json -c "$TMP/alldown.json" >"$TMP/alldown.out" 2>/dev/null
rc=$?
out=$(py "$TMP/alldown.out" "
assert p['state'] == 'error', p
assert p['error'].startswith('edge a http://127.0.0.1:$DOWN: ') and '; edge b http://127.0.0.1:$DOWN/x: ' in p['error'], p['error']")
check "every edge down: the pane fails naming each edge (rc=$rc)" bash -c "test $rc -eq 1 && test -z '$out'"
[ -n "$out" ] && diag <<<"$out"

# ---- config ----
cfg both "$TWO" ', "edge_url": "'$EDGE'"'
"$SITREP" --check-config -c "$TMP/both.json" >"$TMP/both.txt" 2>&1
rc=$?
check "edges and edge_url together: exit 2 at edge_url (rc=$rc)" bash -c "test $rc -eq 2 && grep -q 'both.json:4:.*\"edge_url\" or \"edges\", not both' '$TMP/both.txt'"
cfg dup '[ { "name": "fra", "url": "'$EDGE'" }, { "name": "fra", "url": "'$EDGE2'" } ]'
"$SITREP" --check-config -c "$TMP/dup.json" >"$TMP/dup.txt" 2>&1
rc=$?
check "two edges with one name: exit 2 (rc=$rc)" bash -c "test $rc -eq 2 && grep -q 'two edges named \"fra\"' '$TMP/dup.txt'"
cfg typo '[ { "name": "fra", "ulr": "'$EDGE'" } ]'
"$SITREP" --check-config -c "$TMP/typo.json" >"$TMP/typo.txt" 2>&1
rc=$?
check "a misspelt key in an edge: exit 2 naming it (rc=$rc)" bash -c "test $rc -eq 2 && grep -q 'ulr' '$TMP/typo.txt'"
diag <"$TMP/typo.txt"
cfg purl "$TWO" ', "purge_url": "'$EDGE'"'
"$SITREP" --check-config -c "$TMP/purl.json" >"$TMP/purl.txt" 2>&1
rc=$?
check "a pane-wide purge_url with several edges: exit 2 (rc=$rc)" bash -c "test $rc -eq 2 && grep -q 'each edge its own' '$TMP/purl.txt'"
finish
