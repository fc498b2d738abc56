#!/usr/bin/env bash
# logs-filter: the logs pane's view keys on a followed file, read from the real
# screen. `/` filters (the header says so and counts the matches), n/N step
# through the matches and wrap, Esc clears the filter, `g` switches between
# the groups and the raw lines, j/k/Home/PgDn move and scroll, the raw view
# follows new lines only while nothing is selected, and Enter shows a line
# too long for the pane in full.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

LOG="$TMP/app.log"
{
	for i in $(seq 1 80); do printf 'info request %03d ok\n' "$i"; done
	echo "error database timeout on shard 7"
	echo "warning slow query took 250 ms"
	echo "error database timeout on shard 9"
	echo "error payment gateway refused card"
} >"$LOG"
cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] } ] }
CONF

W=120 H=40
tm_start $W $H "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "payment gateway" || tm_capture | diag
tm send-keys -t t 1

screen() { tm_capture; }
on_screen() { screen | grep -qE -- "$1"; }
off_screen() { ! screen | grep -qE -- "$1"; }
# The header is the first line inside the frame.
header() { screen | sed -n 2p; }
header_has() { header | grep -qE -- "$1"; }
# detail_is TEXT: Enter opens the selected line's details, whose text line is
# "│ TEXT" (pane rows start with the time, never with a space); Esc closes.
detail_is() {
	tm send-keys -t t Enter
	local r=1
	wait_for 3 on_screen "│ $1" && r=0
	((r)) && screen | diag
	tm send-keys -t t Escape
	wait_for 3 off_screen "^│[^│]*│ $1" || true
	return $r
}

# Groups view: the two database timeouts are one group of 2 (numbers masked).
check "groups view by default" wait_for 3 header_has '^│groups: 3 errors, 1 warning, 84 lines'
check "the two timeouts are one group of 2" on_screen '│E ×2 .*database timeout on shard'
check "the payment error is its own group" on_screen '│E ×1 .*payment gateway refused card'

# `/` filter in the groups view.
tm send-keys -t t /
check "/ opens the filter prompt in the header" wait_for 3 header_has '^│/_'
tm send-keys -t t -l 'timeout'
check "the typed regex is echoed" wait_for 3 header_has '^│/timeout_'
tm send-keys -t t Enter
check "the header shows the filter and its match count" wait_for 3 header_has '^│groups /timeout \(1\): '
check "the filter keeps the matching group" on_screen 'database timeout'
check "the filter hides the others" off_screen 'payment gateway'
tm send-keys -t t Escape
check "Esc clears the filter" wait_for 3 on_screen 'payment gateway'
check "the header no longer shows a filter" header_has '^│groups: 3 errors'

# A bad regex is reported, not applied.
tm send-keys -t t /
tm send-keys -t t -l 'a(b'
tm send-keys -t t Enter
check "a bad regex is reported in the header" wait_for 3 header_has 'bad regex'
check "and every group stays listed" on_screen 'payment gateway'
tm send-keys -t t Escape

# `g` switches to the raw lines, which follow the newest at the bottom.
tm send-keys -t t g
check "g switches to the raw lines" wait_for 3 header_has '^│lines: 3 errors'
check "raw view shows info lines" on_screen 'info request 080 ok'
check "raw view follows the end (oldest line scrolled off)" off_screen 'request 001 ok'
echo "info request 081 ok" >>"$LOG"
check "a new line appears at the bottom while following" wait_for 3 on_screen 'request 081 ok'

# Filter the raw lines: request 040..049 are the 10 matches.
tm send-keys -t t /
tm send-keys -t t -l 'request 04[0-9]'
tm send-keys -t t Enter
check "raw filter counts 10 matches" wait_for 3 header_has '^│lines /request 04\[0-9\] \(10\): '
check "non-matching lines hidden" off_screen 'request 050 ok'
tm send-keys -t t n
check "n selects the first match" detail_is 'info request 040 ok'
tm send-keys -t t n n
check "n n moves two matches on" detail_is 'info request 042 ok'
tm send-keys -t t N
check "N moves back one" detail_is 'info request 041 ok'
tm send-keys -t t N N
check "N wraps from the first match to the last" detail_is 'info request 049 ok'
tm send-keys -t t Escape
check "Esc clears the raw filter" wait_for 3 header_has '^│lines: 3 errors'

# Scrolling: Home goes to the oldest line and keeps the view there.
tm send-keys -t t Home
check "Home shows the oldest line" wait_for 3 on_screen 'request 001 ok'
check "Home scrolls the newest lines off" off_screen 'payment gateway'
check "Home selects the oldest line" detail_is 'info request 001 ok'
tm send-keys -t t j j
check "j j moves down two lines" detail_is 'info request 003 ok'
tm send-keys -t t k
check "k moves up one line" detail_is 'info request 002 ok'
echo "info request 082 ok" >>"$LOG"
sleep 1
check "with a selection, a new line does not move the view" on_screen 'request 001 ok'
tm send-keys -t t NPage
check "PgDn scrolls the first line off" wait_for 3 off_screen 'request 001 ok'
tm send-keys -t t Enter
wait_for 3 on_screen '│ info request [0-9]+ ok'
sel=$(screen | sed -nE 's/.*│ info request 0*([0-9]+) ok.*/\1/p' | head -1)
tm send-keys -t t Escape
check "PgDn moves the selection a page (line 2 -> ${sel:-none})" test "${sel:-0}" -gt 20
tm send-keys -t t End
check "End follows the newest line again" wait_for 3 on_screen 'request 082 ok'

# Enter shows a whole line that the pane can only show cut.
words=$(for i in $(seq 1 200); do printf 'w%03d ' "$i"; done)
echo "error LONGSTART ${words}LONGEND" >>"$LOG"
check "the long line arrives" wait_for 3 on_screen 'LONGSTART'
check "the pane row cuts the long line" off_screen 'LONGEND'
tm send-keys -t t k Enter
check "Enter shows the long line's end" wait_for 3 on_screen 'LONGEND'
check "and its start in the same dialog" on_screen '│ error LONGSTART w001'
check "and a word from its middle" on_screen 'w100 '
tm send-keys -t t Escape
check "Esc closes the long line" wait_for 3 off_screen 'LONGEND'

tm send-keys -t t g
check "g goes back to the groups" wait_for 3 header_has '^│groups: 4 errors'
check "the long line is a group of its own" on_screen '│E ×1 .*LONGSTART'
tm send-keys -t t q
check "sitrep quits" wait_for 3 tm_pane_dead
finish
