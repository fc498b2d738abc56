#!/bin/bash
# logs-nginx: a real nginx on a loopback port writes its error log; sitrep
# follows it in tmux. Every request for a missing file is one "[error] open()"
# line, so the number of requests is the number of lines nginx wrote, and the
# pane's header ("N err ... M lines") and the group's count must equal it
# exactly after rename rotation (mv + USR1), copytruncate and
# delete-and-recreate. The counts are read from the real screen.
source "$(dirname "$0")/../lib.sh"

command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"

PORT=$(free_port)
mkdir -p "$TMP/www" "$TMP/logs" "$TMP/tmp"
# Workers run as an unprivileged user when the test runs as root.
chmod 755 "$TMP" "$TMP/www"
echo hello >"$TMP/www/index.html"
nginx_serve "$TMP" <<CONF
	access_log $TMP/logs/access.log;
	server {
		listen 127.0.0.1:$PORT;
		root $TMP/www;
	}
CONF
NGINX=$NGINX_PID
wait_for 5 curl -sf "http://127.0.0.1:$PORT/" || { diag <"$TMP/nginx.stderr"; not_ok "nginx starts"; finish; }

cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "nginx", "kind": "logs",
  "sources": [ { "type": "file", "path": "$TMP/logs/error.log" } ] } ] }
CONF

SENT=0
# miss N: N requests for files that do not exist (one error line each).
miss() {
	local i
	for ((i = 0; i < $1; i++)); do
		SENT=$((SENT + 1))
		curl -s -o /dev/null "http://127.0.0.1:$PORT/missing-$SENT-$RANDOM.html"
	done
}
# lines_in_logs: error lines nginx wrote into every file it used.
lines_in_logs() { cat "$TMP"/logs/error.log* 2>/dev/null | grep -c 'open()'; }
# the header's figures are labelled, their digits grouped: "1,200 errors, 0 warnings, 1,200 lines"
header_has() {
	local n s=s
	n=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1")
	[ "$1" = 1 ] && s=
	tm_capture | grep -q " $n error$s, 0 warnings, $n line$s"
}

tm_start 160 30 "$SITREP" -c "$TMP/sitrep.json"
tm_wait_text 5 "groups" || { tm_capture | diag; }

miss 1
start=$(date +%s%N)
if tm_wait_text 2 "open()"; then
	ok "a request for a missing file shows up as an error group within 2 s ($((($(date +%s%N) - start) / 1000000)) ms)"
else
	not_ok "a request for a missing file shows up as an error group within 2 s"
	tm_capture | diag
fi
check "header counts 1 error" wait_for 2 header_has 1

# Rename rotation: lines written to the renamed file before the reopen count too.
miss 30
mv "$TMP/logs/error.log" "$TMP/logs/error.log.1"
miss 20
kill -USR1 "$NGINX"
wait_for 5 test -e "$TMP/logs/error.log"
miss 30
check "rename rotation: nginx wrote $SENT lines" test "$(lines_in_logs)" = "$SENT"
if wait_for 5 header_has "$SENT"; then ok "rename rotation: all $SENT lines counted"; else
	not_ok "rename rotation: all $SENT lines counted"; tm_capture | diag; fi

# copytruncate (no writes during the copy: logrotate's own race is not ours).
sleep 0.5
cp "$TMP/logs/error.log" "$TMP/logs/error.log.2"
: >"$TMP/logs/error.log"
miss 40
if wait_for 5 header_has "$SENT"; then ok "copytruncate: all $SENT lines counted"; else
	not_ok "copytruncate: all $SENT lines counted"; tm_capture | diag; fi

# Delete and recreate; lines written to the deleted file before the reopen count.
sleep 0.5
rm "$TMP/logs/error.log"
miss 10
kill -USR1 "$NGINX"
wait_for 5 test -e "$TMP/logs/error.log"
miss 25
if wait_for 5 header_has "$SENT"; then ok "delete and recreate: all $SENT lines counted"; else
	not_ok "delete and recreate: all $SENT lines counted"; tm_capture | diag; fi

# One group for every missing file: the paths and ids are masked.
check "one group holds all $SENT errors" bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qE '^.E ×$SENT .*open\(\)'"

# Enter on the group shows its details, Esc closes them.
tm send-keys -t t Tab
tm send-keys -t t Down
tm send-keys -t t Enter
check "Enter shows the group's fingerprint" tm_wait_text 2 "fingerprint:"
tm send-keys -t t Escape

# The raw view lists the lines themselves, newest at the bottom.
tm send-keys -t t v
check "v switches to the raw lines" tm_wait_text 2 "lines: $(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$SENT") error"
check "raw view shows the newest request" tm_wait_text 2 "missing-$SENT-"

# --once reads the current file's tail and shows the group.
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/once.json"
check "--once --json shows the group of the current file" python3 - "$TMP/once.json" 25 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
g = [g for g in d["groups"] if "open()" in g["fingerprint"]]
sys.exit(0 if len(g) == 1 and g[0]["count"] == int(sys.argv[2]) and g[0]["severity"] == "error" else 1)
PY
finish
