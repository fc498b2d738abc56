#!/usr/bin/env bash
# Integration: a real PostgreSQL, started here with initdb on a free loopback
# port and stopped by its pid. A query storm shows as one group with its
# count and durations; a lock chain as a tree with the root blocker first;
# `sitrep do cancel` stops the query (the client sees the cancel), read-only
# refuses and the query runs on; --terminate ends the session; a group is
# cancelled by its query_id; a role without pg_read_all_stats gets the note;
# the password never shows; a stopped server and one that never answers are
# errors within the timeouts.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/data/postgres/pg.bash"
trap 'pg_down; cleanup' EXIT
pg_have || skip_all "postgresql not installed (scripts/install-deps --test)"

pg_up || {
	cat "$PG_DIR"/*.log | diag
	not_ok "postgres started"
	finish
}
ok "postgres started on 127.0.0.1:$PG_PORT (pid $(pg_pid))"

CONN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres"
STATE=$TMP/state
config() { # config FILE CONNINFO [EXTRA MEMBERS]
	cat >"$1" <<JSON
{ "state_dir": "$STATE", "panes": [
  { "id": "db", "kind": "database", "source": "postgres", "conninfo": "$2", "storm_count": 4,
    "connect_timeout_seconds": 2, "query_timeout_seconds": 2 ${3:-} },
  { "id": "host", "kind": "metrics", "source": "procfs" } ] }
JSON
	chmod 600 "$1"
}
config "$TMP/db.json" "$CONN"
once() { "$SITREP" --once --json -c "${2:-$TMP/db.json}" >"$1" 2>"$1.err"; }
# pid_of APP: the backend pid of the session with that application_name.
pid_of() { pg_psql -Atc "select pid from pg_stat_activity where application_name = '$1'"; }
running() { # running PID: the pid still runs the query it ran
	[ "$(pg_psql -Atc "select state from pg_stat_activity where pid = $1")" = active ]
}

# --- the storm ----------------------------------------------------------
for i in 1 2 3 4 5 6; do PG_APP=storm$i pg_bg storm$i "select pg_sleep(60), $i"; done
pg_psql -c "create table acct(id int primary key, v int); insert into acct values (1, 0)"
PG_APP=holder pg_bg holder "begin; update acct set v = 1 where id = 1; select pg_sleep(60), 'holder'; commit"
wait_for 5 eval 'test -n "$(pid_of holder)"'
sleep 0.3
PG_APP=waiter1 pg_bg waiter1 "update acct set v = 2 where id = 1"
sleep 0.3
PG_APP=waiter2 pg_bg waiter2 "update acct set v = 3 where id = 1"
wait_for 10 bash -c "[ \$(psql -X -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc \"select count(*) from pg_stat_activity where wait_event_type = 'Lock'\") = 2 ]"
sleep 1

once "$TMP/a.json"
check "--once --json exits 0" test $? -eq 0
check "the storm is one group of 6 with its durations" python3 - "$TMP/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
g = d["groups"][0]
assert g["count"] == 6, g
assert g["longest_s"] >= 1 and g["storm"] and len(g["pids"]) == 6, g
assert g["query"] == "select pg_sleep(?), ?", g["query"]
assert g["first_started"].endswith("Z")
qs = [q for q in d["queries"] if q["group"] == g["group"]]
assert len(qs) == 6 and all(q["duration_s"] >= 1 for q in qs)
assert all(q["application"].startswith("storm") and q["wait_event"] == "Timeout:PgSleep" for q in qs)
durs = [q["duration_s"] for q in d["queries"]]
assert durs == sorted(durs, reverse=True), durs
assert d["sessions"]["active"] >= 9 and d["sessions"]["waiting"] == 2, d["sessions"]
PY
HOLDER=$(pid_of holder) W1=$(pid_of waiter1) W2=$(pid_of waiter2)
check "the lock chain is a tree with the root blocker first" python3 - "$TMP/a.json" "$HOLDER" "$W1" "$W2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
holder, w1, w2 = map(int, sys.argv[2:])
b = d["blocking"]
assert b[0]["pid"] == holder and b[0]["depth"] == 0 and b[0]["blocked_by"] == [] and b[0]["blocks"] == 2, b
assert {x["pid"] for x in b[1:]} == {w1, w2}, b
assert all(x["depth"] >= 1 for x in b[1:])
# every waiter's blockers are above it in the list
seen = set()
for x in b:
    assert all(p in seen for p in x["blocked_by"]), b
    seen.add(x["pid"])
PY
"$SITREP" --once -c "$TMP/db.json" >"$TMP/a.txt" 2>&1
check "--once text: the group and the blocker" bash -c "grep -q '×6, longest' '$TMP/a.txt' && grep -q 'blocker pid $HOLDER' '$TMP/a.txt'"

# --- actions --------------------------------------------------------------
S1=$(pid_of storm1)
"$SITREP" --read-only do cancel "$S1" --yes -c "$TMP/db.json" 2>"$TMP/ro.txt"
rc=$?
check "read-only: do cancel exits 3 (rc=$rc)" test "$rc" -eq 3
sleep 1
check "read-only: the query still runs" running "$S1"
check "read-only: the client saw nothing" bash -c "! grep -q cancel '$TMP/storm1.out'"

USER=oncall "$SITREP" do cancel "$S1" --yes -c "$TMP/db.json" >"$TMP/do.txt" 2>&1
rc=$?
check "do cancel PID --yes exits 0 (rc=$rc)" test "$rc" -eq 0
diag <"$TMP/do.txt"
check "it says the query stopped" grep -q "query stopped (pid $S1)" "$TMP/do.txt"
wait_for 5 grep -q "canceling statement due to user request" "$TMP/storm1.out"
check "the client sees 'canceling statement due to user request'" grep -q "canceling statement due to user request" "$TMP/storm1.out"
check "the other storm sessions still run" running "$(pid_of storm2)"
AUDIT=$STATE/audit.jsonl
check "audit: the refusal and the cancel with the exact statement" python3 - "$AUDIT" "$S1" <<PY
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
pid = sys.argv[2]
assert any(l["result"] == "refused" and l["action"] == "cancel" for l in lines), lines
ok = [l for l in lines if l["action"] == "cancel" and l["result"] == "ok"]
assert ok and ok[-1]["user"] == "oncall" and ok[-1]["target"] == pid
assert "SELECT pid, pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = %s AND backend_start = '" % pid in ok[-1]["what"], ok[-1]
started = [l for l in lines if l["result"] == "started"]
assert started and lines.index(started[-1]) < lines.index(ok[-1])
PY
"$SITREP" timeline -c "$TMP/db.json" >"$TMP/timeline.txt" 2>&1
check "the timeline records the cancel" grep -q "cancel" "$TMP/timeline.txt"

# a group by its query_id, without a dashboard
QID=$(pg_psql -Atc "select query_id from pg_stat_activity where application_name = 'storm2'")
"$SITREP" do cancel --group "$QID" --yes -c "$TMP/db.json" >"$TMP/grp.txt" 2>&1
rc=$?
check "do cancel --group QUERYID --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "it stopped the 5 others" grep -q "5 queries stopped" "$TMP/grp.txt"
diag <"$TMP/grp.txt"
n=$(pg_psql -Atc "select count(*) from pg_stat_activity where application_name like 'storm%' and state = 'active'")
check "no storm session runs its query (n=$n)" test "$n" = 0
"$SITREP" do cancel --group "1; drop table acct" --yes -c "$TMP/db.json" >/dev/null 2>&1
check "a group that is not a query_id is refused (no SQL built from it)" test $? -ne 0
table_there() { [ "$(pg_psql -Atc "select 1 from acct")" = 1 ]; }
check "the table is still there" table_there

# a backend that does not act on the cancel (stopped here, a child of our
# postmaster): after 5 s the outcome says so and offers terminate
PG_APP=stuck pg_bg stuck "select pg_sleep(60), 'stuck'"
wait_for 5 eval 'test -n "$(pid_of stuck)"'
STUCK=$(pid_of stuck)
kill -STOP "$STUCK"
"$SITREP" do cancel "$STUCK" --yes -c "$TMP/db.json" >"$TMP/stuck.txt" 2>&1
rc=$?
kill -CONT "$STUCK"
check "a cancel that does not work: exit 1 (rc=$rc)" test "$rc" -eq 1
check "... 'still running after 5 s: press K to terminate'" grep -q "still running after 5 s.*press K to terminate" "$TMP/stuck.txt"
wait_for 5 grep -q "canceling statement" "$TMP/stuck.out"
check "... and the cancel lands once the backend runs again" grep -q "canceling statement" "$TMP/stuck.out"

"$SITREP" do cancel --terminate "$HOLDER" --yes -c "$TMP/db.json" >"$TMP/term.txt" 2>&1
rc=$?
check "do cancel --terminate PID exits 0 (rc=$rc)" test "$rc" -eq 0
check "it says the session ended" grep -q "session ended (pid $HOLDER)" "$TMP/term.txt"
wait_for 5 bash -c "[ -z \"\$(psql -X -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc 'select 1 from pg_stat_activity where pid = $HOLDER')\" ]"
check "the holder's session is gone" test -z "$(pg_psql -Atc "select 1 from pg_stat_activity where pid = $HOLDER")"
wait_for 5 bash -c "[ \$(psql -X -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres -Atc \"select count(*) from pg_stat_activity where wait_event_type = 'Lock'\") = 0 ]"
check "the waiters got their lock" test "$(pg_psql -Atc "select count(*) from pg_stat_activity where wait_event_type = 'Lock'")" = 0
"$SITREP" do cancel 999999 --yes -c "$TMP/db.json" >"$TMP/gone.txt" 2>&1
rc=$?
check "a pid that is not there: exit 1 (rc=$rc), nothing sent" bash -c "[ $rc -eq 1 ] && grep -q 'no such session' '$TMP/gone.txt'"

# --- privileges and secrets ----------------------------------------------
pg_psql -c "create role app login password 'Pa55-w0rd-xyz'" -c "grant select on acct to app"
sed -i '1i host all app 127.0.0.1/32 scram-sha-256' "$PG_DIR/data/pg_hba.conf"
pg_psql -Atc "select pg_reload_conf()" >/dev/null
sleep 0.5
PGPW=Pa55-w0rd-xyz
PG_APP=other pg_bg other "select pg_sleep(20), 'other'"
wait_for 5 eval 'test -n "$(pid_of other)"'
config "$TMP/app.json" "host=127.0.0.1 port=$PG_PORT user=app dbname=postgres" ', "password_env": "APP_PW"'
APP_PW=$PGPW once "$TMP/app.out" "$TMP/app.json"
check "a role without pg_read_all_stats: --once works with password_env" python3 -c "
import json; p=json.load(open('$TMP/app.out'))['panes'][0]; assert p['state']=='ok', p"
check "... and gets the note naming the grant, not the hidden text as data" python3 - "$TMP/app.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
assert d["sessions"]["hidden"] >= 2, d["sessions"]
assert d["note"].endswith("hidden: GRANT pg_read_all_stats TO app"), d["note"]
assert not any("insufficient privilege" in q["query"] for q in d["queries"])
PY
check "the password is in no output" bash -c "! grep -q '$PGPW' '$TMP/app.out' '$TMP/app.out.err'"
# (a secret is masked wherever 8 of its bytes appear: a wrong password made
# of words would mask "password" in the server's own message)
APP_PW=wr0ng-pw-7f3k9x2q once "$TMP/bad.out" "$TMP/app.json"
check "a wrong password: the pane errors (exit 1), the text says why" bash -c "grep -q 'password authentication failed' '$TMP/bad.out'"
config "$TMP/inline.json" "host=127.0.0.1 port=$PG_PORT user=app password=$PGPW"
"$SITREP" --check-config -c "$TMP/inline.json" >"$TMP/inline.txt" 2>&1
rc=$?
check "a password inside conninfo: --check-config exits 2 (rc=$rc)" test "$rc" -eq 2
check "... without printing it" bash -c "! grep -q '$PGPW' '$TMP/inline.txt' && grep -q password_env '$TMP/inline.txt'"

# --- a hostile session -----------------------------------------------------
EVIL=$'evil\e[31m\u202euser'
pg_psql -c "create role \"$EVIL\" login superuser"
PG_USER=$EVIL PG_APP=$'app\e]0;owned\a' pg_bg hostile "select pg_sleep(30) /* $(printf '\e[2J\e]52;c;aGk=\a\r') */"
wait_for 5 eval 'test -n "$(pg_psql -Atc "select pid from pg_stat_activity where query like '\''%pg_sleep(30)%'\'' and pid <> pg_backend_pid()")"'
once "$TMP/h.json"
check "hostile query text and names: no control byte in the output" python3 - "$TMP/h.json" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
assert b"\x1b" not in raw and b"\x07" not in raw and b"\r" not in raw
import json
qs = json.load(open(sys.argv[1]))["panes"][0]["data"]["queries"]
h = [q for q in qs if "pg_sleep(30)" in q["query"]]
assert h and all(0x1b not in q["query"].encode() for q in h)
assert any(q["user"].startswith("evil^[[31m") and "\u202e" not in q["user"] for q in h), [q["user"] for q in h]
PY

# --- a stopped server, a server that never answers -------------------------
pg_stop
start=$SECONDS
once "$TMP/down.json"
rc=$?
check "server stopped: --once exits 1 (rc=$rc) within the timeouts" bash -c "[ $rc -eq 1 ] && [ $((SECONDS - start)) -le 6 ]"
check "... the pane says why, the other pane is fine" python3 -c "
import json; p=json.load(open('$TMP/down.json'))['panes']
assert p[0]['state']=='error' and 'Connection refused' in p[0]['error'] and '^J' not in p[0]['error'], p[0]
assert p[1]['state']=='ok'"
HPORT=$(free_port)
python3 -c "
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $HPORT)); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accepts, never answers
" &
track_pid $!
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT), 1)"
config "$TMP/hung.json" "host=127.0.0.1 port=$HPORT user=postgres dbname=postgres sslmode=disable"
start=$SECONDS
once "$TMP/hung.out" "$TMP/hung.json"
rc=$?
check "a server that never answers: --once ends with an error within the connect timeout (rc=$rc, $((SECONDS - start)) s)" \
	bash -c "[ $rc -eq 1 ] && [ $((SECONDS - start)) -le 5 ] && grep -q 'no connection within 2 s' '$TMP/hung.out'"
finish
