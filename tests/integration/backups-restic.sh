#!/usr/bin/env bash
# Integration: the "restic" source of a backups pane against a real local
# restic repository made by the test, its password in a file the test
# writes (a secret: it must never appear in any output, even when restic
# fails). --once --json shows the newest snapshot and the one before with
# their restore sizes (restic stats), the verdict, and the production
# restore command with the snapshot's id. A directory with a hostile name
# is backed up: its name is shown escaped. A wrong password is the pane's
# error, still without the password. `sitrep do backup` runs the configured
# restic backup and is done when the new snapshot shows; `sitrep do verify`
# restores the newest snapshot into a scratch directory, counts its files
# and removes it.
source "$(dirname "$0")/../lib.sh"
command -v restic >/dev/null || skip_all "no restic"
unset RESTIC_PASSWORD RESTIC_PASSWORD_FILE RESTIC_REPOSITORY

PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$PW" >"$TMP/pw"
chmod 600 "$TMP/pw"
REPO=$TMP/repo
DATA=$TMP/uploads
mkdir -p "$DATA" "$TMP/state"
head -c 200000 /dev/urandom >"$DATA/a.bin"
head -c 100000 /dev/urandom >"$DATA/b.bin"
r() { RESTIC_PASSWORD_FILE=$TMP/pw restic -r "$REPO" "$@"; }
r init -q >/dev/null 2>&1 || { not_ok "restic init"; finish; }
r backup -q "$DATA" >/dev/null || { not_ok "restic backup"; finish; }
HOSTILE=$TMP/$'up\e[2Jloads'
mkdir "$HOSTILE"
echo x >"$HOSTILE/x"
r backup -q "$DATA" "$HOSTILE" >/dev/null || { not_ok "restic backup 2"; finish; }

config() { # config PASSWORD_FILE
	cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "files", "kind": "backups", "source": "restic", "repository": "$REPO",
    "password_file": "$1", "max_age": "1d" } ] }
JSON
	chmod 600 "$TMP/c.json"
}
q() { python3 -c "
import json,sys
p=json.load(open('$TMP/once.json'))['panes'][0]
s=(p['data']['sets'] or [None])[0]
ok=($1)
if not ok: print(json.dumps(p, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)" 2>&1 | diag; return "${PIPESTATUS[0]}"; }

config "$TMP/pw"
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"
check "--once --json exits 0" test $? = 0
IDS=$(r snapshots --json | python3 -c "import json,sys; print(' '.join(s['id'] for s in sorted(json.load(sys.stdin), key=lambda s: s['time'])))")
read -r OLD NEW <<<"$IDS"
check "newest and previous snapshots, by restic's ids, verdict ok" \
	q "s['verdict']=='ok' and s['newest']['path']=='$NEW' and s['previous']['path']=='$OLD' and s['newest']['type']=='snapshot' and s['count']==2"
SIZE=$(r stats --json --mode restore-size "$NEW" | python3 -c "import json,sys; print(json.load(sys.stdin)['total_size'])")
check "the newest's size is restic's restore size" q "s['newest']['size']==$SIZE and s['previous']['size']>=300000"
check "the hostile directory name is shown escaped" bash -c "! grep -q $'\e' '$TMP/once.json' && grep -q 'up.*loads' '$TMP/once.json'"
check "the restore command names the repository and the snapshot" \
	q "any('-r $REPO restore $NEW --target /' in l for l in s['restore'])"
"$SITREP" --once -c "$TMP/c.json" >"$TMP/once.txt" 2>&1
check "--once text lists the snapshots" grep -q "snapshot  ${NEW:0:8}" "$TMP/once.txt"

# B and V: a backup by the configured argv, then a restore into a scratch directory
config "$TMP/pw"
python3 - "$TMP/c.json" "$REPO" "$TMP/pw" "$DATA" "$TMP" <<'PY'
import json, sys
path, repo, pw, data, tmp = sys.argv[1:]
c = json.load(open(path))
c["panes"][0]["backup"] = ["restic", "-r", repo, "--password-file", pw, "backup", "-q", data]
c["panes"][0]["scratch_dir"] = tmp
json.dump(c, open(path, "w"))
PY
head -c 50000 /dev/urandom >"$DATA/c.bin"
"$SITREP" -c "$TMP/c.json" do backup --yes >"$TMP/act.out" 2>&1
check "do backup exits 0" test $? = 0
NEWEST=$(r snapshots --json | python3 -c "import json,sys; print(sorted(json.load(sys.stdin), key=lambda s: s['time'])[-1]['id'][:8])")
check "its outcome names the new snapshot with its size" grep -qE "new backup $NEWEST .*\(snapshot, [0-9.]+[KMG]?\)" "$TMP/act.out"
"$SITREP" -c "$TMP/c.json" do verify --yes >>"$TMP/act.out" 2>&1
check "do verify exits 0" test $? = 0
check "restored into a scratch directory, files counted, removed" \
	grep -qE "restored $NEWEST .* into directory $TMP/sitrep-verify-[0-9T_]+ in [0-9.]+ s: 3 files; scratch removed" "$TMP/act.out"
check "no scratch directory is left" bash -c "! ls -d '$TMP'/sitrep-verify-* 2>/dev/null"
check "the password is in no output and no record" bash -c "! grep -rqF -- '$PW' '$TMP/act.out' '$TMP/state'"

# a wrong password: the pane's error, the password nowhere
printf 'not-the-password\n' >"$TMP/bad"
chmod 600 "$TMP/bad"
config "$TMP/bad"
"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>>"$TMP/once.err"
check "a wrong password: --once exits 1, the pane in error" test $? = 1
check "the error is restic's" q "p['state']=='error' and 'restic snapshots' in p['error']"
check "the secret never appears in any output" bash -c "! grep -qF -- '$PW' '$TMP/once.json' '$TMP/once.txt' '$TMP/once.err' && ! grep -rqF -- '$PW' '$TMP/state'"
check "nor does the wrong one" bash -c "! grep -qF -- 'not-the-password' '$TMP/once.json'"
finish
