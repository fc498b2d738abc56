#!/usr/bin/env bash
# Screen test: no secret enters the share stream or its recording. A driver
# with --share holds secrets the ways a config gives them (a prometheus
# pane's token_env, a checks pane's token_env with a username, a password in
# a URL's userinfo, a database pane's password_env, and a log command given
# the checks pane's secret variable through pass_env, which prints it); a
# careless server echoes the request's headers (Authorization too) in its
# error body. The raw bytes an observer reads from the socket and the
# decompressed recording must hold none of the secrets (and do hold the
# server's echo, masked), as --once --json masks them.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v zstd >/dev/null || skip_all "zstd not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
PEER="python3 $TOP/tests/sharepeer.py"

port=$(free_port)
echo echo >"$TMP/mode"
python3 "$TOP/tests/faultserver.py" "$port" --mode-file "$TMP/mode" 2>"$TMP/server.log" &
track_pid $!
wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/counts"
dbport=$(free_port) # nothing listens there: the database pane fails with its password in hand

TOKEN=tok-share-7f3a9c1e55d0
CHECKTOK=chk-share-41b9e07a3c
PASS=pa55-share-w0rd-91
DBPASS=db-share-pw-5e2c8a
mkdir -p "$TMP/run"
chmod 700 "$TMP/run"
SOCK=$TMP/run/sitrep/share.sock
STATE=$TMP/home/.state/sitrep
TT_PANES='
    { "id": "prom", "kind": "metrics", "source": "prometheus", "url": "http://127.0.0.1:'"$port"'",
      "token_env": "SR_PROM_TOKEN", "queries": [ { "name": "v", "expr": "v" } ] },
    { "id": "userinfo", "kind": "metrics", "source": "prometheus", "url": "http://ops:'"$PASS"'@127.0.0.1:'"$port"'",
      "queries": [ { "name": "v", "expr": "v" } ] },
    { "id": "checks", "kind": "checks", "source": "http", "checks": [ { "name": "api",
      "url": "http://127.0.0.1:'"$port"'/health", "username": "ops", "token_env": "SR_CHECK_TOKEN" } ] },
    { "id": "db", "kind": "database", "source": "postgres",
      "conninfo": "host=127.0.0.1 port='"$dbport"' user=sitrep dbname=app connect_timeout=2",
      "password_env": "SR_DB_PASS" },
    { "id": "cmdlog", "kind": "logs", "sources": [ { "type": "command", "pass_env": [ "SR_CHECK_TOKEN" ],
      "argv": [ "sh", "-c", "echo \"ERROR the secret is $SR_CHECK_TOKEN\"; sleep 600" ] } ] }'
TT_TITLES=("1 prom" "2 userinfo" "3 checks" "4 db" "5 cmdlog")
tt_start 200 50 XDG_RUNTIME_DIR="$TMP/run" SR_PROM_TOKEN=$TOKEN SR_CHECK_TOKEN=$CHECKTOK \
	SR_DB_PASS=$DBPASS -- --share
check "driver up" wait_for 15 tt_all_titles
check "the socket is made" wait_for 5 test -S "$SOCK"
check "the driver shows the server's echo" tm_wait_text 15 "you sent"
check "the log command's line is drawn (its secret masked)" tm_wait_text 15 "the secret is"

# an observer's bytes: the first state and every record for a few seconds
$PEER dump "$SOCK" 5 >"$TMP/stream.raw"
check "the stream was read (a state record first)" bash -c "head -1 '$TMP/stream.raw' | grep -q '\"type\":\"state\"'"
check "the stream holds the server's echo (the fault is real)" grep -qF "you sent" "$TMP/stream.raw"
check "the stream holds the log command's line" grep -qF "the secret is" "$TMP/stream.raw"
check "the stream shows the mask instead" grep -qF '***' "$TMP/stream.raw"
check "the server was sent the prometheus token" grep -q "Bearer $TOKEN" "$TMP/server.log"
for s in "$TOKEN" "$CHECKTOK" "$PASS" "$DBPASS"; do
	check "the stream does not hold ${s%%-*}-share-..." bash -c "! grep -qF -- '$s' '$TMP/stream.raw'"
	# a server's shortened body may hold a piece of it: 12 characters of its tail are masked too
	check "  ... nor the last 12 characters of it" bash -c "! grep -qF -- '${s: -12}' '$TMP/stream.raw'"
done

tm send-keys -t t q
check "the driver quits" wait_for 10 tt_exited
check "the recording was written" test -s "$STATE/stream.jsonl.zst"
zstd -dc "$STATE/stream.jsonl.zst" >"$TMP/rec.jsonl" 2>"$TMP/zstd.err"
check "the recording decompresses with zstd" test -s "$TMP/rec.jsonl"
check "the recording holds the server's echo" grep -qF "you sent" "$TMP/rec.jsonl"
check "the recording holds the log command's line" grep -qF "the secret is" "$TMP/rec.jsonl"
for s in "$TOKEN" "$CHECKTOK" "$PASS" "$DBPASS"; do
	check "the recording does not hold ${s%%-*}-share-..." bash -c "! grep -qF -- '$s' '$TMP/rec.jsonl'"
	check "  ... nor the last 12 characters of it" bash -c "! grep -qF -- '${s: -12}' '$TMP/rec.jsonl'"
done
check "nothing in the state dir holds a secret" bash -c "! grep -rqE -- '$TOKEN|$CHECKTOK|$PASS|$DBPASS' '$STATE'"
finish
