#!/usr/bin/env bash
# Screen test: the dashboard comes up with every pane title and a CPU value,
# the help overlay lists the keys and closes, focus/detail/zoom work, and `q`
# exits 0 leaving the terminal usable (main screen, cursor, icanon echo).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

tt_start 120 40
check "every pane title is on screen" wait_for 5 tt_all_titles
check "the host pane shows a numeric CPU value" wait_for 5 tt_cpu_value
check "the status bar shows a state mark per pane" \
	wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -qE '1:host (ok|warn|crit).*2:notes.*3:deploys.*4:cdn'"
check "the screen is one clean 120x40 dashboard" tt_clean 120 40
check "sitrep runs in the alternate screen" bash -c "[ \"\$(tmux -L '$TSOCK' display -p -t t '#{alternate_on}')\" = 1 ]"

tm send-keys -t t '?'
check "? opens the help" tm_wait_text 3 "sitrep help"
# The help is longer than 40 rows (every kind's verbs): its first page, then
# its last (End), hold every key between them. Each page is read until its
# footer is on the screen and again while keys are missing: tmux may show a
# frame half written.
help_keys=("Tab" "S-Tab" "1..9" "z " "Up, k" "Down, j" "PgUp" "PgDn" "Home" "End, G" "v, g" "Enter"
	"/ " "n " "N " "t " "R " "? " "q " "Esc" "mouse" "p " "P " "r " "b " "s " "e ")
help_missing() { # keys in neither $first nor the screen now
	local k cap missing=""
	cap="$first
$(tm_capture)"
	for k in "${help_keys[@]}"; do grep -qF -- "$k" <<<"$cap" || missing="$missing [$k]"; done
	echo "$missing"
}
wait_for 3 eval "tm_capture | grep -qE 'scroll [0-9]+/[0-9]+ '"
first=$(tm_capture)
tm send-keys -t t End
check "End shows the help's last page" wait_for 3 eval "tm_capture | grep -qE 'scroll ([0-9]+)/\\1 '"
wait_for 3 eval 'test -z "$(help_missing)"'
missing=$(help_missing)
check "the help lists every key (missing:$missing)" test -z "$missing"
tm send-keys -t t Escape
check "Esc closes the help" wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'sitrep help'"
check "after the help the screen is clean again" wait_for 3 tt_clean 120 40

# Focus the host pane, select the first row, ask for its details.
tm send-keys -t t 1 j Enter
check "Enter shows the details of the selected series" tm_wait_text 3 "value:"
tm send-keys -t t Escape
check "Esc closes the details" wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'value:'"

tm send-keys -t t z
check "z zooms the focused pane (others hidden)" wait_for 3 bash -c \
	"c=\$(tmux -L '$TSOCK' capture-pane -p -t t); grep -qF ' 1 host ' <<<\"\$c\" && ! grep -qF ' 2 notes ' <<<\"\$c\""
tm send-keys -t t z
check "z again brings every pane back" wait_for 3 tt_all_titles
check "the unzoomed screen is clean" wait_for 3 tt_clean 120 40

# From pane 1, Tab Tab focuses pane 3: Enter then describes that pane.
tm send-keys -t t Tab Tab Enter
check "Tab moves the focus (Enter describes pane 3)" tm_wait_text 3 "pane deploys (kind deploys"
tm send-keys -t t Escape
tm send-keys -t t BTab Enter
check "S-Tab moves the focus back (pane 2)" tm_wait_text 3 "pane notes (kind logs"
tm send-keys -t t Escape

tm send-keys -t t q
check "q quits" wait_for 5 tt_exited
check "exit status 0 after q" test "$(tt_exit_code)" = 0
check "the terminal is back in the main screen" tt_alt_off
check "the cursor is visible again" tt_cursor_on
check "stty shows icanon and echo after exit" wait_for 3 tt_tty_sane
check "nothing on stderr" test ! -s "$TMP/stderr"
finish
