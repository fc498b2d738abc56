#!/usr/bin/env bash
# Integration: a child sitrep starts (a command log input, here a sleep that
# would outlive everything) dies with sitrep even when sitrep is killed with
# SIGKILL, which no handler sees: the child runs under PR_SET_PDEATHSIG, set
# by sitrep's own binary acting as a trampoline before it execs the command.
# A quit with q stops the child too.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../tui/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

# A sleep with an unusual length, so its pid is found among sitrep's children only.
NAP=$((100000 + $$ % 50000))
TT_PANES='{ "id": "cmd", "kind": "logs", "sources": [ { "type": "command", "argv": ["sleep", "'$NAP'"] } ] }'
TT_TITLES=("1 cmd")

# The pid of the sleep whose parent is $1 (read from /proc, no pgrep needed).
child_of() {
	local f pid
	for f in /proc/[0-9]*/stat; do
		read -r pid _ _ ppid _ <"$f" 2>/dev/null || continue
		[ "$ppid" = "$1" ] || continue
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^sleep $NAP" && echo "$pid" && return 0
	done
	return 1
}
# Gone: no such process, or a zombie nobody reaped yet (it is dead).
gone() { [ ! -e "/proc/$1" ] || grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat"; }

for how in KILL quit; do
	tm_kill
	tt_start 100 30
	pid=$(tt_pid)
	check "$how: dashboard up" wait_for 5 tm_wait_text 1 "1 cmd"
	child=""
	wait_for 5 child_of "$pid" && child=$(child_of "$pid")
	check "$how: the command runs as sitrep's child (pid ${child:-none})" test -n "$child"
	[ -n "$child" ] && track_pid "$child"
	if [ "$how" = KILL ]; then
		kill -KILL "$pid"
	else
		tm send-keys -t t q
	fi
	check "$how: sitrep ended" wait_for 5 gone "$pid"
	check "$how: the child is gone within 2 s" wait_for 2 gone "${child:-0}"
done
finish
