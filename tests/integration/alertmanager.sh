#!/usr/bin/env bash
# Integration: a real prometheus-alertmanager. Alerts posted to its API appear
# in `sitrep --once --json`, sorted by severity; `sitrep do silence` makes
# Alertmanager report the alert silenced, and the action is in the audit log;
# read-only mode and a missing terminal refuse with exit 3 and send nothing.
# Behind a real nginx that answers the silence POST with 307 (to this same
# Alertmanager), the silence is not created: the redirect is the outcome,
# never followed.
source "$(dirname "$0")/../lib.sh"
command -v prometheus-alertmanager >/dev/null || skip_all "prometheus-alertmanager not installed"

lab_up "alertmanager"
ok "alertmanager started on 127.0.0.1:$AM_PORT"

ago() { date -u -d "-$1" +%Y-%m-%dT%H:%M:%SZ; }
curl -fsS -XPOST -H 'Content-Type: application/json' "$AM_URL/api/v2/alerts" -d '[
 {"labels":{"alertname":"SitrepDiskFull","severity":"critical","instance":"db1:9100"},
  "annotations":{"summary":"disk /var 97% full"},"startsAt":"'"$(ago '20 min')"'"},
 {"labels":{"alertname":"SitrepLatency","severity":"warning","service":"web"},
  "annotations":{"summary":"p99 2.3s"},"startsAt":"'"$(ago '5 min')"'"},
 {"labels":{"alertname":"SitrepInfo","severity":"info"},"annotations":{"summary":"fyi \u001b[2J"}}]' ||
	not_ok "alerts posted"

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "$AM_URL", "silence_duration": "30m" } ] }
JSON

names() { python3 -c "import json; d=json.load(open('$1')); print(' '.join(a['name'] for a in d['panes'][0]['data']['alerts']))"; }
wait_for 10 bash -c "'$SITREP' --once --json -c '$TMP/sitrep.json' >'$TMP/a.json' && grep -q SitrepInfo '$TMP/a.json'"
check "--once --json lists the posted alerts" grep -q SitrepDiskFull "$TMP/a.json"
check "sorted by severity: critical, warning, info" test "$(names "$TMP/a.json")" = "SitrepDiskFull SitrepLatency SitrepInfo"
check "summary and labels are there" python3 -c "
import json; a=json.load(open('$TMP/a.json'))['panes'][0]['data']['alerts'][0]
assert a['summary']=='disk /var 97% full' and a['labels']['instance']=='db1:9100' and a['severity']=='critical' and a['since']"
check "no raw ESC in the output" bash -c "! grep -q $'\x1b' '$TMP/a.json'"

silenced() {
	curl -fsS "$AM_URL/api/v2/alerts" | python3 -c "
import json,sys; a=[x for x in json.load(sys.stdin) if x['labels']['alertname']=='$1'][0]
sys.exit(0 if a['status']['silencedBy'] else 1)"
}
nsil() { curl -fsS "$AM_URL/api/v2/silences" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"; }

before=$(nsil)
"$SITREP" --read-only do silence SitrepDiskFull --yes -c "$TMP/sitrep.json" 2>"$TMP/ro.txt"
rc=$?
check "read-only: do silence exits 3 (rc=$rc)" test "$rc" -eq 3
check "read-only: the message says why" grep -q "read-only" "$TMP/ro.txt"
check "read-only: nothing was sent" test "$(nsil)" = "$before"
SITREP_READ_ONLY=1 "$SITREP" do silence SitrepDiskFull --yes -c "$TMP/sitrep.json" 2>/dev/null
check "SITREP_READ_ONLY=1 refuses too" test $? -eq 3
setsid "$SITREP" do silence SitrepDiskFull -c "$TMP/sitrep.json" </dev/null >/dev/null 2>"$TMP/notty.txt"
rc=$?
check "without --yes and without a terminal: refused (rc=$rc)" test "$rc" -eq 3
check "without a terminal: nothing was sent" test "$(nsil)" = "$before"
"$SITREP" do silence SitrepDiskFull --for soon --yes -c "$TMP/sitrep.json" 2>/dev/null
check "a bad duration is a usage error" test $? -eq 2

USER=oncall "$SITREP" do silence SitrepDiskFull --for 45m --yes -c "$TMP/sitrep.json" >"$TMP/do.txt" 2>&1
rc=$?
check "do silence --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "it reports the silence id" grep -q "silence .* created" "$TMP/do.txt"
wait_for 10 silenced SitrepDiskFull
check "alertmanager reports the alert silenced" silenced SitrepDiskFull
not_silenced() { ! silenced "$1"; }
check "the other alerts are not silenced" not_silenced SitrepLatency
curl -fsS "$AM_URL/api/v2/silences" >"$TMP/sil.json"
check "the silence: equality matcher, createdBy \$USER, 45 minutes" python3 -c "
import json,datetime
s=[x for x in json.load(open('$TMP/sil.json')) if x['status']['state']=='active'][0]
m=s['matchers'][0]
assert m['name']=='alertname' and m['value']=='SitrepDiskFull' and not m['isRegex'] and m.get('isEqual',True)
assert s['createdBy']=='oncall' and s['comment']
f=lambda t: datetime.datetime.fromisoformat(t.replace('Z','+00:00'))
d=(f(s['endsAt'])-f(s['startsAt'])).total_seconds()
assert 44*60 <= d <= 46*60, d"
AUDIT=$TMP/state/audit.jsonl
check "audit: the read-only refusal is recorded" grep -q '"result":"refused".*"detail":"read-only"' "$AUDIT"
check "audit: the silence is recorded with user and result" grep -q '"user":"oncall","action":"silence","target":"SitrepDiskFull".*"result":"ok"' "$AUDIT"
check "audit: every line is JSON" python3 -c "
import json
for l in open('$AUDIT'): json.loads(l)"

# ---- a redirect is an answer, not a second request ----
if command -v nginx >/dev/null; then
	NPORT=$(free_port)
	nginx_serve "$TMP/nginx" <<CONF
	access_log $TMP/nginx/access.log;
	server {
		listen 127.0.0.1:$NPORT;
		location = /api/v2/silences { return 307 $AM_URL/api/v2/silences; }
		location / { proxy_pass $AM_URL; }
	}
CONF
	wait_for 5 curl -sf "http://127.0.0.1:$NPORT/api/v2/status" || diag <"$TMP/nginx/nginx.stderr"
	cat >"$TMP/redirect.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "http://127.0.0.1:$NPORT" } ] }
JSON
	chmod 600 "$TMP/redirect.json"
	before=$(nsil)
	USER=oncall "$SITREP" do silence SitrepLatency --yes -c "$TMP/redirect.json" >"$TMP/redir.txt" 2>&1
	rc=$?
	diag <"$TMP/redir.txt"
	check "a silence POST answered 307 fails (rc=$rc)" test "$rc" -eq 1
	check "... saying where it was redirected and that nothing else was sent" \
		grep -qF "alertmanager redirected the silence to $AM_URL/api/v2/silences (307); nothing else was sent" "$TMP/redir.txt"
	check "... no silence was created at the Location" test "$(nsil)" = "$before"
	check "... SitrepLatency is not silenced" not_silenced SitrepLatency
	check "... the audit log records the redirect" python3 -c "
import json; r=[json.loads(l) for l in open('$AUDIT')][-1]
assert r['result'] == 'failed' and 'redirected the silence' in r['detail'], r"
fi

"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/b.json"
check "--once shows the alert silenced" python3 -c "
import json; a=[x for x in json.load(open('$TMP/b.json'))['panes'][0]['data']['alerts'] if x['name']=='SitrepDiskFull'][0]
assert a['silenced'] and a['state']=='suppressed'"
finish
