#!/usr/bin/env bash
# Screen test: the database pane against a real PostgreSQL (started here,
# stopped by its pid). The storm shows as one group row; one query is
# cancelled by selecting it (/ filter), c and y: the dialog shows the exact
# statement, the client sees the cancel, the audit log has it; a group row
# cancels every session of the group; read-only refuses and the query runs
# on; a stopped server leaves the last data marked with the error while the
# host pane refreshes on, and the pane recovers when the server is back; a
# server that never answers leaves the UI responsive; hostile text is inert.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
source "$TOP/tests/data/postgres/pg.bash"
trap 'pg_down; cleanup' EXIT
pg_have || skip_all "postgresql not installed (scripts/install-deps --test)"
pg_up || {
	cat "$PG_DIR"/*.log | diag
	not_ok "postgres started"
	finish
}
pid_of() { pg_psql -Atc "select pid from pg_stat_activity where application_name = '$1'"; }
active() { [ "$(pg_psql -Atc "select state from pg_stat_activity where pid = $1")" = active ]; }

STATE=$TMP/state
db_panes() { # db_panes CONNINFO
	TT_PANES='{ "id": "db", "kind": "database", "source": "postgres", "conninfo": "'"$1"'", "storm_count": 4,
	    "connect_timeout_seconds": 2, "query_timeout_seconds": 2 },
	  { "id": "host", "kind": "metrics", "source": "procfs" },
	  { "id": "ci", "kind": "deploys", "source": "jsonl", "path": "'"$TMP/deploys.jsonl"'" }'
}
TT_EXTRA='"state_dir": "'$STATE'",'
TT_TITLES=("1 db" "2 host" "3 ci")
# the deploy that "started" the storm, a minute ago
echo "{\"id\": \"r42\", \"time\": $(($(date +%s) - 60)), \"author\": \"dev\", \"message\": \"typo\", \"status\": \"success\"}" >"$TMP/deploys.jsonl"
db_panes "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres"

for i in 1 2 3 4 5; do PG_APP=storm$i pg_bg storm$i "select pg_sleep(60), $i"; done
PG_APP=tuivictim pg_bg victim "select pg_sleep(60), 'victim'"
PG_APP=$'evil\e]0;owned\a' pg_bg hostile "select pg_sleep(60) /* $(printf 'x\e[2Jy\e]52;c;aGk=\a') */, 'hostile'"
wait_for 5 eval 'test -n "$(pid_of tuivictim)"'
VICTIM=$(pid_of tuivictim)

tt_start 160 30
tm_wait_text 10 "×5"
wait_for 25 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '×5 .*all after r42'"
check "the storm is one group row: ×5 with the normalised query" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '×5 .*select pg_sleep(?), ?'"
check "the summary counts sessions by state" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '[0-9]+ active · 0 idle in tx · 0 waiting'"
tm_capture >"$TMP/start.txt"
check "the group says all its sessions started after deploy r42" grep -q '×5 .*all after r42' "$TMP/start.txt"
grep -q '×5 .*all after r42' "$TMP/start.txt" || diag <"$TMP/start.txt"
check "the frame is clean (three titles, status bar)" tt_clean 160 30
check "tps from the counters' difference" tm_wait_text 5 " tps"
tm_wait_text 5 "[0-9] tps" || true
check "tps is a number after two refreshes" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '[0-9]+ tps'"
tm_capture >"$TMP/screen.txt"
check "hostile query text is drawn inert (^[ visible, no clear happened)" bash -c "grep -q 'x^\[\[2Jy' '$TMP/screen.txt' && grep -q '1 db' '$TMP/screen.txt'"

# one query: filter to it, c, y
wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '│ *$VICTIM '"
tm send-keys -t t / t u i v i c t i m Enter
tm_wait_text 5 "(1 of"
tm send-keys -t t c
tm_wait_text 5 "Confirm cancel"
check "the dialog shows the exact statement, naming the session by pid and start" tm_wait_text 2 "pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $VICTIM AND"
check "... and says when that session and its query started" tm_wait_text 1 "backend pid $VICTIM (session started 20"
tm send-keys -t t y
tm_wait_text 10 "query stopped (pid $VICTIM)"
check "the pane reports the query stopped" tm_wait_text 1 "query stopped (pid $VICTIM)"
wait_for 5 grep -q "canceling statement due to user request" "$TMP/victim.out"
check "the client sees 'canceling statement due to user request'" grep -q "canceling statement due to user request" "$TMP/victim.out"
check "audit: the cancel, ok, its statement" grep -q "\"action\":\"cancel\",\"target\":\"$VICTIM\".*\"result\":\"ok\".*pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $VICTIM AND backend_start = '20" "$STATE/audit.jsonl"
check "the storm still runs" active "$(pid_of storm3)"

# Enter shows the full query; K terminates after the pid is typed
PG_APP=tuiterm pg_bg term "select pg_sleep(60), 'to be terminated'"
wait_for 5 eval 'test -n "$(pid_of tuiterm)"'
TERM_PID=$(pid_of tuiterm)
tm send-keys -t t Escape
wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '│ *$TERM_PID '"
tm send-keys -t t / t u i t e r m Enter
tm_wait_text 5 "(1 of"
tm send-keys -t t Enter
check "Enter shows the full query and the client" tm_wait_text 5 "select pg_sleep(60), 'to be terminated'" || tm_capture | diag
check "... with the session's user, application and client" tm_wait_text 1 "application tuiterm  client 127.0.0.1"
tm send-keys -t t Escape
tm send-keys -t t K
tm_wait_text 5 "Confirm terminate"
check "terminate asks for the pid to be typed" tm_wait_text 2 "Type \"$TERM_PID\""
check "... and shows the exact statement" tm_wait_text 1 "pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $TERM_PID AND"
tm send-keys -t t "$TERM_PID" Enter
tm_wait_text 10 "session ended (pid $TERM_PID)"
check "the pane reports the session ended" tm_wait_text 1 "session ended (pid $TERM_PID)"
gone() { [ -z "$(pg_psql -Atc "select 1 from pg_stat_activity where pid = $TERM_PID")" ]; }
check "the session is gone on the server" gone

# the group row: every session of the group
tm send-keys -t t Escape
sleep 0.5
tm send-keys -t t Home
tm send-keys -t t c
tm_wait_text 5 "Confirm cancel"
tm_capture >"$TMP/dialog.txt"
n=$(grep -c "pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = " "$TMP/dialog.txt")
check "the group's dialog lists one statement per session ($n)" test "$n" = 5
# two sessions of the same group start while the dialog is open
for i in 6 7; do PG_APP=storm$i pg_bg storm$i "select pg_sleep(60), $i"; done
newer_up() { [ "$(pg_psql -Atc "select count(*) from pg_stat_activity where application_name in ('storm6', 'storm7') and state = 'active'")" = 2 ]; }
wait_for 5 newer_up
tm send-keys -t t y
tm_wait_text 10 "5 queries stopped"
check "the pane reports 5 queries stopped" tm_wait_text 1 "5 queries stopped"
check "... and the 2 newer sessions it did not touch" tm_wait_text 2 "5 queries stopped; 2 newer sessions" || tm_capture | diag
check "audit: the group cancel, ok, with the newer sessions not touched" grep -q '"result":"ok","what":"cancel 5 queries of one query group:.*"detail":"5 queries stopped; 2 newer sessions of this group were not touched: press c again"' "$STATE/audit.jsonl"
n=$(pg_psql -Atc "select count(*) from pg_stat_activity where application_name in ('storm1', 'storm2', 'storm3', 'storm4', 'storm5') and state = 'active'")
check "no listed storm session runs its query (n=$n)" test "$n" = 0
n=$(pg_psql -Atc "select count(*) from pg_stat_activity where application_name in ('storm6', 'storm7') and state = 'active'")
check "the 2 newer ones run on (n=$n)" test "$n" = 2

"$SITREP" timeline -c "$TMP/config.json" >"$TMP/timeline.txt" 2>&1
check "the timeline has the storm's start and end" bash -c "grep -q 'query storm: ×5' '$TMP/timeline.txt' && grep -q 'query storm over' '$TMP/timeline.txt'"
check "... and both cancels" test "$(grep -c 'cancel' "$TMP/timeline.txt")" -ge 2

# the server goes away and comes back
pg_stop
tm_wait_text 10 "Connection refused"
check "server stopped: the pane shows the error" tm_wait_text 1 "Connection refused"
tm_capture >"$TMP/down.txt"
check "... and keeps the last data (the hostile session's row)" grep -qF 'x^[[2Jy' "$TMP/down.txt" || diag <"$TMP/down.txt"
c1=$(tm_capture | grep -o '2 host ─ [a-z]* [0-9a-z]*' | head -1)
check "the host pane refreshes on ($c1: fresh data, whatever its health)" bash -c "[[ '$c1' != *stale* && '$c1' != *error* && '$c1' =~ (now|[0-9]+s)\$ ]]"
pg_start
tm_wait_text 30 "0 waiting"
wait_for 30 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Connection refused'"
check "the pane recovers when the server is back" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Connection refused'"

# a server that stops answering on an open connection: sitrep's backend
# (a child of the postmaster started here) is stopped, then continued
SB=$(pid_of sitrep)
kill -STOP "$SB"
tm_wait_text 30 "not answering"
check "a hung backend: the pane says the server is not answering" tm_wait_text 1 "server not answering for 2.0 s (hung?)"
tm send-keys -t t '?'
check "... while the UI stays responsive" tm_wait_text 2 "Esc close"
tm send-keys -t t Escape
kill -CONT "$SB"
wait_for 60 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'not answering'"
if tmux -L "$TSOCK" capture-pane -p -t t | grep -q 'not answering'; then
	not_ok "... and it reconnects afterwards"
	tm_capture | diag
else
	ok "... and it reconnects afterwards"
fi
tm_kill

# read-only: c is refused, the query runs on
PG_APP=rovictim pg_bg rovictim "select pg_sleep(60), 'ro'"
wait_for 5 eval 'test -n "$(pid_of rovictim)"'
RO=$(pid_of rovictim)
tt_start 160 30 -- --read-only
tm_wait_text 10 "rovictim"
tm send-keys -t t / r o v i c t i m Enter
sleep 0.5
tm send-keys -t t c
sleep 1
tm send-keys -t t y
sleep 2
tm_capture >"$TMP/ro.txt"
check "read-only: the refusal is on screen" grep -qi "read-only" "$TMP/ro.txt"
check "read-only: the query still runs" active "$RO"
check "read-only: the client saw nothing" bash -c "! grep -q cancel '$TMP/rovictim.out'"
tm_kill

# a server that accepts and never answers
HPORT=$(free_port)
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $HPORT)); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
" &
track_pid $!
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT), 1)"
db_panes "host=127.0.0.1 port=$HPORT user=postgres dbname=postgres sslmode=disable"
tt_start 160 30
sleep 0.5
start=$(date +%s%N)
tm send-keys -t t '?'
tm_wait_text 3 "Esc close"
ms=$((($(date +%s%N) - start) / 1000000))
check "a mute server: the help opens at once (${ms} ms)" test "$ms" -lt 1500
tm send-keys -t t Escape
tm_wait_text 10 "no connection within 2 s"
check "... and the pane says the server does not answer" tm_wait_text 1 "no connection within 2 s"
check "... and the host pane is fine" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE 'CPU +[0-9]'"
finish
