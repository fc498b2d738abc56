# tests/data/postgres/pg.bash: a private PostgreSQL for the database tests
# (sourced after tests/lib.sh). pg_up initdb's a cluster into a fresh
# directory, starts postgres on a free loopback port with its socket in that
# directory, and pg_down stops it by the postmaster's pid. As root the
# server runs as the packaged "postgres" user (initdb refuses root).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_DIR=""
PG_PORT=""
PG_PIDS=()

pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_have() { [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && command -v psql >/dev/null && { [ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1; }; }

# pg_up [EXTRA postgres -c settings...]
pg_up() {
	PG_DIR=$(mktemp -d /tmp/sitrep-pg.XXXXXX)
	chmod 755 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 >"$PG_DIR/initdb.log" 2>&1 || return 1
	pg_start "$@"
}

pg_start() {
	[ -n "$PG_PORT" ] || PG_PORT=$(free_port)
	pg_as "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR" -c listen_addresses=127.0.0.1 \
		-c fsync=off -c max_connections="${PG_MAX_CONNECTIONS:-100}" -c compute_query_id="${PG_QUERY_ID:-on}" \
		"$@" >>"$PG_DIR/server.log" 2>&1 &
	wait_for 20 pg_psql -Atc "select 1" || return 1
}

pg_pid() { head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null; }

# Fast shutdown by the postmaster's pid; waits until it is gone.
pg_stop() {
	local pid
	pid=$(pg_pid)
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	wait_for 20 bash -c "! kill -0 $pid 2>/dev/null"
}

pg_down() {
	local p
	for p in "${PG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$PG_DIR" ] || return 0
	pg_stop
	rm -rf "$PG_DIR"
}

pg_psql() { psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "${PG_USER:-postgres}" -d postgres "$@"; }

# pg_bg NAME SQL: a client session running SQL in the background; its
# output (and error) goes to $TMP/NAME.out.
pg_bg() {
	local name=$1; shift
	PGAPPNAME=${PG_APP:-sitrep-test} pg_psql -c "$1" >"$TMP/$name.out" 2>&1 &
	PG_PIDS+=($!)
	track_pid $!
}
