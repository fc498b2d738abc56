#!/usr/bin/env bash
# Screen test: the terminal is restored whatever ends sitrep. SIGTERM and
# SIGHUP take the clean shutdown path (exit 128+N); every other signal whose
# default action ends a process (the crash ones, QUIT from Ctrl-\, TRAP, SYS,
# XCPU, XFSZ, USR1, USR2, ALRM, VTALRM, PROF, IO, PWR, a real-time one) hits
# the handler that writes the terminfo restore string and re-raises: sitrep
# dies of that signal (128+N). Each time: main screen, visible cursor, icanon
# and echo.
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
run_signal QUIT 131
run_signal TRAP 133
run_signal SYS 159
run_signal XCPU 152
run_signal XFSZ 153
run_signal USR1 138
run_signal USR2 140
run_signal ALRM 142
run_signal VTALRM 154
run_signal PROF 155
run_signal IO 157
run_signal PWR 158
run_signal RTMIN+3 $((128 + $(kill -l RTMIN+3)))
finish
