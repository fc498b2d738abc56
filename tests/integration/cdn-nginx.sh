#!/usr/bin/env bash
# Integration: the nginx provider against a real nginx caching proxy with
# the cache purge module (libnginx-mod-http-cache-purge, loaded with
# load_module from where dpkg put it) in front of a real nginx origin:
# app.js v1 cached, the origin changed to v2 → stale with the reason and
# nginx's own cache status; `do purge --stale --yes` sends one PURGE and
# is done when the edge serves v2 (where the module crashes the worker, as
# Debian 12's does, the failure is reported instead); purge-all is refused,
# saying why.
source "$(dirname "$0")/../lib.sh"
command -v nginx >/dev/null || skip_all "nginx not installed"
MOD=$(dpkg -L libnginx-mod-http-cache-purge 2>/dev/null | grep '/ngx_http_cache_purge_module\.so$' | head -1)
[ -n "$MOD" ] || skip_all "libnginx-mod-http-cache-purge not installed"

OPORT=$(free_port)
NPORT=$(free_port)
mkdir -p "$TMP/www/static" "$TMP/logs" "$TMP/tmp" "$TMP/cache"
# Run as root, nginx's workers are nobody: they read www and write the cache.
chmod 755 "$TMP" "$TMP/www" "$TMP/www/static"
chmod 1777 "$TMP/cache" "$TMP/tmp"
echo 'console.log("v1: booking button broken");' >"$TMP/www/static/app.js"
echo 'body { color: black }' >"$TMP/www/static/app.css"
NGINX_MAIN="load_module $MOD;" nginx_serve "$TMP" <<CONF
	log_format m '\$request_method \$uri \$status';
	proxy_cache_path $TMP/cache levels=1:2 keys_zone=edge:1m max_size=16m inactive=1h;
	server { listen 127.0.0.1:$OPORT; root $TMP/www; access_log $TMP/logs/origin.log m; }
	server {
		listen 127.0.0.1:$NPORT;
		access_log $TMP/logs/edge.log m;
		location / {
			proxy_pass http://127.0.0.1:$OPORT;
			proxy_cache edge;
			proxy_cache_key \$uri;
			proxy_cache_valid 200 1h;
			proxy_cache_purge PURGE from 127.0.0.1;
			add_header X-Cache-Status \$upstream_cache_status;
		}
	}
CONF
EDGE="http://127.0.0.1:$NPORT"
wait_for 5 curl -sf "$EDGE/static/app.css" || { cat "$TMP/nginx.stderr" "$TMP/logs/error.log" | tail -5 | diag; not_ok "nginx starts"; finish; }
ok "nginx origin and caching proxy with $MOD"

curl -sf "$EDGE/static/app.js" >/dev/null
check "the proxy caches v1" bash -c "curl -si '$EDGE/static/app.js' | grep -q 'X-Cache-Status: HIT'"
echo 'console.log("v2: booking fixed");' >"$TMP/www/static/app.js"
check "the proxy still serves v1 after the fix" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v1"

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "edge", "kind": "cdn", "provider": "nginx", "edge_url": "$EDGE",
    "origin_url": "http://127.0.0.1:$OPORT", "assets": ["/static/app.js", "/static/app.css"],
    "verify_timeout_seconds": 5 } ] }
JSON
chmod 600 "$TMP/sitrep.json"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/stale.json" 2>/dev/null
check "app.js stale, app.css fresh, nginx's cache status read" python3 -c "
import json; a=json.load(open('$TMP/stale.json'))['panes'][0]['data']['assets']
assert [x['verdict'] for x in a]==['stale', 'fresh'], a
assert a[0]['edge_cache']=='HIT' and a[0]['detail'].startswith('edge ETag '), a[0]"

"$SITREP" --read-only do purge --stale --yes -c "$TMP/sitrep.json" >/dev/null 2>&1
check "read-only: exit 3, no PURGE reached nginx" bash -c "test $? -eq 3 && test \$(grep -c '^PURGE ' '$TMP/logs/edge.log') = 0 && ! grep -q 'signal 11' '$TMP/logs/error.log'"

# Debian 12's module (1:2.3-4) kills the nginx 1.22 worker on every PURGE
# (SIGSEGV in ngx_http_file_cache_create_key, whatever the syntax). Where
# it does, sitrep must say the purge failed and why, never "fresh".
curl -s -m 3 -o /dev/null -X PURGE "$EDGE/static/app.css"
if grep -q 'exited on signal 11' "$TMP/logs/error.log"; then
	CRASHES=1
	diag <<<"this cache purge module crashes its nginx worker on PURGE: checking that sitrep reports it"
	curl -sf "$EDGE/static/app.css" >/dev/null
fi
USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
if [ -n "${CRASHES:-}" ]; then
	check "the crashed purge fails (rc=$rc) and says why" bash -c "test $rc -eq 1 && grep -q 'nginx closed the connection without an answer (did the worker crash?' '$TMP/do.txt'"
	check "... no success is claimed and the edge still serves v1" bash -c "! grep -q 'fresh in' '$TMP/do.txt' && curl -sf '$EDGE/static/app.js' | grep -q v1"
	check "the audit log records the failure" grep -q '"result":"failed"' "$TMP/state/audit.jsonl"
else
	check "do purge --stale --yes exits 0 (rc=$rc)" test "$rc" -eq 0
	check "verified: 1 purged, 1 fresh" grep -q "1 purged, 1 fresh in" "$TMP/do.txt"
	check "curl through the proxy gets v2" bash -c "curl -sf '$EDGE/static/app.js' | grep -q v2"
fi
# PURGEs nginx took: logged, or fatal to a worker; less the probe's. (curl
# sends a request once more when a reused connection dies unanswered.)
purges() { echo $(($(grep -c '^PURGE ' "$TMP/logs/edge.log") + $(grep -c 'exited on signal 11' "$TMP/logs/error.log") - 1)); }
SENT=$(purges)
if [ -n "${CRASHES:-}" ]; then
	check "sitrep's one PURGE reached nginx ($SENT worker deaths: curl's one retry)" test "$SENT" -ge 1 -a "$SENT" -le 2
else
	check "sitrep sent exactly one PURGE" test "$SENT" = 1
fi
USER=oncall "$SITREP" do purge --all --yes -c "$TMP/sitrep.json" >"$TMP/all.txt" 2>&1
rc=$?
check "purge-all is refused (rc=$rc) and says nginx has none" bash -c "test $rc -eq 1 && grep -q 'has no purge-all' '$TMP/all.txt'"
check "... and nothing was sent" test "$(purges)" = "$SENT"
finish
