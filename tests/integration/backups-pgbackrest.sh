#!/usr/bin/env bash
# Integration: the "pgbackrest" source of a backups pane against a real
# PostgreSQL whose archive_command is pgBackRest's archive-push, with a
# stanza and backups made by the test in its temp dir. --once --json shows
# the newest backup (type, size, stop LSN), the one before it, and the data
# at risk from pg_stat_archiver and pg_current_wal_lsn() (through psql):
# the WAL written since the newest backup's stop position. The restore
# commands for production name the stanza and the backup's label. Faults:
# the archiver failing (archive_command that fails) is crit; a stanza that
# does not exist is the pane's error; a pgbackrest that hangs is killed and
# the pane says so. `sitrep do backup` takes an incremental backup (done when
# pgbackrest info shows it); `sitrep do verify` restores the newest into a
# new scratch directory, starts it with pg_ctl on a free port, counts rows
# and removes it, the production cluster untouched.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../backups.bash"
command -v pgbackrest >/dev/null || skip_all "no pgbackrest"

R=$TMP/pgbr
mkdir -p "$R"
[ "$(id -u)" = 0 ] && chown postgres: "$R"
PGBR_CONF=$R/pgbackrest.conf
pg_conf() {
	cat >"$PGBR_CONF" <<CONF
[global]
repo1-path=$R/repo
repo1-retention-full=9999
log-path=$R/log
lock-path=$R/lock
spool-path=$R/spool
log-level-console=warn
log-level-file=off
start-fast=y
archive-timeout=20
[app]
pg1-path=$TMP/pg/data
pg1-port=$PG_PORT
pg1-socket-path=$TMP/pg
CONF
	[ "$(id -u)" = 0 ] && chown postgres: "$PGBR_CONF"
	chmod 644 "$PGBR_CONF"
}
# archive_command: pgBackRest's archive-push, failing while $R/fail exists
# (the archive unreachable); the port is known once the server is up and
# archive-push reads the file when it runs
cat >"$R/archive" <<SH
#!/bin/sh
[ -e "$R/fail" ] && { echo "archive unreachable" >&2; exit 1; }
exec pgbackrest --config="$PGBR_CONF" --stanza=app archive-push "\$1"
SH
chmod 755 "$R/archive"
pg_up "$TMP/pg" -c archive_mode=on -c wal_level=replica -c "archive_command=$R/archive %p"
pg_conf
pgbr() { as_pg pgbackrest --config="$PGBR_CONF" --stanza=app "$@"; }
pgbr stanza-create >"$R/create.log" 2>&1 || { diag <"$R/create.log"; not_ok "stanza-create"; finish; }
pg_sql -d postgres -c "create database app" >/dev/null
pg_sql -d app -c "create table t as select generate_series(1, 50000) x" >/dev/null
pgbr backup --type=full >"$R/b1.log" 2>&1 || { diag <"$R/b1.log"; not_ok "full backup"; finish; }
pg_sql -d app -c "insert into t select generate_series(1, 50000)" >/dev/null
pgbr backup --type=incr >"$R/b2.log" 2>&1 || { diag <"$R/b2.log"; not_ok "incr backup"; finish; }
# WAL written after the backup: what a restore to it would lose
pg_sql -d app -c "insert into t select generate_series(1, 200000)" >/dev/null
mkdir -p "$TMP/state"

config() { # config STANZA [EXTRA]
	cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "pgbr", "kind": "backups", "source": "pgbackrest", "stanza": "$1", "config": "$PGBR_CONF",
    "conninfo": "host=127.0.0.1 port=$PG_PORT user=postgres dbname=app", "max_age": "1h" ${2:-} } ] }
JSON
	chmod 600 "$TMP/c.json"
}
once() { "$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"; }
q() { python3 -c "
import json,sys
p=json.load(open('$TMP/once.json'))['panes'][0]
s=(p['data']['sets'] or [None])[0]
ok=($1)
if not ok: print(json.dumps(p, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)" 2>&1 | diag; return "${PIPESTATUS[0]}"; }

config app
once
check "--once --json exits 0" test $? = 0
LABELS=$(pgbackrest --config="$PGBR_CONF" --stanza=app info --output=json | python3 -c "
import json,sys; print(' '.join(b['label'] for b in json.load(sys.stdin)[0]['backup']))")
read -r FULL INCR <<<"$LABELS"
check "newest is the incremental, previous the full, verdict ok" \
	q "s['verdict']=='ok' and s['newest']['type']=='incr' and s['newest']['label']=='$INCR' and s['previous']['label']=='$FULL'"
check "sizes and the stop LSN are pgBackRest's" \
	q "s['newest']['size']>0 and s['newest']['stored']>0 and '/' in s['newest']['stop_lsn']"
CUR=$(pg_sql -d app -c "select pg_current_wal_lsn() - '$(python3 -c "import json;print(json.load(open('$TMP/once.json'))['panes'][0]['data']['sets'][0]['newest']['stop_lsn'])")'::pg_lsn")
check "at risk: the WAL written since the backup's stop LSN (bytes) and its age" \
	q "s['at_risk']['wal_bytes']>1000000 and s['at_risk']['wal_bytes']<=$CUR and s['at_risk']['seconds']>=0 and not s['at_risk']['archiver_failing']"
check "the restore point archiving still allows is named" q "'WAL archived up to' in s['at_risk']['restore_point']"
check "the production restore commands name the stanza and the label" \
	q "any('--stanza=app --delta --set=$INCR --type=immediate' in l for l in s['restore']) and any(l.endswith('restore # newest backup plus every archived WAL segment: loses only what was not archived') for l in s['restore'])"
"$SITREP" --once -c "$TMP/c.json" >"$TMP/once.txt" 2>&1
check "--once text: at risk in MB of WAL and minutes" grep -qE "at risk: [0-9]+ MB WAL, [0-9]+ s" "$TMP/once.txt"

# B and V: as the server's user (root cannot run pgbackrest or pg_ctl on its files)
mkdir -p "$TMP/scratch"
[ "$(id -u)" = 0 ] && chown postgres: "$TMP/scratch"
AS_JSON=""
[ "$(id -u)" = 0 ] && AS_JSON='"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", '
config app ', "command": ['"$AS_JSON"'"pgbackrest"], "pg_ctl": ['"$AS_JSON"'"'"$PG_BIN/pg_ctl"'"],
    "scratch_dir": "'"$TMP/scratch"'", "verify_database": "app",
    "backup": ['"$AS_JSON"'"pgbackrest", "--config='"$PGBR_CONF"'", "--stanza=app", "backup", "--type=incr"]'
"$SITREP" -c "$TMP/c.json" do backup --yes >"$TMP/out" 2>&1
check "do backup (incr) exits 0" test $? = 0
NEWEST=$(pgbackrest --config="$PGBR_CONF" --stanza=app info --output=json | python3 -c "
import json,sys; print(json.load(sys.stdin)[0]['backup'][-1]['label'])")
check "its outcome names the new backup pgbackrest lists, with its size" grep -qE "new backup $NEWEST \(incr, [0-9.]+[KMG]\)" "$TMP/out"
ROWS=$(pg_sql -d app -c "select count(*) from t")
"$SITREP" -c "$TMP/c.json" do verify --yes >"$TMP/out" 2>&1
rc=$?
check "do verify exits 0" test $rc = 0
[ $rc = 0 ] || diag <"$TMP/out"
check "restored into a scratch directory on another port, rows counted, removed" \
	grep -qE "restored $NEWEST into directory $TMP/scratch/sitrep-verify-[0-9T_]+, port [0-9]+ in [0-9.]+ s: t $ROWS rows; scratch removed" "$TMP/out"
check "no scratch directory is left" bash -c "! ls -d '$TMP'/scratch/sitrep-verify-* 2>/dev/null"
check "no scratch server is left" bash -c "! pgrep -f '[p]ostgres -D $TMP/scratch/sitrep-verify' >/dev/null"
check "production still answers with its rows" test "$(pg_sql -d app -c 'select count(*) from t')" = "$ROWS"
check "the restore never named production's data directory" bash -c "! grep 'pg1-path=$TMP/pg/data' '$TMP/state/audit.jsonl'"

# a stanza that does not exist: the pane's error, exit 1
config nosuch
once
check "--once exits 1 for a stanza that does not exist" test $? = 1
check "the pane's error names pgbackrest's complaint" q "p['state']=='error' and 'pgbackrest' in p['error']"

# a pgbackrest that hangs: killed at the timeout, the pane's error says so
cat >"$TMP/hang" <<'SH'
#!/bin/sh
exec sleep 317
SH
chmod +x "$TMP/hang"
config app ', "command": ["'"$TMP/hang"'"]'
SITREP_ONCE_TIMEOUT=3 "$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>/dev/null
check "a hanging pgbackrest: --once gives up, the pane still init, why said" q "p['state']=='init' and 'no answer within 3 s' in p['pending']"
check "and its sleep is not left behind" wait_for 5 bash -c "! pgrep -f '^sleep 317\$'"

# the archiver fails: crit
touch "$R/fail"
pg_sql -d app -c "insert into t select generate_series(1, 1000)" >/dev/null
pg_sql -d postgres -c "select pg_switch_wal()" >/dev/null
wait_for 30 bash -c "[ \"\$(psql -X -A -t -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -c 'select failed_count > 0 from pg_stat_archiver')\" = t ]"
config app
once
check "a failing archiver is crit, with its failures" \
	q "s['verdict']=='crit' and 'archiving is failing' in s['reason'] and s['at_risk']['archiver_failing'] and s['at_risk']['failed_count']>0"
finish
