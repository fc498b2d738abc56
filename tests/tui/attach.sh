#!/usr/bin/env bash
# Screen test: two people in one tmux session. A second client of another size
# attaches (from inside an outer tmux, which gives it a terminal); tmux resizes
# the window and sitrep must redraw cleanly at the new size, and again when
# that client leaves.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

tt_start 120 40
check "dashboard up at 120x40" wait_for 5 tt_all_titles
check "clean at 120x40" wait_for 3 tt_clean 120 40

# The window follows the most recently active client.
tm set-option -g window-size latest >/dev/null
OUTER="$TSOCK-outer"
TMUX_SOCKETS+=("$OUTER")
tmux -L "$OUTER" -f /dev/null new-session -d -s o -x 90 -y 30 \
	"env -u TMUX tmux -L '$TSOCK' attach -t t"
win_size() { tm display-message -p -t t '#{window_width}x#{window_height}'; }
size_is() { [ "$(win_size)" = "$1" ]; }
# The inner client has the inner status line: 90x30 gives a 90x29 window.
check "the second client resized the window" wait_for 5 size_is 90x29
check "clean after the second client attached (90x29)" wait_for 3 tt_clean 90 29
check "the other client sees the same screen" wait_for 3 bash -c \
	"tmux -L '$OUTER' capture-pane -p -t o | grep -qF ' 1 host '"

# The outer session shrinks: the attached client and the window follow.
tmux -L "$OUTER" resize-window -t o -x 70 -y 22
check "the window followed the client to 70x21" wait_for 5 size_is 70x21
check "clean at 70x21" wait_for 3 tt_clean 70 21

# The second client leaves; the window goes back to a size sitrep must follow.
tmux -L "$OUTER" kill-server
sleep 0.5
tm resize-window -t t -x 120 -y 40
check "window back at 120x40" wait_for 5 size_is 120x40
check "clean after the second client left" wait_for 3 tt_clean 120 40

tm send-keys -t t q
check "q exits" wait_for 5 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
finish
