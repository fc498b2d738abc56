#!/usr/bin/env bash
# Integration: a CDN asset's identity is its raw bytes, not the text on
# screen. A real nginx origin serves a file whose name holds U+202E (RIGHT-TO-LEFT
# OVERRIDE) through a real varnishd edge that cached v1; the origin has v2.
# --once shows the path with the control made visible (\u202e), never the raw
# character nor the sanitizer's <U+202E>; `do purge --stale` and `p` in the
# dashboard (the row selected) send PURGE for the raw path, percent-encoded
# (/static/%E2%80%AEsj.lave, what varnish keys on), the dialog shows the
# visible form and says the two differ, and the outcome is the verified one:
# the edge serves v2. (The old code purged the sanitized form, which the
# edge does not have, got 404 at both sides on re-probe and said "1 fresh".)
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v varnishlog >/dev/null || skip_all "varnishlog not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

NAME=$(printf 'static/\xe2\x80\xaesj.lave')
URLPATH=/static/%E2%80%AEsj.lave
echo 'console.log("v1: old");' >"$TMP/www/$NAME"
curl -sf "$EDGE$URLPATH" >/dev/null
check "the edge caches v1 of the file whose name holds U+202E" bash -c "curl -sf '$EDGE$URLPATH' | grep -q v1"
echo 'console.log("v2: the fix, longer");' >"$TMP/www/$NAME"
check "the origin serves v2 under the encoded name" bash -c "curl -sf '$ORIGIN$URLPATH' | grep -q v2"

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "refresh_seconds": 1, "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnishstat": false,
    "edge_url": "$EDGE", "origin_url": "$ORIGIN",
    "assets": ["/static/\u202esj.lave"], "verify_timeout_seconds": 5 } ] }
JSON
chmod 600 "$TMP/sitrep.json"
purged_urls() { varnishlog -n "$TMP/varnish" -d -g request -q 'ReqMethod eq "PURGE"' 2>/dev/null | awk '$2 == "ReqURL" { print $3 }'; }

"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/once.json" 2>"$TMP/once.err"
out=$(python3 -c "
import json; a = json.load(open('$TMP/once.json'))['panes'][0]['data']['assets'][0]
assert a['path'] == '/static/\\\\u202esj.lave', a['path']
assert a['verdict'] == 'stale' and a['edge_status'] == 200 and a['origin_status'] == 200, a" 2>&1)
check "--once: the path with U+202E made visible (\\u202e), stale: the edge's v1 against the origin's v2" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
check "--once: neither the raw control nor <U+202E> in the output" bash -c "! grep -q \$'\xe2\x80\xae' '$TMP/once.json' && ! grep -q 'U+202E' '$TMP/once.json'"

# On a terminal, answered n: the dialog's words; nothing is sent.
printf 'n\n' | script -qec "'$SITREP' do purge --stale -c '$TMP/sitrep.json'" /dev/null >"$TMP/show.txt" 2>&1
diag <"$TMP/show.txt"
check "the dialog shows the path made visible and says so" grep -qF '/static/\u202esj.lave  (path shown with invisible characters made visible)' "$TMP/show.txt"
check "the dialog shows the request for the raw path, percent-encoded" grep -qF "PURGE $EDGE$URLPATH" "$TMP/show.txt"
check "nothing was sent on n" test "$(purges)" = 0

USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
check "do purge --stale --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "varnish got one PURGE, for the raw path encoded ($(purged_urls | tr '\n' ' '))" test "$(purged_urls)" = "$URLPATH"
check "the edge serves v2 now" bash -c "curl -sf '$EDGE$URLPATH' | grep -q v2"
check "the outcome is the verified one" grep -q "1 purged, 1 fresh in" "$TMP/do.txt"
check "the audit log has the encoded request and the visible path, no raw control" bash -c "
grep -qF 'PURGE $EDGE$URLPATH' '$TMP/state/audit.jsonl' && grep -qF '\\\\u202esj.lave' '$TMP/state/audit.jsonl' &&
! grep -q \$'\xe2\x80\xae' '$TMP/state/audit.jsonl'"

# The dashboard: the row selected, p, y.
echo 'console.log("v3: the next fix, longer still");' >"$TMP/www/$NAME"
tm_start 200 24 "env USER=oncall $SITREP --theme mono -c $TMP/sitrep.json"
check "the pane shows the row stale with the path made visible" tm_wait_text 10 'stale   /static/\u202esj.lave'
tm send-keys -t t 1 j p
check "p on the selected row: the dialog shows the visible path and the note" tm_wait_text 5 '(path shown with invisible characters made visible)'
check "... and the exact request, the raw path encoded" tm_wait_text 3 "PURGE $EDGE$URLPATH"
tm_capture >"$TMP/dialog.txt"
diag <"$TMP/dialog.txt"
check "... no <U+202E> anywhere on screen" bash -c "! grep -q 'U+202E' '$TMP/dialog.txt'"
check "nothing is sent before y" test "$(purged_urls | wc -l)" = 1
tm send-keys -t t y
check "y: the verified outcome" tm_wait_text 15 "1 purged, 1 fresh in"
check "varnish got the second PURGE for the raw path too" test "$(purged_urls | sort -u)" = "$URLPATH" -a "$(purged_urls | wc -l)" = 2
check "the edge serves v3" bash -c "curl -sf '$EDGE$URLPATH' | grep -q v3"
tm send-keys -t t q
wait_for 5 tm_pane_dead
finish
