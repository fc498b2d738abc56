#!/usr/bin/env bash
# Screen test: no redraw when nothing changes. With panes whose data never
# changes, only the clock's changed digits reach the terminal each second;
# a full repaint of a 120x40 screen would be several kilobytes.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

TT_PANES='{ "id": "a", "kind": "logs", "source": "note", "text": "first note" },
          { "id": "b", "kind": "cdn", "source": "note", "text": "second note" }'
TT_TITLES=("1 a" "2 b")
tt_start 120 40
check "dashboard up" wait_for 5 tt_all_titles
sleep 1
tm pipe-pane -t t "cat >'$TMP/out'"
sleep 5
tm pipe-pane -t t
bytes=$(wc -c <"$TMP/out")
echo "# $bytes bytes reached the terminal in 5 idle seconds"
check "idle output is only the clock (< 600 bytes in 5 s, got $bytes)" test "$bytes" -lt 600
check "but the clock did tick (> 0 bytes)" test "$bytes" -gt 0
tm send-keys -t t q
check "q exits" wait_for 5 tt_exited
finish
