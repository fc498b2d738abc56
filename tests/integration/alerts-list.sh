#!/usr/bin/env bash
# Integration: the list engine (tui/list.c) on the alerts pane, against a real
# prometheus-alertmanager. Thirty alerts make more than a page: Home, PgDn
# (one page less one row), PgUp, End and G move the selection; when a new
# critical alert sorts above the selected one, the selection stays on its
# alert; `/` filters on the name and says how many match, n/N step through
# the matches and wrap, Esc clears; Enter shows the selected alert.
source "$(dirname "$0")/../lib.sh"
command -v prometheus-alertmanager >/dev/null || skip_all "prometheus-alertmanager not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"

lab_up "alertmanager"
ok "alertmanager started on 127.0.0.1:$AM_PORT"

# One start time, so the warnings sort by name: ListRow01 .. ListRow30.
since=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)
post() { curl -fsS -XPOST -H 'Content-Type: application/json' "$AM_URL/api/v2/alerts" -d "$1"; }
body=$(for i in $(seq -w 1 30); do
	printf '{"labels":{"alertname":"ListRow%s","severity":"warning"},"annotations":{"summary":"row %s"},"startsAt":"%s"}\n' \
		"$i" "$i" "$since"
done | paste -sd, -)
post "[$body]" || not_ok "alerts posted"

cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "$AM_URL" } ] }
JSON

W=140 H=20
tm_start $W $H "$SITREP" -c "$TMP/sitrep.json"
check "the alerts are drawn" tm_wait_text 10 "ListRow01"
tm send-keys -t t 1

screen() { tm_capture; }
on_screen() { screen | grep -qE -- "$1"; }
off_screen() { ! screen | grep -qE -- "$1"; }
# detail_is NAME: Enter opens the selected alert, whose first line is its
# name after "│ " (rows start with the severity); Esc closes it.
detail_is() {
	tm send-keys -t t Enter
	local r=1
	wait_for 3 on_screen "│ $1( |│|$)" && r=0
	((r)) && screen | diag
	tm send-keys -t t Escape
	wait_for 3 off_screen "│ $1( |│|$)" || true
	return $r
}
row() { printf 'ListRow%02d' "$1"; }

# --- paging ------------------------------------------------------------------
check "focusing the pane selects its first alert" detail_is ListRow01
# Rows shown: PgDn moves one page less one row, from 1 to that.
page=$(screen | grep -c '^│warning *ListRow[0-9]')
check "ListRow30 is below the first page ($page rows)" off_screen '^│warning +ListRow30'
tm send-keys -t t NPage
check "PgDn moves the selection to $(row "$page")" detail_is "$(row "$page")"
p2=$((2 * page - 1 < 30 ? 2 * page - 1 : 30))
tm send-keys -t t NPage
check "PgDn again to $(row $p2), no further than the last" detail_is "$(row $p2)"
tm send-keys -t t PPage
check "PgUp goes a page back up, to $(row $((p2 - page + 1)))" detail_is "$(row $((p2 - page + 1)))"
tm send-keys -t t End
check "End shows the last alert" wait_for 3 on_screen '^│warning +ListRow30'
check "End selects the last alert" detail_is ListRow30
check "End scrolled the first alert off" off_screen '^│warning +ListRow01'
tm send-keys -t t Home
check "Home shows the first alert again" wait_for 3 on_screen '^│warning +ListRow01'
check "Home selects the first alert" detail_is ListRow01
tm send-keys -t t G
check "G selects the last alert" detail_is ListRow30
tm send-keys -t t Home j j j j
check "j moves down one alert at a time" detail_is ListRow05

# --- the selection follows its alert ---------------------------------------
row_at() { screen | grep -n -- "$1" | head -1 | cut -d: -f1; }
before=$(row_at ListRow05)
post '[{"labels":{"alertname":"ListUrgent","severity":"critical"},"annotations":{"summary":"new"},"startsAt":"'"$since"'"}]'
moved() { [ "$(row_at ListRow05)" = $((${before:-0} + 1)) ]; }
check "the new alert sorts above: ListRow05 moves down a row from row $before" wait_for 10 moved
check "and is still the one selected" detail_is ListRow05
tm send-keys -t t Home
check "the new critical alert is the first row" wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | sed -n 2p | grep -q 'critical *ListUrgent'"

# --- the filter ----------------------------------------------------------------
tm send-keys -t t /
check "/ opens the filter prompt" wait_for 3 on_screen '^│/_'
tm send-keys -t t -l 'row1[0-9]'
check "the typed filter is echoed" wait_for 3 on_screen '^│/row1\[0-9\]_'
tm send-keys -t t Enter
check "the filter line counts the matches" wait_for 3 on_screen '^│/row1\[0-9\] \(10 of 31\)'
check "the filter hides the others" off_screen '^│[a-z]+ +(ListRow0[0-9]|ListUrgent)'
check "and keeps the matches" on_screen 'ListRow19'
check "the first match is selected" detail_is ListRow10
tm send-keys -t t n n
check "n n moves two matches on" detail_is ListRow12
tm send-keys -t t N N N
check "N wraps from the first match to the last" detail_is ListRow19
tm send-keys -t t /
tm send-keys -t t -l 'nothing-like-this'
tm send-keys -t t Enter
check "a filter without matches says so" wait_for 3 on_screen '\(nothing matches the filter\)'
tm send-keys -t t Escape
check "Esc clears the filter" wait_for 3 on_screen '^│critical +ListUrgent'
check "the filter line is gone" off_screen '^│/'
tm send-keys -t t s
check "s asks to silence the selected alert" wait_for 3 on_screen 'silence ListUrgent for'
tm send-keys -t t n
check "another key cancels" wait_for 3 off_screen 'silence ListUrgent for'

tm send-keys -t t q
check "sitrep quits" wait_for 5 tm_pane_dead
finish
