#!/usr/bin/env bash
# Integration, live in the dashboard (tmux): "stale since deploy r42 (N min)".
# A releases deploys pane (a temp dir with releases/ and a `current`
# symlink) beside a cdn pane on a real nginx origin and varnishd edge. While
# sitrep runs, `current` is swapped to r42 (the deploys source publishes the
# deploy) and the origin gets the new app.js; the edge keeps the old one.
# The cdn row's reason names the deploy, on the screen (Enter shows the whole
# reason) and in the timeline's stale event.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up
curl -sf -o /dev/null "$EDGE/static/app.js"

APP=$TMP/app
mkdir -p "$APP/releases/r41" "$APP/releases/r42"
ln -s releases/r41 "$APP/current"
cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "refresh_seconds": 1, "panes": [
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP" },
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish", "varnish_name": "$TMP/varnish",
    "edge_url": "$EDGE", "origin_url": "$ORIGIN", "assets": ["/static/app.js"] } ] }
JSON
chmod 600 "$TMP/sitrep.json"
tm_start 200 30 "$SITREP --theme mono -c $TMP/sitrep.json"
check "the cdn row is fresh before the deploy" tm_wait_text 10 "fresh   /static/app.js"

# The deploy: current -> r42 (atomically, as deploy tools do), new app.js.
ln -s releases/r42 "$APP/current.new" && mv -T "$APP/current.new" "$APP/current"
echo 'console.log("v2: booking fixed");' >"$TMP/www/static/app.js"
check "the cdn row turns stale" tm_wait_text 10 "stale   /static/app.js"
# The row is narrower than the reason: Enter on it shows all of it.
tm send-keys -t t 2
sleep 0.3
tm send-keys -t t j
sleep 0.3
tm send-keys -t t Enter
# The details box wraps the reason: its lines are read joined.
joined() { tm_capture | tr -d '\n│' | tr -s ' ' | grep -qF "stale since deploy r42 (0 min)"; }
check "the reason names the deploy (Enter on the row)" wait_for 10 joined
tm_capture >"$TMP/screen.txt"
grep -q "stale since deploy r42" "$TMP/screen.txt" || diag <"$TMP/screen.txt"
tm send-keys -t t q
wait_for 5 tm_pane_dead
"$SITREP" timeline -c "$TMP/sitrep.json" >"$TMP/timeline.txt" 2>&1
diag <"$TMP/timeline.txt"
check "the timeline has the deploy" grep -q "r42" "$TMP/timeline.txt"
check "the timeline's stale event names the deploy" \
	grep -qE "/static/app.js stale.*stale since deploy r42 \([0-9]+ min\)" "$TMP/timeline.txt"
finish
