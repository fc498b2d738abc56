#!/usr/bin/env bash
# Screen test: what the config and command line change on screen. Rebound
# keys replace the defaults (and the help says so), --read-only shows its
# badge, a missing theme is refused (exit 2), shipped themes load.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

fresh() {
	tm kill-server 2>/dev/null
	TSOCK="sitrep-$TEST_NAME-$$-$1"
}
running() { ! tt_exited; }

# Rebinding: quit on Q, help on F1, next pane on Right.
TT_EXTRA='"keys": { "quit": "Q", "help": "F1", "next_pane": "Right" },'
fresh keys
tt_start 120 40
check "rebound: dashboard up" wait_for 5 tt_all_titles
tm send-keys -t t q
sleep 0.5
check "rebound: q no longer quits" running
tm send-keys -t t F1
check "rebound: F1 opens the help" tm_wait_text 3 "sitrep help"
check "rebound: the help shows Q for quit" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '│ Q +quit sitrep'"
check "rebound: the help shows F1 for help" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '│ F1 +this help'"
check "rebound: the status bar hint follows" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -qF 'F1 help'"
tm send-keys -t t Escape
tm send-keys -t t Right Enter
check "rebound: Right focuses the next pane (from pane 1, focused at start)" tm_wait_text 3 "pane notes (kind logs"
tm send-keys -t t Escape
tm send-keys -t t Q
check "rebound: Q quits" wait_for 5 tt_exited
check "rebound: exit status 0" test "$(tt_exit_code)" = 0
TT_EXTRA=

# Read-only: a badge, and actions are refused on screen.
fresh ro
tt_start 120 40 -- --read-only
check "read-only: dashboard up" wait_for 5 tt_all_titles
check "read-only: READ-ONLY badge in the status bar" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -qF 'READ-ONLY'"
tm send-keys -t t 1 r
check "read-only: an action key is refused" tm_wait_text 3 "read-only: restart refused"
tm send-keys -t t q
check "read-only: q quits" wait_for 5 tt_exited

# Themes: a shipped one loads quietly; a missing one falls back, visibly.
fresh theme-ok
tt_start 120 40 -- --theme solarized-dark
check "theme solarized-dark: dashboard up" wait_for 5 tt_all_titles
# "theme" as a word: the host pane's process list may hold a "fuzz-theme".
check "theme solarized-dark: no theme message" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '(^|[^-_[:alnum:]])theme([^-_[:alnum:]]|\$)'"
tm send-keys -t t q
# A missing theme is bad usage: refused before the screen is taken, exit 2.
"$SITREP" --theme no-such-theme </dev/null >"$TMP/theme.out" 2>&1
check "missing theme: exit 2" [ $? = 2 ]
check "missing theme: named in the message" grep -qF 'theme "no-such-theme" not found' "$TMP/theme.out"
# A config others can read: the warning is on stderr and, while the
# dashboard runs, on its status line too.
fresh perms
cat >"$TMP/open.json" <<JSON
{ "refresh_seconds": 1, "panes": [ { "id": "host", "kind": "metrics", "source": "procfs" } ] }
JSON
chmod 644 "$TMP/open.json"
TMUX_SOCKETS+=("$TSOCK")
tm new-session -d -s t -x 200 -y 30 "$SITREP -c $TMP/open.json"
check "a config others can read: the status line warns" tm_wait_text 5 "has mode 0644"
tm send-keys -t t q
finish
