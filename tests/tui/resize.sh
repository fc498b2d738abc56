#!/usr/bin/env bash
# Screen test: resizing leaves one clean dashboard of the new size each time
# (no leftover cells, no second status bar, every title once), through grid
# and stacked layouts, a bursty resize, and the "too small" screen and back.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

tt_start 120 40
check "starts at 120x40 with every title" wait_for 5 tt_all_titles
check "clean at 120x40 (two columns)" wait_for 3 tt_clean 120 40

resize() { tm resize-window -t t -x "$1" -y "$2"; }

resize 60 20
check "clean after 120x40 -> 60x20 (stacked)" wait_for 3 tt_clean 60 20
resize 200 50
check "clean after 60x20 -> 200x50" wait_for 3 tt_clean 200 50
check "the CPU value survives resizing" wait_for 3 tt_cpu_value

# A burst of resizes is coalesced and ends clean at the last size.
for s in "150 45" "90 30" "130 35" "100 25" "110 33"; do
	# shellcheck disable=SC2086
	resize $s
	sleep 0.01
done
check "clean after a burst of resizes (110x33)" wait_for 3 tt_clean 110 33

resize 30 8
check "too small shows the message" tm_wait_text 3 "terminal too small: 30x8"
check "too small shows no pane" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF '1 host'"
resize 120 40
check "clean again after too small -> 120x40" wait_for 3 tt_clean 120 40

# Zoomed, then resized, then unzoomed.
tm send-keys -t t 1 z
check "zoomed pane fills the screen" wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF ' 2 notes '"
resize 80 24
tm send-keys -t t z
check "clean at 80x24 after zoom, resize, unzoom" wait_for 3 tt_clean 80 24

tm send-keys -t t q
check "q quits with status 0 after all that" wait_for 5 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
finish
