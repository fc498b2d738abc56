#!/usr/bin/env bash
# Screen test: a SIGSTOP from outside (and Ctrl-Z, TTIN and TTOU at the end)
# cannot be caught, and while sitrep is stopped whoever holds the terminal may
# put it back in cooked mode with echo, leave the alternate screen and clear
# it. After SIGCONT sitrep puts back its tty modes (no icanon, no echo), its
# terminal modes (alternate screen, hidden cursor) and repaints every pane;
# keys work again and q quits cleanly.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v stty >/dev/null || skip_all "stty not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

tt_start 100 30
check "dashboard up" wait_for 5 tt_all_titles
TTY=$(tm display -p -t t '#{pane_tty}')
modes() { stty -F "$TTY" -a | tr ';' '\n' | tr ' ' '\n' | grep -E '^-?(icanon|echo)$' | tr '\n' ' '; }
raw() { [[ " $(modes) " == *" -icanon "* && " $(modes) " == *" -echo "* ]]; }
cooked() { [[ " $(modes) " == *" icanon "* && " $(modes) " == *" echo "* ]]; }
check "running raw: $(modes)" raw
alt_cursor() { [ "$(tm display -p -t t '#{alternate_on} #{cursor_flag}')" = "1 0" ]; }
check "alternate screen, cursor hidden" alt_cursor

pid=$(tt_pid)
kill -STOP "$pid"
stopped() { grep -qE '^[0-9]+ \(.*\) T' "/proc/$pid/stat"; }
check "sitrep stopped" wait_for 3 stopped
# What a shell does when it takes the terminal back: cooked mode with echo,
# main screen, visible cursor; and something else draws over the screen.
stty -F "$TTY" sane
printf '\033[?1049l\033[?25h\033[2J\033[Hsomeone else was here\r\n' >"$TTY"
check "terminal taken over: $(modes)" cooked
check "screen overwritten" wait_for 2 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF ' 1 host '"

kill -CONT "$pid"
check "tty modes back to raw after SIGCONT: $(wait_for 3 raw; modes)" raw
check "alternate screen and hidden cursor back" wait_for 3 alt_cursor
check "every pane repainted" wait_for 3 tt_all_titles
check "no leftover text" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'someone else'"
# Typed keys are not echoed and still act: ? opens the help, Escape closes it.
tm send-keys -t t '?'
check "keys act after the stop (help opens)" tm_wait_text 3 "sitrep help"
tm send-keys -t t Escape
check "Esc closes it" wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'sitrep help'"
# Ctrl-Z without job control (tmux started sitrep itself: nothing to return
# to, the kernel discards the stop): the dashboard goes on, intact.
tm send-keys -t t C-z
sleep 0.5
check "Ctrl-Z without job control: still raw: $(modes)" raw
check "Ctrl-Z without job control: every pane still there" wait_for 3 tt_all_titles
tm send-keys -t t q
check "q quits" wait_for 5 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
check "terminal restored at exit" tt_tty_sane
# Ctrl-Z under a shell with job control: the shell gets the terminal back
# (main screen, cooked), `fg` brings the dashboard back.
tm_kill
TMUX_SOCKETS+=("$TSOCK")
tm new-session -d -s j -x 100 -y 30 "env PS1='$ ' bash --norc --noprofile -i"
sleep 0.5
tm send-keys -t j "$SITREP -c $(tt_config)" Enter
check "job control: dashboard up" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -qF ' 1 host '"
tm send-keys -t j C-z
check "job control: Ctrl-Z stops it and the shell says so" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -q 'Stopped'"
check "job control: the main screen is back" [ "$(tm display -p -t j '#{alternate_on}')" = 0 ]
tm send-keys -t j "fg" Enter
check "job control: fg brings every pane back" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -qF ' 1 host '"
check "job control: the alternate screen again" [ "$(tm display -p -t j '#{alternate_on}')" = 1 ]
tm send-keys -t j q
check "job control: q quits to the shell" wait_for 5 bash -c "[ \"\$(tmux -L '$TSOCK' display -p -t j '#{alternate_on}')\" = 0 ]"

# TTIN and TTOU (what the kernel sends a background job that reads the
# terminal or sets its modes; here sent with kill to the job in front) stop
# sitrep like Ctrl-Z: the terminal goes back to the shell first (main
# screen, cursor visible), and fg brings the dashboard back, keys working.
# Continued in the background with bg, sitrep does not paint over the shell:
# it stops again and waits for fg.
jcap() { tmux -L "$TSOCK" capture-pane -p -t j; }
jalt() { [ "$(tm display -p -t j '#{alternate_on} #{cursor_flag}')" = "$1" ]; }
jstopped() { grep -qE '^[0-9]+ \(.*\) T' "/proc/$(cat "$TMP/jpid")/stat"; }
tm send-keys -t j "clear; bash -c 'echo \$\$ >$TMP/jpid; exec \"\$@\"' x $SITREP -c $(tt_config)" Enter
check "job control: dashboard up again" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -qF ' 1 host '"
track_pid "$(cat "$TMP/jpid")"
for sig in TTIN TTOU; do
	kill -s "$sig" "$(cat "$TMP/jpid")"
	check "$sig: sitrep stops" wait_for 5 jstopped
	check "$sig: the shell says so" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -q 'Stopped'"
	check "$sig: main screen, cursor visible" wait_for 3 jalt "0 1"
	tm send-keys -t j "clear; fg" Enter
	check "$sig: fg brings every pane back" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -qF ' 1 host '"
	check "$sig: alternate screen, cursor hidden again" wait_for 3 jalt "1 0"
	tm send-keys -t j '?'
	check "$sig: keys act after fg (help opens)" wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -qF 'sitrep help'"
	tm send-keys -t j Escape
	wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t j | grep -qF 'sitrep help'"
done
tm send-keys -t j C-z
check "bg: Ctrl-Z first" wait_for 5 jstopped
tm send-keys -t j "clear; bg" Enter
sleep 1
check "bg: stopped again, in the background" wait_for 5 jstopped
check "bg: the shell's screen untouched (main screen)" jalt "0 1"
check "bg: no pane drawn over the shell" bash -c "! tmux -L '$TSOCK' capture-pane -p -t j | grep -qF ' 1 host '"
tm send-keys -t j "fg" Enter
check "bg, then fg: every pane back" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t j | grep -qF ' 1 host '"
tm send-keys -t j q
check "q quits to the shell at the end" wait_for 5 jalt "0 1"
finish
