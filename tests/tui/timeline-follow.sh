#!/usr/bin/env bash
# timeline-follow: the timeline pane follows the incident. New error groups
# arrive (more than the pane has rows): the newest is in view, at the top.
# Once the user moves down to read, the rows stay put and "N new ↑" counts
# what arrived since; Home brings the newest back and the count goes. Then
# `t` from another pane focuses and zooms the timeline pane.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

LOG="$TMP/app.log"
echo "info started" >"$LOG"
cat >"$TMP/sitrep.json" <<CONF
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] },
  { "id": "story", "kind": "timeline" } ] }
CONF
chmod 600 "$TMP/sitrep.json"

# group NAME: an error line of a group of its own (letters only, so the
# grouping does not fold two of them into one)
word() { echo "$1" | tr 0-9 k-t; }
burst() { for i in $(seq "$1" "$2"); do echo "error unit-$(word "$i") broke down"; done >>"$LOG"; }
# the timeline pane's row for group i (the logs pane shows the message alone)
# (a row of the pane, not the status line's hint)
tl_row() { tm_capture | grep -qE "│[0-9:]{8} .*new error group in app\.log.*unit-$(word "$1") "; }
# at least N counted (an "errors spiking" entry may arrive with them)
new_count() {
	local n
	n=$(tm_capture | grep -oE '[0-9]+ new ↑' | grep -oE '^[0-9]+')
	[ -n "$n" ] && [ "$n" -ge "$1" ]
}
no_new() { ! tm_capture | grep -qF "new ↑"; }

tm_start 160 30 "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 10 "app" || tm_capture | diag
sleep 1.5
burst 90 90
check "a first entry is in view (and selected)" wait_for 10 tl_row 90
burst 100 140
check "the newest of 41 new groups is in the timeline pane's view" wait_for 10 tl_row 140
check "so are the others just before it" wait_for 5 tl_row 139
tm_capture | diag

# focus the timeline, move away from the newest row: the rows stay put
tm send-keys -t t 2
sleep 0.3
tm send-keys -t t Down Down
sleep 2
burst 200 202
check "away from the top, the pane counts the new entries" wait_for 10 new_count 3
check "and the view stays where the user is reading" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '│[0-9:]{8} .*unit-$(word 202) '"
tm_capture | diag
tm send-keys -t t Home
check "Home: the newest is in view again" wait_for 5 tl_row 202
check "Home: the count is gone" wait_for 5 no_new
burst 300 300
check "back at the top, the pane follows again" wait_for 10 tl_row 300
check "following: no count" no_new

# t from another pane: the timeline pane takes the focus and the screen
tm send-keys -t t 1
sleep 0.3
tm send-keys -t t t
zoomed() { tm_capture | grep -qE '┌ 2 story' && ! tm_capture | grep -qF ' 1 app '; }
check "t focuses and zooms the timeline pane" wait_for 5 zoomed
tm_capture | diag
tm send-keys -t t q
wait_for 5 tm_pane_dead
finish
