#!/usr/bin/env bash
# Integration: the "dir" source of a backups pane against real dumps of a
# real PostgreSQL made by the test (pg_dump custom, plain through gzip and
# zstd), checked by the real tools ("verify": pg_restore --list, gzip -t,
# zstd -t). Faults: a zero-byte newest dump, a truncated gzip, a much smaller
# dump (shrink), a hostile file name (inert: shown escaped, never a shell
# word), a symlinked dump pointing out of the directory (not followed), the
# directory vanishing (crit). Against deploys: with a releases pane whose
# r3 went out with no backup since r2, "no backup since r3" is in the set
# and among the causes; a dump taken before r3 turns it into "newest backup
# ... before r3".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../backups.bash"
for t in pg_dump pg_restore gzip zstd; do command -v $t >/dev/null || skip_all "no $t"; done

pg_up "$TMP/pg"
pg_sql -d postgres -c "create database app" >/dev/null
pg_sql -d app -c "create table orders as select g as id, md5(g::text) as note from generate_series(1, 20000) g" >/dev/null
B=$TMP/backups
mkdir -p "$B" "$TMP/state"
dump() { pg_dump -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@" app; }
dump -Fc -f "$B/app-1.dump"
touch -d '-3 hours' "$B/app-1.dump"
dump -Fc -f "$B/app-2.dump"
touch -d '-1 hour' "$B/app-2.dump"

config() { # config GLOB [EXTRA_PANES]
	cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "dumps", "kind": "backups", "source": "dir", "glob": "$1", "verify": true,
    "max_age": "26h", "database": "app" } ${2:-} ] }
JSON
	chmod 600 "$TMP/c.json"
}
# run from $TMP: a name that a shell would run would leave its file here
once() { (cd "$TMP" && "$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"); }
# q EXPR: a Python expression over s (the set) and p (the pane) holds
q() { python3 -c "
import json,sys
p=[x for x in json.load(open('$TMP/once.json'))['panes'] if x['id']=='dumps'][0]
s=p['data']['sets'][0]
ok=($1)
if not ok: print(json.dumps(p, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)" 2>&1 | diag; return "${PIPESTATUS[0]}"; }

config "$B/app-*"
once
check "--once --json exits 0" test $? = 0
check "custom dumps: newest is app-2.dump, verdict ok, two found" \
	q "s['verdict']=='ok' and s['newest']['label']=='app-2.dump' and s['previous']['label']=='app-1.dump' and s['count']==2"
check "the newest is a custom dump checked by pg_restore --list" \
	q "s['newest']['format']=='custom' and s['verified'].startswith('pg_restore --list: ') and int(s['verified'].split(': ')[1].split()[0])>=2"
check "its path and size are the file's" \
	q "s['newest']['path']=='$B/app-2.dump' and s['newest']['size']==$(stat -c %s "$B/app-2.dump")"
check "the restore command for production names the dump and the database" \
	q "any('pg_restore --clean --if-exists --no-owner -d app $B/app-2.dump' in l for l in s['restore'])"
check "no deploys pane: since_deploy is null" q "s['since_deploy'] is None"

# gzip and zstd of plain dumps, checked by their tools
dump | gzip >"$B/app-3.sql.gz"
touch -d '-50 min' "$B/app-3.sql.gz"
once
check "a gzip plain dump is the newest, gzip -t passes" \
	q "s['verdict']=='ok' and s['newest']['format']=='gzip' and s['verified']=='gzip -t: ok'"
dump | zstd -q >"$B/app-4.sql.zst"
touch -d '-40 min' "$B/app-4.sql.zst"
once
check "a zstd plain dump is the newest, zstd -t passes" \
	q "s['verdict']=='ok' and s['newest']['format']=='zstd' and s['verified']=='zstd -t: ok'"

# a truncated gzip: gzip -t fails, the set is crit
head -c 20000 "$B/app-3.sql.gz" >"$B/app-5.sql.gz"
touch -d '-30 min' "$B/app-5.sql.gz"
once
check "a truncated gzip is caught by gzip -t: crit" \
	q "s['verdict']=='crit' and not s['newest']['complete'] and 'gzip -t' in s['newest']['problem']"
rm "$B/app-5.sql.gz"

# a much smaller dump: the shrink check warns
pg_sql -d app -c "truncate orders" >/dev/null
dump -Fc -f "$B/app-6.dump"
touch -d '-20 min' "$B/app-6.dump"
once
check "a dump 50 % smaller than the one before: warn, saying how much" \
	q "s['verdict']=='warn' and '% smaller than the one before' in s['reason']"

# a zero-byte newest: crit
: >"$B/app-7.dump"
once
check "a zero-byte newest dump: crit" \
	q "s['verdict']=='crit' and 'zero bytes' in s['reason'] and s['newest']['size']==0"
rm "$B/app-7.dump" "$B/app-6.dump"

# a hostile name: shown escaped, checked as one argv element, nothing run
HOSTILE=$'app-\e]0;owned\a\e[2J$(touch pwned)`touch pwned2`;-rf.dump'
cp "$B/app-2.dump" "$B/$HOSTILE"
once
check "a hostile file name is the newest, verified as it is" \
	q "s['verdict']=='ok' and s['newest']['format']=='custom' and s['verified'].startswith('pg_restore --list')"
check "its name reaches the output with no escape byte" bash -c "! grep -q $'\e' '$TMP/once.json'"
check "nothing in it was run" bash -c "! ls '$TMP'/pwned* '$TMP'/backups/pwned* 2>/dev/null"
"$SITREP" --once -c "$TMP/c.json" >"$TMP/once.txt" 2>&1
check "--once text has no escape byte either" bash -c "! grep -q $'\e' '$TMP/once.txt'"
check "the restore command quotes the hostile path for a shell" \
	q "any(\"'$B/app-\" in l and l.endswith(\"-rf.dump'\") for l in s['restore'])"
rm "$B/$HOSTILE"

# a symlinked dump out of the directory: never followed, named
printf 'PGDMP' >"$TMP/outside.dump"
ln -s "$TMP/outside.dump" "$B/app-9.dump"
ln -s /etc/shadow "$B/app-8.dump"
once
check "symlinks out of the directory are not backups" q "s['newest']['label']=='app-4.sql.zst' and s['count']==4"
check "they are named in the pane's warning" q "'symlinks out of the directory' in (p.get('warning') or '')"
rm "$B/app-9.dump" "$B/app-8.dump"

# against the deploys: r3 deployed with no backup since r2
APP=$TMP/app
mkdir -p "$APP/releases/r1" "$APP/releases/r2" "$APP/releases/r3"
touch -d '-5 hours' "$APP/releases/r1"
touch -d '-2 hours' "$APP/releases/r2"
touch -d '-10 min' "$APP/releases/r3"
ln -s releases/r3 "$APP/current"
mkdir "$TMP/b2"
cp -p "$B/app-1.dump" "$TMP/b2/app-1.dump"   # 3 h old: before r2
DEPLOYS=', { "id": "deploys", "kind": "deploys", "source": "releases", "path": "'$APP'" }'
config "$TMP/b2/app-*" "$DEPLOYS"
once
check "r3 went out with no backup since r2: \"no backup since r3\"" \
	q "s['since_deploy']['deploy']=='r3' and s['since_deploy']['ok']==False and s['since_deploy']['text'].startswith('no backup since r3')"
"$SITREP" --once -c "$TMP/c.json" >"$TMP/once.txt" 2>&1
check "--once text says it too" grep -q "no backup since r3" "$TMP/once.txt"
cp "$B/app-2.dump" "$TMP/b2/app-2.dump"
touch -d '-25 min -30 sec' "$TMP/b2/app-2.dump"
once
check "a dump 15 min before r3 covers it" \
	q "s['since_deploy']['ok'] and s['since_deploy']['seconds_before'] in range(900, 960) and s['since_deploy']['text']=='newest backup 15 min before r3 \u2713'"

# the directory vanishes: crit with the reason, not a silent stale pane
config "$B/app-*"
rm -rf "$B"
once
check "a vanished backup directory is crit, saying why" \
	q "s['verdict']=='crit' and 'No such file or directory' in s['reason'] and s['newest'] is None"
finish
