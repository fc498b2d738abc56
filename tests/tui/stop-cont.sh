#!/usr/bin/env bash
# Screen test: a SIGSTOP from outside (not Ctrl-Z, which ncurses handles)
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
tm send-keys -t t q
check "q quits" wait_for 5 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
check "terminal restored at exit" tt_tty_sane
finish
