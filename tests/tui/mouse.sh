#!/usr/bin/env bash
# mouse: sitrep turns mouse reporting on, a click focuses the pane under the
# pointer and the wheel scrolls the pane under it. tmux passes the bytes of a
# mouse report typed with `send-keys -l` to the application unchanged, so the
# reports are written as a terminal would: SGR (1006) under
# TERM=xterm-256color, whose terminfo asks for it, and the classic X10 bytes
# under tmux's own TERM (screen), whose terminfo does not. Focus is drawn with
# attributes only, so it is read from Enter's pane summary and from the bold
# pane name in the status bar. "mouse": false leaves reporting off.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

LOG="$TMP/app.log"
for i in $(seq 1 80); do printf 'info request %03d ok\n' "$i"; done >"$LOG"
config() {
	cat >"$TMP/sitrep.json" <<CONF
{ $1 "panes": [ { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] },
  { "id": "notes", "kind": "logs", "source": "note", "text": "second pane" } ] }
CONF
	chmod 600 "$TMP/sitrep.json" # no permission warning over the status line
}

W=120 H=30
on_screen() { tm_capture | grep -qE -- "$1"; }
off_screen() { ! tm_capture | grep -qE -- "$1"; }
# The status bar draws the focused pane's name in bold: the attributes just
# before "N:id" hold SGR 1.
status_bold() { tm_capture -e | tail -1 | grep -qE $'\e\\[[0-9;]*1m(\e\\[[0-9;]*m)* *'"$1 "; }
# Enter describes the focused pane when it has no selection; Esc closes.
focused_is() {
	tm send-keys -t t Enter
	local r=1
	wait_for 3 on_screen "pane $1 \\(kind" && r=0
	tm send-keys -t t Escape
	wait_for 3 off_screen "pane $1 \\(kind" || true
	return $r
}
sgr() { tm send-keys -t t -l $'\e[<'"$1;$2;$3M"; }
sgr_click() { sgr 0 "$1" "$2"; tm send-keys -t t -l $'\e[<'"0;$1;$2m"; }
# X10: ESC [ M, then 32 + button, 32 + column, 32 + row (1-based, so < 95).
x10() { tm send-keys -t t -l "$(printf '\e[M%b%b%b' "\\x$(printf %x $((32 + $1)))" \
	"\\x$(printf %x $((32 + $2)))" "\\x$(printf %x $((32 + $3)))")"; }

# --- SGR reports -------------------------------------------------------------
config ""
tm_start $W $H env TERM=xterm-256color "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "80 lines" || tm_capture | diag
check "mouse reporting is on" test "$(tm display -p -t t '#{mouse_any_flag}')" = 1
check "in SGR mode under xterm-256color" test "$(tm display -p -t t '#{mouse_sgr_flag}')" = 1

tm send-keys -t t 1
check "key 1 focuses pane 1" focused_is app
not_bold() { ! status_bold "$1"; }
check "pane 2 is not bold in the status bar" not_bold 2:notes
# Pane 2 is the right half of the screen.
sgr_click 90 10
check "a click in pane 2 bolds its name in the status bar" wait_for 3 status_bold 2:notes
check "a click in pane 2 focuses it" focused_is notes
sgr_click 20 10
check "a click in pane 1 focuses it again" focused_is app

# The wheel over the logs pane: it follows the newest line; 12 notches up
# (3 rows each) scroll it off, 12 down bring it back.
tm send-keys -t t g
wait_for 3 on_screen '^│lines' || tm_capture | diag
check "raw view follows the newest line" on_screen 'request 080 ok'
for i in $(seq 12); do sgr 64 20 15; done
check "wheel up scrolls the newest line off" wait_for 3 off_screen 'request 080 ok'
check "and shows older lines" on_screen "request 04[0-9] ok"
for i in $(seq 12); do sgr 65 20 15; done
check "wheel down scrolls back to the newest line" wait_for 3 on_screen 'request 080 ok'
# The wheel scrolls the pane under the pointer even when another has focus.
sgr_click 90 10
wait_for 3 status_bold 2:notes
for i in $(seq 12); do sgr 64 20 15; done
check "wheel over an unfocused pane scrolls that pane" wait_for 3 off_screen 'request 080 ok'
check "and leaves the focus where it was" status_bold 2:notes
tm send-keys -t t q
check "sitrep quits" wait_for 3 tm_pane_dead
tm_kill

# --- X10 reports under tmux's own TERM -----------------------------------------
TSOCK="$TSOCK-x10"
tm_start $W $H "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "80 lines" || tm_capture | diag
check "mouse reporting is on under TERM=$(tm show -gv default-terminal)" \
	test "$(tm display -p -t t '#{mouse_any_flag}')" = 1
tm send-keys -t t 1
x10 0 70 10
x10 3 70 10
check "an X10 click in pane 2 focuses it" focused_is notes
tm send-keys -t t q
wait_for 3 tm_pane_dead
tm_kill

# --- "mouse": false --------------------------------------------------------------
TSOCK="$TSOCK-off"
config '"mouse": false,'
tm_start $W $H env TERM=xterm-256color "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "80 lines" || tm_capture | diag
check "\"mouse\": false leaves reporting off" test "$(tm display -p -t t '#{mouse_any_flag}')" = 0
tm send-keys -t t q
check "sitrep quits" wait_for 3 tm_pane_dead
finish
