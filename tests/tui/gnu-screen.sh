#!/usr/bin/env bash
# Screen test: sitrep inside GNU screen (itself inside a private tmux server,
# which only gives it a terminal): titles and a CPU value appear, a resize of
# the outer terminal reaches sitrep through screen, q quits and screen ends.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v screen >/dev/null || skip_all "GNU screen not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

cfg=$(tt_config)
mkdir -p "$TMP/home" "$TMP/screendir"
chmod 700 "$TMP/screendir"
cat >"$TMP/screenrc" <<'RC'
startup_message off
hardstatus off
RC
cat >"$TMP/run.sh" <<SH
#!/bin/bash
export SCREENDIR="$TMP/screendir" HOME="$TMP/home" XDG_STATE_HOME="$TMP/home/.state"
screen -c "$TMP/screenrc" -S sitrep-test bash -c 'echo \$\$ >"$TMP/pid"; exec "$SITREP" -c "$cfg"'
echo "SCREEN-EXIT=\$?"
exec sleep 600
SH
chmod +x "$TMP/run.sh"
tm_start 120 40 "exec $TMP/run.sh"
wait_for 5 test -s "$TMP/pid" && track_pid "$(cat "$TMP/pid")"

check "inside screen: every pane title appears" wait_for 8 tt_all_titles
check "inside screen: TERM is screen's" bash -c "tr '\\0' '\\n' </proc/$(cat "$TMP/pid")/environ | grep -qE '^TERM=screen'"
check "inside screen: a numeric CPU value" wait_for 8 tt_cpu_value
check "inside screen: the screen is clean at 120x40" wait_for 5 tt_clean 120 40
tm resize-window -t t -x 100 -y 30
check "inside screen: a resize reaches sitrep (clean at 100x30)" wait_for 5 tt_clean 100 30
tm send-keys -t t '?'
check "inside screen: ? shows the help" tm_wait_text 3 "sitrep help"
tm send-keys -t t Escape q
check "inside screen: q quits and screen ends" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q '^SCREEN-EXIT=0'"
finish
