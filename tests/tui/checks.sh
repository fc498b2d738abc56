#!/bin/bash
# checks (screen): a checks pane against a real nginx, in tmux. The booking
# page lacks its button: the row says FAIL with the reason from the config
# and the status line names the check; the page is fixed and the row turns
# ok; the timeline holds the failure and the recovery. A hostile page body
# (terminal escapes, a title change) never reaches the screen: the reason
# quotes the config, not the body.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"

command -v nginx >/dev/null || skip_all "nginx not installed"
command -v tmux >/dev/null || skip_all "tmux not installed"

PORT=$(free_port)
mkdir -p "$TMP/www" "$TMP/logs" "$TMP/tmp"
chmod 755 "$TMP" "$TMP/www" # workers run unprivileged when the test runs as root
echo '<html><button>Sold out</button></html>' >"$TMP/www/index.html"
printf '<title>\033]2;pwned-title\007</title>\033[2J\033[31mHOSTILE-BODY\r\033[H' >"$TMP/www/hostile.html"
nginx_serve "$TMP" <<CONF
	access_log off;
	server { listen 127.0.0.1:$PORT; root $TMP/www; }
CONF
probe() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1"; }
wait_for 5 probe "$PORT" || { diag <"$TMP/nginx.stderr"; not_ok "nginx starts"; finish; }

U="http://127.0.0.1:$PORT"
TT_EXTRA="\"state_dir\": \"$TMP/state\","
TT_PANES="
    { \"id\": \"checks\", \"kind\": \"checks\", \"checks\": [
      { \"name\": \"booking\", \"url\": \"$U/\", \"expect_status\": 200, \"expect_text\": \"Book now\" },
      { \"name\": \"port\", \"type\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": $PORT },
      { \"name\": \"evil\", \"url\": \"$U/hostile.html\", \"expect_text\": \"Welcome\" } ] },
    { \"id\": \"events\", \"kind\": \"timeline\" }"
TT_TITLES=("1 checks")
tt_start 140 30

row_has() { tm_capture | grep -E "$1" >/dev/null; }
if wait_for 8 row_has 'FAIL booking .*status 200 but "Book now" missing'; then
	ok "the failing row shows FAIL and the reason from the config"
else
	not_ok "the failing row shows FAIL and the reason from the config"
	tm_capture | diag
fi
check "the TCP check to nginx is ok" row_has 'ok +port '
check "the hostile page's check fails with the config's words" row_has 'FAIL evil .*status 200 but "Welcome" missing'
check "the status line names the failing check" wait_for 3 row_has 'check booking failing|2 checks failing'
check "the timeline pane shows the failure" wait_for 3 row_has 'check booking failing: status 200'

# Enter: the details of the selected row (the first: booking).
tm send-keys -t t Enter
check "Enter shows the check's probe" wait_for 3 row_has "probe: GET $U/"
tm send-keys -t t Escape

# The fix: the page has its button again.
echo '<html><button>Book now</button></html>' >"$TMP/www/index.html"
if wait_for 8 row_has 'ok +booking '; then ok "the row turns ok after the page is fixed"; else
	not_ok "the row turns ok after the page is fixed"
	tm_capture | diag
fi
check "the timeline pane shows the recovery" wait_for 3 row_has 'check booking ok again'

# Nothing of the hostile body on screen, nor in the pane's title.
check "no text of the hostile body on screen" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q -e HOSTILE-BODY -e pwned"
title=$(tm display-message -p -t t '#{pane_title}')
check "the body's title escape did not reach the terminal ($title)" bash -c "[[ '$title' != *pwned* ]]"

tm send-keys -t t q
wait_for 5 tt_exited
check "sitrep quits cleanly (exit $(tt_exit_code))" test "$(tt_exit_code)" = 0

# The persisted timeline: the failure, then the recovery, in that order.
env XDG_STATE_HOME="$TMP/home/.state" "$SITREP" timeline -c "$TMP/config.json" >"$TMP/timeline.txt" 2>&1
diag <"$TMP/timeline.txt"
check "sitrep timeline has the failure" grep -q 'check booking failing: status 200 but "Book now" missing' "$TMP/timeline.txt"
check "sitrep timeline has the recovery" grep -q 'check booking ok again' "$TMP/timeline.txt"
check "failure before recovery" python3 -c "
import sys
t = open(sys.argv[1]).read()
sys.exit(not (0 <= t.find('check booking failing') < t.find('check booking ok again')))" "$TMP/timeline.txt"
check "the failure is recorded once" test "$(grep -c 'check booking failing' "$TMP/timeline.txt")" = 1

finish
