#!/usr/bin/env bash
# Integration: a purge request never follows a redirect. In front of a real
# varnishd edge (and a real nginx origin), a second real nginx plays a purge
# endpoint that answers PURGE with 307 or 308 to a third server (another
# port, its own access log); the provider APIs (tests/cdnapi.py: Cloudflare,
# Fastly, CloudFront) answer 307/308 to that same server. Each purge ends
# failed with "... redirected the purge to <Location> (307); nothing else was
# sent", recorded in the audit log, and the other server heard nothing (the
# old code re-sent the PURGE, and the API calls with their credentials, to
# the Location no dialog showed).
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

RPORT=$(free_port)
XPORT=$(free_port)
nginx_serve "$TMP/redir" <<CONF
	log_format m '\$request_method \$request_uri \$status';
	server {
		listen 127.0.0.1:$RPORT;
		access_log $TMP/redir/logs/purge.log m;
		location = /static/app.css { return 308 http://127.0.0.1:$XPORT\$request_uri; }
		location / { return 307 http://127.0.0.1:$XPORT\$request_uri; }
	}
	server {
		listen 127.0.0.1:$XPORT;
		access_log $TMP/redir/logs/other.log m;
		location / { return 200 "purged\n"; }
	}
CONF
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$XPORT/" || { diag <"$TMP/redir/nginx.stderr"; not_ok "the redirecting nginx starts"; finish; }
: >"$TMP/redir/logs/other.log"
ok "a purge endpoint that redirects (127.0.0.1:$RPORT) and another server (127.0.0.1:$XPORT)"
other() { grep -c . "$TMP/redir/logs/other.log"; }

APORT=$(free_port)
TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
AKID=AKIDSITREPTEST0001
SECRET="sec-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export CDN_TOKEN=$TOKEN CDN_AWS_KEY=$AKID CDN_AWS_SECRET=$SECRET
CDNAPI_REDIRECT="http://127.0.0.1:$XPORT" python3 "$TOP/tests/cdnapi.py" "$APORT" "$EDGE" "$TMP/api.log" \
	"$TOKEN" "$AKID" "$SECRET" "https://www.example.com" 2>"$TMP/api.stderr" &
track_pid $!
API="http://127.0.0.1:$APORT"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$APORT" || { diag <"$TMP/api.stderr"; not_ok "cdnapi.py starts"; finish; }
touch "$TMP/api.log"

pane() { # id provider extra-json
	printf '{ "id": "%s", "kind": "cdn", "provider": "%s", "edge_url": "%s", "origin_url": "%s", "varnishstat": false, "assets": ["/static/app.js", "/static/app.css"], "verify_timeout_seconds": 3, %s }' \
		"$1" "$2" "$EDGE" "$ORIGIN" "$3"
}
# "varnishstat" is a varnish key: the others get their own pane lines.
apipane() {
	printf '{ "id": "%s", "kind": "cdn", "provider": "%s", "edge_url": "%s", "origin_url": "%s", "assets": ["/static/app.js"], "verify_timeout_seconds": 3, %s }' \
		"$1" "$2" "$EDGE" "$ORIGIN" "$3"
}
cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  $(pane varnish varnish "\"purge_url\": \"http://127.0.0.1:$RPORT\""),
  $(apipane nginx nginx "\"purge_url\": \"http://127.0.0.1:$RPORT\""),
  $(apipane cf cloudflare "\"api_url\": \"$API/client/v4\", \"zone_id\": \"0000000000000307\", \"site_url\": \"https://www.example.com\", \"token_env\": \"CDN_TOKEN\""),
  $(apipane fastly fastly "\"api_url\": \"$API\", \"purge_host\": \"e308.example\", \"token_env\": \"CDN_TOKEN\""),
  $(apipane cfront cloudfront "\"api_url\": \"$API\", \"distribution_id\": \"E307\", \"access_key_id_env\": \"CDN_AWS_KEY\", \"secret_key_env\": \"CDN_AWS_SECRET\"")
] }
JSON
chmod 600 "$TMP/sitrep.json"
"$SITREP" --check-config -c "$TMP/sitrep.json" >"$TMP/check.txt" 2>&1
check "--check-config accepts the panes" test $? -eq 0
diag <"$TMP/check.txt"

purge() { # pane path...
	local p=$1; shift
	USER=oncall "$SITREP" do purge "$@" --pane "$p" --yes -c "$TMP/sitrep.json" >"$TMP/out-$p.txt" 2>&1
	echo $?
}

rc=$(purge varnish /static/app.js /static/app.css)
diag <"$TMP/out-varnish.txt"
check "varnish: PURGE answered 307 and 308 fails (rc=$rc)" test "$rc" -eq 1
check "... the outcome names the redirect and says nothing else was sent" grep -qF "PURGE http://127.0.0.1:$RPORT/static/app.js: the edge redirected the purge to http://127.0.0.1:$XPORT/static/app.js (307); nothing else was sent (2 of 2 purge requests redirected)" "$TMP/out-varnish.txt"
check "... the endpoint got exactly the two PURGEs shown" test "$(grep -c '^PURGE ' "$TMP/redir/logs/purge.log")" = 2
check "... the other server heard nothing" test "$(other)" = 0
check "... the audit log records the redirect" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/state/audit.jsonl')][-1]
assert r['result'] == 'failed' and 'redirected the purge to http://127.0.0.1:$XPORT/static/app.js (307)' in r['detail'], r"

rc=$(purge nginx /static/app.css)
check "nginx: PURGE answered 308 fails (rc=$rc), nothing sent elsewhere" bash -c "test $rc -eq 1 && grep -qF 'the edge redirected the purge to http://127.0.0.1:$XPORT/static/app.css (308); nothing else was sent' '$TMP/out-nginx.txt' && test \$(grep -c . '$TMP/redir/logs/other.log') = 0"

for p in cf fastly cfront; do
	rc=$(purge $p /static/app.js)
	diag <"$TMP/out-$p.txt"
	check "$p: the API's redirect fails the purge (rc=$rc)" test "$rc" -eq 1
	check "$p: ... it says where to and that nothing else was sent" grep -qE "the (cloudflare|fastly|cloudfront) API redirected the purge to http://127.0.0.1:$XPORT/[^ ]+ \\(30[78]\\); nothing else was sent" "$TMP/out-$p.txt"
	check "$p: ... the other server heard nothing" test "$(other)" = 0
done
check "the API got one request per purge, none carried out" test "$(grep -c . "$TMP/api.log")" = 3
check "the token and the secret key appear in no output or audit record" bash -c "
! grep -rqF -e '$TOKEN' -e '$SECRET' '$TMP'/out-*.txt '$TMP/state'"
finish
