#!/usr/bin/env bash
# Integration: what is confirmed is what is sent. A server that sends two
# alerts under one fingerprint (different labels) must not get a silence for
# the alert that was not shown: the row's full identity picks the alert, the
# dialog shows the request built from it, and the body the server receives
# is byte for byte the body recorded as confirmed. The prompt says what y and
# n do; a stray key neither cancels nor sends. A cancel in the dialog is
# recorded like the CLI's "not confirmed". Quitting with an action in flight
# asks first.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"

port=$(free_port)
echo dupfp >"$TMP/mode"
python3 "$TOP/tests/faultserver.py" "$port" --mode-file "$TMP/mode" 2>"$TMP/server.log" &
track_pid $!
wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/counts"
cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "http://127.0.0.1:$port" } ] }
JSON
chmod 600 "$TMP/sitrep.json"

tm_start 200 40 "env USER=oncall $SITREP -c $TMP/sitrep.json"
check "both alerts are drawn" tm_wait_text 10 "HiddenTwin"
row_of() { tm_capture | grep -n -- "$1" | head -1 | cut -d: -f1; }
check "the critical one is first" test "$(row_of ShownFirst)" -lt "$(row_of HiddenTwin)"

tm send-keys -t t 1 s
check "the dialog opens" tm_wait_text 3 "Confirm silence"
tm_capture >"$TMP/dialog"
check "the dialog shows the selected alert's matchers" grep -qF 'instance="web-1"' "$TMP/dialog"
check "the dialog shows the request" grep -qF "POST http://127.0.0.1:$port/api/v2/silences" "$TMP/dialog"
check "the prompt says what y and n do" grep -qF "y: silence ShownFirst · n or Esc: keep it, nothing is sent" "$TMP/dialog"
# A stray key (a move, a letter) neither cancels nor sends.
tm send-keys -t t j x
sleep 0.5
check "a stray key does not cancel" tm_wait_text 1 "Confirm silence"
check "a stray key sends nothing" bash -c "! grep -q '^silence-body: ' '$TMP/server.log'"
tm send-keys -t t Escape
check "Esc cancels" tm_wait_text 3 "silence cancelled, nothing sent"
check "the cancel is recorded" grep -q '"target":"ShownFirst".*"result":"refused".*cancelled in the dashboard' \
	"$TMP/state/audit.jsonl"

tm send-keys -t t s
tm_wait_text 3 "Confirm silence"
tm send-keys -t t y
check "y sends it" tm_wait_text 10 "silence done"
body=$(sed -n 's/^silence-body: //p' "$TMP/server.log" | tail -1)
check "the server got a silence" test -n "$body"
check "for the alert shown, not its twin" python3 -c "
import json,sys
m={x['name']:x['value'] for x in json.loads(sys.argv[1])['matchers']}
assert m=={'alertname':'ShownFirst','instance':'web-1','severity':'critical'}, m" "$body"
confirmed=$(python3 -c "
import json
for l in open('$TMP/state/audit.jsonl'):
    o=json.loads(l)
    if o['result']=='started': what=o['what']
print(what.split('\n')[-1])")
check "the body sent is byte for byte the body confirmed" test "$body" = "$confirmed"
echo "$confirmed" | diag
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill

# Rebinding a verb moves it: the default key does nothing, help shows the new one.
cat >"$TMP/rebound.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "keys": { "silence": "S" }, "panes": [
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "http://127.0.0.1:$port" } ] }
JSON
chmod 600 "$TMP/rebound.json"
tm_start 200 40 "$SITREP -c $TMP/rebound.json"
tm_wait_text 10 "HiddenTwin"
tm send-keys -t t 1 s
sleep 0.5
check "rebound: the default key s no longer asks" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Confirm silence'"
tm send-keys -t t S
check "rebound: S asks" tm_wait_text 3 "Confirm silence"
tm send-keys -t t Escape
tm send-keys -t t '?'
tm_wait_text 3 "Keys (rebind"
tm send-keys -t t End
tm_wait_text 3 "alerts panes"
check "help shows S for silence" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '│ S +silence the selected alert'"
finish
