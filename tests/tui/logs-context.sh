#!/usr/bin/env bash
# logs-context: one step closer. A log group's detail shows its latest lines,
# each with the lines of its source just before and after it (from the lines
# sitrep keeps), and `@` jumps the raw lines to a time typed in the header
# (HH:MM[:SS] on the day of the newest line, a full timestamp, or -DURATION);
# a time that is not one is said so.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
export TZ=UTC

LOG="$TMP/app.log"
for s in $(seq 0 59); do
	case $s in
	10 | 30 | 50) printf '2025-06-01 10:00:%02d ERROR payment %d failed: upstream timeout\n' "$s" "$((s * 7))" ;;
	*) printf '2025-06-01 10:00:%02d INFO step %02d done\n' "$s" "$s" ;;
	esac
done >"$LOG"
cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] } ] }
CONF
chmod 600 "$TMP/sitrep.json"

tm_start 140 50 env TZ=UTC "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "payment" || tm_capture | diag
tm send-keys -t t 1
screen() { tm_capture; }
on_screen() { screen | grep -qF -- "$1"; }
header() { screen | sed -n 2p; }

# the group's detail: its 3 lines, each between its neighbours
tm send-keys -t t Down
tm send-keys -t t Enter
check "the detail lists the group's latest lines with context" wait_for 3 on_screen "latest 3 lines, with the lines around each"
check "a line before the 10:00:30 error" on_screen "  2025-06-01 10:00:29 2025-06-01 10:00:29 INFO step 29 done"
check "the error itself, marked" on_screen "> 2025-06-01 10:00:30 2025-06-01 10:00:30 ERROR payment 210 failed"
check "a line after it" on_screen "  2025-06-01 10:00:31 2025-06-01 10:00:31 INFO step 31 done"
check "the oldest of the three too (10:00:10, after 10:00:08)" on_screen "  2025-06-01 10:00:08 2025-06-01 10:00:08 INFO step 08 done"
tm send-keys -t t Escape

# @: jump to a time
jump_to() {
	tm send-keys -t t @
	wait_for 3 eval 'header | grep -q "jump to"' || return 1
	tm send-keys -t t -l "$1"
	tm send-keys -t t Enter
}
# the selected line is the one Enter details
selected_is() {
	tm send-keys -t t Enter
	local r=1
	wait_for 3 on_screen "$1" && r=0
	((r)) && screen | diag
	tm send-keys -t t Escape
	return $r
}
jump_to "10:00:40"
check "@10:00:40: the raw lines" wait_for 3 eval 'header | grep -q "^.lines: 3 errors"'
check "... with the 10:00:40 line selected" selected_is "INFO step 40 done"
jump_to "2025-06-01 10:00:15"
check "@ a full timestamp: the 10:00:15 line" selected_is "INFO step 15 done"
jump_to "10:00:30"
check "@10:00:30: the error at that second" selected_is "ERROR payment 210 failed"
jump_to "half past ten"
check "a time that is not one is said" wait_for 3 eval 'header | grep -q "not a time: half past ten"'

echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
