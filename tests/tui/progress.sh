#!/usr/bin/env bash
# Screen test: a running action's output shows as it comes. A restart whose
# argv prints lines with pauses: after r and y the dashboard opens the
# progress view on the first line, adds the next ones while it runs, ends
# with the outcome, and closes on Esc. A verb that prints nothing (a silence)
# never opens it; the keys and the clock keep working meanwhile.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"

APP=$TMP/app
mkdir -p "$APP/releases/r1" "$APP/releases/r2" "$TMP/state"
ln -s releases/r2 "$APP/current"
cat >"$TMP/restart" <<'SH'
#!/bin/sh
echo "stopping app.service"
sleep 1
echo "starting app.service" >&2
sleep 1
echo "app.service is ready"
SH
chmod +x "$TMP/restart"
cat >"$TMP/c.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" },
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP", "restart": ["$TMP/restart"] } ] }
JSON
chmod 600 "$TMP/c.json"

tm_start 160 40 "$SITREP -c $TMP/c.json"
check "the deploys pane is up" tm_wait_text 10 "r2"
tm send-keys -t t 2 r
check "r asks" tm_wait_text 5 "Confirm restart"
tm send-keys -t t y
check "the first line shows while it runs" tm_wait_text 3 "stopping app.service"
check "the view says it is running" tm_wait_text 2 "(running; a key hides it)"
check "stderr lines too, as they come" tm_wait_text 3 "starting app.service"
clock1=$(tm_capture | tail -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}Z' | head -1)
check "the last line and the outcome" tm_wait_text 5 "=> ok"
check "the title says it ended" tm_wait_text 2 "(ended; a key closes it)"
check "the output is all there" tm_wait_text 2 "app.service is ready"
clock2=$(tm_capture | tail -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}Z' | head -1)
check "the clock moved meanwhile ($clock1 -> $clock2)" test -n "$clock1" -a "$clock1" != "$clock2"
tm send-keys -t t Escape
sleep 0.5
check "Esc closes it" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'app.service is ready'"
check "the restart is recorded ok" grep -q '"action":"restart".*"result":"ok"' "$TMP/state/audit.jsonl"
check "the progress lines are not in the audit log" bash -c "! grep -q 'stopping app.service' '$TMP/state/audit.jsonl'"
# not modal: ? closes it and opens the help at once
tm send-keys -t t 2 r
tm_wait_text 5 "Confirm restart"
tm send-keys -t t y
tm_wait_text 5 "stopping app.service"
tm send-keys -t t '?'
check "a key while it runs closes it and does its own thing" tm_wait_text 3 "sitrep help"
tm send-keys -t t Escape
sleep 3
tm send-keys -t t q
check "q quits even after an action's output was shown" wait_for 5 tm_pane_dead
tm_kill

# Quitting while an action waits for its answer asks first; quitting anyway
# records it as unknown (it may have applied), never as failed.
cat >"$TMP/restart" <<'SH'
#!/bin/sh
echo "restarting slowly"
sleep 30
SH
tm_start 160 40 "$SITREP -c $TMP/c.json"
tm_wait_text 10 "r2"
tm send-keys -t t 2 r
tm_wait_text 5 "Confirm restart"
tm send-keys -t t y
tm_wait_text 5 "restarting slowly"
tm send-keys -t t Escape q
check "q with an action in flight asks first" tm_wait_text 3 "still in flight: press q again"
check "and does not quit yet" bash -c "! tmux -L '$TSOCK' display -p -t t '#{pane_dead}' | grep -q 1"
tm send-keys -t t q
check "q again quits" wait_for 5 tm_pane_dead
check "the action is recorded unknown: sitrep quit before the answer" \
	grep -q '"action":"restart".*"result":"unknown".*sitrep quit before the answer' "$TMP/state/audit.jsonl"
check "not recorded as failed" bash -c "! grep -q '\"action\":\"restart\".*\"result\":\"failed\"' '$TMP/state/audit.jsonl'"
finish
