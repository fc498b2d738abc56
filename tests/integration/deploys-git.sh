#!/usr/bin/env bash
# Integration: the git deploys source against a real repository the test
# makes (git init, commits, lightweight and annotated tags, a hostile commit
# subject). --once --json lists the deploy tags newest first with author,
# time and subject, current at the configured ref; branch mode lists the
# first parents in git's order. `sitrep do rollback --yes` runs the rollback
# argv with {release} replaced in its one element (recorded and checked
# exactly), then the restart argv, and verifies the ref moved; without a
# configured ref the outcome says only the exit status vouches; a rollback
# argv that fails or does not move the ref is a failure; read-only refuses.
source "$(dirname "$0")/../lib.sh"

command -v git >/dev/null || { not_ok "git is installed"; finish; }
REPO=$TMP/repo
mkdir -p "$REPO" "$TMP/state"
g() { git -C "$REPO" -c user.name="$1" -c user.email=x@example.org "${@:2}"; }
g alice init -q -b main
for i in 1 2 3; do
	echo "$i" >"$REPO/f"
	g alice add f
	GIT_COMMITTER_DATE="2024-05-21T2$i:00:00Z" GIT_AUTHOR_DATE="2024-05-21T2$i:00:00Z" \
		g "author $i" commit -qm "change $i"
done
g alice tag deploy-1 HEAD~2
GIT_COMMITTER_DATE="2024-05-21T22:30:00Z" g bob tag -a -m "release two" deploy-2 HEAD~1
g alice tag deploy-10 HEAD
# a subject with an escape sequence and a unit separator: inert text
printf 'x' >>"$REPO/f"
g alice add f
g "mallory" commit -qm "$(printf 'evil \033[2J\037subject')"
g alice tag not-a-deploy HEAD
g alice branch -f production deploy-10
C1=$(git -C "$REPO" rev-parse deploy-1) C2=$(git -C "$REPO" rev-parse 'deploy-2^{commit}')
C10=$(git -C "$REPO" rev-parse deploy-10)

# The rollback argv: records its argv, one element per line, then moves the ref.
cat >"$TMP/deploy-to" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$MARKER"
[ "${NO_MOVE:-}" = 1 ] && exit 0
exec git -C "$REPO" branch -f production "$2"
SH
cat >"$TMP/restart" <<'SH'
#!/bin/sh
echo restarted >"$RESTARTED"
SH
chmod +x "$TMP/deploy-to" "$TMP/restart"
export MARKER=$TMP/marker RESTARTED=$TMP/restarted REPO

config() { # config FILE EXTRA
	cat >"$1" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "deploys", "kind": "deploys", "source": "git", "repo": "$REPO", $2 } ] }
JSON
	chmod 600 "$1"
}
config "$TMP/c.json" "\"tags\": \"deploy-*\", \"current_ref\": \"refs/heads/production\",
  \"rollback\": [\"$TMP/deploy-to\", \"--to\", \"{release}\", \"tag {release} now\"],
  \"restart\": [\"$TMP/restart\"]"
ref() { git -C "$REPO" rev-parse production; }

"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"
check "--once --json exits 0" test $? = 0
check "the deploy tags, newest first, current at production" python3 -c "
import json
d=json.load(open('$TMP/once.json'))['panes'][0]['data']
ids=[x['id'] for x in d['deploys']]
assert ids==['deploy-10','deploy-2','deploy-1'], ids
assert d['current']=='deploy-10', d['current']
r={x['id']:x for x in d['deploys']}
assert r['deploy-2']['author']=='bob' and r['deploy-2']['message']=='change 2', r['deploy-2']
assert r['deploy-2']['time']=='2024-05-21T22:30:00Z' and r['deploy-2']['revision']=='$C2', r['deploy-2']
assert r['deploy-1']['author']=='author 1' and r['deploy-1']['time']=='2024-05-21T21:00:00Z', r['deploy-1']
assert r['deploy-10']['current'] and not r['deploy-1']['current']"

# branch mode: first parents in git's order, hostile subject inert
config "$TMP/branch.json" "\"branch\": \"main\", \"max\": 3"
"$SITREP" --once --json -c "$TMP/branch.json" >"$TMP/branch.out" 2>&1
check "branch mode lists the first parents, newest first, current at HEAD" python3 -c "
import json
d=json.load(open('$TMP/branch.out'))['panes'][0]['data']
x=d['deploys']
assert len(x)==3, x
assert x[0]['author']=='mallory' and x[1]['message']=='change 3' and x[2]['message']=='change 2', x
assert x[0]['current'] and d['current']==x[0]['id'] and len(x[0]['id'])==12, d
assert '\x1b' not in x[0]['message'] and '\x1f' not in x[0]['message'] and x[0]['message'].startswith('evil'), x[0]"

# Read-only: nothing runs, the ref stays.
"$SITREP" -c "$TMP/c.json" --read-only do rollback --yes >/dev/null 2>&1
check "read-only rollback exits 3" test $? = 3
check "... the ref is unchanged and no argv ran" test "$(ref)" = "$C10" -a ! -e "$MARKER"

# A named tag that is not a deploy is refused before anything runs.
"$SITREP" -c "$TMP/c.json" do rollback not-a-deploy --yes >/dev/null 2>"$TMP/nd.err"
check "rollback to a tag outside the pattern exits 1, nothing ran" test $? = 1 -a ! -e "$MARKER"
check "... saying there is no such deploy" grep -q "no deploy not-a-deploy" "$TMP/nd.err"

# The rollback: the deploy before the current one.
"$SITREP" -c "$TMP/c.json" do rollback --yes >"$TMP/rb.out" 2>"$TMP/rb.err"
check "do rollback --yes exits 0" test $? = 0
check "the ref now points at deploy-2" test "$(ref)" = "$C2"
check "the rollback argv ran with {release} replaced, each element whole" \
	test "$(cat "$MARKER")" = "$(printf -- '--to\ndeploy-2\ntag deploy-2 now')"
check "the restart argv ran after it" test -e "$RESTARTED"
check "the outcome says the ref was verified" grep -q "rolled back to deploy-2; current verified: refs/heads/production -> $C2" "$TMP/rb.out"
check "audit: started then ok, the exact argv in the effect" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
rb=[l for l in L if l['action']=='rollback' and l['result']!='refused' and l['target']=='deploy-2']
assert [l['result'] for l in rb]==['started','ok'], rb
assert \"argv: $TMP/deploy-to --to deploy-2 'tag deploy-2 now'\" in rb[0]['what'], rb[0]['what']
assert 'then check: refs/heads/production is at $C2' in rb[0]['what'], rb[0]['what']"

# Named, forward again.
rm -f "$MARKER" "$RESTARTED"
"$SITREP" -c "$TMP/c.json" do rollback deploy-10 --yes >/dev/null 2>&1
check "rollback to a named deploy works" test $? = 0 -a "$(ref)" = "$C10" -a -e "$RESTARTED"

# An argv that exits 0 without moving the ref: not verified, failed.
NO_MOVE=1 "$SITREP" -c "$TMP/c.json" do rollback deploy-1 --yes >/dev/null 2>"$TMP/nomove.err"
check "a rollback that does not move the ref exits 1" test $? = 1
check "... and says what the ref points at" grep -q "not verified: refs/heads/production -> $C10, not $C1" "$TMP/nomove.err"

# A failing rollback argv: its status and last words, the restart never runs.
rm -f "$RESTARTED"
config "$TMP/fail.json" "\"tags\": \"deploy-*\", \"current_ref\": \"production\",
  \"rollback\": [\"sh\", \"-c\", \"echo no route to host >&2; exit 4\", \"sh\", \"{release}\"],
  \"restart\": [\"$TMP/restart\"]"
"$SITREP" -c "$TMP/fail.json" do rollback --yes >/dev/null 2>"$TMP/fail.err"
check "a failing rollback argv exits 1" test $? = 1
check "... with its status and stderr" grep -q "status 4.*no route to host" "$TMP/fail.err"
check "... the restart did not run, the ref did not move" test ! -e "$RESTARTED" -a "$(ref)" = "$C10"

# Without current_ref: HEAD is current, and only the exit status vouches.
config "$TMP/nocheck.json" "\"tags\": \"deploy-*\", \"rollback\": [\"true\", \"{release}\"]"
git -C "$REPO" checkout -q deploy-10
"$SITREP" -c "$TMP/nocheck.json" do rollback --yes >"$TMP/nc.out" 2>&1
check "without current_ref the rollback says it is verified by exit status only" \
	grep -q "verified by exit status only" "$TMP/nc.out"

# Config errors: both modes, a rollback argv without {release}.
config "$TMP/bad1.json" "\"tags\": \"deploy-*\", \"branch\": \"main\""
"$SITREP" --check-config -c "$TMP/bad1.json" >/dev/null 2>&1
check "tags and branch together: exit 2" test $? = 2
config "$TMP/bad2.json" "\"tags\": \"deploy-*\", \"rollback\": [\"deploy\"]"
"$SITREP" --check-config -c "$TMP/bad2.json" 2>"$TMP/bad2.err" >/dev/null
check "a rollback argv without {release}: exit 2 with its position" grep -q "bad2.json:2:[0-9]*: expected an argv with a \"{release}\" element" "$TMP/bad2.err"

# A repository that is not there: the pane's error, exit 1.
config "$TMP/none.json" "\"tags\": \"deploy-*\""
sed -i "s|$REPO|$TMP/nowhere|" "$TMP/none.json"
"$SITREP" --once --json -c "$TMP/none.json" >"$TMP/none.out" 2>/dev/null
check "a missing repository: --once exits 1 with the pane's git error" python3 -c "
import json,sys
p=json.load(open('$TMP/none.out'))['panes'][0]
assert p['state']=='error' and 'git for-each-ref exited with status' in p['error'], p"

finish
