#!/usr/bin/env bash
# Integration: a database action names a session by its identity, not by its
# pid. Against a real PostgreSQL (started here, stopped by its pid), driven
# through `sitrep do cancel` on a terminal (a pty: the confirmation is
# answered only after the test has changed the server under it):
# - the confirmation shows the identity it will act on (pid, backend_start,
#   query_start, as the server has them);
# - a session that ends between the confirmation and the action is reported
#   "ended before the action", recorded so in the audit log, and a new session
#   is not touched;
# - a session whose query finished and which runs another one keeps it;
# - an identity with the right pid and another backend_start (what a reused
#   pid looks like) is never acted on: the real session keeps running;
# - a group cancel acts on the sessions the confirmation listed; sessions of
#   the group that start after it are counted and keep running.
# Every part fails on a sitrep that names sessions by pid alone.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/data/postgres/pg.bash"
trap 'pg_down; cleanup' EXIT
pg_have || skip_all "postgresql not installed (scripts/install-deps --test)"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

pg_up || {
	cat "$PG_DIR"/*.log | diag
	not_ok "postgres started"
	finish
}
ok "postgres started on 127.0.0.1:$PG_PORT (pid $(pg_pid))"

STATE=$TMP/state
cat >"$TMP/db.json" <<JSON
{ "state_dir": "$STATE", "panes": [
  { "id": "db", "kind": "database", "source": "postgres",
    "conninfo": "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres",
    "connect_timeout_seconds": 2, "query_timeout_seconds": 2 } ] }
JSON
chmod 600 "$TMP/db.json"
AUDIT=$STATE/audit.jsonl
q() { pg_psql -Atc "$1"; }
pid_of() { q "select pid from pg_stat_activity where application_name = '$1'"; }
has_app() { [ -n "$(pid_of "$1")" ]; }
# what the server says about a session: backend_start|query_start|state, as text in UTC
ident() { PGTZ=UTC PGDATESTYLE='ISO, YMD' pg_psql -Atc "select backend_start::text || '|' || query_start::text || '|' || state from pg_stat_activity where pid = $1"; }

# confirm OUT HOOK ARGS...: runs sitrep ARGS on a pty; when it asks, saves
# what it showed to OUT.prompt, runs HOOK (bash), then answers y. The whole
# conversation goes to OUT; returns sitrep's exit status.
confirm() {
	local out=$1 hook=$2
	shift 2
	python3 - "$out" "$hook" "$SITREP" "$@" <<'PY'
import os, pty, subprocess, sys, time
out, hook, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
buf = b""
def read(until, limit):
    global buf
    end = time.time() + limit
    while until not in buf and time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    return until in buf
asked = read(b"[y/N] ", 20) or read(b"nothing is sent: ", 0.1)
open(out + ".prompt", "wb").write(buf)
if asked:
    subprocess.run(["bash", "-c", hook], check=False)
    os.write(fd, b"y\n")
read(b"\0", 30)
open(out, "wb").write(buf)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

# --- 1. the session ends between the confirmation and the action ---------
PG_APP=gone1 pg_bg gone1 "select pg_sleep(60), 'gone1'"
wait_for 5 has_app gone1
P1=$(pid_of gone1)
IFS='|' read -r BS1 QS1 _ <<<"$(ident "$P1")"
confirm "$TMP/c1" "psql -X -q -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc 'select pg_terminate_backend($P1)' >/dev/null; sleep 0.5; PGAPPNAME=after1 psql -X -q -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -c \"select pg_sleep(60), 'after1'\" >$TMP/after1.out 2>&1 & echo \$! >$TMP/after1.pid; sleep 1" \
	do cancel "$P1" -c "$TMP/db.json"
rc=$?
track_pid "$(cat "$TMP/after1.pid")"
diag <"$TMP/c1"
check "the confirmation shows the identity it acts on (pid $P1, backend_start $BS1, query_start $QS1)" \
	grep -qF "WHERE pid = $P1 AND backend_start = '$BS1' AND query_start = '$QS1';" "$TMP/c1.prompt"
check "... and says it in words" grep -qF "backend pid $P1 (session started $BS1, query started $QS1)" "$TMP/c1.prompt"
check "ended between the confirmation and the action: exit 1 (rc=$rc)" test "$rc" = 1
check "... reported 'ended before the action', not ok" grep -q "the query ended before the action (pid $P1): not touched" "$TMP/c1"
check "... and nothing is said to have stopped" bash -c "! grep -q 'query stopped' '$TMP/c1'"
check "the audit log records it as such (failed, ended before the action)" python3 - "$AUDIT" "$P1" "$BS1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
last = lines[-1]
assert last["action"] == "cancel" and last["target"] == sys.argv[2], last
assert last["result"] == "failed" and "ended before the action" in last["detail"], last
assert "backend_start = '%s'" % sys.argv[3] in last["what"], last
assert lines[-2]["result"] == "started", lines[-2]
PY
A1=$(pid_of after1)
check "a session started meanwhile is not touched (pid $A1 runs on)" \
	bash -c "[ -n '$A1' ] && [ \"\$(psql -X -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc 'select state from pg_stat_activity where pid = $A1')\" = active ] && ! grep -q cancel '$TMP/after1.out'"

# --- 2. the session runs another query by the time of the action --------
printf "select pg_sleep(8), 'first';\nselect pg_sleep(60), 'second';\n" >"$TMP/two.sql"
PGAPPNAME=twoq pg_psql -f "$TMP/two.sql" >"$TMP/twoq.out" 2>&1 &
track_pid $!
wait_for 5 has_app twoq
P2=$(pid_of twoq)
IFS='|' read -r BS2 QS2 _ <<<"$(ident "$P2")"
confirm "$TMP/c2" "for i in \$(seq 150); do [ \"\$(psql -X -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc \"select count(*) from pg_stat_activity where pid = $P2 and query like '%second%'\")\" = 1 ] && break; sleep 0.2; done; sleep 0.3" \
	do cancel "$P2" -c "$TMP/db.json"
rc=$?
diag <"$TMP/c2"
IFS='|' read -r BS2b QS2b ST2b <<<"$(ident "$P2")"
check "the first query was named (query_start $QS2)" grep -qF "AND query_start = '$QS2';" "$TMP/c2.prompt"
check "its query finished and the session runs another: exit 1 (rc=$rc), ended before the action" \
	bash -c "[ $rc = 1 ] && grep -q 'the query ended before the action (pid $P2)' '$TMP/c2'"
check "... the second query runs on, uncancelled (same session, query_start $QS2b)" \
	bash -c "[ '$BS2b' = '$BS2' ] && [ '$QS2b' != '$QS2' ] && [ '$ST2b' = active ] && ! grep -q 'canceling statement' '$TMP/twoq.out'"

# --- 3. a forged identity: the right pid, another backend_start -----------
PG_APP=real3 pg_bg real3 "select pg_sleep(60), 'real3'"
wait_for 5 has_app real3
P3=$(pid_of real3)
IFS='|' read -r BS3 QS3 _ <<<"$(ident "$P3")"
FORGED=$(PGTZ=UTC PGDATESTYLE='ISO, YMD' pg_psql -Atc "select ('$BS3'::timestamptz - interval '1 microsecond')::text")
"$SITREP" do cancel "$P3" --backend-start "$FORGED" --query-start "$QS3" --yes -c "$TMP/db.json" >"$TMP/f1.txt" 2>&1
rc=$?
diag <"$TMP/f1.txt"
check "cancel with backend_start 1 µs off ($FORGED): exit 1 (rc=$rc), ended before the action" \
	bash -c "[ $rc = 1 ] && grep -q 'ended before the action (pid $P3)' '$TMP/f1.txt'"
"$SITREP" do cancel "$P3" --backend-start "$FORGED" --terminate --yes -c "$TMP/db.json" >"$TMP/f2.txt" 2>&1
rc=$?
check "terminate with that identity: exit 1 (rc=$rc), the session ended before the action" \
	bash -c "[ $rc = 1 ] && grep -q 'the session ended before the action (pid $P3)' '$TMP/f2.txt'"
"$SITREP" do cancel "$P3" --backend-start "$BS3" --query-start "$(PGTZ=UTC PGDATESTYLE='ISO, YMD' pg_psql -Atc "select ('$QS3'::timestamptz + interval '1 microsecond')::text")" --yes -c "$TMP/db.json" >"$TMP/f3.txt" 2>&1
rc=$?
check "cancel with the right session and another query_start: exit 1 (rc=$rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'ended before the action' '$TMP/f3.txt'"
IFS='|' read -r BS3b QS3b ST3b <<<"$(ident "$P3")"
check "the real session still runs its query (pg_stat_activity: $ST3b, same backend_start and query_start)" \
	bash -c "[ '$BS3b' = '$BS3' ] && [ '$QS3b' = '$QS3' ] && [ '$ST3b' = active ] && ! grep -qE 'canceling|terminat' '$TMP/real3.out'"
"$SITREP" do cancel "$P3" --backend-start "$BS3" --query-start "$QS3" --yes -c "$TMP/db.json" >"$TMP/f4.txt" 2>&1
rc=$?
check "the exact identity (as --once --json gives it) cancels it: exit 0 (rc=$rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'query stopped (pid $P3)' '$TMP/f4.txt'"
wait_for 5 grep -q "canceling statement due to user request" "$TMP/real3.out"
check "... the client saw the cancel" grep -q "canceling statement due to user request" "$TMP/real3.out"
"$SITREP" do cancel "$P3" --backend-start "2026-01-01 00:00:00+00'; select 1; --" --yes -c "$TMP/db.json" >"$TMP/f5.txt" 2>&1
rc=$?
check "a backend_start that is not a timestamp is a usage error (rc=$rc)" test "$rc" = 2

# --once --json carries the exact identity
PG_APP=json4 pg_bg json4 "select pg_sleep(60), 'json4'"
wait_for 5 has_app json4
P4=$(pid_of json4)
IFS='|' read -r BS4 QS4 _ <<<"$(ident "$P4")"
"$SITREP" --once --json -c "$TMP/db.json" >"$TMP/once.json" 2>/dev/null
check "--once --json gives backend_start and query_start as the server has them" python3 - "$TMP/once.json" "$P4" "$BS4" "$QS4" <<'PY'
import json, sys
qs = json.load(open(sys.argv[1]))["panes"][0]["data"]["queries"]
q = [q for q in qs if q["pid"] == int(sys.argv[2])][0]
assert q["backend_start"] == sys.argv[3] and q["query_start"] == sys.argv[4], q
PY

# --- 4. a group: newer sessions of the group are counted, not touched ---
for i in 1 2 3; do PG_APP=grp$i pg_bg grp$i "select pg_sleep(60.5)"; done
three() { [ "$(q "select count(*) from pg_stat_activity where application_name like 'grp%' and state = 'active'")" = 3 ]; }
wait_for 5 three
QID=$(q "select query_id from pg_stat_activity where application_name = 'grp1'")
confirm "$TMP/c4" "for i in 4 5; do PGAPPNAME=grp\$i psql -X -q -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -c 'select pg_sleep(60.5)' >$TMP/grp\$i.out 2>&1 & echo \$! >>$TMP/grp.pids; done; for i in \$(seq 150); do [ \"\$(psql -X -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc \"select count(*) from pg_stat_activity where application_name in ('grp4', 'grp5') and state = 'active'\")\" = 2 ] && break; sleep 0.2; done" \
	do cancel --group "$QID" -c "$TMP/db.json"
rc=$?
while read -r p; do track_pid "$p"; done <"$TMP/grp.pids"
diag <"$TMP/c4"
n=$(grep -c "pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = " "$TMP/c4.prompt")
check "the confirmation lists the 3 sessions of the group, each by its identity ($n)" test "$n" = 3
check "group cancel: exit 0 (rc=$rc), 3 stopped" bash -c "[ $rc = 0 ] && grep -q '3 queries stopped' '$TMP/c4'"
check "... '2 newer sessions of this group were not touched: press c again'" \
	grep -q "3 queries stopped; 2 newer sessions of this group were not touched: press c again" "$TMP/c4"
n=$(q "select count(*) from pg_stat_activity where application_name in ('grp4', 'grp5') and state = 'active'")
check "the 2 newer sessions still run (n=$n)" test "$n" = 2
n=$(q "select count(*) from pg_stat_activity where application_name in ('grp1', 'grp2', 'grp3') and state = 'active'")
check "the 3 listed ones do not (n=$n)" test "$n" = 0
finish
