#!/usr/bin/env bash
# Integration: the releases source against a real Capistrano-style layout in
# a temp dir (releases/<id>/, a relative `current` symlink, REVISION files,
# revisions.log, a BAD_RELEASE marker). --once --json lists the releases with
# the current one; `sitrep do rollback --yes` swaps `current` to the previous
# healthy release (the bad one skipped), runs the restart argv (it records its
# argv in a marker file) and records audit lines that are valid JSON; a named
# bad release is refused; read-only refuses every form (exit 3, symlink
# unchanged, no argv ran); a hanging restart is killed at its timeout and
# recorded failed; kill -9 of sitrep during an action leaves complete audit
# lines and no restart child behind.
source "$(dirname "$0")/../lib.sh"

APP=$TMP/app
R1=20240521200000 R2=20240521210000 R3=20240521221400
mkdir -p "$APP/releases" "$TMP/state"
for r in $R1 $R2 $R3; do
	mkdir "$APP/releases/$r"
	echo "c0ffee$r" >"$APP/releases/$r/REVISION"
done
echo "smoke test failed" >"$APP/releases/$R2/BAD_RELEASE"
ln -s "releases/$R3" "$APP/current"
cat >"$APP/revisions.log" <<LOG
Branch main (at c0ffee$R1) deployed as release $R1 by alice
Branch main (at c0ffee$R2) deployed as release $R2 by bob
Branch hotfix (at c0ffee$R3) deployed as release $R3 by carol
LOG

# The restart argv: records its argv (one line per element) and the time.
cat >"$TMP/restart" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$MARKER"
SH
chmod +x "$TMP/restart"
export MARKER=$TMP/marker

config() { # config FILE RESTART_ARGV_JSON [EXTRA]
	cat >"$1" <<JSON
{ "state_dir": "$TMP/state", ${3:-} "panes": [
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP",
    "restart": $2, "restart_timeout_seconds": 2 } ] }
JSON
	chmod 600 "$1"
}
config "$TMP/c.json" "[\"$TMP/restart\", \"app.service\", \"two words\"]"
cur() { readlink "$APP/current"; }
audit_valid() { python3 -c "
import json,sys
for n,l in enumerate(open('$TMP/state/audit.jsonl')):
    json.loads(l)
    assert l.endswith('\n'), n" 2>&1; }

"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"
check "--once --json exits 0" test $? = 0
check "--once --json lists three releases, newest first, the current one marked" python3 -c "
import json
d=json.load(open('$TMP/once.json'))['panes'][0]['data']
ids=[x['id'] for x in d['deploys']]
assert ids==['$R3','$R2','$R1'], ids
assert d['current']=='$R3', d['current']
assert [x['current'] for x in d['deploys']]==[True,False,False]
r=d['deploys']
assert r[0]['author']=='carol' and r[0]['branch']=='hotfix' and r[0]['revision']=='c0ffee$R3', r[0]
assert r[0]['time']=='2024-05-21T22:14:00Z', r[0]['time']
assert r[1]['bad'] and r[1]['status']=='bad' and r[1]['message']=='smoke test failed', r[1]
assert not r[2]['bad'] and r[2]['status']=='ok'"

"$SITREP" --once -c "$TMP/c.json" >"$TMP/once.txt"
check "--once text marks the current release" grep -qE "^ +\* $R3 " "$TMP/once.txt"

# Read-only: every form refused with exit 3; nothing moves, nothing runs.
for form in "--read-only do rollback --yes" "--read-only do rollback $R1 --yes" "--read-only do restart --yes" \
	"do restart --yes --read-only"; do
	"$SITREP" -c "$TMP/c.json" $form >/dev/null 2>"$TMP/ro.err"
	check "read-only: '$form' exits 3" test $? = 3
done
SITREP_READ_ONLY=1 "$SITREP" -c "$TMP/c.json" do rollback --yes >/dev/null 2>&1
check "read-only by SITREP_READ_ONLY=1: exit 3" test $? = 3
config "$TMP/ro.json" "[\"$TMP/restart\"]" '"read_only": true,'
"$SITREP" -c "$TMP/ro.json" do restart --yes >/dev/null 2>&1
check "read-only by the config: exit 3" test $? = 3
check "read-only: the symlink is unchanged" test "$(cur)" = "releases/$R3"
check "read-only: no argv ran" test ! -e "$MARKER"
check "read-only: the refusals are recorded" test "$(grep -c '"result":"refused"' "$TMP/state/audit.jsonl")" -ge 6

# A named bad release is refused, saying why; nothing changes.
"$SITREP" -c "$TMP/c.json" do rollback "$R2" --yes >/dev/null 2>"$TMP/bad.err"
check "rollback to a bad release exits 1" test $? = 1
check "... and says it is marked bad" grep -q "marked bad" "$TMP/bad.err"
check "... symlink unchanged, no argv ran" test "$(cur)" = "releases/$R3" -a ! -e "$MARKER"
"$SITREP" -c "$TMP/c.json" do rollback ../../etc --yes >/dev/null 2>&1
check "a release name that is a path is refused" test $? = 1 -a "$(cur)" = "releases/$R3"

# Without --yes and without a terminal: refused, nothing done.
setsid "$SITREP" -c "$TMP/c.json" do rollback </dev/null >/dev/null 2>&1
check "rollback without --yes and no terminal exits 3" test $? = 3 -a "$(cur)" = "releases/$R3"

# The rollback: previous healthy release (R2 is bad, so R1), restart argv, check.
"$SITREP" -c "$TMP/c.json" do rollback --yes >"$TMP/rb.out" 2>"$TMP/rb.err"
check "do rollback --yes exits 0" test $? = 0
check "current points at the previous healthy release ($R1), the bad one skipped" test "$(cur)" = "releases/$R1"
check "current is still a relative symlink" test -L "$APP/current" -a "$(cur)" = "releases/$R1"
check "no temporary link is left" bash -c "! ls -A '$APP' | grep -q '^\.current'"
check "the restart argv ran with its elements intact" test "$(cat "$MARKER" 2>/dev/null)" = "$(printf 'app.service\ntwo words')"
check "the outcome says what was verified" grep -q "current verified -> releases/$R1" "$TMP/rb.out"
check "audit lines are valid JSON, one per line" audit_valid
check "audit: started, then ok, with the exact effect" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
rb=[l for l in L if l['action']=='rollback' and l['target']=='$R1' and l['result']!='refused']
assert [l['result'] for l in rb]==['started','ok'], rb
assert 'symlink swap' in rb[0]['what'] and 'then argv: $TMP/restart app.service' in rb[0]['what'], rb[0]['what']
assert 'skipped, marked bad: $R2' in rb[0]['what'], rb[0]['what']"
"$SITREP" -c "$TMP/c.json" timeline >"$TMP/tl.txt" 2>&1
check "sitrep timeline lists the rollback" grep -q "rollback" "$TMP/tl.txt"

# Rolling forward again by name.
rm -f "$MARKER"
"$SITREP" -c "$TMP/c.json" do rollback "$R3" --yes >/dev/null 2>&1
check "rollback to a named release works" test $? = 0 -a "$(cur)" = "releases/$R3" -a -e "$MARKER"

# A restart that fails: its exit status is the outcome.
config "$TMP/fail.json" '["sh", "-c", "echo unit not found >&2; exit 5"]'
"$SITREP" -c "$TMP/fail.json" do restart --yes >/dev/null 2>"$TMP/fail.err"
check "a failing restart exits 1" test $? = 1
check "... and says how it ended, with its stderr" grep -q "status 5.*unit not found" "$TMP/fail.err"

# A restart that hangs is killed at its timeout (2 s here) and recorded failed.
config "$TMP/hang.json" "[\"sh\", \"-c\", \"echo \$\$ >$TMP/hang.pid; exec sleep 60\"]"
start=$SECONDS
"$SITREP" -c "$TMP/hang.json" do restart --yes >/dev/null 2>"$TMP/hang.err"
rc=$?
check "a hanging restart ends with exit 1 (got $rc)" test $rc = 1
check "... within its timeout and the kill grace ($((SECONDS - start)) s)" test $((SECONDS - start)) -le 8
check "... says it was killed at its timeout" grep -q "killed at its timeout" "$TMP/hang.err"
check "... the child is gone" bash -c "! kill -0 \$(cat '$TMP/hang.pid') 2>/dev/null"
check "... recorded failed" bash -c "tail -1 '$TMP/state/audit.jsonl' | grep -q '\"action\":\"restart\".*\"result\":\"failed\"'"

# kill -9 of sitrep during an action: the audit lines stay complete.
config "$TMP/slow.json" "[\"sh\", \"-c\", \"echo \$\$ >$TMP/slow.pid; exec sleep 60\"]"
"$SITREP" -c "$TMP/slow.json" do restart --yes >/dev/null 2>&1 &
spid=$!
track_pid $spid
wait_for 5 test -s "$TMP/slow.pid"
kill -9 $spid
wait $spid 2>/dev/null
check "after kill -9 every audit line is complete JSON" audit_valid
check "... the restart's start is recorded" bash -c "tail -1 '$TMP/state/audit.jsonl' | grep -q '\"action\":\"restart\".*\"result\":\"started\"'"
check "... the restart child died with sitrep" wait_for 5 bash -c "! kill -0 \$(cat '$TMP/slow.pid') 2>/dev/null"

# A layout that is not there is an error, not a crash.
config "$TMP/none.json" '["true"]'
sed -i "s|$APP|$TMP/nowhere|" "$TMP/none.json"
"$SITREP" --once --json -c "$TMP/none.json" >"$TMP/none.out" 2>/dev/null
check "a missing deploy root: --once exits 1" test $? = 1
check "... and the pane carries the error" python3 -c "
import json
p=json.load(open('$TMP/none.out'))['panes'][0]
assert p['state']=='error' and 'nowhere/releases' in p['error'], p"

finish
