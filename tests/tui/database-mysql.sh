#!/usr/bin/env bash
# Screen test: the database pane against a real MariaDB (installed and
# started here, stopped by its pid). The storm of sleeping queries shows as
# one group row; one query is cancelled by selecting it (/ filter), c and y:
# the dialog shows the exact KILL QUERY ID statement with its identity
# check, the query is gone from PROCESSLIST and the client saw it
# interrupted; K asks for the connection id to be typed and ends the
# session; the group row kills every listed query; a stopped server leaves
# the last data marked with the error, and the pane recovers.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
source "$TOP/tests/data/mysql/my.bash"
trap 'my_down; cleanup' EXIT
my_have || skip_all "mariadb-server not installed (scripts/install-deps --test)"
my_up || {
	cat "$MY_DIR"/*.log | diag
	not_ok "mariadb started"
	finish
}
id_of() { my_sql -e "select ID from information_schema.PROCESSLIST where INFO like '%$1%' and ID <> CONNECTION_ID() limit 1"; }
gone() { [ "$(my_sql -e "select count(*) from information_schema.PROCESSLIST where ID = $1")" = 0 ]; }
runs() { [ "$(my_sql -e "select count(*) from information_schema.PROCESSLIST where ID = $1 and COMMAND = 'Query'")" = 1 ]; }

STATE=$TMP/state
TT_PANES='{ "id": "db", "kind": "database", "source": "mysql", "host": "127.0.0.1", "port": '$MY_PORT',
    "user": "root", "storm_count": 4, "connect_timeout_seconds": 2, "query_timeout_seconds": 2 },
  { "id": "host", "kind": "metrics", "source": "procfs" }'
TT_EXTRA='"state_dir": "'$STATE'",'
TT_TITLES=("1 db" "2 host")

for i in 1 2 3 4 5; do my_bg storm$i "select sleep(60), $i"; done
my_bg victim "select 'tuivictim', sleep(60)"
my_bg term "select 'tuiterm', sleep(60)"
wait_for 10 eval 'test -n "$(id_of tuiterm)"'
VICTIM=$(id_of tuivictim) TERM_ID=$(id_of tuiterm)

tt_start 160 30
tm_wait_text 15 "×5"
check "the storm is one group row: ×5 with the normalised query" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '×5 .*select sleep(?), ?'"
check "the frame is clean (two titles, status bar)" tt_clean 160 30

tm send-keys -t t / t u i v i c t i m Enter
tm_wait_text 5 "(1 of"
tm send-keys -t t c
tm_wait_text 5 "Confirm cancel"
check "the dialog shows the exact statement, re-checking the connection and its query" \
	tm_wait_text 2 "information_schema.PROCESSLIST WHERE ID = $VICTIM AND QUERY_ID = "
check "... and names it by connection id and query id" tm_wait_text 1 "connection $VICTIM (query id "
tm send-keys -t t y
tm_wait_text 10 "query stopped (connection $VICTIM)"
check "the pane reports the query stopped" tm_wait_text 1 "query stopped (connection $VICTIM)"
check "the query is gone from PROCESSLIST (the connection stays)" bash -c "[ \"\$(${MY_CLIENT} --no-defaults -h 127.0.0.1 -P $MY_PORT -u root -N -B -e \"select count(*) from information_schema.PROCESSLIST where ID = $VICTIM and INFO like '%tuivictim%'\")\" = 0 ]"
wait_for 5 grep -q "interrupted" "$TMP/victim.out"
check "the client saw its query interrupted" grep -q "Query execution was interrupted" "$TMP/victim.out"
check "audit: the cancel, ok, its statement" grep -q "\"action\":\"cancel\",\"target\":\"$VICTIM\".*\"result\":\"ok\".*KILL QUERY ID " "$STATE/audit.jsonl"

tm send-keys -t t Escape
tm send-keys -t t / t u i t e r m Enter
tm_wait_text 5 "(1 of"
tm send-keys -t t K
tm_wait_text 5 "Confirm terminate"
check "terminate asks for the connection id to be typed" tm_wait_text 2 "Type \"$TERM_ID\""
check "... and shows the exact statement" tm_wait_text 1 "KILL CONNECTION $TERM_ID"
tm send-keys -t t "$TERM_ID" Enter
tm_wait_text 10 "session ended (connection $TERM_ID)"
check "the pane reports the session ended" tm_wait_text 1 "session ended (connection $TERM_ID)"
check "the connection is gone on the server" gone "$TERM_ID"

tm send-keys -t t Escape
sleep 0.5
tm send-keys -t t Home
tm send-keys -t t c
tm_wait_text 5 "Confirm cancel"
check "the group's dialog names the 5 sessions" tm_wait_text 2 "cancel the 5 sessions of query group"
tm send-keys -t t End
sleep 0.3
tm send-keys -t t y
tm_wait_text 10 "5 queries stopped"
check "the pane reports 5 queries stopped" tm_wait_text 1 "5 queries stopped"
n=$(grep '"result":"ok","what":"cancel the 5 sessions' "$STATE/audit.jsonl" | grep -o "KILL QUERY ID" | wc -l)
check "audit: one KILL QUERY ID per listed session ($n)" test "$n" = 5
n=$(my_sql -e "select count(*) from information_schema.PROCESSLIST where INFO like 'select sleep(60), %'")
check "no storm query is left in PROCESSLIST (n=$n)" test "$n" = 0

my_bg after "select 'survivor', sleep(60)"
wait_for 10 eval 'test -n "$(id_of survivor)"'
tm_wait_text 10 "survivor"
my_stop
wait_for 15 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'connection lost|cannot connect'"
check "server stopped: the pane shows the error" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'connection lost|cannot connect'"
check "... and keeps the last data" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q survivor"
my_start
wait_for 40 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'connection lost|cannot connect'"
check "the pane recovers when the server is back" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'connection lost|cannot connect'"

# a server that stops answering on an open connection (stopped here, ours):
# the query in flight is abandoned, the UI stays responsive, and it
# reconnects once the server runs again
kill -STOP "$(my_pid)"
tm_wait_text 10 "not answering"
check "a hung server: the pane says it is not answering" tm_wait_text 1 "server not answering for 2.0 s (hung?)"
tm send-keys -t t '?'
check "... while the UI stays responsive" tm_wait_text 2 "Esc close"
tm send-keys -t t Escape
kill -CONT "$(my_pid)"
wait_for 60 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'not answering|connection lost|cannot connect'"
check "... and it reconnects afterwards" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'not answering|connection lost|cannot connect'"
tm send-keys -t t q
check "q quits at once" wait_for 5 tt_exited
check "exit status 0 (a sanitizer build: no error at exit)" test "$(tt_exit_code)" = 0
[ -s "$TMP/stderr" ] && head -20 "$TMP/stderr" | diag
tm_kill
finish
