#!/usr/bin/env bash
# Integration: the mysql pane never waits on a name lookup. Connector/C would
# resolve a host name with a blocking getaddrinfo inside
# mysql_real_connect_start; sitrep looks the name up on a thread first and
# gives the library each address found. An LD_PRELOAD shim
# (tests/data/slowdns.c) answers 127.0.0.1 for db.lo.invalid, hangs for
# db.slow.invalid and records any lookup of an .invalid name made on the
# main thread. Against a real MariaDB: the resolved name connects and no
# lookup ran on the loop; with a hung lookup the dashboard's clock keeps
# ticking, keys are answered and the pane says "resolving host: timed out"
# after the connect timeout.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../tui/common.bash"
source "$TOP/tests/data/mysql/my.bash"
trap 'my_down; cleanup' EXIT
my_have || skip_all "mariadb-server not installed (scripts/install-deps --test)"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v cc >/dev/null || skip_all "no C compiler for the getaddrinfo shim"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

if ! cc -shared -fPIC -o "$TMP/slowdns.so" "$TOP/tests/data/slowdns.c" -ldl 2>"$TMP/cc.log"; then
	diag <"$TMP/cc.log"
	skip_all "cannot build the getaddrinfo shim"
fi
my_up || {
	cat "$MY_DIR"/*.log | diag
	not_ok "mariadb started"
	finish
}
ok "mariadb started on 127.0.0.1:$MY_PORT (pid $(my_pid))"

HANG=40
# A sanitizer build wants its runtime first among preloads; the shim comes first here.
SHIM="LD_PRELOAD=$TMP/slowdns.so${LD_PRELOAD:+:$LD_PRELOAD} SLOWDNS_SECONDS=$HANG SLOWDNS_MAIN_LOG=$TMP/main.log"
SHIM="$SHIM ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
pane() { # pane ID HOST
	printf '{ "id": "%s", "kind": "database", "source": "mysql", "host": "%s", "port": %s, "user": "root", "connect_timeout_seconds": 2, "query_timeout_seconds": 2 }' \
		"$1" "$2" "$MY_PORT"
}

# A name that resolves: the pane connects, through the address found off the loop.
TT_PANES="$(pane db db.lo.invalid)"
cfg=$(tt_config)
env $SHIM HOME="$TMP/home" XDG_STATE_HOME="$TMP/home/.state" \
	timeout 30 "$SITREP" --once --json -c "$cfg" >"$TMP/once.json" 2>"$TMP/once.err"
rc=$?
check "--once over db.lo.invalid exits 0 (rc $rc)" test "$rc" = 0
check "the pane is ok, read from MariaDB" python3 - "$TMP/once.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["panes"][0]
assert p["state"] == "ok", p
assert p["data"]["engine"] == "mariadb", p
PY
check "no lookup of an .invalid name ran on the main thread ($(cat "$TMP/main.log" 2>/dev/null | tr "\n" " "))" \
	test ! -s "$TMP/main.log"

# A name whose lookup hangs for ${HANG}s, beside the host pane.
TT_PANES="$(pane db db.slow.invalid), { \"id\": \"host\", \"kind\": \"metrics\", \"source\": \"procfs\" }"
TT_TITLES=("1 db" "2 host")
tt_start 160 40 $SHIM
check "dashboard up" wait_for 5 tt_all_titles
frozen=$(tt_frozen_windows 4)
check "the clock kept ticking while the lookup hung ($frozen frozen windows)" test "$frozen" = 0
tm send-keys -t t '?'
check "keys answered: ? opens the help within 2 s" tm_wait_text 2 "sitrep help"
tm send-keys -t t Escape
check "the db pane says: resolving host: timed out" tm_wait_text 5 "resolving host: timed out (db.slow.invalid)"
check "no lookup of an .invalid name ran on the main thread" test ! -s "$TMP/main.log"
tm send-keys -t t q
check "q quits at once" wait_for 3 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
[ -s "$TMP/stderr" ] && head -20 "$TMP/stderr" | diag
finish
