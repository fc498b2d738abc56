#!/usr/bin/env bash
# Integration: a health URL that redirects. The check never follows a
# redirect, and waiting does not change where one leads, so a 3xx is a
# failed check at once that names where it pointed: "health URL redirected
# to LOCATION (307); not followed". The old code retried it as "status 307"
# until the check's timeout. A real nginx answers the redirects; the server
# they point at must hear nothing. A 3xx the config expects is a pass.
source "$(dirname "$0")/../lib.sh"
command -v nginx >/dev/null || skip_all "nginx not installed"

PORT=$(free_port)
AWAY=$(free_port)
mkdir -p "$TMP/logs" "$TMP/tmp" "$TMP/state" "$TMP/app/releases/r1"
ln -s releases/r1 "$TMP/app/current"
nginx_serve "$TMP" <<CONF
	server {
		listen 127.0.0.1:$PORT;
		access_log $TMP/logs/health.log;
		location = /moved { return 307 http://127.0.0.1:$AWAY/elsewhere; }
		location = /gone { return 301 http://127.0.0.1:$AWAY/new-home; }
		location = /bare { return 302; }
	}
	server { listen 127.0.0.1:$AWAY; access_log $TMP/logs/away.log; location / { return 200 "ok\n"; } }
CONF
# Ready when the redirecting server answers (curl does not follow): a probe
# of the other one would land in its log after the truncation below, as nginx
# writes a request's log line once it has answered.
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$PORT/moved" || { diag <"$TMP/nginx.stderr"; not_ok "nginx starts"; finish; }
ok "nginx on 127.0.0.1:$PORT and :$AWAY"
: >"$TMP/logs/away.log"

config() { # FILE PATH [EXPECT_STATUS]
	cat >"$1" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "rel", "kind": "deploys", "source": "releases", "path": "$TMP/app", "restart": ["true"],
    "health": { "url": "http://127.0.0.1:$PORT$2", "expect_status": ${3:-200}, "timeout_seconds": 20 } } ] }
JSON
	chmod 600 "$1"
}

restart() { # NAME PATH [EXPECT_STATUS]: sets rc and took (seconds)
	config "$TMP/$1.json" "$2" "${3:-}"
	local start=$SECONDS
	USER=oncall "$SITREP" do restart --yes -c "$TMP/$1.json" >"$TMP/$1.out" 2>&1
	rc=$?
	took=$((SECONDS - start))
	diag <"$TMP/$1.out"
}

restart moved /moved
check "a 307 fails the health check at once (rc=$rc, ${took} s of a 20 s timeout)" bash -c "test $rc -eq 1 && test $took -lt 8"
check "... saying where it pointed, and that it was not followed" \
	grep -q "health URL redirected to http://127.0.0.1:$AWAY/elsewhere (307); not followed" "$TMP/moved.out"
check "the audit records the failure with that reason" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/state/audit.jsonl')][-1]
assert r['result'] == 'failed' and 'redirected to http://127.0.0.1:$AWAY/elsewhere (307)' in r['detail'], r"

restart gone /gone
check "a 301 the same way (rc=$rc, ${took} s)" bash -c "test $rc -eq 1 && test $took -lt 8 &&
grep -q 'health URL redirected to http://127.0.0.1:$AWAY/new-home (301); not followed' '$TMP/gone.out'"
restart bare /bare
check "a 302 with an empty Location says so (rc=$rc, ${took} s)" bash -c "test $rc -eq 1 && test $took -lt 8 &&
grep -q 'health URL redirected with no Location (302); not followed' '$TMP/bare.out'"
check "the server the redirects point at heard nothing" bash -c "! grep -qE '/elsewhere|/new-home' '$TMP/logs/away.log' && test ! -s '$TMP/logs/away.log'"

restart expected /moved 307
check "a 307 the config expects passes (rc=$rc)" bash -c "test $rc -eq 0 && grep -q 'health ok in' '$TMP/expected.out'"
finish
