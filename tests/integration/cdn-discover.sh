#!/usr/bin/env bash
# Integration: "discover" with a real nginx origin and a real varnishd edge.
# The pages / and /booking are read at both sides and what they load
# (scripts, stylesheets, preloads; same site only) is probed too. After a
# deploy the edge answers 404 for the new hashed bundle (it cached the 404
# while the deploy was half done) and still serves the old /booking, whose
# old bundle the origin no longer has: both are caught. max_assets cuts the
# list and the pane says so.
source "$(dirname "$0")/../lib.sh"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

W=$TMP/www
echo 'console.log("old bundle")' >"$W/static/bundle.0a1b.js"
cat >"$W/index.html" <<'HTML'
<!doctype html><html><head>
<link rel="stylesheet" href="/static/app.css">
<link rel="preload" as="font" href="fonts/sans.woff2">
<link rel="icon" href="/favicon.ico">
<script src="https://cdn.elsewhere.example/analytics.js"></script>
<!-- <script src="/static/commented-out.js"></script> -->
<script>var s = '<script src="/static/in-inline-code.js"></' + 'script>';</script>
</head><body>home</body></html>
HTML
mkdir -p "$W/fonts"
echo font >"$W/fonts/sans.woff2"
booking() { # BUNDLE
	cat >"$W/booking" <<HTML
<html><head><link rel=modulepreload href="/static/$1?v=1&amp;x=2"><script type=module src='/static/$1'></script>
<script src="$ORIGIN/static/app.js" defer></script></head><body>Book now</body></html>
HTML
}
booking bundle.0a1b.js
chmod -R a+rX "$W"
# The edge caches the old booking page and its bundle (and forgets the
# home page it cached while starting).
curl -sf -o /dev/null -X PURGE "$EDGE/"
for p in / /booking /static/bundle.0a1b.js "/static/bundle.0a1b.js?v=1&x=2" /static/app.js /static/app.css /fonts/sans.woff2; do
	curl -sf -o /dev/null "$EDGE$p"
done

cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "cdn", "kind": "cdn", "source": "cdn", "provider": "varnish",
    "edge_url": "$EDGE", "origin_url": "$ORIGIN", "timeout_seconds": 3,
    "discover": ["/", "/booking"] } ] }
JSON
chmod 600 "$TMP/sitrep.json"
"$SITREP" --check-config -c "$TMP/sitrep.json"
check "--check-config accepts discover without assets" test $? -eq 0
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/before.json" 2>/dev/null
check "--once exits 0 before the deploy" test $? -eq 0
paths() { python3 -c "import json; print(' '.join(a['path']+'='+a['verdict'] for a in json.load(open('$1'))['panes'][0]['data']['assets']))"; }
want="/=fresh /booking=fresh /static/app.css=fresh /fonts/sans.woff2=fresh /static/bundle.0a1b.js?v=1&x=2=fresh /static/bundle.0a1b.js=fresh /static/app.js=fresh"
got=$(paths "$TMP/before.json")
check "the pages and what they load, same site only, in page order" test "$got" = "$want"
[ "$got" = "$want" ] || diag <<<"got: $got"

# The deploy, half done when someone loads the new bundle through the edge.
check "the edge caches a 404 for the new bundle" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$EDGE/static/bundle.9f8e.js")" = 404
echo 'console.log("new bundle")' >"$W/static/bundle.9f8e.js"
rm "$W/static/bundle.0a1b.js"
booking bundle.9f8e.js
chmod -R a+rX "$W"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/after.json" 2>/dev/null
got=$(paths "$TMP/after.json")
diag <<<"after: $got"
verdict() { python3 -c "
import json, sys
a = {x['path']: x for x in json.load(open('$TMP/after.json'))['panes'][0]['data']['assets']}
x = a.get(sys.argv[1])
print(x['verdict'] + ': ' + x['detail'] if x else 'absent')" "$1"; }
v=$(verdict /booking)
check "the edge's old /booking is stale ($v)" grep -q '^stale: ' <<<"$v"
v=$(verdict /static/bundle.9f8e.js)
check "the new bundle the edge answers 404 is missing ($v)" test "$v" = "missing: edge answers 404, origin 200"
v=$(verdict /static/bundle.0a1b.js)
check "the old page's bundle, gone at the origin, is stale ($v)" \
	grep -q '^stale: edge still serves a copy the origin no longer has (origin 404)' <<<"$v"
check "nothing off-site, commented out or inside inline code is probed" \
	bash -c "! grep -qE 'elsewhere|commented-out|in-inline-code|favicon' <<<'$got'"

# max_assets: the list is cut and the pane says how much.
sed 's/"timeout_seconds": 3,/"timeout_seconds": 3, "max_assets": 3,/' "$TMP/sitrep.json" >"$TMP/cut.json"
chmod 600 "$TMP/cut.json"
"$SITREP" --once --json -c "$TMP/cut.json" >"$TMP/cut.out" 2>/dev/null
n=$(python3 -c "import json; print(len(json.load(open('$TMP/cut.out'))['panes'][0]['data']['assets']))")
check "max_assets 3: three assets probed (got $n)" test "$n" = 3
note=$(python3 -c "import json; print(json.load(open('$TMP/cut.out'))['panes'][0].get('note'))")
check "the pane says what was cut ($note)" test "$note" = "discovered 3 of 9 assets; raise max_assets"
"$SITREP" --once -c "$TMP/cut.json" 2>/dev/null | grep -q "discovered 3 of 9 assets; raise max_assets"
check "the text output says it too" test $? -eq 0

# sitrep do purge --stale reads the pages too: the stale and missing ones go.
USER=oncall "$SITREP" do purge --stale --yes -c "$TMP/sitrep.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
check "do purge --stale exits 0 (rc=$rc)" test "$rc" -eq 0
# The old bundle is gone at the origin: gone at the edge too is the purge's
# effect, said as such and never counted fresh.
check "it purged the discovered stale and missing assets" grep -q "4 purged, 2 fresh, 2 removed (gone at the origin too) in" "$TMP/do.txt"
check "the edge now serves the new bundle and the new page" \
	bash -c "curl -sf '$EDGE/static/bundle.9f8e.js' | grep -q new && curl -sf '$EDGE/booking' | grep -q 9f8e"
finish
