#!/usr/bin/env bash
# Integration: the releases source never follows the filesystem out of a
# release. A real layout in a temp dir whose files are hostile: BAD_RELEASE,
# REVISION and REVISION_TIME as symlinks to a secret file (standing in for
# /etc/shadow), as FIFOs (sitrep must not hang), as a large file and as
# binary; a release directory that is a symlink to a directory outside;
# revisions.log and .dep symlinked to files that name the secret. The secret
# never reaches the --once text, --json, stderr, the audit log or the
# timeline; each untrusted file is named in its release's message ("not
# read"); a release whose BAD_RELEASE cannot be read stays bad; the
# symlinked release is listed, never read and never a rollback target.
source "$(dirname "$0")/../lib.sh"

APP=$TMP/app
MARK=SECRET-MARKER-7c1f93
mkdir -p "$APP/releases" "$TMP/state" "$TMP/outside" "$TMP/outdep"
for r in r1 r2 r3 r4 r5 r6 r7 r9; do
	mkdir "$APP/releases/$r"
	echo "c0ffee-$r" >"$APP/releases/$r/REVISION"
done
printf 'root:%s:19000:0:99999:7:::\n' "$MARK" >"$TMP/secret"
ln -s "$TMP/secret" "$APP/releases/r1/BAD_RELEASE"
ln -sf "$TMP/secret" "$APP/releases/r2/REVISION"
ln -s "$TMP/secret" "$APP/releases/r3/REVISION_TIME"
mkfifo "$APP/releases/r4/BAD_RELEASE"
rm "$APP/releases/r5/REVISION"
mkfifo "$APP/releases/r5/REVISION"
head -c 1048576 /dev/zero | tr '\0' a >"$APP/releases/r6/REVISION"
printf 'c0ffee\0%s\n' "$MARK" >"$APP/releases/r7/REVISION"
# a hard link would be inside the release by inode; a symlink to a file
# inside the release is still a symlink: nothing is followed at all
ln -s REVISION "$APP/releases/r9/BAD_RELEASE"
# r8: a release directory that is a symlink out of releases/
printf '%s\n' "$MARK" >"$TMP/outside/BAD_RELEASE"
printf '%s\n' "$MARK" >"$TMP/outside/REVISION"
ln -s "$TMP/outside" "$APP/releases/r8"
# logs at the root, symlinked to files that would name the secret
printf 'Branch %s (at %s) deployed as release r3 by %s\n' "$MARK" "$MARK" "$MARK" >"$TMP/secret-log"
ln -s "$TMP/secret-log" "$APP/revisions.log"
printf '{"created_at":"2024-05-21T22:14:00+0000","release_name":"r3","user":"%s","target":"%s"}\n' \
	"$MARK" "$MARK" >"$TMP/outdep/releases_log"
ln -s "$TMP/outdep" "$APP/.dep"
ln -s releases/r3 "$APP/current"

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
no_secret() { ! grep -rqa "$MARK" "$@"; }

start=$SECONDS
timeout 20 "$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"
rc=$?
check "--once --json ends (FIFOs are never opened) and exits 0 (got $rc)" test $rc = 0
check "... in a few seconds ($((SECONDS - start)) s)" test $((SECONDS - start)) -le 10
check "--json: the secret is nowhere in it" no_secret "$TMP/once.json" "$TMP/once.err"
check "--json: each untrusted file is named, not read" python3 -c "
import json
p=json.load(open('$TMP/once.json'))['panes'][0]
r={x['id']:x for x in p['data']['deploys']}
assert r['r1']['bad'] and r['r1']['message']=='BAD_RELEASE is a symlink: not read', r['r1']
assert not r['r2']['bad'] and r['r2']['revision']=='' and 'REVISION is a symlink: not read' in r['r2']['message'], r['r2']
assert 'REVISION_TIME is a symlink: not read' in r['r3']['message'] and r['r3']['revision']=='c0ffee-r3', r['r3']
assert r['r4']['bad'] and r['r4']['message']=='BAD_RELEASE is a FIFO: not read', r['r4']
assert 'REVISION is a FIFO: not read' in r['r5']['message'], r['r5']
assert 'REVISION is larger than 4096 bytes: not read' in r['r6']['message'] and r['r6']['revision']=='', r['r6']
assert 'REVISION is not text: not read' in r['r7']['message'] and r['r7']['revision']=='', r['r7']
assert r['r9']['bad'] and r['r9']['message']=='BAD_RELEASE is a symlink: not read', r['r9']
assert r['r8']['bad'] and r['r8']['status']=='symlink' and 'the release is a symlink (to $TMP/outside): not read' in r['r8']['message'], r['r8']
assert p['data']['current']=='r3', p['data']['current']"
check "--json: the symlinked logs at the root are a warning, not read" python3 -c "
import json
p=json.load(open('$TMP/once.json'))['panes'][0]
w=p.get('warning') or ''
assert 'revisions.log is a symlink: not read' in w and '.dep is a symlink: not read' in w, p
r={x['id']:x for x in p['data']['deploys']}
assert r['r3']['author']=='' and r['r3']['branch']=='', r['r3']"

timeout 20 "$SITREP" --once -c "$TMP/c.json" >"$TMP/once.txt" 2>&1
check "--once text: exits 0" test $? = 0
check "--once text (the screen's words): the secret is nowhere" no_secret "$TMP/once.txt"
check "--once text: the release says why its file was not read" grep -q "r1 .*BAD_RELEASE is a symlink: not read" "$TMP/once.txt"
check "--once text: the warning names the symlinked log" grep -q "warning: .*revisions.log is a symlink: not read" "$TMP/once.txt"

# Rolling back to the release whose BAD_RELEASE is a symlink: refused, and
# the refusal (stderr, audit) quotes the note, never the file.
timeout 20 "$SITREP" -c "$TMP/c.json" do rollback r1 --yes >"$TMP/r1.out" 2>"$TMP/r1.err"
check "rollback to r1 (BAD_RELEASE unreadable) exits 1" test $? = 1
check "... saying it is marked bad because BAD_RELEASE is a symlink" grep -q "release r1 is marked bad: BAD_RELEASE is a symlink: not read" "$TMP/r1.err"
timeout 20 "$SITREP" -c "$TMP/c.json" do rollback r8 --yes >"$TMP/r8.out" 2>"$TMP/r8.err"
check "rollback to r8 (a symlink out of releases/) exits 1" test $? = 1
check "... saying it is a symlink" grep -q "release r8 is marked symlink" "$TMP/r8.err"
check "... current unchanged, no restart" test "$(readlink "$APP/current")" = releases/r3 -a ! -e "$MARKER"
# The default rollback goes to r2 (older than r3, not bad): its effect and
# outcome are in the audit; the secret is not.
timeout 20 "$SITREP" -c "$TMP/c.json" do rollback --yes >"$TMP/rb.out" 2>"$TMP/rb.err"
check "the default rollback goes to r2 and exits 0" test $? = 0 -a "$(readlink "$APP/current")" = releases/r2
check "stderr, stdout, the audit log and the timeline never hold the secret" \
	no_secret "$TMP/r1.out" "$TMP/r1.err" "$TMP/r8.out" "$TMP/r8.err" "$TMP/rb.out" "$TMP/rb.err" "$TMP/state"
check "the audit recorded the refusals with the note" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/audit.jsonl')]
f=[l for l in L if l['target']=='r1' and l['result']=='failed']
assert f and 'BAD_RELEASE is a symlink: not read' in f[0]['what'] + f[0].get('outcome', '') + json.dumps(f[0]), L"

finish
