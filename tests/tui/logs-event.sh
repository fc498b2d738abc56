#!/usr/bin/env bash
# logs-event: a multi-line error on the real screen. A Java exception with its
# frames and two "Caused by:" sections, followed live, is one group of one
# error named by its exception line (not the logger's record, not a frame);
# Enter shows the root cause first and then the whole event, its frames
# included, with an escape sequence planted in a frame shown as inert text.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

LOG="$TMP/app.log"
printf '2025-06-01 10:00:00.101 INFO  [main] c.e.shop.Application - Started\n' >"$LOG"
cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "app", "kind": "logs", "sources": [ { "type": "file", "path": "$LOG" } ] } ] }
CONF

W=120 H=50
tm_start $W $H "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "groups" || tm_capture | diag
tm send-keys -t t 1
# The trace arrives while sitrep follows the file, in one write.
{
	printf '2025-06-01 10:00:04.551 ERROR [exec-3] c.e.shop.CartController - request failed\n'
	printf 'java.lang.IllegalStateException: cart 81 has no price\n'
	printf '\tat com.example.shop.Cart.total(Cart.java:42)\n'
	printf '\tat com.example.shop.\033[2Jevil.Frame(Evil.java:1)\n'
	printf 'Caused by: java.sql.SQLException: connection reset by peer\n'
	printf '\tat org.postgresql.core.PGStream.receive(PGStream.java:501)\n'
	printf '\t... 3 more\n'
	printf 'Caused by: java.net.SocketException: Connection reset\n'
	printf '\t... 4 more\n'
	printf '2025-06-01 10:00:05.002 INFO  [exec-4] c.e.shop.CartController - GET /cart/82 200\n'
} >>"$LOG"

screen() { tm_capture; }
on_screen() { screen | grep -qF -- "$1"; }
header() { screen | sed -n 2p; }

check "one error for the whole trace" wait_for 5 eval 'header | grep -q "groups: 1 error, 0 warnings, 11 lines"'
check "the group is named by the exception line" on_screen "java.lang.IllegalStateException: cart 81 has no price"
check "no frame or cause is a group of its own" test "$(screen | grep -c 'SQLException\|Cart.total')" = 0
tm send-keys -t t Down
tm send-keys -t t Enter
check "the detail shows the root cause" wait_for 3 on_screen "root cause: java.net.SocketException: Connection reset"
check "the detail shows the whole event: the record" on_screen "ERROR [exec-3] c.e.shop.CartController - request failed"
check "... its frames" on_screen "at com.example.shop.Cart.total(Cart.java:42)"
check "... and the causes with their '... N more'" on_screen "... 4 more"
check "the planted escape is inert, visible text" on_screen "com.example.shop.^[[2Jevil.Frame"
screen >"$TMP/detail.txt"
check "the screen was not cleared by it" grep -q "Cart.total" "$TMP/detail.txt"
tm send-keys -t t Escape

echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
