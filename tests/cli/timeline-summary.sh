#!/usr/bin/env bash
# timeline-summary: `sitrep timeline --markdown` (and so `e`, which writes
# the same report) opens with a summary worked out from the state files:
# the first symptom and the deploy before it, detection, each action with
# its verified outcome (from the audit log), when it was over, and the times
# to detect, mitigate and resolve; then the full table, in event-time order
# even when the files hold entries out of order.
source "$(dirname "$0")/../lib.sh"

S=$TMP/state
mkdir -m 700 "$S"
B=1796083200000 # 2026-12-01T00:00:00Z
cat >"$S/timeline.jsonl" <<JSON
{"ms":$((B + 90000)),"type":"status","level":"crit","pane":"db","subject":"storm","text":"storm: 8 sessions run the same query"}
{"ms":$B,"type":"deploy","level":"info","pane":"deploys","subject":"r3","text":"deploy r3 by carol"}
{"ms":$((B + 200000)),"type":"status","level":"ok","pane":"db","subject":"storm","text":"storm over"}
JSON
cat >"$S/audit.jsonl" <<JSON
{"ms":$((B + 120000)),"user":"ana","action":"cancel","target":"4242","pane":"db","result":"started"}
{"ms":$((B + 150000)),"user":"ana","action":"cancel","target":"4242","pane":"db","result":"ok","detail":"verified gone","what":"cancel the query of pid 4242 (app, shop): SELECT * FROM bookings WHERE ref = \$1\nSELECT pg_cancel_backend(4242)"}
{"ms":$((B + 160000)),"user":"ana","action":"purge","target":"2 assets","pane":"cdn","result":"ok","detail":"verified fresh","what":"purge 2 assets from the CDN\n  /static/app.js\n  /static/app.css"}
JSON
chmod 600 "$S"/*.jsonl
cat >"$TMP/c.json" <<JSON
{ "state_dir": "$S", "panes": [ { "id": "story", "kind": "timeline" } ] }
JSON
chmod 600 "$TMP/c.json"

"$SITREP" timeline --markdown -c "$TMP/c.json" >"$TMP/md" 2>"$TMP/err"
check "--markdown exits 0" test $? = 0
check "the report opens with its title and the summary" bash -c "[ \"\$(sed -n 1p '$TMP/md')\" = '## Incident timeline' ] && sed -n 3p '$TMP/md' | grep -q '^Summary'"
has() { grep -qxF -- "$1" "$TMP/md" || { echo "# missing: $1"; return 1; }; }
check "the first symptom and when" has 'first symptom: 2026-12-01T00:01:30Z, `db: storm: 8 sessions run the same query`'
check "the deploy before it" has 'changed before it: 2026-12-01T00:00:00Z, `deploys: deploy r3 by carol`'
check "detection" has 'detected: 2026-12-01T00:01:30Z, `db: storm: 8 sessions run the same query`'
check "the action with its verified outcome (not its start)" has 'action: 2026-12-01T00:02:30Z, `ana cancel 4242: ok, verified gone`'
check "no line for the action's start" bash -c "! grep -q 'action: .*started' '$TMP/md'"
check "when it was over" has 'over: 2026-12-01T00:03:20Z, `db: storm over`'
check "time to detect" has 'time to detect: 1m 30s (from the deploy)'
check "time to mitigate" has 'time to mitigate: 1m 00s'
check "time to resolve" has 'time to resolve: 1m 50s (both from detection)'
check "then the full timeline, after the summary" bash -c "[ \$(grep -n '^| time (UTC)' '$TMP/md' | cut -d: -f1) -gt \$(grep -n '^time to resolve' '$TMP/md' | cut -d: -f1) ]"
check "the table is in event-time order" python3 -c "
rows=[l for l in open('$TMP/md') if l.startswith('| 20')]
t=[r.split('|')[1].strip() for r in rows]
assert len(rows)==6 and t==sorted(t), t"
check "the cancel row names the query it acted on" grep -qE '^\| .*\| ana \| cancel 4242 \|.*SELECT \* FROM bookings WHERE ref = \$1 SELECT pg_cancel_backend\(4242\)' "$TMP/md"
check "the purge row names the paths" grep -qE '^\| .*\| ana \| purge 2 assets \|.*/static/app\.js +/static/app\.css' "$TMP/md"
cat "$TMP/md" | diag
finish
