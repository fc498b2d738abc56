#!/usr/bin/env bash
# Screen test: words mean one thing. A pane's title shows its health (the
# worst level of what it shows) and the age of its data, never "ok" beside
# something critical; the status bar's marks say the same, and folded into
# counts they count only healthy panes as "ok". An action's status line shows
# its progress, then its outcome for a few seconds, and then goes; the
# causes in the hint keep their place meanwhile. The metrics panes read a
# captured /proc (tests/data/proc: memory at 1.3 %), so levels are exact; the
# restart is a real argv that prints as it works.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"

PROC=$TOP/tests/data/proc
APP=$TMP/app
mkdir -p "$APP/releases/r1" "$APP/releases/r2" "$TMP/state"
ln -s releases/r2 "$APP/current"
cat >"$TMP/restart" <<SH
#!/bin/sh
echo "stopping the app"
while [ ! -e "$TMP/go" ]; do sleep 0.1; done
echo "app started"
SH
chmod +x "$TMP/restart"
TT_EXTRA='"state_dir": "'$TMP/state'",'
TT_PANES='{ "id": "calm", "kind": "metrics", "source": "procfs", "proc_root": "'$PROC'" },
  { "id": "warm", "kind": "metrics", "source": "procfs", "proc_root": "'$PROC'", "memory_warn": 1 },
  { "id": "hot", "kind": "metrics", "source": "procfs", "proc_root": "'$PROC'", "memory_warn": 0.5, "memory_crit": 1 },
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "'$APP'", "restart": ["'$TMP/restart'"] }'
TT_TITLES=("1 calm" "2 warm" "3 hot" "4 deploys")
title() { tm_capture | grep -o "┌ $1 ─ [a-z]* [^─]*" | head -1; }
status() { tm_capture | tail -1; }

tt_start 200 30
tm_wait_text 10 "Memory"
wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '┌ 4 deploys ─ ok'"
check "a critical pane's title says crit and the data's age" bash -c "[[ '$(title "3 hot")' =~ ^'┌ 3 hot ─ crit '([0-9]+s|now)' '$ ]]"
title "3 hot" | diag
check "a warning pane's title says warn" bash -c "[[ '$(title "2 warm")' == *'─ warn '* ]]"
check "a healthy pane's title says ok" bash -c "[[ '$(title "1 calm")' == *'─ ok '* ]]"
check "no title says ok beside something critical" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q '3 hot ─ ok'"
check "the status bar marks say the same (hot crit, warm warn, calm ok)" bash -c "s=\$(tmux -L '$TSOCK' capture-pane -p -t t | tail -1); [[ \$s == *'3:hot crit'* && \$s == *'2:warm warn'* && \$s == *'1:calm ok'* ]]"
status | diag
check "the hint names the critical cause" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q 'hot: Memory crit 1.3%'"
check "the frame is clean" tt_clean 200 30

# an action: progress, then the outcome for a few seconds, then gone
tm send-keys -t t 4
tm send-keys -t t r
tm_wait_text 5 "Confirm restart"
tm send-keys -t t y
check "while it runs the status line says so" tm_wait_text 10 "restart deploys running"
tm send-keys -t t Escape # the progress view; the status line keeps the line
status >"$TMP/running.txt"
check "... and the cause keeps its place in the hint meanwhile" grep -q 'hot: Memory crit 1.3%' "$TMP/running.txt"
diag <"$TMP/running.txt"
touch "$TMP/go"
check "then its outcome" tm_wait_text 15 "restart deploys ok"
status >"$TMP/outcome.txt"
check "... beside the cause, which is still true" grep -q 'hot: Memory crit 1.3%' "$TMP/outcome.txt"
check "... and 'running' is gone" bash -c "! grep -q 'running' '$TMP/outcome.txt'"
diag <"$TMP/outcome.txt"
wait_for 15 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q 'restart deploys'"
check "the outcome goes after a few seconds (not 10 s of a stale 'started')" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q 'restart deploys'"
check "... the cause stays" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q 'hot: Memory crit 1.3%'"
tm_kill

# narrow: the marks fold into counts while a message needs the room; "ok"
# counts healthy panes only
rm -f "$TMP/go"
tt_start 80 24
tm_wait_text 10 "Memory"
tm send-keys -t t 4
tm send-keys -t t r
tm_wait_text 5 "Confirm restart"
tm send-keys -t t y
tm_wait_text 10 "running"
tm send-keys -t t Escape
wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q '1 crit 1 warn 2 ok'"
check "folded marks: 1 crit 1 warn 2 ok (hot and warm are not counted ok)" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q ' 1 crit 1 warn 2 ok '"
status | diag
touch "$TMP/go"
tm_kill
finish
