#!/usr/bin/env bash
# Integration: `current` is resolved, not matched by its last name. A real
# layout with releases r1 r2 r3 and a directory outside it that also has an
# r2. Each way current can lead outside releases/ (an absolute target, a
# relative one with "..", "releases/../..", a chain through a symlink at the
# root, a chain through a release that is a symlink, a dangling target
# outside) is shown as "current points outside releases: ..." with no
# current release in --once text and --json, and rollback is refused with
# that reason (named or not): current unchanged, the restart argv never
# runs. Current that leads inside (absolute, through a chain) is the release
# it names, and rollback from it works.
source "$(dirname "$0")/../lib.sh"

APP=$TMP/app
mkdir -p "$APP/releases/r1" "$APP/releases/r2" "$APP/releases/r3" "$TMP/elsewhere/r2" "$TMP/state"
cat >"$TMP/restart" <<'SH'
#!/bin/sh
echo ran >"$MARKER"
SH
chmod +x "$TMP/restart"
export MARKER=$TMP/marker
cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP",
    "restart": ["$TMP/restart"], "restart_timeout_seconds": 5 } ] }
JSON
chmod 600 "$TMP/c.json"
# point LINK [HOP]: current -> LINK (through $APP/hop -> HOP when given)
point() {
	rm -f "$APP/current" "$APP/hop" "$APP/releases/r9"
	ln -s "$1" "$APP/current"
}

outside() { # outside NAME LINK: every check of one way out
	local name=$1 link=$2
	"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/o.json" 2>/dev/null
	check "$name: --json has no current release and says where current points" python3 -c "
import json
p=json.load(open('$TMP/o.json'))['panes'][0]
d=p['data']
assert d['current'] is None and not any(x['current'] for x in d['deploys']), d
assert 'current points outside releases: $link' in (p.get('warning') or ''), p.get('warning')"
	"$SITREP" --once -c "$TMP/c.json" >"$TMP/o.txt" 2>&1
	check "$name: --once text says so and marks no release current" bash -c "
grep -qF 'warning: current points outside releases: $link' '$TMP/o.txt' && ! grep -qE '^ +\* ' '$TMP/o.txt'"
	"$SITREP" -c "$TMP/c.json" do rollback --yes >/dev/null 2>"$TMP/rb.err"
	local rc=$?
	"$SITREP" -c "$TMP/c.json" do rollback r1 --yes >/dev/null 2>"$TMP/rbn.err"
	local rcn=$?
	check "$name: rollback, named or not, is refused with that reason" bash -c "
[ $rc = 1 ] && [ $rcn = 1 ] &&
grep -qF 'current points outside releases: $link' '$TMP/rb.err' &&
grep -qF 'current points outside releases: $link' '$TMP/rbn.err'"
	check "$name: current unchanged, the restart never ran" test "$(readlink "$APP/current")" = "$link" -a ! -e "$MARKER"
}

point "$TMP/elsewhere/r2"
outside "absolute target" "$TMP/elsewhere/r2"
point "../elsewhere/r2"
outside "relative target with .." "../elsewhere/r2"
point "releases/../../elsewhere/r2"
outside "releases/../.." "releases/../../elsewhere/r2"
point hop
ln -s "$TMP/elsewhere/r2" "$APP/hop"
outside "a chain through a symlink at the root" hop
point releases/r9
ln -s "$TMP/elsewhere/r2" "$APP/releases/r9"
outside "a chain through a release that is a symlink" releases/r9
check "... which resolves to the directory outside" grep -qF "resolves to $TMP/elsewhere/r2" "$TMP/rb.err"
point "$TMP/gone/r2"
outside "a dangling target outside" "$TMP/gone/r2"

# Inside: an absolute target and a chain both name r2; rollback works from there.
point "$APP/releases/r2"
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/in.json" 2>/dev/null
check "an absolute target inside releases/ is the release it names" python3 -c "
import json
p=json.load(open('$TMP/in.json'))['panes'][0]
assert p['data']['current']=='r2' and 'warning' not in p, p"
point hop
ln -s releases/r2 "$APP/hop"
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/in2.json" 2>/dev/null
check "a chain that ends inside releases/ is the release it names" python3 -c "
import json
p=json.load(open('$TMP/in2.json'))['panes'][0]
assert p['data']['current']=='r2' and 'warning' not in p, p"
"$SITREP" -c "$TMP/c.json" do rollback --yes >"$TMP/ok.out" 2>&1
check "... and rollback from it goes to r1, restart run" test $? = 0 -a -e "$MARKER" -a "$(readlink "$APP/current")" = releases/r1
point releases/r5
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/gone.json" 2>/dev/null
check "a current release that is gone from releases/ is listed as missing (not outside)" python3 -c "
import json
p=json.load(open('$TMP/gone.json'))['panes'][0]
r={x['id']:x for x in p['data']['deploys']}
assert p['data']['current']=='r5' and r['r5']['status']=='missing' and 'warning' not in p, p"

finish
