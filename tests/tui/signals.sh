#!/usr/bin/env bash
# Screen test: the terminal is restored whatever ends sitrep. SIGTERM and
# SIGHUP take the clean shutdown path (exit 128+N); SIGSEGV and SIGABRT hit
# the crash handler, which writes the terminfo restore string and re-raises.
# Each time: main screen, visible cursor, icanon and echo.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

run_signal() {
	local sig=$1 want=$2
	tm kill-server 2>/dev/null
	TSOCK="sitrep-$TEST_NAME-$$-$sig"
	tt_start 100 30
	check "$sig: dashboard up" wait_for 5 tt_all_titles
	check "$sig: in the alternate screen, cursor hidden" bash -c \
		"[ \"\$(tmux -L '$TSOCK' display -p -t t '#{alternate_on} #{cursor_flag}')\" = '1 0' ]"
	kill -s "$sig" "$(tt_pid)"
	check "$sig: sitrep exits" wait_for 5 tt_exited
	check "$sig: exit status $want" test "$(tt_exit_code)" = "$want"
	check "$sig: back in the main screen" tt_alt_off
	check "$sig: cursor visible" tt_cursor_on
	check "$sig: icanon and echo restored" wait_for 3 tt_tty_sane
}

run_signal TERM 143
run_signal HUP 129
run_signal INT 130
run_signal SEGV 139
run_signal ABRT 134
finish
