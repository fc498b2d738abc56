#!/usr/bin/env bash
# Integration: secrets never leave. A careless server echoes the request's
# headers (Authorization included) in its error body; the pane's token and
# the password in a URL's userinfo must not appear in --once text or JSON, on
# the screen, or in the state dir (timeline, audit), while the server shows
# that they were sent.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"

port=$(free_port)
echo echo >"$TMP/mode"
python3 "$TOP/tests/faultserver.py" "$port" --mode-file "$TMP/mode" 2>"$TMP/server.log" &
track_pid $!
wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$port/counts"

TOKEN=tok-7f3a9c1e55
PASS=pa55-w0rd-91
cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "prom", "kind": "metrics", "source": "prometheus", "url": "http://127.0.0.1:$port",
    "token_env": "PROM_TOKEN", "queries": [ { "name": "v", "expr": "v" } ] },
  { "id": "userinfo", "kind": "metrics", "source": "prometheus", "url": "http://ops:$PASS@127.0.0.1:$port",
    "queries": [ { "name": "v", "expr": "v" } ] },
  { "id": "logs", "kind": "logs", "sources": [ { "type": "loki", "url": "http://ops:$PASS@127.0.0.1:$port",
    "query": "{app=\"web\"}" } ] } ] }
JSON
chmod 600 "$TMP/sitrep.json"

PROM_TOKEN=$TOKEN "$SITREP" --once -c "$TMP/sitrep.json" >"$TMP/once.txt" 2>&1
PROM_TOKEN=$TOKEN "$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/once.json" 2>&1
check "the server was sent the token" grep -q "Bearer $TOKEN" "$TMP/server.log"
check "the server echoed it back (the fault is real)" grep -q "you sent" "$TMP/once.txt"
check "--once text has neither secret" bash -c "! grep -qE '$TOKEN|$PASS' '$TMP/once.txt'"
check "--once JSON has neither secret" bash -c "! grep -qE '$TOKEN|$PASS' '$TMP/once.json'"
check "--once JSON shows the mask instead" grep -qF '***' "$TMP/once.json"

tm_start 200 50 "env PROM_TOKEN=$TOKEN $SITREP -c $TMP/sitrep.json"
check "the dashboard shows the server's error" tm_wait_text 15 "you sent"
sleep 2
tm_capture >"$TMP/screen"
tm send-keys -t t t
sleep 1
tm_capture >>"$TMP/screen"
tm send-keys -t t Escape q
wait_for 5 tm_pane_dead
check "the screen has neither secret" bash -c "! grep -qE '$TOKEN|$PASS' '$TMP/screen'"
check "the state dir has neither secret" bash -c "! grep -rqE '$TOKEN|$PASS' '$TMP/state'"
check "the timeline recorded the failures" grep -q pane_failed "$TMP/state/timeline.jsonl"
finish
