#!/usr/bin/env bash
# Integration: the timeline as the store of events. A real prometheus answers a
# query that is over its crit threshold and a followed log gets a new error
# after start; both become timeline events with their time, shown by `t` in
# the dashboard and by `sitrep timeline`, and read back after a restart (a
# state already recorded is not recorded twice). --since and --markdown
# filter and format the same entries.
source "$(dirname "$0")/../lib.sh"
command -v prometheus >/dev/null || skip_all "prometheus not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"

lab_up "prometheus"
ok "prometheus started"

printf '2026-11-30T00:00:00Z INFO started\n2026-11-30T00:00:01Z ERROR old failure from before\n' >"$TMP/app.log"
cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "prod", "kind": "metrics", "source": "prometheus", "url": "$PROM_URL",
    "queries": [ { "name": "Load", "expr": "vector(97)", "unit": "%", "warn": 80, "crit": 95 } ] },
  { "id": "errors", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/app.log" } ] } ] }
JSON
chmod 600 "$TMP/sitrep.json"

tm_start 160 40 "$SITREP -c $TMP/sitrep.json"
check "the metric is drawn" tm_wait_text 15 "Load"
sleep 1.5
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ERROR payment gateway refused card 4242" >>"$TMP/app.log"
check "the status line hints at the new error" tm_wait_text 10 "new error group"
for i in $(seq 15); do echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ERROR payment gateway refused card $i"; done >>"$TMP/app.log"
check "a burst of errors is a spike on the status line" tm_wait_text 10 "errors spiking"
tm send-keys -t t t
check "t opens the timeline" tm_wait_text 5 "Incident timeline"
check "the timeline shows the crit crossing" tm_wait_text 5 "Load crit"
check "the timeline shows the new error group" tm_wait_text 5 "new error group in app.log"
tm send-keys -t t Escape
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill

"$SITREP" timeline -c "$TMP/sitrep.json" >"$TMP/tl1" 2>&1
check "sitrep timeline lists the crossing with its time" \
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z  sitrep +status +Load .*prod .*crit' "$TMP/tl1"
check "sitrep timeline lists the new error group with its time" \
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z  sitrep +new_error .*errors .*payment gateway refused' "$TMP/tl1"
check "sitrep timeline lists the spike" grep -qE 'error_spike .*errors .*crit +errors spiking: 1[0-9]/min' "$TMP/tl1"
check "the error from before the start is not news" bash -c "! grep -q 'old failure' '$TMP/tl1'"
check "the timeline file is private" bash -c "[ \"\$(stat -c %a '$TMP/state/timeline.jsonl')\" = 600 ]"
cat "$TMP/tl1" | diag

# A restart reads the history back; the state it finds again is not news.
tm_start 160 40 "$SITREP -c $TMP/sitrep.json"
check "restarted: the metric is drawn" tm_wait_text 15 "Load"
sleep 2
tm send-keys -t t t
check "restarted: the timeline still has the error from the first run" tm_wait_text 5 "new error group in app.log"
tm send-keys -t t Escape
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill
"$SITREP" timeline -c "$TMP/sitrep.json" >"$TMP/tl2" 2>&1
check "the crossing is recorded once across the restart" \
	[ "$(grep -cE 'status +Load' "$TMP/tl2")" = 1 ]

# The timeline as a pane of its own: `t` focuses it; --once shows it too.
cat >"$TMP/pane.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "errors", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/app.log" } ] },
  { "id": "story", "kind": "timeline" } ] }
JSON
chmod 600 "$TMP/pane.json"
tm_start 160 40 "$SITREP -c $TMP/pane.json"
check "the timeline pane shows the history" tm_wait_text 10 "new error group in app.log"
tm send-keys -t t 1 t
sleep 0.5
check "t focuses the timeline pane (no overlay)" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Incident timeline (newest first'"
tm send-keys -t t Enter
check "Enter shows an entry's detail" tm_wait_text 5 "type: "
tm send-keys -t t Escape q
wait_for 5 tm_pane_dead
tm_kill
"$SITREP" --once --json -c "$TMP/pane.json" >"$TMP/pane-once.json" 2>/dev/null
check "--once --json lists the entries, newest first" python3 -c "
import json
p=[p for p in json.load(open('$TMP/pane-once.json'))['panes'] if p['id']=='story'][0]
e=p['data']['entries']
assert len(e)>=2 and e[0]['time']>=e[-1]['time'], e
assert any(x['type']=='new_error' for x in e) and any(x['type']=='status' for x in e), e"

"$SITREP" timeline --markdown -c "$TMP/sitrep.json" >"$TMP/md" 2>&1
check "--markdown has a row for the crossing" grep -qE '^\| [0-9T:-]+Z \| sitrep \| status Load .*\| prod \| crit \|' "$TMP/md"
sleep 2
"$SITREP" timeline --since 1s -c "$TMP/sitrep.json" >"$TMP/since" 2>&1
check "--since 1s leaves out what is older" bash -c "! grep -q 'payment' '$TMP/since'"
"$SITREP" timeline --since 1h -c "$TMP/sitrep.json" >"$TMP/since" 2>&1
check "--since 1h keeps it" grep -q 'payment' "$TMP/since"
"$SITREP" timeline --since 1e308w -c "$TMP/sitrep.json" >/dev/null 2>&1
check "--since with an absurd duration is bad usage" [ $? = 2 ]
finish
