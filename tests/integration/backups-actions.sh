#!/usr/bin/env bash
# Integration: the backups pane's verbs through the gate, against a real
# PostgreSQL and real pg_dump/pg_restore made by the test. `sitrep do
# backup --yes` runs the configured argv and is done when a new usable dump
# shows (exit 0, its size in the outcome, audited); `sitrep do verify --yes`
# restores the newest dump into a new database sitrep_verify_*, counts the
# rows of its largest tables, reports the restore time and drops it: the
# production database is untouched and no scratch database is left. Faults:
# read-only refuses both (exit 3, nothing run); a backup command that hangs
# is killed at its timeout and recorded unknown (exit 1, its child gone);
# one that fails is recorded failed; one that writes a zero-byte dump is
# failed (not usable); a dump with a hostile name is restored as one argv
# element (nothing else runs).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../backups.bash"
for t in pg_dump pg_restore psql; do command -v $t >/dev/null || skip_all "no $t"; done

pg_up "$TMP/pg"
pg_sql -d postgres -c "create database app" >/dev/null
pg_sql -d app -c "create table orders as select g as id from generate_series(1, 12345) g" >/dev/null
pg_sql -d app -c "create table users as select g as id from generate_series(1, 77) g" >/dev/null
B=$TMP/backups
mkdir -p "$B" "$TMP/state"
CONN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=app"

config() { # config BACKUP_ARGV_JSON [EXTRA]
	cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "dumps", "kind": "backups", "source": "dir", "glob": "$B/app-*", "conninfo": "$CONN",
    "database": "app", "scratch_dir": "$TMP", "backup": $1, "backup_timeout_seconds": 3 ${2:-} } ] }
JSON
	chmod 600 "$TMP/c.json"
}
DUMP='["pg_dump", "-Fc", "-h", "127.0.0.1", "-p", "'$PG_PORT'", "-U", "postgres", "-f", "'$B'/app-{time}.dump", "app"]'
config "$DUMP"
audit_last() { tail -1 "$TMP/state/audit.jsonl" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(d['action'], d['result'], d.get('detail',''))"; }
scratch_dbs() { pg_sql -d postgres -c "select count(*) from pg_database where datname like 'sitrep_verify_%'"; }

# read-only: refused, nothing run
"$SITREP" -c "$TMP/c.json" --read-only do backup --yes >/dev/null 2>&1
check "read-only: do backup exits 3" test $? = 3
"$SITREP" -c "$TMP/c.json" --read-only do verify --yes >/dev/null 2>&1
check "read-only: do verify exits 3" test $? = 3
check "read-only: no dump was made" bash -c "! ls '$B'/app-* 2>/dev/null"
check "read-only: the refusals are recorded" bash -c "grep -c '\"result\":\"refused\"' '$TMP/state/audit.jsonl' | grep -qx 2"

# backup: done when the new dump shows, with its size
"$SITREP" -c "$TMP/c.json" do backup --yes >"$TMP/out" 2>&1
check "do backup exits 0" test $? = 0
DUMPFILE=$(ls "$B"/app-*.dump 2>/dev/null | head -1)
check "a new dump is there" test -s "$DUMPFILE"
check "the outcome names it and its size" grep -qE "new backup $(basename "$DUMPFILE") \(dump, [0-9.]+[KMG]?\)" "$TMP/out"
check "audited ok, with the argv in what" bash -c "tail -1 '$TMP/state/audit.jsonl' | grep -q '\"result\":\"ok\"' && grep -q 'argv: pg_dump -Fc' '$TMP/state/audit.jsonl'"

# verify: a new scratch database, rows counted, dropped; production untouched
"$SITREP" -c "$TMP/c.json" do verify --yes >"$TMP/out" 2>&1
check "do verify exits 0" test $? = 0
check "the outcome has the restore time and the row counts" \
	grep -qE "restored $(basename "$DUMPFILE") into database sitrep_verify_[0-9t_]+ in [0-9.]+ s: orders 12345 rows, users 77 rows; scratch removed" "$TMP/out"
check "no scratch database is left" test "$(scratch_dbs)" = 0
check "production is untouched" test "$(pg_sql -d app -c 'select count(*) from orders')" = 12345
check "the dialog's effect lists every command (create, pg_restore, drop)" bash -c "
	grep -q 'setup: argv: psql -X -q -v ON_ERROR_STOP=1 -d .*create database sitrep_verify_' '$TMP/state/audit.jsonl' &&
	grep -q 'restore: argv: pg_restore --no-owner --no-acl --exit-on-error -d' '$TMP/state/audit.jsonl' &&
	grep -q 'cleanup: argv: psql .*drop database sitrep_verify_' '$TMP/state/audit.jsonl'"

# a hostile dump name: one argv element, restored; nothing else runs
HOSTILE=$'app-$(touch pwned)`touch pwned2`;\e[31m -rf.dump'
cp "$DUMPFILE" "$B/$HOSTILE"
touch -d '+1 min' "$B/$HOSTILE"
(cd "$TMP" && "$SITREP" -c "$TMP/c.json" do verify --yes >"$TMP/out" 2>&1)
check "a hostile dump name is verified like any other" test $? = 0
check "nothing in its name ran" bash -c "! ls '$TMP'/pwned* '$B'/pwned* 2>/dev/null"
check "its name is shown escaped" bash -c "! grep -q $'\e' '$TMP/out' '$TMP/state/audit.jsonl'"
rm -f "$B/$HOSTILE"
check "no scratch database is left" test "$(scratch_dbs)" = 0

# a backup command that fails: failed
cat >"$TMP/fail" <<'SH'
#!/bin/sh
echo "pg_dump: error: connection refused" >&2
exit 3
SH
chmod +x "$TMP/fail"
config '["'"$TMP/fail"'"]'
"$SITREP" -c "$TMP/c.json" do backup --yes >"$TMP/out" 2>&1
check "a failing backup command: exit 1" test $? = 1
check "recorded failed, with its words" bash -c "audit_last() { :; }; tail -1 '$TMP/state/audit.jsonl' | grep -q '\"result\":\"failed\"' && grep -q 'connection refused' '$TMP/out'"

# a backup command that hangs: killed at its timeout, unknown, its child gone
cat >"$TMP/hang" <<'SH'
#!/bin/sh
sleep 431
SH
chmod +x "$TMP/hang"
config '["'"$TMP/hang"'"]'
"$SITREP" -c "$TMP/c.json" do backup --yes >"$TMP/out" 2>&1
check "a hanging backup command: exit 1" test $? = 1
check "recorded unknown (it may have left a backup)" bash -c "tail -1 '$TMP/state/audit.jsonl' | grep -q '\"result\":\"unknown\"' && grep -q 'killed at its timeout' '$TMP/out'"
check "its sleep is gone" wait_for 5 bash -c "! pgrep -f '^sleep 431\$'"

# a backup command that writes a zero-byte dump: not usable, failed
config '["touch", "'"$B"'/app-{time}-empty.dump"]'
"$SITREP" -c "$TMP/c.json" do backup --yes >"$TMP/out" 2>&1
check "a zero-byte dump: exit 1" test $? = 1
check "failed: the new backup is not usable (zero bytes)" grep -q "not usable: zero bytes" "$TMP/out"
finish
