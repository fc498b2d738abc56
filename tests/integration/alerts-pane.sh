#!/usr/bin/env bash
# Integration: the alerts pane in the real dashboard (tmux) against a real
# prometheus-alertmanager. Rows are sorted by severity; Enter shows every
# label; `s` asks first, showing the matchers and the duration; any other key
# cancels and sends nothing (recorded); `y` creates a silence of equality matchers by
# $USER, after which the row is marked and dimmed; in read-only mode `s` says
# why it refuses and sends nothing.
source "$(dirname "$0")/../lib.sh"
command -v prometheus-alertmanager >/dev/null || skip_all "prometheus-alertmanager not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"

lab_up "alertmanager"
ok "alertmanager started on 127.0.0.1:$AM_PORT"

ago() { date -u -d "-$1" +%Y-%m-%dT%H:%M:%SZ; }
curl -fsS -XPOST -H 'Content-Type: application/json' "$AM_URL/api/v2/alerts" -d '[
 {"labels":{"alertname":"PaneInfo","severity":"info"},"annotations":{"summary":"fyi"},"startsAt":"'"$(ago '1 min')"'"},
 {"labels":{"alertname":"PaneLatency","severity":"warning","service":"web"},
  "annotations":{"summary":"p99 2.3s"},"startsAt":"'"$(ago '5 min')"'"},
 {"labels":{"alertname":"PaneDiskFull","severity":"critical","instance":"db1:9100","team":"storage"},
  "annotations":{"summary":"disk /var 97% full"},"startsAt":"'"$(ago '20 min')"'"}]' ||
	not_ok "alerts posted"

cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "$AM_URL", "silence_duration": "30m" } ] }
JSON
nsil() { curl -fsS "$AM_URL/api/v2/silences" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"; }
row_of() { tm_capture | grep -n -- "$1" | head -1 | cut -d: -f1; }

# The mono theme draws the dim role as the dim attribute (SGR 2), which the
# dimming check below looks for.
tm_start 160 20 "env USER=oncall $SITREP --theme mono -c $TMP/sitrep.json"
check "the alerts are drawn" tm_wait_text 10 "PaneInfo"
r1=$(row_of PaneDiskFull) r2=$(row_of PaneLatency) r3=$(row_of PaneInfo)
check "sorted by severity: critical, warning, info (rows $r1 $r2 $r3)" test "$r1" -lt "$r2" -a "$r2" -lt "$r3"
check "a row shows severity, name, age, summary and a key label" \
	bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'critical +PaneDiskFull +20m +disk /var 97% full +instance=db1:9100'"

tm send-keys -t t 1 # focus the pane: its first row is selected
tm send-keys -t t Enter
check "Enter shows every label, also those not on the row" tm_wait_text 3 "team=storage"
tm send-keys -t t Escape

before=$(nsil)
tm send-keys -t t s
check "s asks first, in the one confirmation dialog" tm_wait_text 3 "Confirm silence"
tm_capture >"$TMP/confirm.txt"
check "the question names the alert and the duration" grep -qF "silence PaneDiskFull for 30m" "$TMP/confirm.txt"
for m in 'alertname="PaneDiskFull"' 'instance="db1:9100"' 'severity="critical"' 'team="storage"'; do
	check "the question lists the matcher $m" grep -qF "$m" "$TMP/confirm.txt"
done
tm send-keys -t t n
check "another key cancels" tm_wait_text 3 "cancelled, nothing sent"
check "nothing was sent on cancel" test "$(nsil)" = "$before"
check "the cancel is recorded" grep -q '"target":"PaneDiskFull".*"result":"refused".*cancelled in the dashboard' "$TMP/state/audit.jsonl"

check "the dialog shows the request itself" grep -qF "POST $AM_URL/api/v2/silences" "$TMP/confirm.txt"
tm send-keys -t t s
tm_wait_text 3 "Confirm silence"
tm send-keys -t t y
check "y creates the silence and says so" tm_wait_text 10 "done: silence"
check "one silence more in alertmanager" test "$(nsil)" = $((before + 1))
curl -fsS "$AM_URL/api/v2/silences" >"$TMP/sil.json"
check "the silence: every label as an equality matcher, by \$USER, 30 minutes, with a comment" python3 -c "
import json,datetime
s=json.load(open('$TMP/sil.json'))[0]
m={x['name']:x['value'] for x in s['matchers']}
assert m=={'alertname':'PaneDiskFull','severity':'critical','instance':'db1:9100','team':'storage'}, m
assert all(not x['isRegex'] and x.get('isEqual',True) for x in s['matchers'])
assert s['createdBy']=='oncall' and s['comment'], s
f=lambda t: datetime.datetime.fromisoformat(t.replace('Z','+00:00'))
d=(f(s['endsAt'])-f(s['startsAt'])).total_seconds()
assert 29*60 <= d <= 31*60, d"

# After the refresh the row is marked S; with the selection moved away, it is
# drawn with the dim attribute, and an active row is not.
check "the silenced row is marked S" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'PaneDiskFull +[0-9]+m S '"
tm send-keys -t t j
sleep 0.5
# Whether NAME is drawn with the dim attribute: the SGR state at NAME, from
# every sequence before it on its row.
is_dim() {
	tm_capture -e | python3 -c '
import re, sys
name = sys.argv[1]
line = next(l for l in sys.stdin if name in l)
dim = False
for params in re.findall(r"\x1b\[([0-9;]*)m", line[:line.index(name)]):
    ps = (params or "0").split(";")
    while ps:
        p = ps.pop(0)
        if p in ("38", "48"):  # a colour: 5;N or 2;R;G;B follow
            del ps[:2 if ps[:1] == ["5"] else 4]
        elif p in ("0", "", "22"):
            dim = False
        elif p == "2":
            dim = True
sys.exit(0 if dim else 1)' "$1"
}
check "the silenced row is drawn dim" is_dim PaneDiskFull
if is_dim PaneInfo; then not_ok "an active row is not dim"; else ok "an active row is not dim"; fi
tm send-keys -t t q
wait_for 5 tm_pane_dead
check "audit: the silence from the pane is recorded by oncall" \
	grep -q '"user":"oncall","action":"silence","target":"PaneDiskFull","pane":"alerts","result":"ok"' "$TMP/state/audit.jsonl"

# Read-only: s refuses with the reason and sends nothing.
tm_kill
tm_start 160 20 "$SITREP --read-only -c $TMP/sitrep.json"
tm_wait_text 10 "PaneInfo"
before=$(nsil)
tm send-keys -t t 1 j s
check "read-only: s says why" tm_wait_text 3 "read-only: silence refused, nothing was sent"
check "read-only: no question asked" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Confirm silence'"
sleep 1
check "read-only: nothing was sent" test "$(nsil)" = "$before"
check "audit: the refusal is recorded" grep -q '"target":"PaneLatency".*"result":"refused"' "$TMP/state/audit.jsonl"
tm send-keys -t t q
finish
