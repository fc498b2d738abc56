#!/usr/bin/env bash
# Integration, through the dashboard in tmux: the outage with a real nginx
# origin and a real varnishd edge. The cdn pane shows app.js stale with the
# reason and counts it; `p` (nothing selected: every stale asset) opens the
# one dialog with the exact PURGE request; `y` sends it and the outcome is
# the verified one; the row turns fresh and curl through the edge gets v2.
# In read-only mode `p` refuses and varnish sees no PURGE.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

curl -sf "$EDGE/static/app.js" >/dev/null
echo 'console.log("v2: booking fixed");' >"$TMP/www/static/app.js"
check "the edge still serves v1 after the fix" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v1"

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "refresh_seconds": 1, "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnish_name": "$TMP/varnish",
    "edge_url": "$EDGE", "origin_url": "$ORIGIN",
    "assets": ["/", "/static/app.js"], "verify_timeout_seconds": 10 } ] }
JSON
chmod 600 "$TMP/sitrep.json"

tm_start 160 20 "$SITREP --read-only --theme mono -c $TMP/sitrep.json"
check "the pane shows app.js stale" tm_wait_text 10 "stale   /static/app.js"
check "the summary counts it" tm_wait_text 3 "1 stale of 2"
tm send-keys -t t 1 p
check "read-only: p says why" tm_wait_text 3 "read-only: purge refused, nothing was sent"
check "read-only: varnish saw no PURGE" test "$(purges)" = 0
check "read-only: the edge still serves v1" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v1"
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill

tm_start 160 20 "env USER=oncall $SITREP --theme mono -c $TMP/sitrep.json"
tm_wait_text 10 "stale   /static/app.js"
tm send-keys -t t 1 p
check "p asks first, in the one dialog" tm_wait_text 3 "Confirm purge"
check "the dialog shows the exact request" tm_wait_text 3 "PURGE $EDGE/static/app.js"
check "nothing is sent before y" test "$(purges)" = 0
tm send-keys -t t y
check "y purges and reports the verified outcome" tm_wait_text 15 "1 purged, 1 fresh in"
check "varnish saw exactly one PURGE" test "$(purges)" = 1
check "curl through the edge gets v2" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v2"
check "the row turns fresh" tm_wait_text 5 "fresh   /static/app.js"
check "the summary says 0 stale" tm_wait_text 3 "0 stale of 2"
tm_capture >"$TMP/screen.txt"
tm send-keys -t t q
wait_for 5 tm_pane_dead
check "sitrep quit cleanly" test -z "$(grep -v '^$' "$TMP/screen.txt" | grep -c 'Segmentation\|AddressSanitizer' | grep -v '^0$')"
check "the timeline has the stale asset and its return" bash -c "'$SITREP' timeline -c '$TMP/sitrep.json' 2>/dev/null | grep -q 'static/app.js stale' && '$SITREP' timeline -c '$TMP/sitrep.json' 2>/dev/null | grep -q 'fresh again'"
finish
