#!/bin/bash
# logs-escapes: a followed log line full of terminal escapes (SGR colour,
# cursor moves, clear screen, OSC 0 title, OSC 52 clipboard, OSC 8 link, CR
# overwrite, BS, bidi override U+202E, invalid UTF-8, NUL) is shown as visible
# inert text, and the tmux pane's state (title, clipboard buffers, cursor,
# screen mode) is what it was before the line arrived.
source "$(dirname "$0")/../lib.sh"

LOG="$TMP/app.log"
echo "service started" >"$LOG"
cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] } ] }
CONF

tm_start 200 20 "$SITREP" -c "$TMP/sitrep.json"
# OSC 52 reaching tmux would create a paste buffer with this option on.
tm set-option -g set-clipboard on >/dev/null
tm_wait_text 5 "groups" || tm_capture | diag
tm send-keys -t t Tab
tm send-keys -t t v
tm_wait_text 3 "service started" || tm_capture | diag

state() { tm display-message -p -t t '#{pane_title}|#{cursor_flag}|#{alternate_on}|#{mouse_any_flag}|#{keypad_flag}|#{insert_flag}|#{wrap_flag}'; }
before=$(state)
buffers_before=$(tm list-buffers 2>/dev/null | wc -l)

printf 'info \033[31mRED\033[0m \033]0;HACKED\007 \033]52;c;aGFja2Vk\007 \033]8;;http://evil.example/\007link\033]8;;\007 \033[2J\033[5;5H abc\rXYZ q\bW \342\200\256evil-bidi \377\376 nul\000byte END\n' >>"$LOG"
check "the line arrives" tm_wait_text 3 "END"
screen=$(tm_capture)
echo "$screen" | grep -F "END" | diag

check "SGR colour shown as text" grep -qF '^[[31mRED^[[0m' <<<"$screen"
check "OSC title shown as text" grep -qF '^[]0;HACKED^G' <<<"$screen"
check "OSC 52 shown as text" grep -qF '^[]52;c;aGFja2Vk^G' <<<"$screen"
check "OSC 8 link shown as text" grep -qF '^[]8;;http://evil.example/^Glink' <<<"$screen"
check "clear screen and cursor move shown as text" grep -qF '^[[2J^[[5;5H' <<<"$screen"
check "CR does not overwrite: abc and XYZ both visible" grep -qE 'abc.{1,4}XYZ' <<<"$screen"
check "BS does not erase" grep -qE 'q.{1,4}W' <<<"$screen"
check "bidi override made visible" grep -qF 'U+202E' <<<"$screen"
check "NUL shown, text after it kept" grep -qE 'nul.{1,6}byte END' <<<"$screen"
check "frame still drawn at the top (no clear)" grep -q '^┌' <<<"$screen"
check "the word RED is not recoloured" bash -c "tmux -L '$TSOCK' capture-pane -e -p -t t | grep -qF '^[[31mRED^[[0m'"
after=$(state)
check "pane title, cursor and modes unchanged ($after)" test "$before" = "$after"
check "no clipboard buffer was created" test "$(tm list-buffers 2>/dev/null | wc -l)" = "$buffers_before"
check "title is not HACKED" test "$(tm display-message -p -t t '#{pane_title}')" != "HACKED"
tm send-keys -t t q
check "sitrep quits" wait_for 3 tm_pane_dead
finish
