# tests/backups.bash: what the backups suites share (sourced after lib.sh):
# a real PostgreSQL cluster of the test's own in $TMP, started on a free
# loopback port and stopped by its pid. As root the server runs as the
# packaged "postgres" user (initdb refuses root), so do the commands that
# must write where it does (pgbackrest, pg_ctl).
PG_AS=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || skip_all "running as root without a postgres user"
	PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || skip_all "no PostgreSQL server binaries"
as_pg() { "${PG_AS[@]}" "$@"; }
pg_sql() { psql -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

# pg_up DIR [-c NAME=VALUE ...]: initdb into DIR/data, start, wait for it.
pg_up() {
	PG_HOME=$1; shift
	mkdir -p "$PG_HOME"
	chmod 711 "$TMP"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_HOME"
	chmod 700 "$PG_HOME"
	PG_PORT=$(free_port)
	as_pg "$PG_BIN/initdb" -D "$PG_HOME/data" -A trust -U postgres --no-sync -E UTF8 >"$PG_HOME/initdb.log" 2>&1 ||
		{ cat "$PG_HOME/initdb.log" | diag; not_ok "initdb"; finish; }
	as_pg "$PG_BIN/postgres" -D "$PG_HOME/data" -p "$PG_PORT" -k "$PG_HOME" -c listen_addresses=127.0.0.1 \
		-c fsync=off "$@" >"$PG_HOME/postgres.log" 2>&1 &
	PG_PID=$!
	track_pid "$PG_PID"
	wait_for 30 pg_sql -d postgres -c "select 1" || { diag <"$PG_HOME/postgres.log"; not_ok "postgres started"; finish; }
}
