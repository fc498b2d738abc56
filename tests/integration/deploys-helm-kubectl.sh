#!/usr/bin/env bash
# Integration: the helm and kubectl deploys sources through stand-ins put
# first on PATH (tests/data/deploys/fake-helm, fake-kubectl): they print the
# tools' documented JSON and text and record every argv, which is checked
# element by element. History and current in --once --json; rollback to the
# previous healthy revision (a failed one skipped), verified by reading the
# history again; a rollback that changes nothing, a failing tool and garbage
# output are failures with the tool's words; read-only runs nothing. The
# health check after a rollback: a local HTTP server that fails, then
# recovers (ok, with the seconds), or keeps failing (the action fails with
# the last status).
source "$(dirname "$0")/../lib.sh"

DATA=$TOP/tests/data/deploys
mkdir -p "$TMP/bin" "$TMP/state"
cp "$DATA/fake-helm" "$TMP/bin/helm"
cp "$DATA/fake-kubectl" "$TMP/bin/kubectl"
export PATH="$TMP/bin:$PATH" FAKE_ARGV=$TMP/argv FAKE_STATE=$TMP/fake.json
unset FAKE_MODE

config() { # config FILE PANE_JSON
	cat >"$1" <<JSON
{ "state_dir": "$TMP/state", "panes": [ { "id": "deploys", "kind": "deploys", $2 } ] }
JSON
	chmod 600 "$1"
}
# argv_is N JSON: the Nth recorded argv (1-based) is exactly JSON
argv_is() { python3 -c "
import json,sys
L=[json.loads(l) for l in open('$FAKE_ARGV')]
want=json.loads(sys.argv[2]); n=int(sys.argv[1])
assert len(L)>=n and L[n-1]==want, (L, want)" "$@"; }
argv_count() { wc -l <"$FAKE_ARGV"; }

# ---- helm ----
cat >"$FAKE_STATE" <<'JSON'
[{"revision":1,"updated":"2024-05-20T10:00:00.000000000+02:00","status":"superseded","chart":"web-1.2.0","app_version":"1.2.0","description":"Install complete"},
 {"revision":2,"updated":"2024-05-21T20:00:00.000000000+02:00","status":"superseded","chart":"web-1.3.0","app_version":"1.3.0","description":"Upgrade complete"},
 {"revision":3,"updated":"2024-05-21T22:00:00.000000000+02:00","status":"failed","chart":"web-1.4.0","app_version":"1.4.0","description":"Upgrade \"web\" failed: timed out"},
 {"revision":4,"updated":"2024-05-22T00:14:00.000000000+02:00","status":"deployed","chart":"web-1.5.0","app_version":"1.5.0","description":"Upgrade complete"}]
JSON
cp "$FAKE_STATE" "$TMP/helm-start.json"
config "$TMP/helm.json" '"source": "helm", "release": "web", "namespace": "shop"'
: >"$FAKE_ARGV"
"$SITREP" --once --json -c "$TMP/helm.json" >"$TMP/h.json" 2>"$TMP/h.err"
check "helm: --once --json exits 0" test $? = 0
check "helm: the history command is exactly helm history -n shop -o json --max 50 -- web" \
	argv_is 1 '["history","-n","shop","-o","json","--max","50","--","web"]'
check "helm: revisions newest first, statuses as helm names them, deployed is current" python3 -c "
import json
d=json.load(open('$TMP/h.json'))['panes'][0]['data']
x=d['deploys']
assert [p['id'] for p in x]==['4','3','2','1'], x
assert [p['status'] for p in x]==['deployed','failed','superseded','superseded'], x
assert d['current']=='4' and x[0]['current'], d
assert x[1]['bad'] and not x[2]['bad'], x
assert x[0]['version']=='web-1.5.0 app 1.5.0' and x[0]['time']=='2024-05-21T22:14:00Z', x[0]
assert x[1]['message'].startswith('web-1.4.0 app 1.4.0: Upgrade \"web\" failed'), x[1]"

: >"$FAKE_ARGV"
"$SITREP" -c "$TMP/helm.json" --read-only do rollback --yes >/dev/null 2>&1
check "helm: read-only rollback exits 3 and runs no helm at all" test $? = 3 -a "$(argv_count)" = 0

"$SITREP" -c "$TMP/helm.json" do rollback 3 --yes >/dev/null 2>"$TMP/h3.err"
check "helm: rollback to the failed revision is refused" test $? = 1
check "... saying it is marked failed, with no helm rollback run" \
	bash -c "grep -q 'deploy 3 is marked failed' '$TMP/h3.err' && ! grep -q rollback '$FAKE_ARGV'"

: >"$FAKE_ARGV"
"$SITREP" -c "$TMP/helm.json" do rollback --yes >"$TMP/hrb.out" 2>"$TMP/hrb.err"
check "helm: do rollback --yes exits 0" test $? = 0
check "helm: the failed revision is skipped: helm rollback -n shop -- web 2 (\"--\" before release and revision)" \
	argv_is 3 '["rollback","-n","shop","--","web","2"]'
check "helm: the history read to choose, again just before (current unchanged), and after to verify" python3 -c "
import json
L=[json.loads(l)[0] for l in open('$FAKE_ARGV')]
assert L==['history','history','rollback','history'], L"
check "helm: the outcome names the new deployed revision and what it runs" \
	grep -q "rolled back to 2; revision 5 deployed, runs web-1.3.0 app 1.3.0" "$TMP/hrb.out"
check "helm: the audit shows the exact command and the skipped revision" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
rb=[l for l in L if l['action']=='rollback' and l['result']=='started' and l['target']=='2']
assert rb and 'argv: helm rollback -n shop -- web 2' in rb[-1]['what'] and 'skipped, marked bad: 3' in rb[-1]['what'], rb
assert 'target: revision 2, running web-1.3.0 app 1.3.0' in rb[-1]['what'], rb"

# helm says it rolled back but nothing changed: not verified.
cp "$TMP/helm-start.json" "$FAKE_STATE"
FAKE_MODE=stuck "$SITREP" -c "$TMP/helm.json" do rollback --yes >/dev/null 2>"$TMP/stuck.err"
check "helm: a rollback that changes nothing exits 1" test $? = 1
check "... not verified: revision 4 still deployed" grep -q "not verified: revision 4 is still the deployed one" "$TMP/stuck.err"

# The revision the dialog showed leaves the history before the action acts: refused, no rollback run.
cp "$TMP/helm-start.json" "$FAKE_STATE"
: >"$FAKE_ARGV"
FAKE_MODE=gone-after-history "$SITREP" -c "$TMP/helm.json" do rollback --yes >/dev/null 2>"$TMP/gone.err"
check "helm: revision 2 gone from the history between the dialog and the action: exit 1" test $? = 1
check "... saying so, nothing changed" grep -q "2 is no longer in the deploy history; nothing changed" "$TMP/gone.err"
check "... no helm rollback ran" bash -c "! grep -q '\"rollback\"' '$FAKE_ARGV'"

FAKE_MODE=fail "$SITREP" --once --json -c "$TMP/helm.json" >"$TMP/hf.json" 2>/dev/null
check "helm: a failing helm is the pane's error with helm's words" python3 -c "
import json
p=json.load(open('$TMP/hf.json'))['panes'][0]
assert p['state']=='error' and 'helm history exited with status 1: Error: Kubernetes cluster unreachable' in p['error'], p"
FAKE_MODE=garbage "$SITREP" --once --json -c "$TMP/helm.json" >"$TMP/hg.json" 2>/dev/null
check "helm: garbage output is an error, not a crash" python3 -c "
import json
p=json.load(open('$TMP/hg.json'))['panes'][0]
assert p['state']=='error' and 'no JSON array' in p['error'], p"
FAKE_MODE=fail "$SITREP" -c "$TMP/helm.json" do rollback --yes >/dev/null 2>"$TMP/hfr.err"
check "helm: do rollback with helm failing exits 1, nothing sent" test $? = 1
check "... saying the history could not be read" grep -q "cannot read the deploy history" "$TMP/hfr.err"

# ---- kubectl ----
cat >"$FAKE_STATE" <<'JSON'
{"revisions": [[1, "", "shop/web:1.2.0"], [2, "image 1.3.0", "shop/web:1.3.0"], [3, "image 1.4.0 (query typo)", "shop/web:1.4.0"]], "current": 3}
JSON
config "$TMP/kc.json" '"source": "kubectl", "deployment": "web", "namespace": "shop", "rollout_timeout_seconds": 60'
: >"$FAKE_ARGV"
"$SITREP" --once --json -c "$TMP/kc.json" >"$TMP/k.json" 2>"$TMP/k.err"
check "kubectl: --once --json exits 0" test $? = 0
check "kubectl: rollout history, then get deployment, exactly" bash -c "
$(declare -f argv_is); FAKE_ARGV='$FAKE_ARGV'
argv_is 1 '[\"rollout\",\"history\",\"deployment/web\",\"-n\",\"shop\"]' &&
argv_is 2 '[\"get\",\"deployment\",\"web\",\"-o\",\"json\",\"-n\",\"shop\"]'"
check "kubectl: revisions with change-cause, current from the annotation, its image" python3 -c "
import json
d=json.load(open('$TMP/k.json'))['panes'][0]['data']
x=d['deploys']
assert [p['id'] for p in x]==['3','2','1'], x
assert d['current']=='3' and x[0]['version']=='shop/web:1.4.0', d
assert x[1]['message']=='image 1.3.0' and x[2]['message']=='', x"

: >"$FAKE_ARGV"
"$SITREP" -c "$TMP/kc.json" do rollback --yes >"$TMP/krb.out" 2>"$TMP/krb.err"
check "kubectl: do rollback --yes exits 0" test $? = 0
check "kubectl: undo to the previous revision, then rollout status, then the check, exactly" bash -c "
$(declare -f argv_is); FAKE_ARGV='$FAKE_ARGV'
[ \$(wc -l <'$FAKE_ARGV') = 7 ] &&
argv_is 5 '[\"rollout\",\"undo\",\"deployment/web\",\"--to-revision=2\",\"-n\",\"shop\"]' &&
argv_is 6 '[\"rollout\",\"status\",\"deployment/web\",\"--timeout=60s\",\"-n\",\"shop\"]' &&
argv_is 7 '[\"get\",\"deployment\",\"web\",\"-o\",\"json\",\"-n\",\"shop\"]'"
check "kubectl: the outcome says the revision moved and what runs" \
	grep -q "rolled back to 2; now revision 4 running shop/web:1.3.0, rollout complete" "$TMP/krb.out"

: >"$FAKE_ARGV"
"$SITREP" -c "$TMP/kc.json" do restart --yes >"$TMP/kr.out" 2>&1
check "kubectl: restart defaults to kubectl rollout restart deployment/web -n shop" \
	argv_is 1 '["rollout","restart","deployment/web","-n","shop"]'

# The revision the dialog showed leaves the history before the action acts: refused, no undo run.
cp "$FAKE_STATE" "$TMP/kc-saved.json"
cat >"$FAKE_STATE" <<'JSON'
{"revisions": [[1, "", "shop/web:1.2.0"], [2, "image 1.3.0", "shop/web:1.3.0"], [3, "image 1.4.0", "shop/web:1.4.0"]], "current": 3}
JSON
: >"$FAKE_ARGV"
FAKE_MODE=gone-after-history "$SITREP" -c "$TMP/kc.json" do rollback --yes >/dev/null 2>"$TMP/kgone.err"
check "kubectl: revision 2 gone from the history between the dialog and the action: exit 1" test $? = 1
check "... saying so, nothing changed, no rollout undo ran" bash -c "
grep -q '2 is no longer in the deploy history; nothing changed' '$TMP/kgone.err' && ! grep -q '\"undo\"' '$FAKE_ARGV'"
check "kubectl: the effect named the target's identity and the --to-revision= form" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
s=[l for l in L if l['result']=='started'][-1]
assert 'target: revision 2 of deployment/web, change-cause: image 1.3.0' in s['what'], s
assert 'argv: kubectl rollout undo deployment/web --to-revision=2 -n shop' in s['what'], s"
cp "$TMP/kc-saved.json" "$FAKE_STATE"

FAKE_MODE=status-fail "$SITREP" -c "$TMP/kc.json" do rollback 1 --yes >/dev/null 2>"$TMP/ksf.err"
check "kubectl: a rollout that does not complete fails the rollback" test $? = 1
check "... with kubectl's words" grep -q "rollout status exited with status 1.*timed out waiting" "$TMP/ksf.err"
FAKE_MODE=garbage "$SITREP" --once --json -c "$TMP/kc.json" >"$TMP/kg.json" 2>/dev/null
check "kubectl: garbage output is an error, not a crash" python3 -c "
import json
p=json.load(open('$TMP/kg.json'))['panes'][0]
assert p['state']=='error' and 'no REVISION table' in p['error'], p"

# ---- health after a rollback ----
PORT=$(free_port)
echo "502 Bad Gateway" >"$TMP/health"
python3 "$DATA/health-server" "$PORT" "$TMP/health" &
track_pid $!
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$PORT/"
cp "$TMP/helm-start.json" "$FAKE_STATE"
config "$TMP/hh.json" "\"source\": \"helm\", \"release\": \"web\",
  \"health\": { \"url\": \"http://127.0.0.1:$PORT/health\", \"expect_status\": 200, \"expect_text\": \"Book now\", \"timeout_seconds\": 10 }"
"$SITREP" --check-config -c "$TMP/hh.json" >/dev/null
check "health: the config is valid" test $? = 0
: >"$FAKE_ARGV"
# the service recovers 2.5 s after the rollback ran (not after sitrep started: a loaded machine
# may take that long to read the history first)
(wait_for 30 grep -q '"rollback"' "$FAKE_ARGV"; sleep 2.5; printf '200\n<h1>Book now</h1>\n' >"$TMP/health") &
"$SITREP" -c "$TMP/hh.json" do rollback --yes >"$TMP/hok.out" 2>"$TMP/hok.err"
check "health: a service that recovers: exit 0" test $? = 0
check "health: the outcome says health ok and when" grep -qE "rolled back to 2; revision 5 deployed, runs web-1.3.0 app 1.3.0; health ok in [2-4] s" "$TMP/hok.out"
check "health: the effect named the check" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
s=[l for l in L if l['result']=='started'][-1]
assert 'then health: GET http://127.0.0.1:$PORT/health until status 200 and the body holds \"Book now\" (at most 10 s)' in s['what'], s"

printf '200\nSorry, down for maintenance\n' >"$TMP/health"
cp "$TMP/helm-start.json" "$FAKE_STATE"
sed -i 's/"timeout_seconds": 10/"timeout_seconds": 2/' "$TMP/hh.json"
"$SITREP" -c "$TMP/hh.json" do rollback --yes >/dev/null 2>"$TMP/hbad.err"
check "health: still failing at its timeout: exit 1" test $? = 1
check "... saying so with the last answer" grep -q 'health still failing after 2 s: status 200 without "Book now"' "$TMP/hbad.err"
check "... recorded failed in the audit" bash -c "tail -1 '$TMP/state/audit.jsonl' | grep -q '\"result\":\"failed\"'"

# health on the releases source: a restart, then a 502 that stays
mkdir -p "$TMP/app/releases/r1"
ln -s releases/r1 "$TMP/app/current"
echo "502 Bad Gateway" >"$TMP/health"
config "$TMP/rel.json" "\"source\": \"releases\", \"path\": \"$TMP/app\", \"restart\": [\"true\"],
  \"health\": { \"url\": \"http://127.0.0.1:$PORT/\", \"timeout_seconds\": 2 }"
"$SITREP" -c "$TMP/rel.json" do restart --yes >/dev/null 2>"$TMP/rel.err"
check "health on releases: a restart whose service stays down exits 1" test $? = 1
check "... health still failing after 2 s: status 502" grep -q "health still failing after 2 s: status 502" "$TMP/rel.err"
printf '200\nok\n' >"$TMP/health"
"$SITREP" -c "$TMP/rel.json" do restart --yes >"$TMP/rel.out" 2>&1
check "health on releases: a healthy service: exit 0, health ok in 0 s" grep -q "restart exited with status 0; health ok in [01] s" "$TMP/rel.out"

# The example config's commented git, helm and kubectl panes are valid once uncommented.
"$SITREP" --example-config >"$TMP/example.json"
sed -E 's#^    // (\{ "id": "(tags|helm|k8s)"|  "(current_ref|health)")#    \1#' "$TMP/example.json" >"$TMP/example-deploys.json"
chmod 600 "$TMP/example-deploys.json"
check "the example's git, helm and kubectl panes are uncommented" \
	test "$(grep -cE '"source": "(git|helm|kubectl)"' "$TMP/example-deploys.json")" = 3
check "... and pass --check-config" bash -c "\"$SITREP\" --check-config -c \"$TMP/example-deploys.json\" >/dev/null"

finish
