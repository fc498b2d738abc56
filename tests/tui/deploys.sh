#!/usr/bin/env bash
# Screen test: the deploys pane in the real dashboard (tmux).
# - rollback through the one dialog: b, the release typed, Enter: `current`
#   moves, the restart argv runs, audit and timeline lines are valid JSON and
#   the timeline holds the deploy;
# - read-only: r and b are refused on screen, nothing moves or runs;
# - a deploy that appears while CPU load runs (stress-ng): a marker on the
#   CPU sparkline and the status line's hint names the deploy.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v stress-ng >/dev/null || skip_all "stress-ng not installed"

APP=$TMP/app
R1=20240521200000 R2=20240521210000 R3=20240521221400
mkdir -p "$APP/releases" "$TMP/state"
for r in $R1 $R2 $R3; do mkdir "$APP/releases/$r"; done
ln -s "releases/$R3" "$APP/current"
cat >"$TMP/restart" <<SH
#!/bin/sh
echo restarted >"$TMP/marker"
SH
chmod +x "$TMP/restart"

config() { # config FILE [EXTRA TOP-LEVEL MEMBERS]
	cat >"$1" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", ${2:-} "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" },
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP", "restart": ["$TMP/restart"] } ] }
JSON
	chmod 600 "$1"
}
config "$TMP/c.json"
cur() { readlink "$APP/current"; }
jsonl_valid() { python3 -c "
import json,sys
for l in open('$1'): json.loads(l)" 2>/dev/null; }

# --- read-only first: nothing may move ---
tm_start 160 30 "$SITREP --read-only -c $TMP/c.json"
check "the deploys pane lists the releases" tm_wait_text 10 "$R1"
tm send-keys -t t 2
tm send-keys -t t b
check "read-only: b is refused on screen" tm_wait_text 5 "read-only: rollback refused"
tm send-keys -t t r
check "read-only: r is refused on screen" tm_wait_text 5 "read-only: restart refused"
check "read-only: no dialog opened" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Confirm'"
sleep 0.5
check "read-only: symlink unchanged, no argv ran" test "$(cur)" = "releases/$R3" -a ! -e "$TMP/marker"
tm_kill

# --- rollback through the dialog ---
tm_start 160 30 "$SITREP -c $TMP/c.json"
check "the current release is marked" tm_wait_text 10 "▶ $R3"
tm send-keys -t t 2
tm send-keys -t t b
check "b opens the confirmation with the exact effect" tm_wait_text 5 "Confirm rollback"
tm_capture >"$TMP/confirm.txt"
check "the dialog names the swap and the argv" bash -c "grep -q 'current: $R3 -> $R2' '$TMP/confirm.txt' && grep -q 'then argv: $TMP/restart' '$TMP/confirm.txt'"
tm send-keys -t t "$R2"
tm send-keys -t t Enter
check "the outcome is shown" tm_wait_text 10 "rollback done"
check "current points at the previous release" test "$(cur)" = "releases/$R2"
check "the restart argv ran" test -e "$TMP/marker"
check "the pane marks the new current release" tm_wait_text 5 "▶ $R2"
check "audit lines are valid JSON" jsonl_valid "$TMP/state/audit.jsonl"
check "the timeline has the deploy" wait_for 5 grep -q "\"type\":\"deploy\".*\"key\":\"$R2\"" "$TMP/state/timeline.jsonl"
check "timeline lines are valid JSON" jsonl_valid "$TMP/state/timeline.jsonl"
check "the status line's hint names the deploy (after the passing message)" tm_wait_text 15 "deploy $R2"
tm_kill

# --- a deploy while the CPU is busy: marker on the sparkline, hint ---
tm_start 160 30 "$SITREP -c $TMP/c.json"
check "the CPU row is drawn" tm_wait_text 10 "CPU"
stress-ng --cpu "$(nproc)" --timeout 30s >/dev/null 2>&1 &
track_pid $!
sleep 3
R4=$(date -u +%Y%m%d%H%M%S)
mkdir "$APP/releases/$R4"
ln -s "releases/$R4" "$APP/.next" && mv -T "$APP/.next" "$APP/current"
check "the new deploy is listed as current" tm_wait_text 10 "▶ $R4"
check "the status line's hint names the deploy" tm_wait_text 10 "deploy $R4"
check "a deploy marker is on the CPU sparkline" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -E '^│CPU ' | grep -q '┃'"
tm_capture >"$TMP/screen.txt"
check "the CPU is busy beside it" grep -qE 'CPU +[0-9]+(\.[0-9]+)?%' "$TMP/screen.txt"
check "the timeline records the deploy at its time" python3 -c "
import json
L=[json.loads(l) for l in open('$TMP/state/timeline.jsonl')]
d=[l for l in L if l['type']=='deploy' and l.get('key')=='$R4']
assert len(d)==1, d"
tm_kill

finish
