#!/usr/bin/env bash
# Integration: the jsonl deploys source. A CI pipeline's JSON-lines file:
# --once --json lists its entries newest first with the newest successful
# one current and a failed one marked bad; a line that is not a deploy is
# skipped; a deploy appended while sitrep runs shows up as current and is a
# "deploy" event in the timeline, stamped with its own time.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"

LOG=$TMP/deploys.jsonl
mkdir -p "$TMP/state"
cat >"$LOG" <<'J'
{"id": "r40", "time": "2024-05-21T21:00:00Z", "author": "alice", "message": "add cache", "status": "success"}
not json at all
{"id": "r41", "time": "2024-05-21T22:00:00Z", "author": "bob", "message": "bump deps", "status": "failed"}
J
cat >"$TMP/c.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "ci", "kind": "deploys", "source": "jsonl", "path": "$LOG" } ] }
JSON
chmod 600 "$TMP/c.json"

"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json"
check "--once --json exits 0" test $? = 0
check "entries newest first, the failed one bad, the newest success current" python3 -c "
import json
d=json.load(open('$TMP/once.json'))['panes'][0]['data']
assert [x['id'] for x in d['deploys']]==['r41','r40'], d
assert d['current']=='r40', d['current']
assert d['deploys'][0]['bad'] and d['deploys'][0]['status']=='failed'
assert d['deploys'][1]['author']=='alice' and d['deploys'][1]['message']=='add cache'"

tm_start 160 20 "$SITREP -c $TMP/c.json"
check "the pane lists the entries" tm_wait_text 10 "bump deps"
check "the skipped line is said" tm_wait_text 5 "1 line skipped"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "{\"id\": \"r42\", \"time\": \"$now\", \"author\": \"carol\", \"message\": \"fix query \\u001b[31mtypo\", \"status\": \"success\"}" >>"$LOG"
check "the appended deploy shows up as current" tm_wait_text 10 "▶ r42"
check "its message is drawn inert" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep 'r42' | grep -qv $'\e'"
check "it is a deploy event in the timeline with its own time" wait_for 5 python3 -c "
import json,datetime
L=[json.loads(l) for l in open('$TMP/state/timeline.jsonl')]
d=[l for l in L if l['type']=='deploy' and l.get('key')=='r42']
assert len(d)==1, L
assert d[0]['time']=='$now', d"
check "the history was not replayed as events" bash -c "! grep -q '\"key\":\"r40\"' '$TMP/state/timeline.jsonl'"
check "the status line names the deploy" tm_wait_text 5 "deploy r42"
finish
