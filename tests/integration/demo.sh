#!/usr/bin/env bash
# Integration: `make demo` end to end, the way a user meets it. `scripts/lab
# demo` runs in a tmux pane (160x48): the whole lab up, the incident played
# (r2 breaks booking, the fix r3 lands behind a stale edge, a query storm, a
# pinned core), sitrep on it. From sitrep's start: the status hint names the
# deploy, the stale asset and the storm within 3 s. Then the fixes, each at
# most 3 keys after focusing its pane, each verified outside sitrep: purge
# (5 p y: the varnish edge serves the good app.js), cancel the storm (7 c y on
# the group row: gone from pg_stat_activity), roll back (6 b r1 Enter:
# `current` moved, the restart ran). The checks pane turns green, the audit log
# has each action, and the timeline (e, `sitrep timeline --markdown`) tells the
# story in order. q ends sitrep, and the lab is down: no pid of it alive, no
# port of it open.
# DEMO_TIMES=FILE appends "step<TAB>seconds" lines (bench/demo reads them).
source "$(dirname "$0")/../lib.sh"

missing=()
for b in tmux curl nginx varnishd prometheus prometheus-node-exporter prometheus-alertmanager stress-ng psql; do
	command -v "$b" >/dev/null || missing+=("$b")
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(initdb)
if [ ${#missing[@]} -gt 0 ]; then
	not_ok "the lab's programs are installed (scripts/install-deps --test); missing: ${missing[*]}"
	finish
fi

LAB=$TMP/lab
trap '"$TOP/scripts/lab" down "$LAB" >/dev/null 2>&1; cleanup' EXIT
record() { [ -n "${DEMO_TIMES:-}" ] && printf '%s\t%s\n' "$1" "$2" >>"$DEMO_TIMES"; return 0; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
status_line() { tm_capture | tail -1; }
screen_has() { tm_capture | grep -qF -- "$1"; }
audit_has() { grep -q "\"action\":\"$1\".*\"result\":\"ok\"" "$LAB/state/audit.jsonl" 2>/dev/null; }
# key K...: one key each, a short pause between (a human's pace is slower)
key() { local k; for k in "$@"; do tm send-keys -t t "$k"; sleep 0.2; done; }

start=$(now)
tm_start 160 48 "LAB_SERVICES='node prometheus alertmanager releases nginx varnish postgres applog' \
'$TOP/scripts/lab' demo '$LAB' '$SITREP' 2>'$TMP/demo.err'; echo \$? >'$TMP/demo.rc'"
if ! wait_for 120 test -s "$LAB/sitrep.started"; then
	diag <"$TMP/demo.err"
	cat "$LAB"/*.log 2>/dev/null | tail -40 | diag
	not_ok "the lab comes up and plays the incident"
	finish
fi
ok "the lab is up and played ($(since "$start") s), sitrep started"
record "up and play" "$(since "$start")"
t0=$(cat "$LAB/sitrep.started")
source "$LAB/env"
cp "$LAB/pids" "$TMP/pids.played"

# --- the answer: deploy, stale asset, storm -----------------------------------
declare -A seen=()
parts=("deploy r3" "/static/app.js" "×8 same query")
while (($(awk -v a="$t0" -v b="$(now)" 'BEGIN { print (b - a < 10) }'))); do
	line=$(status_line)
	for p in "${parts[@]}"; do
		[ -z "${seen[$p]:-}" ] && [[ $line == *"$p"* ]] && seen[$p]=$(since "$t0")
	done
	[ ${#seen[@]} -eq ${#parts[@]} ] && break
	sleep 0.1
done
status_line | diag
for p in "${parts[@]}"; do
	check "the status hint names '$p' within 3 s (at ${seen[$p]:-never})" \
		awk -v t="${seen[$p]:-99}" 'BEGIN { exit !(t <= 3) }'
done
answer=0
for p in "${parts[@]}"; do answer=$(awk -v a="$answer" -v b="${seen[$p]:-99}" 'BEGIN { print (b > a ? b : a) }'); done
for p in "${parts[@]}"; do record "hint: $p" "${seen[$p]:-99}"; done
record "hint names deploy, stale asset, storm" "$answer"
# The same facts in the panes, with their evidence.
tm_capture >"$TMP/answer.txt"
check "deploys: r3 current, r2 marked bad" bash -c "grep -q '▶ r3 ' '$TMP/answer.txt' && grep -q 'r2 .*bad' '$TMP/answer.txt'"
check "cdn: /static/app.js stale, with the edge's and the origin's ETags" grep -q 'stale *\/static\/app.js .*edge ETag' "$TMP/answer.txt"
check "db: the storm, ×8, all after r3" grep -q '×8 .*all after r3' "$TMP/answer.txt"
check "checks: app.js failing with the reason" grep -q 'FAIL app.js .*bookingEnabled = true' "$TMP/answer.txt"
check "alerts: HighCPU firing" grep -q 'HighCPU' "$TMP/answer.txt"
check "errors: the app's errors grouped, the message first" grep -qE '│E ×[0-9]+ +[0-9a-z]+ +.*booking: POST' "$TMP/answer.txt"
tm_capture -e >"$TMP/answer.ansi"
cp "$TMP/answer.txt" "${DEMO_SCREEN:-$TMP/screen.txt}" 2>/dev/null

# --- the fixes ---------------------------------------------------------------
edge_good() { curl -fsS --max-time 2 "$EDGE_URL/static/app.js" | grep -q "bookingEnabled = true"; }
storm_n() { psql -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d app -Atc \
	"select count(*) from pg_stat_activity where application_name = 'web-r3' and state = 'active'"; }
check "before: the edge serves r2's app.js" bash -c "! curl -fsS '$EDGE_URL/static/app.js' | grep -q 'bookingEnabled = true'"
check "before: 8 storm sessions in pg_stat_activity" test "$(storm_n)" = 8

# purge: 5 p y
key 5 p
check "purge: the dialog shows the PURGE request" tm_wait_text 5 "PURGE $EDGE_URL/static/app.js"
t=$(now)
key y
check "purge: the edge serves the good app.js" wait_for 15 edge_good
check "purge: audited ok" wait_for 15 audit_has purge
record "purge (5 p y) verified" "$(since "$t")"

# cancel the storm: 7 c y (the group row is selected first)
key 7 c
check "cancel: the dialog names the group's 8 sessions" tm_wait_text 5 "y: cancel 8 queries"
tm_capture | grep -E 'pg_cancel_backend|cancel' | head -5 | diag
t=$(now)
key y
check "cancel: no storm session left in pg_stat_activity" wait_for 15 eval 'test "$(storm_n)" = 0'
check "cancel: audited ok" wait_for 15 audit_has cancel
record "cancel the storm (7 c y) verified" "$(since "$t")"

# roll back: 6 b, then the release's name typed
key 6 b
check "rollback: the dialog asks for r1 (r2 is marked bad)" tm_wait_text 5 'Type "r1"'
t=$(now)
key r 1 Enter
check "rollback: current -> releases/r1" wait_for 20 eval 'test "$(readlink "$LAB/app/current")" = releases/r1'
check "rollback: audited ok" wait_for 20 audit_has rollback
record "roll back (6 b r1 Enter) verified" "$(since "$t")"
check "rollback: the restart argv ran on r1" bash -c "tail -1 '$LAB/app/restarted' | grep -q 'restarted releases/r1 app.service'"

# --- recovery ----------------------------------------------------------------
t=$(now)
green() { tm_capture >"$TMP/green.txt"; grep -q 'ok   booking ' "$TMP/green.txt" && grep -q 'ok   app.js ' "$TMP/green.txt" && ! grep -Eq 'FAIL (booking|app.js) ' "$TMP/green.txt"; }
check "the checks pane turns green" wait_for 15 green
grep -E ' (booking|app\.js) ' "$TMP/green.txt" | diag
record "checks green after the last fix" "$(since "$t")"
check "cdn: every asset fresh" wait_for 10 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'stale *\/'"
check "audit lines are valid JSON" python3 -c "
import json
for l in open('$LAB/state/audit.jsonl'): json.loads(l)"

# --- the story ---------------------------------------------------------------
key e
check "e exports the timeline" tm_wait_text 5 "timeline exported to"
"$SITREP" timeline --markdown -c "$LAB/sitrep.json" >"$TMP/timeline.md" 2>&1
check "sitrep timeline --markdown exits 0" test $? -eq 0
diag <"$TMP/timeline.md"
# deployed FILE: the deploys that started the incident are in it, with their times
deployed() { grep -Eq '^\| [0-9T:-]+Z \| [^|]* \| deploy r3 \|' "$1"; }
# story FILE: symptoms, then the three actions in order, then recovery, each with a time
story() {
	python3 - "$1" <<'PY'
import re, sys
# outside text is in code spans (inert in a wiki): read the cells without the backticks
rows = [l.replace("`", "") for l in open(sys.argv[1]) if re.match(r"\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \|", l)]
def first(*words, after=-1):
    for i, r in enumerate(rows):
        if i > after and all(w in r for w in words):
            return i
    sys.exit("missing: %s" % " ".join(words))
symptoms = [first("| asset_stale /static/app.js |"), first("| status query storm |", "crit"),
            first("| status app.js |", "failing")]
# the CLI reads actions from the audit log ("purge cdn"), the TUI's export from
# the bus ("action_ended purge cdn"): either way, the verb and its ok
actions = [first(" purge cdn |", "| ok |"), first(" cancel ", "| ok |"), first(" rollback r1 |", "| ok |")]
recovery = [first("| asset_fresh /static/app.js |"), first("| status app.js |", "| ok |"),
            first("| status query storm |", "| ok |")]
assert max(symptoms) < min(actions), ("symptoms before actions", symptoms, actions)
assert actions == sorted(actions), ("purge, cancel, rollback", actions)
assert min(recovery) > actions[0], ("recovery after the first fix", recovery, actions)
PY
}
export_md=$(ls "$LAB"/state/timeline-*.md 2>/dev/null | head -1)
for f in "$export_md" "$TMP/timeline.md"; do
	what="the export (e)"
	[ "$f" = "$TMP/timeline.md" ] && what="sitrep timeline --markdown"
	story "$f" >"$TMP/story.err" 2>&1
	check "$what: symptoms, then purge, cancel, rollback, then recovery, with times" test $? -eq 0
	[ -s "$TMP/story.err" ] && { diag <"$TMP/story.err"; diag <"$f"; }
	check "$what: has the deploy r3 that caused it, with its time" deployed "$f"
done

# --- quit: the lab goes down with sitrep ----------------------------------------
key q
# the demo's own exit status, written by the pane's shell when the lab ends
# (tmux's pane_dead_status was at times left empty for a pane that had ended)
quit_ok() { [ "$(cat "$TMP/demo.rc" 2>/dev/null)" = 0 ]; }
check "q ends sitrep and the demo, exit status 0" wait_for 30 quit_ok
quit_ok || { echo "demo's exit status: $(cat "$TMP/demo.rc" 2>/dev/null || echo none); pane dead:status $(tm display-message -p -t t '#{pane_dead}:#{pane_dead_status}')"; tm_capture; cat "$TMP/demo.err"; } | diag
alive=()
while read -r p; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive+=("$p"); done <"$TMP/pids.played"
check "after the demo no lab pid is alive ($(wc -l <"$TMP/pids.played") tracked; alive: ${alive[*]:-none})" test ${#alive[@]} -eq 0
open=()
for port in $(sed -n 's/^[A-Z]*_PORT=//p' "$LAB/env"); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && open+=("$port")
done
check "after the demo no lab port answers (open: ${open[*]:-none})" test ${#open[@]} -eq 0
check "no process runs from the lab's directory" bash -c "! ps -eo args | grep -F -- '$LAB' | grep -Ev 'grep|tmux'"
check "the state (timeline, audit log) stays" test -s "$LAB/state/audit.jsonl"

finish
