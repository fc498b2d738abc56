#!/usr/bin/env bash
# Screen test: one step closer on the host pane, against real processes.
# Enter on a process shows its whole command line, user, start time, CPU and
# memory. K sends SIGTERM through the action gate: the dialog shows the exact
# effect (the signal, the pidfd, the starttime re-checked), y sends it, the
# process is verified gone, the audit log has it. A process that ignores
# SIGTERM is reported still running; X sends SIGKILL only after its pid is
# typed. A process that ended between the dialog and y is not signalled (its
# identity is re-checked). Read-only refuses K, recorded, nothing sent.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"

# busy (so they rank in the CPU list), niced, each with a comm of its own
# (bash through a symlink: comm is the name it was started by)
BASH_BIN=$(command -v bash)
spawn() { # spawn COMM [ignore]: a busy process named COMM; its pid on stdout
	ln -sf "$BASH_BIN" "$TMP/$1"
	local prog='while :; do :; done'
	[ "${2:-}" = ignore ] && prog="trap '' TERM; $prog"
	nice -n 10 "$TMP/$1" -c "$prog" "marker-arg-$1" >/dev/null 2>&1 &
	echo $!
}
VICTIM=$(spawn victimproc)
track_pid "$VICTIM"
STUBBORN=$(spawn stubbornproc ignore)
track_pid "$STUBBORN"
GONER=$(spawn gonerproc)
track_pid "$GONER"
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
start_of() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $20}'; }

TT_EXTRA='"state_dir": "'$TMP/state'",'
TT_PANES='{ "id": "host", "kind": "metrics", "source": "procfs", "top": 50 },
  { "id": "notes", "kind": "logs", "source": "note", "text": "runbook" }'
TT_TITLES=("1 host" "2 notes")
pick() { # pick COMM: filter the host pane's list to that process
	tm send-keys -t t Escape
	tm send-keys -t t / "$1" Enter
	# the new filter's row, not the last filter's "(1 of" still on screen
	wait_for 10 eval "tm_capture | grep -qE '[0-9]+ +$1' && tm_capture | grep -qF '(1 of'"
	tm send-keys -t t Down # the one row left: selected
}

tt_start 160 50
tm_wait_text 10 "PID"
tm send-keys -t t 1 z
wait_for 20 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'victimproc'"
pick victimproc
tm send-keys -t t Enter
check "Enter on a process shows its whole command line" tm_wait_text 5 "marker-arg-victimproc"
tm_capture >"$TMP/detail.txt"
check "... its user" grep -qE "user: $(id -un) \\(uid $(id -u)\\)" "$TMP/detail.txt"
check "... when it started" grep -qE "started: 20[0-9-]+T[0-9:]+Z" "$TMP/detail.txt"
check "... its CPU and memory" bash -c "grep -qE 'CPU: [0-9.]+ % of one core' '$TMP/detail.txt' && grep -qE 'memory \\(RSS\\): [0-9.]+[KMG]' '$TMP/detail.txt'"
diag <"$TMP/detail.txt"
tm send-keys -t t Escape

tm send-keys -t t K
check "K opens the dialog" tm_wait_text 5 "Confirm terminate"
tm_capture >"$TMP/dialog.txt"
check "the dialog names the signal and the process" grep -qF "SIGTERM to process $VICTIM (victimproc)" "$TMP/dialog.txt"
check "... the pidfd and the starttime it re-checks ($(start_of "$VICTIM"))" grep -qF "then /proc/$VICTIM/stat must still say starttime $(start_of "$VICTIM")" "$TMP/dialog.txt"
check "... and the prompt names the action and keep" grep -qF "y: terminate 1 process · n or Esc: keep it, nothing is sent" "$TMP/dialog.txt"
check "nothing is sent before y" alive "$VICTIM"
tm send-keys -t t y
wait_for 15 bash -c "! kill -0 $VICTIM 2>/dev/null || [ \"\$(awk '{print \$3}' /proc/$VICTIM/stat 2>/dev/null)\" = Z ]"
check "y: the process is gone" bash -c "! { kill -0 $VICTIM 2>/dev/null && [ \"\$(awk '{print \$3}' /proc/$VICTIM/stat)\" != Z ]; }"
check "the outcome is verified on screen" tm_wait_text 10 "process $VICTIM ended after SIGTERM (verified"
check "audit: terminate, its identity, ok" grep -q "\"action\":\"terminate\",\"target\":\"$VICTIM\".*\"result\":\"ok\"" "$TMP/state/audit.jsonl"

# a process that ignores SIGTERM: still running, then X and its pid typed
pick stubbornproc
tm send-keys -t t K
tm_wait_text 5 "Confirm terminate"
tm send-keys -t t y
check "SIGTERM ignored: reported still running, X offered" tm_wait_text 25 "process $STUBBORN still runs 10 s after SIGTERM; X sends SIGKILL"
check "... and it runs" alive "$STUBBORN"
tm send-keys -t t X
tm_wait_text 5 "Confirm kill"
check "X asks for the pid to be typed" tm_wait_text 2 "Type \"$STUBBORN\" and Enter: kill 1 process"
tm send-keys -t t y
sleep 0.5
check "y alone does not kill" alive "$STUBBORN"
tm send-keys -t t BSpace "$STUBBORN" Enter
wait_for 15 bash -c "! kill -0 $STUBBORN 2>/dev/null || [ \"\$(awk '{print \$3}' /proc/$STUBBORN/stat 2>/dev/null)\" = Z ]"
check "SIGKILL after the typed pid: gone" tm_wait_text 10 "process $STUBBORN ended after SIGKILL"

# the identity is checked again right before the signal
pick gonerproc
tm send-keys -t t K
check "K on gonerproc opens its dialog" tm_wait_text 5 "Confirm terminate"
kill -KILL "$GONER"
# SIGKILL takes effect when the (niced, busy) process next runs: wait for its
# end, or y could reach it still alive, and rightly signal it
wait_for 10 eval '! alive "$GONER"'
tm send-keys -t t y
check "a process that ended after the dialog opened is not signalled: said so" tm_wait_text 10 "ended before the signal; nothing was sent"
tm_kill

# read-only: refused, recorded, nothing sent
OTHER=$(spawn otherproc)
track_pid "$OTHER"
tt_start 160 50 -- --read-only
tm_wait_text 10 "PID"
tm send-keys -t t 1 z
wait_for 20 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'otherproc'"
pick otherproc
tm send-keys -t t K
check "read-only: K refused on screen" tm_wait_text 5 "read-only: terminate refused, nothing was sent"
sleep 0.5
check "read-only: the process runs on" alive "$OTHER"
check "read-only: the refusal is in the audit log" grep -q "\"action\":\"terminate\",\"target\":\"$OTHER\".*\"result\":\"refused\"" "$TMP/state/audit.jsonl"
tm_kill
kill "$OTHER" "$STUBBORN" 2>/dev/null
finish
