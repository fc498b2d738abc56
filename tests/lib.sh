# tests/lib.sh: shared helpers for the shell test suites (screen and integration).
# Each check prints a TAP line, "ok N - name" or "not ok N - name"; scripts/run-tests
# counts them. Processes a test starts are tracked by pid and stopped on exit;
# nothing else is ever killed.
set -u
# The tests read frames and glyphs: they run in a UTF-8 locale whatever the
# caller's (CI often has none; C.UTF-8 exists even on a minimal Debian).
# tests/tui/terminals.sh sets LANG=C itself where it checks the ASCII fallback.
export LANG=C.UTF-8
unset LC_ALL LC_CTYPE
# Packaged servers (nginx) live in sbin, which is not on a normal user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SITREP=${SITREP:-$TOP/build/sitrep}
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sitrep-$TEST_NAME.XXXXXX")
TAP_N=0
TAP_FAILED=0
PIDS=()
TMUX_SOCKETS=()

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# check NAME COMMAND...: ok when the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
diag() { sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Remember a pid to stop at exit.
track_pid() { PIDS+=("$1"); }

cleanup() {
	local s p
	for s in "${TMUX_SOCKETS[@]}"; do tmux -L "$s" kill-server 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1.
free_port() {
	python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	while ((SECONDS < end)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# tmux helpers: each test has its own server socket.
TSOCK="sitrep-$TEST_NAME-$$"
tm() { tmux -L "$TSOCK" -f /dev/null "$@"; }
# tm_start W H COMMAND: a detached session "t" running COMMAND.
tm_start() {
	local w=$1 h=$2; shift 2
	TMUX_SOCKETS+=("$TSOCK")
	# a server still shutting down on this socket makes new-session fail once
	tm new-session -d -s t -x "$w" -y "$h" "$@" 2>/dev/null || {
		sleep 0.3
		tm new-session -d -s t -x "$w" -y "$h" "$@"
	}
	tm set-option -g remain-on-exit on >/dev/null
}
# tm_kill: stops this test's tmux server and waits until its socket is gone,
# so the next tm_start on the same socket meets no dying server.
tm_kill() {
	local sock="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TSOCK"
	tm kill-server 2>/dev/null
	wait_for 5 bash -c "! [ -S '$sock' ]"
}
tm_capture() { tm capture-pane -p -t t "$@"; }
# tm_wait_text SECONDS TEXT: until TEXT is on screen.
tm_wait_text() { wait_for "$1" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qF -- \"\$0\"" "$2"; }
tm_pane_dead() { [ "$(tm display-message -p -t t '#{pane_dead}')" = 1 ]; }

# lab_up "SERVICES": starts scripts/lab with those services in $TMP/lab, tracks
# its pids and sources its env (PROM_URL, AM_URL, ...). On failure the suite
# ends with the servers' logs as diagnostics.
lab_up() {
	LAB=$TMP/lab
	if ! LAB_SERVICES="$1" "$TOP/scripts/lab" up "$LAB" >/dev/null; then
		cat "$LAB"/*.log | diag
		not_ok "lab started ($1)"
		finish
	fi
	local p
	while read -r p; do track_pid "$p"; done <"$LAB/pids"
	source "$LAB/env"
}

# nginx_serve DIR: nginx with DIR as its prefix, the http block's own lines
# (servers, log formats, caches, access logs) read from stdin; DIR gets the
# pid file, the temp dirs, logs/error.log and nginx.stderr. NGINX_MAIN adds
# main-context lines (load_module). The pid is tracked and left in NGINX_PID;
# it does not wait, as each test knows which answer means ready.
nginx_serve() {
	local dir=$1
	mkdir -p "$dir/logs" "$dir/tmp"
	{
		printf '%s\n' "${NGINX_MAIN:-}"
		cat <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log error;
events { worker_connections 64; }
http {
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
CONF
		cat
		echo "}"
	} >"$dir/nginx.conf"
	nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' 2>"$dir/nginx.stderr" &
	NGINX_PID=$!
	track_pid "$NGINX_PID"
}

# Prints the closing plan line; exit status is the number of failures (capped).
finish() {
	echo "1..$TAP_N"
	((TAP_FAILED > 0)) && exit 1
	exit 0
}
