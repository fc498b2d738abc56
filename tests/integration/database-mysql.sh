#!/usr/bin/env bash
# Integration: a real MariaDB, installed here into a temp dir
# (mariadb-install-db), started on a free loopback port and stopped by its
# pid. A storm of sleeping queries made here shows as one group; a lock wait
# made here as a tree with the holder first; `sitrep do cancel` (KILL QUERY
# ID) stops the query (the client sees it interrupted, PROCESSLIST no longer
# shows it), read-only refuses and the query runs on; --terminate (KILL
# CONNECTION) ends the session; a group is cancelled whole; an identity
# whose query has ended (same connection id, a newer query) or whose server
# start differs (a restart reuses ids) is not touched; a login without
# PROCESS gets the note naming the grant, one without CONNECTION ADMIN is
# refused by the server and says so; the password never shows, nor goes to
# a server asking for it in clear (auth_pam's cleartext method); a stopped
# server and one that never answers are errors within the timeouts.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/data/mysql/my.bash"
trap 'my_down; cleanup' EXIT
my_have || skip_all "mariadb-server not installed (scripts/install-deps --test)"

# auth_pam with the cleartext method: a server that asks for the password in clear
my_up --plugin-load-add=auth_pam --pam-use-cleartext-plugin || {
	cat "$MY_DIR"/*.log | diag
	not_ok "mariadb started"
	finish
}
ok "mariadb started on 127.0.0.1:$MY_PORT (pid $(my_pid))"

STATE=$TMP/state
# The timeouts (TO seconds) are roomy for the actions on a loaded machine (a
# KILL block waits for its PROCESSLIST read); the fault checks at the end
# set TO=2 and time against it.
config() { # config FILE USER [EXTRA MEMBERS]
	cat >"$1" <<JSON
{ "state_dir": "$STATE", "panes": [
  { "id": "db", "kind": "database", "source": "mysql", "host": "127.0.0.1", "port": $MY_PORT,
    "user": "$2", "storm_count": 4, "connect_timeout_seconds": ${TO:-10}, "query_timeout_seconds": ${TO:-10} ${3:-} },
  { "id": "host", "kind": "metrics", "source": "procfs" } ] }
JSON
	chmod 600 "$1"
}
config "$TMP/db.json" root
once() { "$SITREP" --once --json -c "${2:-$TMP/db.json}" >"$1" 2>"$1.err"; }
# id_of TEXT: the connection running a statement with that text.
id_of() { my_sql -e "select ID from information_schema.PROCESSLIST where INFO like '%$1%' and ID <> CONNECTION_ID() limit 1"; }
qid_of() { my_sql -e "select QUERY_ID from information_schema.PROCESSLIST where ID = $1"; }
running() { # running ID TEXT: the connection still runs that statement
	[ "$(my_sql -e "select count(*) from information_schema.PROCESSLIST where ID = $1 and INFO like '%$2%'")" = 1 ]
}
not_running() { ! running "$@"; }
gone() { [ "$(my_sql -e "select count(*) from information_schema.PROCESSLIST where ID = $1")" = 0 ]; }

# --- the storm and the lock wait ------------------------------------------
for i in 1 2 3 4 5 6; do my_bg storm$i "select sleep(600), 'storm$i'"; done
my_sql -e "create database shop; create table shop.acct(id int primary key, v int) engine=innodb; insert into shop.acct values (1, 0)"
my_bg holder "begin; update shop.acct set v = 1 where id = 1; select 'holder', sleep(600); commit"
wait_for 10 eval 'test -n "$(id_of "holder")"'
my_bg waiter1 "update shop.acct set v = 2 where id = 1"
my_bg waiter2 "update shop.acct set v = 3 where id = 1"
wait_for 10 eval 'test "$(my_sql -e '\''select count(*) from information_schema.INNODB_LOCK_WAITS'\'')" = 2'
wait_for 10 eval 'test "$(my_sql -e "select count(*) from information_schema.PROCESSLIST where INFO like '\''select %sleep(600)%'\'' and TIME >= 1")" = 7'

once "$TMP/a.json"
check "--once --json exits 0" test $? -eq 0
check "the storm is one group of 6 with its durations, the engine named" python3 - "$TMP/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
assert d["engine"] == "mariadb" and d["server_version"] >= 100000, (d.get("engine"), d.get("server_version"))
g = d["groups"][0]
assert g["count"] == 6 and g["storm"] and len(g["pids"]) == 6, g
assert g["query"] == "select sleep(?), ?", g["query"]
assert g["longest_s"] >= 1 and g["first_started"].endswith("Z"), g
qs = [q for q in d["queries"] if q["group"] == g["group"]]
assert len(qs) == 6 and all(q["duration_s"] >= 1 and q["state"] == "active" for q in qs), qs
assert all(q["user"] == "root" and q["wait_event"] == "User sleep" for q in qs), qs
assert all(q["backend_start"].isdigit() and q["query_start"].isdigit() for q in qs), qs
durs = [q["duration_s"] for q in d["queries"]]
assert durs == sorted(durs, reverse=True), durs
assert d["sessions"]["waiting"] == 2 and d["note"] is None, (d["sessions"], d["note"])
PY
HOLDER=$(id_of "holder") W1=$(id_of "v = 2") W2=$(id_of "v = 3")
check "the lock wait is a tree with the holder first" python3 - "$TMP/a.json" "$HOLDER" "$W1" "$W2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
holder, w1, w2 = map(int, sys.argv[2:])
b = d["blocking"]
assert b[0]["pid"] == holder and b[0]["depth"] == 0 and b[0]["blocked_by"] == [] and b[0]["blocks"] == 2, b
assert {x["pid"] for x in b[1:]} == {w1, w2} and all(x["depth"] >= 1 for x in b[1:]), b
PY
"$SITREP" --once -c "$TMP/db.json" >"$TMP/a.txt" 2>&1
check "--once text: the group and the blocker" bash -c "grep -q '×6, longest' '$TMP/a.txt' && grep -q 'blocker pid $HOLDER' '$TMP/a.txt'"

# --- actions ----------------------------------------------------------------
S1=$(id_of "storm1")
"$SITREP" --read-only do cancel "$S1" --yes -c "$TMP/db.json" 2>"$TMP/ro.txt"
rc=$?
check "read-only: do cancel exits 3 (rc=$rc)" test "$rc" -eq 3
check "read-only: the query still runs" running "$S1" "storm1"

USER=oncall "$SITREP" do cancel "$S1" --yes -c "$TMP/db.json" >"$TMP/do.txt" 2>&1
rc=$?
diag <"$TMP/do.txt"
check "do cancel ID --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "it says the query stopped" grep -q "query stopped (connection $S1)" "$TMP/do.txt"
check "PROCESSLIST no longer shows the query" not_running "$S1" "storm1"
wait_for 5 grep -q "interrupted" "$TMP/storm1.out"
check "the client saw its query interrupted" grep -q "Query execution was interrupted" "$TMP/storm1.out"
check "the other storm sessions still run" running "$(id_of "storm2")" "storm2"
check "audit: the refusal and the kill with the exact statement" python3 - "$STATE/audit.jsonl" "$S1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
cid = sys.argv[2]
assert any(l["result"] == "refused" and l["action"] == "cancel" for l in lines), lines
ok = [l for l in lines if l["action"] == "cancel" and l["result"] == "ok"]
assert ok and ok[-1]["user"] == "oncall" and ok[-1]["target"] == cid, ok
w = ok[-1]["what"]
assert "KILL QUERY ID " in w and "WHERE ID = %s AND QUERY_ID = " % cid in w and "'Uptime'" in w, w
PY

# an identity whose query has ended: the same connection runs a newer query
my_bg reuse "select 'first', sleep(10); select 'second', sleep(600)"
wait_for 10 eval 'test -n "$(id_of "first")"'
R=$(id_of "first")
RQ=$(qid_of "$R")
BOOT=$(my_sql -e "select cast(unix_timestamp() - variable_value as signed) from information_schema.GLOBAL_STATUS where variable_name = 'Uptime'")
wait_for 30 running "$R" "second"
"$SITREP" do cancel "$R" --backend-start "$BOOT" --query-start "$RQ" --yes -c "$TMP/db.json" >"$TMP/old.txt" 2>&1
rc=$?
diag <"$TMP/old.txt"
check "an ended query's identity: exit 1 (rc=$rc), 'ended before the action: not touched'" \
	bash -c "[ $rc -eq 1 ] && grep -q 'ended before the action' '$TMP/old.txt'"
check "... the connection's newer query still runs" running "$R" "second"
"$SITREP" do cancel --terminate "$R" --backend-start "$((BOOT - 3600))" --yes -c "$TMP/db.json" >"$TMP/boot.txt" 2>&1
rc=$?
check "the same id from another run of the server (start differs): exit 1 (rc=$rc), not touched" \
	bash -c "[ $rc -eq 1 ] && grep -q 'ended before the action' '$TMP/boot.txt'"
check "... the connection is still there" running "$R" "second"

"$SITREP" do cancel --terminate "$HOLDER" --yes -c "$TMP/db.json" >"$TMP/term.txt" 2>&1
rc=$?
diag <"$TMP/term.txt"
check "do cancel --terminate ID exits 0 (rc=$rc)" test "$rc" -eq 0
check "it says the session ended" grep -q "session ended (connection $HOLDER)" "$TMP/term.txt"
check "the holder's connection is gone from PROCESSLIST" gone "$HOLDER"
wait_for 10 eval 'test "$(my_sql -e '\''select count(*) from information_schema.INNODB_LOCK_WAITS'\'')" = 0'
check "no lock wait is left" test "$(my_sql -e 'select count(*) from information_schema.INNODB_LOCK_WAITS')" = 0

G=$(python3 -c "import json; print(json.load(open('$TMP/a.json'))['panes'][0]['data']['groups'][0]['group'])")
"$SITREP" do cancel --group "$G" --yes -c "$TMP/db.json" >"$TMP/grp.txt" 2>&1
rc=$?
diag <"$TMP/grp.txt"
check "do cancel --group KEY --yes exits 0 (rc=$rc)" test "$rc" -eq 0
check "it stopped the 5 others" grep -q "5 queries stopped" "$TMP/grp.txt"
n=$(my_sql -e "select count(*) from information_schema.PROCESSLIST where INFO like 'select sleep(600), %storm%'")
check "no storm query is left in PROCESSLIST (n=$n)" test "$n" = 0
"$SITREP" do cancel 999999 --yes -c "$TMP/db.json" >"$TMP/none.txt" 2>&1
rc=$?
check "an id that is not there: exit 1 (rc=$rc), nothing sent" bash -c "[ $rc -eq 1 ] && grep -q 'no such session' '$TMP/none.txt'"

# --- privileges and secrets ---------------------------------------------------
PW=Pa55-w0rd-xyz-my
my_sql -e "create user app@'%' identified by '$PW'; grant select on shop.* to app@'%';
  create user watcher@'%' identified by '$PW'; grant process on *.* to watcher@'%'"
my_bg other "select sleep(300), 'other'"
wait_for 10 eval 'test -n "$(id_of "other")"'
OTHER=$(id_of "other")
config "$TMP/app.json" app ', "password_env": "APP_PW"'
APP_PW=$PW once "$TMP/app.out" "$TMP/app.json"
check "a login without PROCESS: --once works with password_env" python3 -c "
import json; p=json.load(open('$TMP/app.out'))['panes'][0]; assert p['state']=='ok', p"
check "... and gets the note naming the grant, with the hidden count" python3 - "$TMP/app.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
assert d["sessions"]["hidden"] >= 2, d["sessions"]
assert d["note"].endswith("of other users hidden: GRANT PROCESS ON *.* TO 'app'@'%'"), d["note"]
PY
check "the password is in no output" bash -c "! grep -q '$PW' '$TMP/app.out' '$TMP/app.out.err'"
config "$TMP/watch.json" watcher ', "password_env": "APP_PW"'
APP_PW=$PW once "$TMP/watch.out" "$TMP/watch.json"
check "a login with PROCESS but not CONNECTION ADMIN: the note says it cannot stop others' queries" python3 - "$TMP/watch.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
assert d["note"] == "other users' queries cannot be stopped by this login: GRANT CONNECTION ADMIN ON *.* TO 'watcher'@'%'", d["note"]
PY
APP_PW=$PW "$SITREP" do cancel "$OTHER" --yes -c "$TMP/watch.json" >"$TMP/denied.txt" 2>&1
rc=$?
diag <"$TMP/denied.txt"
check "... and its cancel is refused by the server: exit 1 (rc=$rc), said" \
	bash -c "[ $rc -eq 1 ] && grep -q 'the server refused' '$TMP/denied.txt'"
check "... the query still runs" running "$OTHER" "other"
APP_PW=wr0ng-pw-7f3k9x2q once "$TMP/bad.out" "$TMP/app.json"
check "a wrong password: the pane errors, the text says why" grep -q "Access denied for user" "$TMP/bad.out"

# a server that asks for the password in clear (or for answers on the terminal): refused
my_sql -e "create user pamuser@'%' identified via pam using 'other'"
config "$TMP/pam.json" pamuser ', "password_env": "APP_PW"'
APP_PW=$PW once "$TMP/pam.out" "$TMP/pam.json" </dev/null
check "a server asking for the cleartext method: refused before the password is sent" \
	bash -c "grep -q 'restricted_auth' '$TMP/pam.out' && ! grep -q 'Access denied' '$TMP/pam.out'"

# --- a hostile session --------------------------------------------------------
my_bg hostile "select sleep(300) /* $(printf '\e[2J\e]52;c;aGk=\a\r') */"
wait_for 10 eval 'test -n "$(id_of "sleep(300) /*")"'
once "$TMP/h.json"
check "hostile statement text: no control byte in the output" python3 - "$TMP/h.json" <<'PY'
raw = open(__import__("sys").argv[1], "rb").read()
assert b"\x1b" not in raw and b"\x07" not in raw and b"\r" not in raw
PY

# --- a stopped server, a server that never answers -------------------------------
TO=2 config "$TMP/db.json" root
my_stop
start=$SECONDS
once "$TMP/down.json"
rc=$?
check "server stopped: --once exits 1 (rc=$rc) within the timeouts" bash -c "[ $rc -eq 1 ] && [ $((SECONDS - start)) -le 6 ]"
check "... the pane says why, the other pane is fine" python3 -c "
import json; p=json.load(open('$TMP/down.json'))['panes']
assert p[0]['state']=='error' and 'cannot connect' in p[0]['error'], p[0]
assert p[1]['state']=='ok'"
HPORT=$(free_port)
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $HPORT)); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accepts, never answers
" &
track_pid $!
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT), 1)"
sed "s/\"port\": $MY_PORT/\"port\": $HPORT/" "$TMP/db.json" >"$TMP/hung.json"
chmod 600 "$TMP/hung.json"
start=$SECONDS
once "$TMP/hung.out" "$TMP/hung.json"
rc=$?
check "a server that never answers: --once ends with an error within the connect timeout (rc=$rc, $((SECONDS - start)) s)" \
	bash -c "[ $rc -eq 1 ] && [ $((SECONDS - start)) -le 5 ] && grep -q 'no connection within 2 s' '$TMP/hung.out'"
finish
