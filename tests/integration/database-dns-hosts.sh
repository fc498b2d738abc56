#!/usr/bin/env bash
# Integration: every way a PostgreSQL host can be given is looked up off the
# loop. libpq resolves names inside PQconnectStartParams (and the next host's
# inside PQconnectPoll) with a blocking getaddrinfo; sitrep has libpq read its
# settings on a thread, looks each name up with the resolver's threads and
# hands libpq the addresses. Against a real PostgreSQL, with the getaddrinfo
# shim (tests/data/slowdns.c: db.lo.invalid is 127.0.0.1, db.nx.invalid does
# not exist, db.slow.invalid hangs ${HANG}s, and any lookup of an .invalid
# name on the main thread is logged), each spelling is tried with
# `--once --json`: a name that resolves connects, a hung one is an error
# within the connect timeout, and no lookup ever runs on the main thread.
# The spellings: host= in the conninfo, a URI, several hosts (conninfo and
# URI) with a dead or hung one first, PGHOST (one and a list), service= with
# PGSERVICEFILE, PGSERVICE, ~/.pg_service.conf and PGSYSCONFDIR.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/data/postgres/pg.bash"
trap 'pg_down; cleanup' EXIT
pg_have || skip_all "postgresql not installed (scripts/install-deps --test)"
command -v cc >/dev/null || skip_all "no C compiler for the getaddrinfo shim"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
if ! cc -shared -fPIC -o "$TMP/slowdns.so" "$TOP/tests/data/slowdns.c" -ldl 2>"$TMP/cc.log"; then
	diag <"$TMP/cc.log"
	skip_all "cannot build the getaddrinfo shim"
fi
pg_up || {
	cat "$PG_DIR"/*.log | diag
	not_ok "postgres started"
	finish
}
ok "postgres started on 127.0.0.1:$PG_PORT (pid $(pg_pid))"
P=$PG_PORT
HANG=40
mkdir -p "$TMP/home" "$TMP/sysconf" "$TMP/empty"
chmod 700 "$TMP/home"

services() { # the same services, in whichever file a case reads
	cat <<CONF
# sitrep's test services
[fast]
host=db.lo.invalid
port=$P
user=postgres
dbname=postgres

[slow]
host=db.slow.invalid
port=$P
user=postgres

[failover]
host=db.nx.invalid,db.slow.invalid,db.lo.invalid
port=$P
user=postgres
CONF
}
services >"$TMP/services.conf"

# attempt NAME EXPECT CONNINFO [VAR=VALUE...]: --once with the shim and a
# clean libpq environment; EXPECT is ok or error. Checks the state, the time
# (a hung name costs the 2 s connect timeout, not ${HANG}s) and the main
# thread's lookups.
attempt() {
	local name=$1 expect=$2 conninfo=$3
	shift 3
	cat >"$TMP/$name.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [ { "id": "db", "kind": "database", "source": "postgres",
  "conninfo": "$conninfo", "connect_timeout_seconds": 2, "query_timeout_seconds": 2 } ] }
JSON
	rm -f "$TMP/main.log"
	local start=$SECONDS
	env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGSERVICE -u PGSERVICEFILE -u PGSYSCONFDIR \
		HOME="$TMP/empty" PGSYSCONFDIR="$TMP/empty" "$@" \
		LD_PRELOAD="$TMP/slowdns.so${LD_PRELOAD:+:$LD_PRELOAD}" SLOWDNS_SECONDS=$HANG \
		SLOWDNS_MAIN_LOG="$TMP/main.log" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		timeout 20 "$SITREP" --once --json -c "$TMP/$name.json" >"$TMP/$name.out" 2>"$TMP/$name.err"
	local rc=$? took=$((SECONDS - start))
	local state
	state=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['panes'][0]; print(p['state'], p.get('error') or '')" "$TMP/$name.out" 2>/dev/null)
	check "$name: $expect within 8 s (rc $rc, $took s: $state)" \
		bash -c "[ $took -le 8 ] && [ '${state%% *}' = '$expect' ] && [ $rc = $([ "$expect" = ok ] && echo 0 || echo 1) ]"
	check "$name: no name looked up on the main thread ($(tr '\n' ' ' 2>/dev/null <"$TMP/main.log"))" test ! -s "$TMP/main.log"
}

attempt conninfo-host ok "host=db.lo.invalid port=$P user=postgres dbname=postgres"
attempt conninfo-host-hung error "host=db.slow.invalid port=$P user=postgres dbname=postgres"
check "... the error names the host and says why" grep -q "resolving host: timed out (db.slow.invalid)" "$TMP/conninfo-host-hung.out"
attempt uri ok "postgresql://postgres@db.lo.invalid:$P/postgres"
attempt uri-hung error "postgresql://postgres@db.slow.invalid:$P/postgres"
attempt conninfo-hosts ok "host=db.nx.invalid,db.slow.invalid,db.lo.invalid port=$P,$P,$P user=postgres dbname=postgres"
attempt uri-hosts ok "postgresql://postgres@db.slow.invalid:$P,db.lo.invalid:$P/postgres"
attempt conninfo-hosts-all-hung error "host=db.slow.invalid,db.nx.invalid port=$P user=postgres dbname=postgres"
attempt name-with-hostaddr ok "host=db.slow.invalid hostaddr=127.0.0.1 port=$P user=postgres dbname=postgres"
attempt pghost ok "user=postgres dbname=postgres port=$P" PGHOST=db.lo.invalid
attempt pghost-hung error "user=postgres dbname=postgres port=$P" PGHOST=db.slow.invalid
attempt pghost-list ok "user=postgres dbname=postgres" PGHOST=db.slow.invalid,db.lo.invalid PGPORT=$P
attempt service-conninfo ok "service=fast" PGSERVICEFILE="$TMP/services.conf"
attempt service-conninfo-hung error "service=slow dbname=postgres" PGSERVICEFILE="$TMP/services.conf"
attempt service-failover ok "service=failover dbname=postgres" PGSERVICEFILE="$TMP/services.conf"
attempt pgservice ok "dbname=postgres" PGSERVICE=fast PGSERVICEFILE="$TMP/services.conf"
attempt pgservice-hung error "dbname=postgres" PGSERVICE=slow PGSERVICEFILE="$TMP/services.conf"
services >"$TMP/home/.pg_service.conf"
attempt service-home-hung error "service=slow dbname=postgres" HOME="$TMP/home"
attempt service-home ok "service=fast" HOME="$TMP/home"
services >"$TMP/sysconf/pg_service.conf"
attempt service-sysconfdir-hung error "dbname=postgres" PGSERVICE=slow PGSYSCONFDIR="$TMP/sysconf"
attempt service-sysconfdir ok "service=fast" PGSYSCONFDIR="$TMP/sysconf"
attempt service-missing error "service=nosuch" PGSERVICEFILE="$TMP/services.conf"
check "... a service that is not defined: libpq's message names it" grep -q 'nosuch' "$TMP/service-missing.out"
attempt port-mismatch error "host=db.lo.invalid,db.lo.invalid port=$P,$P,$P user=postgres"
check "... lists that do not match: the message names the setting" grep -q 'port numbers to 2 hosts (port)' "$TMP/port-mismatch.out"
finish
