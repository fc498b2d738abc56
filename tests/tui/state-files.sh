#!/usr/bin/env bash
# Screen test: the dashboard's state files are loud when they fail. A state
# write that fails is on the status line with the file and the reason, until
# a write succeeds; a FIFO in the state dir does not keep the dashboard from
# coming up (it used to block in open() for ever); a state dir another user
# could have written is neither shown (no forged entries) nor appended to;
# `e` into such a dir says why nothing was exported. (The command line's side
# is tests/cli/state-files.sh.)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

S=$TMP/state
fresh() {
	tm kill-server 2>/dev/null
	TSOCK="sitrep-$TEST_NAME-$$-$1"
	rm -rf "$S"
	mkdir -m 700 "$S"
}
status_has() { tm_capture | tail -1 | grep -qF -- "$1"; }
status_lacks() { ! status_has "$1"; }
# an error line in the followed log: a new error group, an event to save
new_error() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ERROR $1" >>"$TMP/app.log"; }
quit() {
	tm send-keys -t t q
	wait_for 5 tt_exited
}

: >"$TMP/app.log"
TT_EXTRA="\"state_dir\": \"$S\","
TT_PANES="{ \"id\": \"errors\", \"kind\": \"logs\", \"sources\": [ { \"type\": \"file\", \"path\": \"$TMP/app.log\" } ] },
  { \"id\": \"story\", \"kind\": \"timeline\" }"
TT_TITLES=("1 errors" "2 story")

# --- a symlink as timeline.jsonl: events not saved, said on the status line ---
fresh symlink
ln -s "$TMP/elsewhere" "$S/timeline.jsonl"
tt_start 250 30
check "symlink: dashboard up" wait_for 10 tt_all_titles
sleep 1.5
new_error "payment gateway refused card"
check "symlink: the status line says events are not saved" tm_wait_text 10 "events not saved"
check "symlink: ... naming the file and the reason (ELOOP)" \
	status_has "$S/timeline.jsonl is a symbolic link, not a regular file: refused (not followed)"
check "symlink: the link was not followed" [ ! -e "$TMP/elsewhere" ]
check "symlink: the event is still shown in the timeline pane" tm_wait_text 5 "new error group in app.log"
rm "$S/timeline.jsonl"
new_error "database connection reset"
check "symlink removed: the next write succeeds and the status line clears" \
	wait_for 10 status_lacks "events not saved"
check "symlink removed: ... also of the start's read error about the same file" status_lacks "symbolic link"
check "symlink removed: timeline.jsonl is a regular 0600 file now" \
	bash -c "[ -f '$S/timeline.jsonl' ] && [ ! -L '$S/timeline.jsonl' ] && [ \$(stat -c %a '$S/timeline.jsonl') = 600 ]"
quit
check "symlink: exit status 0" test "$(tt_exit_code)" = 0

# --- FIFOs as both files: the dashboard comes up and says why ---
fresh fifo
mkfifo "$S/timeline.jsonl" "$S/audit.jsonl"
tt_start 250 30
check "FIFO: dashboard up (open() did not block)" wait_for 10 tt_all_titles
check "FIFO: the status line says the history was not read, naming the FIFO" \
	wait_for 5 status_has "is a FIFO, not a regular file"
pane_has() { tm_capture | head -n -1 | grep -qF -- "$1"; }
check "FIFO: the timeline pane's frame carries the same warning" wait_for 5 pane_has "! history not read"
check "FIFO: ... and its empty text does not claim nothing was recorded" \
	pane_has "nothing to show: the state files could not be used"
sleep 1
new_error "worker crashed"
check "FIFO: a new event is not saved, and the status line says so" tm_wait_text 10 "events not saved"
quit
check "FIFO: q still quits, exit 0" test "$(tt_exit_code)" = 0
check "FIFO: both are still FIFOs" bash -c "[ -p '$S/timeline.jsonl' ] && [ -p '$S/audit.jsonl' ]"

# --- a state dir others can write, holding a forged record ---
fresh foreign
echo '{"time":"2026-11-30T00:00:00Z","user":"alice","action":"rollback","target":"r1","result":"ok"}' >"$S/audit.jsonl"
echo '{"ms":1796083200000,"type":"deploy","level":"info","pane":"deploys","subject":"r0","text":"forged deploy"}' >"$S/timeline.jsonl"
chmod 666 "$S/audit.jsonl" "$S/timeline.jsonl"
chmod 777 "$S"
[ "$(id -u)" = 0 ] && chown -R 65534 "$S"
tt_start 250 30
check "foreign: dashboard up" wait_for 10 tt_all_titles
check "foreign: the status line says why the state dir is refused" \
	wait_for 5 status_has "$S $([ "$(id -u)" = 0 ] && echo 'belongs to uid 65534' || echo 'can be written by other users')"
check "foreign: the forged rollback is not shown" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q alice"
check "foreign: the forged deploy is not shown" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'forged deploy'"
sleep 1
new_error "cache stampede"
check "foreign: the new event is shown in the pane" tm_wait_text 10 "cache stampede"
check "foreign: ... and the status line says it was not saved" wait_for 5 status_has "events not saved"
check "foreign: nothing appended to the other user's 0666 file" [ "$(wc -l <"$S/timeline.jsonl")" = 1 ]
tm send-keys -t t e
check "foreign: e says why nothing was exported" tm_wait_text 5 "timeline not exported: state dir"
check "foreign: no export was written" bash -c "! ls '$S'/timeline-*.md >/dev/null 2>&1"
quit
check "foreign: exit status 0" test "$(tt_exit_code)" = 0
finish
