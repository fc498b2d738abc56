# tests/data/mysql/my.bash: a private MariaDB for the database tests (sourced
# after tests/lib.sh). my_up installs a data directory into a fresh temp dir
# (mariadb-install-db), starts mariadbd on a free loopback port with its
# socket and pid file in that dir, and my_down stops it by that pid. As root
# the server runs as the packaged "mysql" user (mariadbd refuses root).
MY_DIR=""
MY_PORT=""
MY_PIDS=()
MY_INSTALL=$(command -v mariadb-install-db || command -v mysql_install_db)
MY_SERVER=$(command -v mariadbd || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -1)
MY_CLIENT=$(command -v mariadb || command -v mysql)

my_have() { [ -n "$MY_INSTALL" ] && [ -n "$MY_SERVER" ] && [ -n "$MY_CLIENT" ] && { [ "$(id -u)" != 0 ] || id mysql >/dev/null 2>&1; }; }
my_user() { if [ "$(id -u)" = 0 ]; then echo mysql; else id -un; fi; }

# my_up [EXTRA mariadbd options...]
my_up() {
	MY_DIR=$(mktemp -d /tmp/sitrep-my.XXXXXX)
	chmod 755 "$MY_DIR"
	[ "$(id -u)" = 0 ] && chown mysql: "$MY_DIR"
	"$MY_INSTALL" --no-defaults --user="$(my_user)" --datadir="$MY_DIR/data" --auth-root-authentication-method=normal \
		--skip-test-db >"$MY_DIR/install.log" 2>&1 || return 1
	my_start "$@"
}

my_start() {
	[ -n "$MY_PORT" ] || MY_PORT=$(free_port)
	"$MY_SERVER" --no-defaults --user="$(my_user)" --datadir="$MY_DIR/data" --port="$MY_PORT" \
		--bind-address=127.0.0.1 --socket="$MY_DIR/my.sock" --pid-file="$MY_DIR/my.pid" \
		--skip-log-bin --innodb-buffer-pool-size=16M --innodb-log-file-size=8M --skip-name-resolve \
		--max-connections="${MY_MAX_CONNECTIONS:-200}" --innodb-lock-wait-timeout=120 "$@" \
		>>"$MY_DIR/server.log" 2>&1 &
	wait_for 30 my_sql -e "select 1" || return 1
}

my_pid() { cat "$MY_DIR/my.pid" 2>/dev/null; }

# Shutdown by the server's pid; waits until it is gone.
my_stop() {
	local pid
	pid=$(my_pid)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_for 30 bash -c "! kill -0 $pid 2>/dev/null"
}

my_down() {
	local p
	for p in "${MY_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$MY_DIR" ] || return 0
	my_stop
	rm -rf "$MY_DIR"
}

# As root over TCP (the socket's unix_socket auth would take the OS user).
my_sql() { "$MY_CLIENT" --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u "${MY_USER:-root}" ${MY_PASSWORD:+-p"$MY_PASSWORD"} -N -B "$@"; }

# my_bg NAME SQL: a client session running SQL in the background; its
# output (and error) goes to $TMP/NAME.out.
my_bg() {
	local name=$1; shift
	my_sql -e "$1" >"$TMP/$name.out" 2>&1 &
	MY_PIDS+=($!)
	track_pid $!
}
