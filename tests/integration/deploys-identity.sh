#!/usr/bin/env bash
# Integration: a rollback target is an identity, re-checked when the action
# acts. `sitrep do rollback` asks on a terminal (a pty driven from python);
# while its prompt is open the world changes, then the release is typed:
# - a real release layout: the target's directory is replaced by another
#   one of the same name (new inode), or by a symlink: refused, nothing
#   changed, the restart never ran; the prompt showed the directory and its
#   inode, which are stat's;
# - a real git repository: the deploy tag is moved to another commit:
#   refused, the rollback argv never ran; the prompt showed the tag's commit
#   and the exact argv;
# - a git tag named `--force` (made with update-ref: git tag refuses it) is
#   the deploy just before the current one: the default rollback passes over
#   it, names it as never a target, and no argv ever holds it.
source "$(dirname "$0")/../lib.sh"
command -v git >/dev/null || { not_ok "git is installed"; finish; }

# pty_rollback LOG MUTATE ANSWER SITREP-ARGS...: runs sitrep on a pty, waits
# for its "to confirm:" prompt, runs MUTATE (a shell command), types ANSWER;
# everything sitrep wrote goes to LOG; the exit status is sitrep's.
pty_rollback() {
	python3 - "$@" <<'PY'
import os, pty, select, subprocess, sys, time
log, mutate, answer, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
def drain(until, limit):
    global out
    end = time.time() + limit
    while time.time() < end and (until is None or until not in out):
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        out += data
drain(b"nothing is sent: ", 20)
subprocess.run(mutate, shell=True, check=True)
os.write(fd, (answer + "\n").encode())
drain(None, 30)
_, status = os.waitpid(pid, 0)
open(log, "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

cat >"$TMP/restart" <<'SH'
#!/bin/sh
echo ran >"$MARKER"
SH
chmod +x "$TMP/restart"
export MARKER=$TMP/marker
mkdir -p "$TMP/state"

# ---- releases: the directory the prompt showed ----
APP=$TMP/app
mkdir -p "$APP/releases/r1" "$APP/releases/r2" "$APP/releases/r3" "$TMP/outside"
ln -s releases/r3 "$APP/current"
cat >"$TMP/rel.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP",
    "restart": ["$TMP/restart"], "restart_timeout_seconds": 5 } ] }
JSON
chmod 600 "$TMP/rel.json"
INODE=$(stat -c %i "$APP/releases/r1")
REAL=$(cd "$APP/releases" && pwd -P)
pty_rollback "$TMP/p1.log" "rm -r '$APP/releases/r1' && mkdir '$APP/releases/r1'" r1 \
	"$SITREP" -c "$TMP/rel.json" do rollback r1
rc=$?
check "releases: the prompt names the target's directory and inode" grep -qF "target: release r1, the directory $REAL/r1 (inode $INODE)" "$TMP/p1.log"
check "releases: the prompt shows the exact restart argv" grep -qF "then argv: $TMP/restart (timeout 5 s)" "$TMP/p1.log"
check "releases: r1 replaced while the prompt was open: exit 1 (got $rc)" test $rc = 1
check "... saying it was replaced, nothing changed" grep -qF "release r1 was replaced since it was confirmed: another directory of that name (the dialog showed inode $INODE); nothing changed" "$TMP/p1.log"
check "... current unchanged, the restart never ran" test "$(readlink "$APP/current")" = releases/r3 -a ! -e "$MARKER"
check "... the audit says failed, with the reason" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
assert L[-1]['target']=='r1' and L[-1]['result']=='failed' and 'was replaced since it was confirmed' in json.dumps(L[-1]), L[-1]"

pty_rollback "$TMP/p2.log" "rm -r '$APP/releases/r1' && ln -s '$TMP/outside' '$APP/releases/r1'" r1 \
	"$SITREP" -c "$TMP/rel.json" do rollback r1
rc=$?
check "releases: r1 replaced by a symlink out of releases/: exit 1 (got $rc), nothing changed" bash -c "
[ $rc = 1 ] && grep -q 'release r1 was replaced by a symlink since it was confirmed; nothing changed' '$TMP/p2.log' &&
[ \"\$(readlink '$APP/current')\" = releases/r3 ] && [ ! -e '$MARKER' ]"

pty_rollback "$TMP/p3.log" "touch '$APP/releases/r2/BAD_RELEASE'" r2 "$SITREP" -c "$TMP/rel.json" do rollback r2
rc=$?
check "releases: r2 marked bad while the prompt was open: exit 1 (got $rc), nothing changed" bash -c "
[ $rc = 1 ] && grep -q 'release r2 was marked bad since it was confirmed; nothing changed' '$TMP/p3.log' &&
[ \"\$(readlink '$APP/current')\" = releases/r3 ] && [ ! -e '$MARKER' ]"
rm "$APP/releases/r2/BAD_RELEASE"
pty_rollback "$TMP/p4.log" true r2 "$SITREP" -c "$TMP/rel.json" do rollback r2
check "releases: unchanged, the same prompt rolls back (exit $?)" test "$(readlink "$APP/current")" = releases/r2 -a -e "$MARKER"
rm -f "$MARKER"

# ---- git: the commit the prompt showed ----
REPO=$TMP/repo
mkdir -p "$REPO"
g() { git -C "$REPO" -c user.name=alice -c user.email=a@example.org "$@"; }
g init -q -b main
for i in 1 2 3 4; do
	echo "$i" >"$REPO/f"
	g add f
	GIT_COMMITTER_DATE="2024-05-21T2$i:00:00Z" GIT_AUTHOR_DATE="2024-05-21T2$i:00:00Z" g commit -qm "change $i"
done
g tag deploy-1 HEAD~3
g update-ref refs/tags/--force HEAD~2
g tag deploy-3 HEAD~1
g tag deploy-4 HEAD
g branch -f production deploy-4
C1=$(g rev-parse deploy-1) C3=$(g rev-parse deploy-3) C4=$(g rev-parse deploy-4)
cat >"$TMP/deploy-to" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >>"$ARGV_LOG"
exec git -C "$REPO" branch -f production "$2"
SH
chmod +x "$TMP/deploy-to"
export ARGV_LOG=$TMP/argv REPO
cat >"$TMP/git.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "deploys", "kind": "deploys", "source": "git", "repo": "$REPO", "tags": "*",
    "current_ref": "refs/heads/production",
    "rollback": ["$TMP/deploy-to", "--to", "{release}"], "restart": ["$TMP/restart"] } ] }
JSON
chmod 600 "$TMP/git.json"

pty_rollback "$TMP/g1.log" "git -C '$REPO' tag -f deploy-3 '$C1' >/dev/null" deploy-3 \
	"$SITREP" -c "$TMP/git.json" do rollback deploy-3
rc=$?
check "git: the prompt names the tag's commit and the exact argv" bash -c "
grep -qF 'target: tag deploy-3 at commit $C3' '$TMP/g1.log' && grep -qF 'argv: $TMP/deploy-to --to deploy-3' '$TMP/g1.log'"
check "git: deploy-3 moved to another commit while the prompt was open: exit 1 (got $rc)" test $rc = 1
check "... saying what it is now and what was confirmed; nothing changed" grep -qF "deploy-3 changed since it was confirmed: now tag deploy-3 at commit $C1, confirmed tag deploy-3 at commit $C3; nothing changed" "$TMP/g1.log"
check "... the rollback argv and the restart never ran" test ! -e "$ARGV_LOG" -a ! -e "$MARKER" -a "$(g rev-parse production)" = "$C4"
g tag -f deploy-3 "$C3" >/dev/null

# the tag named --force sits between deploy-3 and deploy-1; deploy-3 is the
# previous one, so move current to deploy-3 first and roll back from there
g branch -f production deploy-3
"$SITREP" --once --json -c "$TMP/git.json" >"$TMP/g.json" 2>/dev/null
check "git: the tag --force is listed (it is in the repository)" python3 -c "
import json
d=json.load(open('$TMP/g.json'))['panes'][0]['data']
assert [x['id'] for x in d['deploys']]==['deploy-4','deploy-3','--force','deploy-1'] and d['current']=='deploy-3', d"
"$SITREP" -c "$TMP/git.json" do rollback --yes >"$TMP/force.out" 2>"$TMP/force.err"
rc=$?
check "git: the default rollback from deploy-3 passes over --force to deploy-1 (exit $rc)" bash -c "
[ $rc = 0 ] && [ \"\$(git -C '$REPO' rev-parse production)\" = '$C1' ]"
check "... no argv ever held --force" bash -c "[ \"\$(cat '$ARGV_LOG')\" = \"\$(printf -- '--to\ndeploy-1')\" ]"
check "... the effect names it as never a target" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
s=[l for l in L if l['result']=='started'][-1]
assert s['target']=='deploy-1' and 'skipped, never a target: --force' in s['what'], s"

finish
