#!/usr/bin/env bash
# Screen test of replay's Enter on a timeline row (issue 19): a short driver
# run with --share records two notes some seconds apart; `sitrep replay`
# opens after the second; with the timeline pane focused, Enter on a row
# moves the REPLAY clock to that row's time, or the refresh after it when
# the timeline pane first showed the row (the dashboard as it was: the
# first note there, the later one not yet), and no detail view opens.
# `?` lists the replay keys.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

mkdir -p "$TMP/run" "$TMP/ohome"
chmod 700 "$TMP/run"
STATE=$TMP/state
cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$STATE", "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" },
  { "id": "story", "kind": "timeline" } ] }
JSON
chmod 600 "$TMP/sitrep.json"

note_time() { # TEXT: the note's time in unix seconds, from timeline.jsonl
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("text") == sys.argv[2]:
        print(r["time"])' "$STATE/timeline.jsonl" "$1" 2>/dev/null | head -1 | xargs -r -I{} date -d {} +%s
}
add_note() { # TEXT
	tm send-keys -t t a
	tm_wait_text 5 "note: _" || return 1
	tm send-keys -t t -l "$1"
	tm send-keys -t t Enter
	wait_for 5 bash -c "grep -qF '\"text\":\"$1\"' '$STATE/timeline.jsonl'"
}
later_than() { [ "$(date +%s)" -ge "$1" ]; }

tm_start 160 30 "env XDG_RUNTIME_DIR=$TMP/run USER=oncall-ana $SITREP -c $TMP/sitrep.json --share"
check "the driver is up" tm_wait_text 10 "story"
# the notes well inside the recording: a clock clamped to its start is not mistaken for them
start=$(date +%s)
wait_for 20 later_than $((start + 4))
check "the first note is recorded" add_note "first marker"
check "  ... with its time" test -n "$(note_time "first marker")"
t1=$(note_time "first marker")
# some seconds between the notes and after the second: three clocks apart
wait_for 20 later_than $((t1 + 4))
check "the second note is recorded" add_note "second marker"
t2=$(note_time "second marker")
wait_for 20 later_than $((t2 + 4))
tm send-keys -t t q
check "the driver quits" wait_for 10 bash -c "! tmux -L '$TSOCK' has-session -t t 2>/dev/null || tmux -L '$TSOCK' list-panes -t t -F '#{pane_dead}' | grep -q 1"
check "the recording is there" test -s "$STATE/stream.jsonl.zst"

REC=$STATE/stream.jsonl.zst
# opened after the second note, both notes on the timeline pane
tm new-session -d -s r -x 160 -y 40 \
	"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state $SITREP replay '$REC' --at $(date -u -d "@$((t2 + 2))" +%FT%TZ) 2>$TMP/r.err; echo EXIT=\$?; sleep 600"
r_cap() { tm capture-pane -p -t r; }
r_has() { r_cap | grep -qF -- "$1"; }
r_lacks() { ! r_has "$1"; }
r_clock() { r_cap | tail -1 | grep -qF "REPLAY $(date -d "@$1" +%H:%M:%S)"; }
# the clock within a refresh after T: the first moment the timeline pane showed a row of T
r_clock_near() { r_clock "$1" || r_clock $(($1 + 1)) || r_clock $(($1 + 2)); }
both_notes() { r_has "second marker" && r_has "first marker"; }
check "replay after the second note: both notes on the timeline" wait_for 10 both_notes
check "  ... the clock at REPLAY $(date -d "@$((t2 + 2))" +%H:%M:%S)" r_clock $((t2 + 2))
# focus the timeline pane; the list's filter selects the first note's row
tm send-keys -t r 2 /
tm send-keys -t r -l "first marker"
tm send-keys -t r Enter
check "the filter leaves the first note's row" wait_for 5 r_lacks "second marker"
tm send-keys -t r Enter
check "Enter on that row: the clock at the row's time, REPLAY $(date -d "@$t1" +%H:%M:%S) (or a refresh later)" wait_for 5 r_clock_near "$t1"
check "  ... no detail view opened" bash -c "! tmux -L '$TSOCK' -f /dev/null capture-pane -p -t r | grep -qE 'type: note|who: '"
tm send-keys -t r Escape
check "  ... the dashboard as it was: the first note on the timeline" wait_for 5 r_has "note by oncall-ana: first marker"
check "  ... the second note not yet" r_lacks "second marker"
# back to the end, then Enter on the newest row (the second note)
tm send-keys -t r ']' ']' ']'
check "] steps on to after the second note" wait_for 5 r_has "second marker"
# the filter selects it (Home could select a newer row: a state event the
# driver recorded after the note, a metric crossing on a loaded machine)
tm send-keys -t r /
tm send-keys -t r -l "second marker"
tm send-keys -t r Enter
wait_for 5 r_lacks "first marker"
tm send-keys -t r Enter
check "Enter on the second note's row: REPLAY $(date -d "@$t2" +%H:%M:%S) (or a refresh later)" wait_for 5 r_clock_near "$t2"
tm send-keys -t r Escape # the filter off
check "  ... both notes shown" wait_for 5 both_notes
tm send-keys -t r '?'
check "? lists replay's Enter" wait_for 5 r_has "on a timeline pane's row: jump to that row's time"
tm send-keys -t r Escape
tm send-keys -t r q
check "replay: q quits with 0" wait_for 5 r_has "EXIT=0"
diag <"$TMP/r.err"
finish
