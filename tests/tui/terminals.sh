#!/usr/bin/env bash
# Screen test: terminal variety. Every common TERM (and a bogus one, which
# falls back to a known type) starts and shows the titles; NO_COLOR removes
# every colour; a non-UTF-8 locale draws ASCII glyphs only.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

# Each variant gets its own tmux server.
fresh() {
	tm kill-server 2>/dev/null
	TSOCK="sitrep-$TEST_NAME-$$-$1"
}

for term in tmux-256color screen-256color xterm-256color screen nonexistent-term; do
	if [ "$term" != nonexistent-term ] && ! infocmp "$term" >/dev/null 2>&1; then
		ok "# SKIP TERM=$term: no terminfo entry here"
		continue
	fi
	fresh "$term"
	tt_start 120 40 "TERM=$term"
	check "TERM=$term: every title shows" wait_for 5 tt_all_titles
	check "TERM=$term: the screen is clean" wait_for 3 tt_clean 120 40
	tm send-keys -t t q
	check "TERM=$term: q exits" wait_for 5 tt_exited
	check "TERM=$term: exit status 0" test "$(tt_exit_code)" = 0
	check "TERM=$term: terminal left usable" wait_for 3 tt_tty_sane
done

# Colours: present by default, absent under NO_COLOR (attributes remain).
has_colour() { tm_capture -e | grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|9[0-7]|38;5;[0-9]+)(;[0-9;]*)?m'; }
no_colour() { ! has_colour; }
has_attrs() { tm_capture -e | grep -qE $'\e\\[([0-9;]*;)?(1|7)(;[0-9;]*)?m'; }
fresh colour
tt_start 120 40 "TERM=tmux-256color"
wait_for 5 tt_all_titles
check "colours are used by default" has_colour
tm send-keys -t t q
fresh nocolour
tt_start 120 40 "TERM=tmux-256color" "NO_COLOR=1"
check "NO_COLOR: every title shows" wait_for 5 tt_all_titles
check "NO_COLOR: no colour on screen" no_colour
check "NO_COLOR: attributes still mark things (bold/reverse)" has_attrs
tm send-keys -t t q

# Locale: C gives ASCII frames; UTF-8 gives line drawing.
fresh c-locale
tt_start 120 40 "LANG=C" "LC_ALL=C"
check "LANG=C: every title shows" wait_for 5 tt_all_titles
check "LANG=C: ASCII frame corners" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | head -1 | grep -q '^+'"
check "LANG=C: no non-ASCII byte on screen" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | LC_ALL=C grep -q '[^ -~]'"
check "LANG=C: the screen is clean" tt_clean 120 40
tm send-keys -t t q
if locale -a 2>/dev/null | grep -qiE '^(C\.utf-?8|en_US\.utf-?8)$'; then
	utf=$(locale -a | grep -iE '^(C\.utf-?8|en_US\.utf-?8)$' | head -1)
	fresh utf8
	tt_start 120 40 "LANG=$utf" "LC_ALL=$utf"
	check "UTF-8 locale: line-drawing frames" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | head -1 | grep -q '^┌'"
	tm send-keys -t t q
fi
finish
