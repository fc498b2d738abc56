#!/usr/bin/env bash
# list: the list engine (tui/list.c) through the logs pane, read from the real
# screen. The selection stays on its group when a new line moves another
# group above it; Home, PgDn (one page less one row), PgUp, End and G move the
# selection; in the raw view End and G follow the newest line again; `/`
# filters the groups and Esc clears it; Enter shows the selected row's
# details. tests/integration/alerts-list.sh checks the same on the alerts pane.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

LOG="$TMP/app.log"
{
	for i in $(seq 1 80); do printf 'info request %03d ok\n' "$i"; done
	echo "error alpha store failed on shard 1"
	echo "error bravo queue failed on shard 1"
	echo "error charlie cache failed on shard 1"
} >"$LOG"
cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] } ] }
CONF

W=120 H=40
tm_start $W $H "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "charlie cache" || tm_capture | diag
tm send-keys -t t 1

screen() { tm_capture; }
on_screen() { screen | grep -qE -- "$1"; }
off_screen() { ! screen | grep -qE -- "$1"; }
header_has() { screen | sed -n 2p | grep -qE -- "$1"; }
# detail_has TEXT: Enter opens the selected row's details, whose text lines
# start "│ " (pane rows never do); Esc closes them.
detail_has() {
	tm send-keys -t t Enter
	local r=1
	wait_for 3 on_screen "│ $1" && r=0
	((r)) && screen | diag
	tm send-keys -t t Escape
	wait_for 3 off_screen "│ $1" || true
	return $r
}
# The screen row of the first group row that shows TEXT.
row_of() { screen | grep -nE -- "^│[EW] .*$1" | head -1 | cut -d: -f1; }
# The group drawn on the first row of the pane (line 3: frame, header, row).
first_group() { screen | sed -n 3p | sed -nE 's/^│[EW] ×[0-9]+ +[0-9a-z]+ +error ([a-z]+) .*/\1/p'; }

# --- the selection follows its group ---------------------------------------
wait_for 3 header_has '^│groups +3 err'
top=$(first_group)
check "the groups are listed (top: ${top:-none})" test -n "$top"
tm send-keys -t t Home
check "Home selects the first group" detail_has "error $top"
before=$(row_of "error $top")
# A new line of the last group makes it the most recent: it moves to the top.
last_group() { screen | sed -nE 's/^│E ×[0-9]+ +[0-9a-z]+ +error ([a-z]+) .*/\1/p' | tail -1; }
last=$(last_group)
echo "error $last $(grep -o "$last [a-z]* failed" "$LOG" | head -1 | cut -d' ' -f2) failed on shard 2" >>"$LOG"
check "the group of the new line moves to the top" wait_for 5 bash -c "[ \"\$(tmux -L '$TSOCK' capture-pane -p -t t | sed -n 3p | grep -c 'error $last')\" = 1 ]"
after=$(row_of "error $top")
check "the selected group moved down a row ($before -> $after)" test "${after:-0}" = $((${before:-0} + 1))
check "and is still the one selected" detail_has "error $top"
tm send-keys -t t End
check "End selects the last group" detail_has "error $(last_group)"
tm send-keys -t t Home G
check "G selects the last group too" detail_has "error $(last_group)"

# --- the filter on the groups ----------------------------------------------
tm send-keys -t t /
tm send-keys -t t -l 'bravo|charlie'
tm send-keys -t t Enter
check "the filter counts its matches" wait_for 3 header_has '^│groups /bravo\|charlie \(2\)'
check "and hides the other group" off_screen '│E .*error alpha'
tm send-keys -t t n
check "n selects the first match" detail_has "error (bravo|charlie)"
tm send-keys -t t Escape
check "Esc clears the filter" wait_for 3 on_screen '│E .*error alpha'

# --- paging in the raw lines -----------------------------------------------
tm send-keys -t t g
wait_for 3 header_has '^│lines' || screen | diag
check "the raw view follows the newest line" on_screen 'failed on shard 2'
tm send-keys -t t Home
check "Home shows the oldest line" wait_for 3 on_screen 'request 001 ok'
check "Home selects the oldest line" detail_has 'info request 001 ok'
# Rows shown in the pane: PgDn moves one page less one row, from 1 to that.
page=$(screen | grep -c 'info request [0-9]* ok')
tm send-keys -t t NPage
check "PgDn moves the selection to line $page" detail_has "$(printf 'info request %03d ok' "$page")"
tm send-keys -t t NPage
check "PgDn again to line $((2 * page - 1))" detail_has "$(printf 'info request %03d ok' $((2 * page - 1)))"
tm send-keys -t t PPage
check "PgUp back to line $page" detail_has "$(printf 'info request %03d ok' "$page")"
check "the oldest line has scrolled off" off_screen 'request 001 ok'
echo "info request 081 ok" >>"$LOG"
sleep 1
check "with a selection the view stays put" off_screen 'request 081 ok'
tm send-keys -t t End
check "End follows the newest line again" wait_for 3 on_screen 'request 081 ok'
check "with nothing selected Enter describes the pane" detail_has "pane app"
tm send-keys -t t Home
wait_for 3 on_screen 'request 001 ok'
tm send-keys -t t G
check "G follows the newest line too" wait_for 3 on_screen 'request 081 ok'
echo "info request 082 ok" >>"$LOG"
check "and keeps following" wait_for 3 on_screen 'request 082 ok'

tm send-keys -t t q
check "sitrep quits" wait_for 3 tm_pane_dead
finish
