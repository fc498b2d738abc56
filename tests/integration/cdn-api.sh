#!/usr/bin/env bash
# Integration: the API providers (cloudflare, fastly, cloudfront) against
# tests/cdnapi.py, which checks each request exactly (method, path,
# credential, body; CloudFront's SigV4 signature recomputed with the test
# secret) and, when it accepts, purges the real varnish edge the way the CDN
# would. Each accepted purge must end verified fresh; 403, 429 (Retry-After
# honoured), a refusal in the body and a body that is not the API's all end
# in a failure that says why; the token and the secret key never appear in
# any output, audit record or timeline.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
AKID=AKIDSITREPTEST0001
SECRET="sec-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export CDN_TOKEN=$TOKEN CDN_AWS_KEY=$AKID CDN_AWS_SECRET=$SECRET
APORT=$(free_port)
python3 "$TOP/tests/cdnapi.py" "$APORT" "$EDGE" "$TMP/api.log" "$TOKEN" "$AKID" "$SECRET" "https://www.example.com" \
	2>"$TMP/api.stderr" &
track_pid $!
API="http://127.0.0.1:$APORT"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$APORT" || { diag <"$TMP/api.stderr"; not_ok "cdnapi.py starts"; finish; }
touch "$TMP/api.log"

pane() { # id provider extra-json
	printf '{ "id": "%s", "kind": "cdn", "provider": "%s", "edge_url": "%s", "origin_url": "%s", "assets": ["/static/app.js"], "verify_timeout_seconds": 8, %s }' \
		"$1" "$2" "$EDGE" "$ORIGIN" "$3"
}
{
	echo "{ \"state_dir\": \"$TMP/state\", \"panes\": ["
	sep=""
	for s in ace:0000000000000ace f403:000000000000f403 f429:000000000000f429 false:00000000000fa15e bad:000000000000ba0d; do
		echo "$sep$(pane "cf-${s%%:*}" cloudflare "\"api_url\": \"$API/client/v4\", \"zone_id\": \"${s#*:}\", \"site_url\": \"https://www.example.com\", \"token_env\": \"CDN_TOKEN\"")"
		sep=","
	done
	for s in ok e403 e429 false bad; do
		echo ",$(pane "fastly-$s" fastly "\"api_url\": \"$API\", \"purge_host\": \"$s.example\", \"service_id\": \"SU1Z0isxPaozGVKXdv0eY\", \"soft_purge\": true, \"token_env\": \"CDN_TOKEN\"")"
	done
	for s in EOK E403 E429 EFALSE EBAD; do
		echo ",$(pane "cf-front-$s" cloudfront "\"api_url\": \"$API\", \"distribution_id\": \"$s\", \"access_key_id_env\": \"CDN_AWS_KEY\", \"secret_key_env\": \"CDN_AWS_SECRET\"")"
	done
	echo "] }"
} >"$TMP/sitrep.json"
chmod 600 "$TMP/sitrep.json"
"$SITREP" --check-config -c "$TMP/sitrep.json" >"$TMP/out-check.txt" 2>&1
check "--check-config accepts every provider's pane" test $? -eq 0
diag <"$TMP/out-check.txt"

# The edge holds the current app.js; the origin gets a longer one (a new ETag).
N=0
stale_again() {
	curl -sf "$EDGE/static/app.js" >/dev/null
	N=$((N + 1))
	echo "// fix $N" >>"$TMP/www/static/app.js"
}
purge() { # pane expected-rc
	local out="$TMP/out-$1.txt"
	USER=oncall "$SITREP" do purge --stale --yes --pane "$1" -c "$TMP/sitrep.json" >"$out" 2>&1
	local rc=$?
	diag <"$out"
	check "$1: exit $2 (rc=$rc)" test "$rc" -eq "$2"
}
api_count() { grep -c . "$TMP/api.log"; }

# --- accepted, then verified -------------------------------------------
stale_again
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/stale.json" 2>/dev/null
check "every pane sees app.js stale" python3 -c "
import json; d=json.load(open('$TMP/stale.json'))
assert all(p['data']['assets'][0]['verdict']=='stale' for p in d['panes']), [(p['id'], p['data']['assets'][0]['verdict']) for p in d['panes']]"

# On a terminal (script(1) gives one), answered n: the dialog's text, nothing sent.
printf 'n\n' | script -qec "'$SITREP' do purge --stale --pane cf-ace -c '$TMP/sitrep.json'" /dev/null >"$TMP/out-show.txt" 2>&1
diag <"$TMP/out-show.txt"
check "the confirmation shows the exact request, the token masked" bash -c "
grep -q 'POST $API/client/v4/zones/0000000000000ace/purge_cache' '$TMP/out-show.txt' &&
grep -q 'Authorization: \*\*\*' '$TMP/out-show.txt' &&
grep -qF '{\"files\":[\"https://www.example.com/static/app.js\"]}' '$TMP/out-show.txt'"
check "nothing is sent when the answer is n" test "$(api_count)" = 0

purge cf-ace 0
check "cloudflare: purged, the id read, verified fresh" grep -q "1 purged (cloudflare id 9a7806061c88ada191ed06f989cc3dac), 1 fresh in" "$TMP/out-cf-ace.txt"
check "cloudflare: the edge serves the new copy" bash -c "curl -sf '$EDGE/static/app.js' | grep -q 'fix $N'"

stale_again
purge fastly-ok 0
check "fastly: purged, the purge id read, verified fresh" grep -q "1 purged (fastly id 108-1391560174-974124), 1 fresh in" "$TMP/out-fastly-ok.txt"
check "fastly: POST /purge/{host}{path} with Fastly-Key and Fastly-Soft-Purge: 1" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/api.log')][-1]
assert r['method']=='POST' and r['path']=='/purge/ok.example/static/app.js', r
assert r['headers'].get('Fastly-Soft-Purge')=='1' and 'check_failed' not in r, r"

stale_again
purge cf-front-EOK 0
check "cloudfront: invalidation id and status read, verified fresh" grep -q "1 purged (cloudfront id I2J0I21PCUYOIK InProgress), 1 fresh in" "$TMP/out-cf-front-EOK.txt"
check "cloudfront: the SigV4 signature verified, the batch well formed" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/api.log')][-1]
assert r['status']==201 and 'check_failed' not in r, r
assert '<Path>/static/app.js</Path>' in r['body'] and '<Quantity>1</Quantity>' in r['body'], r"

# --- 429 with Retry-After: sent again after a second, then accepted ------
for p in cf-f429 fastly-e429 cf-front-E429; do
	stale_again
	before=$(api_count)
	start=$(date +%s.%N)
	purge $p 0
	took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
	check "$p: one 429, waited Retry-After ($took s), sent again" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/api.log')][$before:]
assert [x['status'] for x in r] in ([429, 200], [429, 201]), [x['status'] for x in r]
assert r[0]['body']==r[1]['body'] and $took >= 1, r"
	check "$p: verified fresh" grep -q "1 purged (.*), 1 fresh in" "$TMP/out-$p.txt"
done

# --- refusals ------------------------------------------------------------
stale_again
purge cf-f403 1
check "cloudflare 403: the API's error" grep -q "cloudflare refused (403, success false): Authentication error (code 10000)" "$TMP/out-cf-f403.txt"
purge cf-false 1
check "cloudflare success false: the error" grep -q "success false): Request must contain one of" "$TMP/out-cf-false.txt"
purge cf-bad 1
check "cloudflare, not JSON: says so" grep -q 'cloudflare answered 502 with no API envelope: "<html><body>502 Bad Gateway</body></html>"' "$TMP/out-cf-bad.txt"
purge fastly-e403 1
check "fastly 403: msg" grep -q "fastly refused (403): Provided credentials are missing or invalid" "$TMP/out-fastly-e403.txt"
purge fastly-false 1
check "fastly status error: msg and detail" grep -q "fastly refused (200): purge rejected (service locked)" "$TMP/out-fastly-false.txt"
purge fastly-bad 1
check "fastly, not JSON" grep -q 'fastly refused (502): "<html>' "$TMP/out-fastly-bad.txt"
purge cf-front-E403 1
check "cloudfront 403: code and message" grep -q "cloudfront refused (403): AccessDenied: User is not authorized" "$TMP/out-cf-front-E403.txt"
purge cf-front-EFALSE 1
check "cloudfront 400: code" grep -q "cloudfront refused (400): TooManyInvalidationsInProgress" "$TMP/out-cf-front-EFALSE.txt"
purge cf-front-EBAD 1
check "cloudfront, no Invalidation" grep -q "cloudfront answered 502 without an Invalidation" "$TMP/out-cf-front-EBAD.txt"
check "refused purges leave the edge stale" bash -c "! curl -sf '$EDGE/static/app.js' | grep -q 'fix $N'"

# --- everything ----------------------------------------------------------
stale_again
USER=oncall "$SITREP" do purge --all --yes --pane cf-ace -c "$TMP/sitrep.json" >"$TMP/out-all.txt" 2>&1
check "cloudflare purge_everything: verified" grep -q "everything purged (cloudflare id .*), 1 of 1 assets fresh" "$TMP/out-all.txt"
check "... sent as {\"purge_everything\": true}" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/api.log')][-1]
assert json.loads(r['body'])=={'purge_everything': True} and r['status']==200, r"
stale_again
USER=oncall "$SITREP" do purge --all --yes --pane cf-front-EOK -c "$TMP/sitrep.json" >"$TMP/out-all2.txt" 2>&1
check "cloudfront /* invalidation: verified" grep -q "everything purged (cloudfront id I2J0I21PCUYOIK InProgress)" "$TMP/out-all2.txt"

check "every request passed the server's checks" bash -c "! grep -q check_failed '$TMP/api.log'"
diag < <(grep check_failed "$TMP/api.log")
"$SITREP" timeline -c "$TMP/sitrep.json" >"$TMP/out-timeline.txt" 2>&1
check "the token and the secret key appear in no output, audit record or timeline" bash -c "
! grep -rqF -e '$TOKEN' -e '$SECRET' '$TMP'/out-*.txt '$TMP/state' '$TMP/stale.json'"
check "the audit log records the provider's id" grep -q "9a7806061c88ada191ed06f989cc3dac" "$TMP/state/audit.jsonl"
finish
