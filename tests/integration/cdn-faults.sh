#!/usr/bin/env bash
# Integration: the cdn pane's faults, with a real nginx origin and a real
# varnishd edge. Edge down and origin down fail the pane with that side's
# error (--once exits 1); a 404 cached at the edge while the origin has the
# file is "missing"; a redirect is followed on both sides and the copies it
# leads to are compared; an absolute redirect that names the origin's
# host:port is not followed off the edge (the edge serves that redirect,
# and the reason says where it sends users); a 10 MiB asset is hashed over its first 2 MiB only
# (nginx's log shows the short read) and the reason says which validators
# decided. Last, in the dashboard (tmux), an edge that accepts and never
# answers: the cdn pane shows the timeout and its age grows, while the
# clock and a procfs metrics pane keep moving.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"
source "$TOP/tests/data/cdn/servers.bash"
# /moved.js: a relative redirect to app.js. /plain/: no ETag, so only
# Last-Modified, Content-Length and the body's hash can decide. /abs.js:
# nginx's default absolute redirect, which names the origin's own host:port.
CDN_NGINX_EXTRA='location = /moved.js { absolute_redirect off; return 301 /static/app.js; }
		location = /abs.js { return 301 /static/app.js; }
		location /plain/ { etag off; }'
cdn_servers_up

# cfg NAME EDGE ORIGIN ASSETS-JSON: a one-pane config.
cfg() {
	cat >"$TMP/$1.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish",
    "edge_url": "$2", "origin_url": "$3", "timeout_seconds": 2, "assets": $4 } ] }
JSON
	chmod 600 "$TMP/$1.json"
}
# py FILE EXPR...: python asserts over pane 0 of a --once --json output (p, d, a[path]).
py() {
	local f=$1; shift
	python3 -c "
import json, sys
p = json.load(open('$f'))['panes'][0]; d = p['data'] or {}
a = {x['path']: x for x in d.get('assets', [])}
$*" 2>&1
}

DOWN=$(free_port)

# ---- edge down: connection refused ----
cfg edgedown "http://127.0.0.1:$DOWN" "$ORIGIN" '["/static/app.js", "/static/app.css"]'
"$SITREP" --once --json -c "$TMP/edgedown.json" >"$TMP/edgedown.out" 2>/dev/null
rc=$?
check "edge down: --once exits 1 (rc=$rc)" test "$rc" -eq 1
out=$(py "$TMP/edgedown.out" "
assert p['state'] == 'error', p['state']
assert p['error'].startswith('edge http://127.0.0.1:$DOWN: '), p['error']
assert 'onnect' in p['error'], p['error']")
check "edge down: the pane's error names the edge and the refusal" test -z "$out"
[ -n "$out" ] && diag <<<"$out"

# ---- origin down ----
cfg origindown "$EDGE" "http://127.0.0.1:$DOWN" '["/static/app.js", "/static/app.css"]'
"$SITREP" --once --json -c "$TMP/origindown.json" >"$TMP/origindown.out" 2>/dev/null
rc=$?
check "origin down: --once exits 1 (rc=$rc)" test "$rc" -eq 1
out=$(py "$TMP/origindown.out" "
assert p['state'] == 'error', p['state']
assert p['error'].startswith('origin http://127.0.0.1:$DOWN: '), p['error']")
check "origin down: the pane's error names the origin" test -z "$out"
[ -n "$out" ] && diag <<<"$out"

# ---- 404 at the edge only ----
# The edge caches the 404 (its VCL keeps everything an hour); then the
# bundle reaches the origin.
check "the edge caches a 404 for new.js" test "$(curl -s -o /dev/null -w '%{http_code}' "$EDGE/static/new.js")" = 404
echo 'console.log("new bundle");' >"$TMP/www/static/new.js"
chmod 644 "$TMP/www/static/new.js"
check "the origin now has it" curl -sf -o /dev/null "$ORIGIN/static/new.js"

# ---- a redirect, cached at the edge ----
curl -s -o /dev/null "$EDGE/moved.js"
curl -s -o /dev/null "$EDGE/static/app.js"
# ---- a redirect that leaves the edge ----
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$EDGE/abs.js")
check "the edge's redirect for /abs.js names the origin ($loc)" test "$loc" = "$ORIGIN/static/app.js"

# ---- a 10 MiB asset, with and without an ETag ----
mkdir -p "$TMP/www/plain"
head -c 10485760 /dev/urandom >"$TMP/www/plain/big.bin"
cp "$TMP/www/plain/big.bin" "$TMP/www/static/big.bin"
chmod -R a+rX "$TMP/www"
curl -s -o /dev/null "$EDGE/plain/big.bin"
curl -s -o /dev/null "$EDGE/static/big.bin"

cfg all "$EDGE" "$ORIGIN" '["/static/app.js", "/static/new.js", "/moved.js", "/abs.js", "/plain/big.bin", "/static/big.bin"]'
: >"$TMP/logs/access.log"
"$SITREP" --once --json -c "$TMP/all.json" >"$TMP/all.out" 2>/dev/null
rc=$?
check "the rest: --once exits 0 (rc=$rc)" test "$rc" -eq 0
out=$(py "$TMP/all.out" "
x = a['/static/new.js']
assert x['verdict'] == 'missing', x
assert x['edge_status'] == 404 and x['origin_status'] == 200, x
assert x['detail'] == 'edge answers 404, origin 200', x['detail']")
check "404 at the edge only: missing, edge 404 origin 200" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
out=$(py "$TMP/all.out" "
x = a['/moved.js']
assert x['verdict'] == 'fresh' and x['edge_status'] == 200 and x['origin_status'] == 200, x
assert x['edge_etag'] == a['/static/app.js']['edge_etag'], (x, a['/static/app.js'])")
check "a redirect is followed on both sides: /moved.js compares app.js's copies" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
out=$(py "$TMP/all.out" "
x = a['/abs.js']
assert x['verdict'] == 'error', x
assert x['edge_status'] == 301 and x['origin_status'] == 200, x
assert x['detail'].startswith('edge redirects off the edge (301 to $ORIGIN/static/app.js): users leave the CDN; origin 200 after its own redirect'), x['detail']")
check "a redirect off the edge is not followed: the edge's 301 to the origin is its copy, and the reason says so" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
out=$(py "$TMP/all.out" "
x = a['/plain/big.bin']
assert x['verdict'] == 'fresh', x
assert x['edge_etag'] is None and x['edge_sha256'] and x['edge_sha256'] == x['origin_sha256'], x
assert x['detail'].startswith('same Last-Modified '), x['detail']
assert ' and length 10 MiB; body too big to hash whole, first 2 MiB the same' in x['detail'], x['detail']")
check "10 MiB without ETag: fresh, the reason names the validators and the 2 MiB cap" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
# What nginx sent for the capped GET: less than the whole file (the
# transfer stopped after the cap; socket buffers make it more than 2 MiB).
sent=$(awk '$7 == "/plain/big.bin" && $6 == "\"GET" {print $10}' "$TMP/logs/access.log" | sort -n | head -1)
check "the origin's GET of the 10 MiB asset stopped early (sent ${sent:-none} bytes)" \
	test -n "$sent" -a "${sent:-0}" -lt 10485760
out=$(py "$TMP/all.out" "
x = a['/static/big.bin']
assert x['verdict'] == 'fresh' and x['edge_sha256'] is None, x
assert x['detail'].startswith('same ETag '), x['detail']")
check "10 MiB with strong ETags: decided by HEAD, no body fetched" test -z "$out"
check "nginx saw no GET of /static/big.bin from the probe" \
	test "$(awk '$7 == "/static/big.bin" && $6 == "\"GET"' "$TMP/logs/access.log" | wc -l)" -eq 0
[ -n "$out" ] && diag <<<"$out"

# The fix is deployed: new app.js and a new tail of big.bin at the origin.
echo 'console.log("v2: booking fixed");' >"$TMP/www/static/app.js"
sleep 1 # a new Last-Modified second
python3 -c "
f = open('$TMP/www/plain/big.bin', 'r+b'); f.seek(9 << 20); f.write(b'changed past the cap')"
"$SITREP" --once --json -c "$TMP/all.json" >"$TMP/after.out" 2>/dev/null
out=$(py "$TMP/after.out" "
x = a['/moved.js']
assert x['verdict'] == 'stale', x
assert x['detail'].startswith('edge ETag '), x['detail']")
check "through the cached redirect, the edge's old app.js is stale" test -z "$out"
[ -n "$out" ] && diag <<<"$out"
out=$(py "$TMP/after.out" "
x = a['/plain/big.bin']
assert x['verdict'] == 'stale', x
assert x['detail'].startswith('edge Last-Modified '), x['detail']")
check "a change past the 2 MiB cap is caught by Last-Modified" test -z "$out"
[ -n "$out" ] && diag <<<"$out"

# ---- an edge that hangs, in the dashboard ----
HPORT=$(free_port)
python3 "$TOP/tests/data/cdn/hang.py" "$HPORT" 2>"$TMP/hang.log" &
track_pid $!
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT), 1)"
cat >"$TMP/hang.json" <<JSON
{ "state_dir": "$TMP/state", "refresh_seconds": 1, "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" },
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish",
    "edge_url": "http://127.0.0.1:$HPORT", "origin_url": "$ORIGIN", "timeout_seconds": 2,
    "assets": ["/static/app.js", "/static/app.css"] } ] }
JSON
chmod 600 "$TMP/hang.json"
tm_start 160 40 "$SITREP --theme mono -c $TMP/hang.json"
check "the cdn pane shows the hanging edge's timeout" tm_wait_text 10 "edge http://127.0.0.1:$HPORT: "
check "the listener was reached" grep -q accepted "$TMP/hang.log"
tm_capture >"$TMP/hang1.txt"
errage() { grep -oE "error ([0-9]+s|now)" "$1" | head -1 | sed "s/now/0/" | grep -oE "[0-9]+"; }
clock() { tail -1 "$1" | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}' | tail -1; }
# the host pane: the lines between its frame and the cdn pane's
hostpane() { sed -n '/1 host/,/2 cdn/p' "$1" | sed '$d'; }
sleep 3
tm_capture >"$TMP/hang2.txt"
a1=$(errage "$TMP/hang1.txt"); a2=$(errage "$TMP/hang2.txt")
check "the error shows its age, and it grows (${a1:-?}s then ${a2:-?}s)" test -n "$a1" -a -n "$a2" -a "${a2:-0}" -gt "${a1:-0}"
check "the error says it timed out" grep -qi "timed out\|timeout" "$TMP/hang2.txt"
c1=$(clock "$TMP/hang1.txt"); c2=$(clock "$TMP/hang2.txt")
check "the clock moved ($c1 -> $c2)" test -n "$c1" -a -n "$c2" -a "$c1" != "$c2"
check "the procfs pane kept refreshing" test "$(hostpane "$TMP/hang1.txt" | md5sum)" != "$(hostpane "$TMP/hang2.txt" | md5sum)"
recent='1 host ─ (ok|warn|crit) (now|[0-2]s)'
check "the host pane is fresh (its health, then a recent age)" grep -qE "$recent" "$TMP/hang2.txt"
grep -qE "$recent" "$TMP/hang2.txt" || head -2 "$TMP/hang2.txt" | diag
tm send-keys -t t q
check "sitrep quits while the edge still hangs" wait_for 5 tm_pane_dead
tm_kill
finish
