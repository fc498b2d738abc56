#!/usr/bin/env bash
# note: `sitrep note TEXT...` adds a note to the incident timeline from a
# shell: who ($USER) and when, in timeline.jsonl (0600), shown by `sitrep
# timeline`, --markdown (outside text inert), --once and the dashboard's
# timeline after a start. Read-only (--read-only, SITREP_READ_ONLY=1,
# "read_only": true) refuses it like any change: exit 3, says so, nothing
# added, the refusal in the audit log. No text is bad usage (exit 2); -h
# prints the usage (exit 0); a refused state file is exit 1, nothing written.
source "$(dirname "$0")/../lib.sh"

S=$TMP/state
config() { # config FILE [EXTRA MEMBERS]
	cat >"$1" <<JSON
{ "state_dir": "$S", ${2:-} "panes": [ { "id": "story", "kind": "timeline" } ] }
JSON
	chmod 600 "$1"
}
config "$TMP/c.json"
config "$TMP/ro.json" '"read_only": true,'
export USER=oncall-ana

"$SITREP" -c "$TMP/c.json" note "rolling back: r3's query lost its index" >"$TMP/out" 2>"$TMP/err"
check "sitrep note exits 0" test $? = 0
check "it says who and when" grep -qE "^note added to the timeline at [0-9T:-]+Z by oncall-ana$" "$TMP/out"
check "the note is a line of timeline.jsonl with who" python3 -c "
import json
l=[json.loads(x) for x in open('$S/timeline.jsonl')]
n=[x for x in l if x['type']=='note']
assert len(n)==1 and n[0]['who']=='oncall-ana' and n[0]['text']==\"rolling back: r3's query lost its index\", n
assert n[0]['ms']>0 and n[0]['time'].endswith('Z')"
check "timeline.jsonl is private" test "$(stat -c %a "$S/timeline.jsonl")" = 600
"$SITREP" -c "$TMP/c.json" note several words -- joined >/dev/null 2>&1
"$SITREP" -c "$TMP/c.json" note -- "-5% after the purge" >/dev/null 2>&1
check "a note after -- may start with a dash" grep -qF '"text":"-5% after the purge"' "$S/timeline.jsonl"

"$SITREP" timeline -c "$TMP/c.json" >"$TMP/tl" 2>&1
check "sitrep timeline shows the note with who" grep -qE "Z  oncall-ana +note .*rolling back: r3's query lost its index" "$TMP/tl"
"$SITREP" timeline --markdown -c "$TMP/c.json" >"$TMP/md" 2>&1
check "--markdown has the note's row, its text inert" grep -qF "| oncall-ana | note |  | info | \`rolling back: r3's query lost its index\` |" "$TMP/md"
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>/dev/null
check "--once --json lists the note with who" python3 -c "
import json
e=json.load(open('$TMP/once.json'))['panes'][0]['data']['entries']
assert any(x['type']=='note' and x['who']=='oncall-ana' and 'lost its index' in x['text'] for x in e), e"

# hostile text is stored and shown inert
"$SITREP" -c "$TMP/c.json" note $'evil \e[2J <img src=x> | pipe' >/dev/null 2>&1
check "control bytes are not stored" bash -c "! grep -q \$'\\e' '$S/timeline.jsonl'"
"$SITREP" timeline --markdown -c "$TMP/c.json" >"$TMP/md2" 2>&1
check "a note's markup stays in a code span" grep -qF '`evil' "$TMP/md2"

# read-only refuses, in each of its three forms
lines() { wc -l <"$S/timeline.jsonl"; }
before=$(lines)
for form in "--read-only -c $TMP/c.json" "-c $TMP/ro.json"; do
	$SITREP $form note "should not be there" >/dev/null 2>"$TMP/ro.err"
	check "read-only ($form): exit 3" test $? = 3
	check "read-only ($form): says so" grep -q "read-only: note refused" "$TMP/ro.err"
done
SITREP_READ_ONLY=1 "$SITREP" -c "$TMP/c.json" note "should not be there" >/dev/null 2>&1
check "SITREP_READ_ONLY=1: exit 3" test $? = 3
check "read-only: nothing was added" test "$(lines)" = "$before"
check "read-only: every refusal is in the audit log" python3 -c "
import json
r=[json.loads(x) for x in open('$S/audit.jsonl')]
r=[x for x in r if x['action']=='note' and x['result']=='refused' and x['user']=='oncall-ana']
assert len(r)==3 and all(x['target']=='should not be there' for x in r), r"

"$SITREP" -c "$TMP/c.json" note >/dev/null 2>"$TMP/u.err"
check "no text: exit 2" test $? = 2
"$SITREP" -c "$TMP/c.json" note "   " >/dev/null 2>&1
check "blank text: exit 2" test $? = 2
"$SITREP" -c "$TMP/c.json" note --help >"$TMP/h" 2>&1
check "note --help: usage, exit 0" bash -c "[ $? = 0 ] && grep -q 'usage: sitrep note' '$TMP/h'"

# a state file another user could have written: refused, nothing appended
chmod 666 "$S/timeline.jsonl"
before=$(lines)
"$SITREP" -c "$TMP/c.json" note "into a foreign file" >/dev/null 2>"$TMP/f.err"
check "a world-writable timeline.jsonl: exit 1, named" bash -c "[ $? = 1 ] && grep -q 'timeline.jsonl' '$TMP/f.err'"
check "and nothing appended" test "$(lines)" = "$before"
finish
