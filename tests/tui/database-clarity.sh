#!/usr/bin/env bash
# Screen test against a real PostgreSQL (started here, stopped by its pid):
# the cancel dialog of a query group says what will happen: the query text
# (normalised, sanitized, wrapped), the count, the user, the database and
# how long the sessions have run, then the exact statements; its prompt names
# the action for y and "keep" for the rest. y cancels exactly those sessions.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
source "$TOP/tests/data/postgres/pg.bash"
trap 'pg_down; cleanup' EXIT
command -v tmux >/dev/null || skip_all "tmux not installed"
pg_have || skip_all "postgresql not installed (scripts/install-deps --test)"
pg_up -c log_statement=all || {
	cat "$PG_DIR"/*.log | diag
	not_ok "postgres started"
	finish
}
pg_psql -c "create database shop" >/dev/null
shop() { psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d shop "$@"; }
shop -c "create table bookings (id serial primary key, email text not null, night date not null);
	insert into bookings (email, night) select 'guest' || g || '@example.org', date '2026-01-01' + g % 300
	from generate_series(1, 20000) g;
	create index bookings_email on bookings (email); analyze bookings;" >/dev/null
# the storm: one query (its index condition lost) in four sessions; the
# text wraps in the dialog (a long select list) and carries an escape
STORM="select count(*), min(night), max(night), 'wide column list to wrap' as label_one, 'more' as label_two
	from bookings, pg_sleep(60) where email like '%guest1%' /* $(printf '\e[2J') */"
for i in 1 2 3 4; do
	PGAPPNAME=storm$i psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d shop -c "$STORM" >"$TMP/storm$i.out" 2>&1 &
	PG_PIDS+=($!)
	track_pid $!
done
# a second storm whose text holds two statements: never explained
for i in 1 2 3; do
	PGAPPNAME=twostmt$i psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d shop \
		-c "select pg_sleep(60), 'two' as label; select 'second statement'" >"$TMP/two$i.out" 2>&1 &
	PG_PIDS+=($!)
	track_pid $!
done
running() { pg_psql -Atc "select count(*) from pg_stat_activity where application_name like 'storm%' and state = 'active'"; }
wait_for 15 eval 'test "$(running)" = 4'
twostmt() { pg_psql -Atc "select count(*) from pg_stat_activity where application_name like 'twostmt%' and state = 'active'"; }
wait_for 15 eval 'test "$(twostmt)" = 3'

TT_EXTRA='"state_dir": "'$TMP/state'",'
TT_PANES='{ "id": "db", "kind": "database", "source": "postgres", "storm_count": 3,
    "conninfo": "host=127.0.0.1 port='$PG_PORT' user=postgres dbname=shop" },
  { "id": "notes", "kind": "logs", "source": "note", "text": "runbook" }'
TT_TITLES=("1 db" "2 notes")
tt_start 120 40
TT_CFG=$TMP/config.json
check "the storm shows as one group row" tm_wait_text 15 "×4"

# Enter on the storm's row: its plan, EXPLAIN of one session's text
# (the detail is drawn when opened: Enter again until the plan has come)
plan_shown() { tm send-keys -t t Escape 1 Home Enter; sleep 1; tm_capture | grep -q "Seq Scan on bookings"; }
tm send-keys -t t 1
wait_for 20 plan_shown
check "the storm's detail shows the plan: Seq Scan on bookings" tm_wait_text 1 "Seq Scan on bookings"
tm_capture >"$TMP/plan.txt"
check "... from EXPLAIN, not run (no ANALYZE: no actual times)" bash -c "grep -q 'EXPLAIN (not run: read-only, 2 s timeout)' '$TMP/plan.txt' && ! grep -q 'actual time' '$TMP/plan.txt'"
diag <"$TMP/plan.txt"
check "the server saw a read-only transaction with a timeout around one EXPLAIN, then ROLLBACK" python3 - "$PG_DIR/server.log" <<'PY'
import re, sys
log = open(sys.argv[1], errors="replace").read()
stmts = re.findall(r"(?:statement|execute [^:]*): (.*)", log)
i = next(k for k, s in enumerate(stmts) if s.startswith("BEGIN READ ONLY; SET LOCAL statement_timeout = 2000"))
assert stmts[i + 1].startswith("EXPLAIN (ANALYZE false, COSTS true, FORMAT TEXT) select count(*)"), stmts[i:i + 3]
assert stmts[i + 2] == "ROLLBACK", stmts[i:i + 3]
assert not any("ANALYZE true" in s or s.startswith("EXPLAIN ANALYZE") for s in stmts)
PY
tm send-keys -t t Escape
# the storm with two statements in its text: not explained, said so
tm send-keys -t t Down Enter
two_shown() { tm send-keys -t t Escape 1 Home Down Enter; sleep 1; tm_capture | grep -q "second statement: not explained"; }
wait_for 20 two_shown
check "a text with a second statement is not explained, and says so" tm_wait_text 1 "the text holds a second statement: not explained"
check "... nothing of it reached the server as an EXPLAIN" bash -c "! grep -q \"EXPLAIN .*'two' as label\" '$PG_DIR/server.log'"
tm send-keys -t t Escape 1 Home
tm send-keys -t t c
check "c on the group opens the dialog" tm_wait_text 5 "Confirm cancel"
tm_capture >"$TMP/dialog.txt"
diag <"$TMP/dialog.txt"
# the dialog's text: its rows inside the box, joined
dlg_text() { python3 - "$TMP/dialog.txt" <<'PY'
import re, sys
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
top = next(i for i, r in enumerate(rows) if "Confirm cancel" in r)
x = rows[top].index("┌─ Confirm")
out = []
for r in rows[top + 1:]:
    if r[x] == "└":
        break
    inner = r[x + 1:]
    inner = inner[:inner.index("│")] if "│" in inner else inner
    out.append(inner.strip())
print(" ".join(out))
PY
}
dlg_text >"$TMP/dialog-text.txt"
check "it says how many and that it is one query group" grep -qF "cancel 4 queries of one query group:" "$TMP/dialog-text.txt"
check "it shows the whole query text, normalised (literals ?), one line wrapped over rows" grep -qF "select count(*), min(night), max(night), ? as label_one, ? as label_two from bookings, pg_sleep(?) where email like ?" "$TMP/dialog-text.txt"
check "... which takes more than one row at this width" test "$(grep -c 'label_one\|pg_sleep(?) where' "$TMP/dialog.txt")" -ge 2
check "... sanitized: no control text (^J, ^[) in it, the screen intact" bash -c "! grep -q '\\^J\\|\\^\\[' '$TMP/dialog-text.txt' && grep -q '1 db' '$TMP/dialog.txt'"
check "it says the count, user, database and how long they run" grep -qE "4 sessions · user postgres · database shop · running ([0-9]+s|[0-9]+m[0-9]*s?)( to [0-9]+[sm][0-9s]*)?" "$TMP/dialog.txt"
check "then the exact statements, one per session" test "$(grep -c 'pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = ' "$TMP/dialog.txt")" = 4
check "the prompt names the action for y and keep for the rest" grep -qF "y: cancel 4 queries · n or Esc: keep them, nothing is sent" "$TMP/dialog.txt"
tm send-keys -t t y
wait_for 15 eval 'test "$(running)" = 0'
check "y cancelled exactly those four sessions" test "$(running)" = 0
check "each client saw the cancel" bash -c "grep -l 'canceling statement due to user request' '$TMP'/storm?.out | wc -l | grep -qx 4"
wait_for 15 grep -q '"action":"cancel".*"result":"ok".*bookings, pg_sleep' "$TMP/state/audit.jsonl"
check "the audit record names the query it acted on" grep -q '"action":"cancel".*"result":"ok".*bookings, pg_sleep' "$TMP/state/audit.jsonl"

# the typed confirmation (K, terminate) names its action and "keep" too
PGAPPNAME=lone psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d shop -c "select pg_sleep(60), 'lone'" >"$TMP/lone.out" 2>&1 &
PG_PIDS+=($!)
track_pid $!
lone() { pg_psql -Atc "select pid from pg_stat_activity where application_name = 'lone' and state = 'active'"; }
wait_for 10 eval 'test -n "$(lone)"'
LONE=$(lone)
tm_wait_text 10 " $LONE "
tm send-keys -t t / l o n e Enter
tm_wait_text 5 "(1 of"
tm send-keys -t t K
tm_wait_text 5 "Confirm terminate"
check "a session's dialog shows its query, user and database too" tm_wait_text 2 "1 session · user postgres · database shop"
check "the typed prompt names the action and keep" tm_wait_text 2 "Type \"$LONE\" and Enter: terminate 1 session · Esc: keep it, nothing is sent"
tm send-keys -t t Escape
sleep 0.5
check "Esc keeps it: the session runs on" test "$(lone)" = "$LONE"
tm_kill

# `sitrep do` on a terminal asks with the same words; n keeps it
python3 - "$SITREP" "$TT_CFG" "$LONE" "$TMP/cli.out" <<'PY'
import os, pty, sys, time
sitrep, cfg, pid, out = sys.argv[1:]
child, fd = pty.fork()
if child == 0:
    os.execv(sitrep, [sitrep, "-c", cfg, "do", "cancel", pid])
buf = b""
end = time.time() + 30
while b"[y/N]" not in buf and time.time() < end:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
os.write(fd, b"n\n")
time.sleep(0.5)
try:
    buf += os.read(fd, 4096)
except OSError:
    pass
open(out, "wb").write(buf)
os.waitpid(child, 0)
PY
check "sitrep do asks: y: cancel 1 query · anything else: keep it" grep -qF "y: cancel 1 query · anything else: keep it, nothing is sent [y/N]" "$TMP/cli.out"
check "n keeps it: the query runs on" test "$(lone)" = "$LONE"
finish
