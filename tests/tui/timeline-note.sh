#!/usr/bin/env bash
# timeline-note: `a` in the dashboard opens a one-line input on the status
# line; Enter adds the note to the timeline with who and when: the timeline
# pane shows it, timeline.jsonl keeps it, `e` exports it, and a restart reads
# it back. Esc drops a note. Without a timeline pane the `t` overlay shows
# it. Read-only refuses `a` at once, says so, adds nothing, and the refusal
# is in the audit log.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" },
  { "id": "story", "kind": "timeline" } ] }
JSON
cat >"$TMP/bare.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" } ] }
JSON
chmod 600 "$TMP/sitrep.json" "$TMP/bare.json"
NOTE="rolling back: r3's query lost its index"

tm_start 160 30 "env USER=oncall-ana $SITREP -c $TMP/sitrep.json"
check "the dashboard is up" tm_wait_text 10 "story"
tm send-keys -t t a
check "a opens the note input on the status line" tm_wait_text 5 "note: _"
tm send-keys -t t -l "$NOTE"
check "the typed text is shown" tm_wait_text 5 "note: $NOTE"
tm send-keys -t t Enter
check "Enter says the note was added" tm_wait_text 5 "note added to the timeline"
check "the timeline pane shows the note with who" tm_wait_text 5 "note by oncall-ana: rolling back: r3"
check "timeline.jsonl keeps it with who" grep -qF "\"who\":\"oncall-ana\",\"subject\":\"\",\"text\":\"$NOTE\"" "$TMP/state/timeline.jsonl"
# a note longer than its row: cut at a word, with "…" (never mid-word)
LONG="the checkout storm came back after the rollback because the edge still served the old bundle to every region we have"
tm send-keys -t t a
tm send-keys -t t -l "$LONG"
tm send-keys -t t Enter
check "a long note is added" tm_wait_text 5 "note by oncall-ana: the checkout storm"
long_row_cut_at_word() {
	local shown
	shown=$(tm_capture | grep -o "note by oncall-ana: the checkout storm.*" | head -1 | sed 's/ *│.*//')
	[[ "$shown" == *"…" ]] || return 1
	shown=${shown#note by oncall-ana: }
	shown=${shown%…}
	# what is shown is the note's start, and the note goes on with a space there
	[[ "$LONG" == "$shown "* ]]
}
check "... its row is cut at a word, ending in …" wait_for 3 long_row_cut_at_word
tm send-keys -t t a
tm send-keys -t t -l "never mind"
tm send-keys -t t Escape
check "Esc drops a note" tm_wait_text 5 "note dropped"
check "a dropped note is not recorded" bash -c "! grep -q 'never mind' '$TMP/state/timeline.jsonl'"
tm send-keys -t t e
check "e exports" tm_wait_text 5 "timeline exported to"
check "the export has the note, who and when" bash -c "grep -qE '^\| [0-9T:-]+Z \| oncall-ana \| note \|' $TMP/state/timeline-*.md && grep -qF \"lost its index\" $TMP/state/timeline-*.md"
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill

# no timeline pane: t shows the overlay, with the note read back
tm_start 160 30 "$SITREP -c $TMP/bare.json"
check "restarted without a timeline pane" tm_wait_text 10 "host"
tm send-keys -t t t
check "t opens the timeline overlay" tm_wait_text 5 "Incident timeline"
check "the note is read back after the restart" tm_wait_text 5 "note by oncall-ana: $NOTE"
tm send-keys -t t Escape q
wait_for 5 tm_pane_dead
tm_kill

# read-only: refused at once, said, recorded
# Count notes only: state events (a metric crossing a level) may be recorded
# meanwhile, and they are not what read-only must refuse.
notes() { grep -c '"type":"note"' "$TMP/state/timeline.jsonl"; }
lines=$(notes)
check "the note is on record before the read-only run" test "$lines" -ge 1
tm_start 160 30 "env USER=oncall-ana $SITREP --read-only -c $TMP/sitrep.json"
check "read-only: the dashboard is up" tm_wait_text 10 "story"
tm send-keys -t t a
check "read-only: a is refused on screen" tm_wait_text 5 "read-only: note refused"
check "read-only: no input opened" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'note: _'"
check "read-only: the refusal is in the audit log" wait_for 5 grep -qE '"user":"oncall-ana","action":"note".*"result":"refused"' "$TMP/state/audit.jsonl"
check "read-only: no note was added" test "$(notes)" = "$lines"
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill
finish
