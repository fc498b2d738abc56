#!/usr/bin/env bash
# Screen test of the share stream (core/share.c, core/observe.c): a driver
# with --share and observers attached over its socket, each in its own tmux
# session of the same size.
#   - the socket: in $XDG_RUNTIME_DIR/sitrep, 0600 in a 0700 dir; the driver's
#     status bar says "shared · N watching";
#   - the observer draws the driver's panes (same titles, same rows), with
#     its own focus and zoom, a WATCHING badge with the driver's user@host and
#     its lag; every action key and the note key say "observer: actions
#     belong to the driver" and nothing is written (no audit log, no
#     timeline, in the driver's state dir or the observer's);
#   - observers send a hello and nothing else: one that writes more, or
#     never says hello, is hung up on; one that stops reading skips to the
#     newest state and is told; one that reads nothing for 30 s is dropped;
#   - the driver quits: "driver gone"; it comes back: the observer follows;
#   - hostile drivers (another version, a huge record, escapes, a record cut
#     short): a sentence on the observer's screen, never a crash or an escape;
#   - a socket shared with "share_group": a member attaches, a user outside
#     the group cannot.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
PEER="python3 $TOP/tests/sharepeer.py"

mkdir -p "$TMP/run" "$TMP/ohome"
chmod 700 "$TMP/run"
SOCK=$TMP/run/sitrep/share.sock
STATE=$TMP/home/.state/sitrep
printf '%s\n' "$(date -u +%FT%TZ) INFO web: GET / 200" >"$TMP/app.log"
TT_PANES='
    { "id": "host", "kind": "metrics", "source": "procfs" },
    { "id": "notes", "kind": "logs", "source": "note", "text": "runbook at https://wiki.example/runbook" },
    { "id": "errors", "kind": "logs", "sources": [ { "type": "file", "path": "'"$TMP/app.log"'" } ] },
    { "id": "cdn", "kind": "cdn", "source": "note", "text": "no cdn configured" }'
TT_TITLES=("1 host" "2 notes" "3 errors" "4 cdn")
tt_start 120 36 XDG_RUNTIME_DIR="$TMP/run" -- --share
check "driver up" wait_for 10 tt_all_titles
check "the socket is made in \$XDG_RUNTIME_DIR/sitrep" wait_for 5 test -S "$SOCK"
check "socket 0600, its dir 0700" \
	test "$(stat -c %a "$SOCK") $(stat -c %a "$TMP/run/sitrep")" = "600 700"
check "driver: shared · 0 watching" tm_wait_text 5 "shared · 0 watching"

# observer: its own session, its own (empty) home
obs_start() { # NAME ARGS...
	local name=$1; shift
	tm new-session -d -s "$name" -x 120 -y 36 \
		"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state XDG_RUNTIME_DIR=$TMP/run $SITREP attach $* 2>$TMP/$name.err; echo EXIT=\$?; sleep 600"
}
obs_cap() { tm capture-pane -p -t "$1"; }
obs_has() { obs_cap "$1" | grep -qF -- "$2"; }
obs_wait() { wait_for "$1" obs_has "$2" "$3"; }
obs_start o
check "observer: every pane of the driver" wait_for 10 bash -c "
	for t in '1 host' '2 notes' '3 errors' '4 cdn'; do tmux -L '$TSOCK' capture-pane -p -t o | grep -qF \" \$t \" || exit 1; done"
check "observer: WATCHING user@host with its lag" obs_wait 5 o "WATCHING $(id -un)@$(hostname)"
check "observer: how far behind (\"s behind\")" bash -c "tmux -L '$TSOCK' capture-pane -p -t o | tail -1 | grep -qE '[0-9]+\.[0-9] s behind'"
check "driver: shared · 1 watching" tm_wait_text 5 "shared · 1 watching"
check "observer: the driver's note, as the driver shows it" obs_wait 5 o "runbook at https://wiki.example/runbook"
# the same rows: the notes and errors panes, line by line (ages aside)
panes_text() { # SESSION: the right-hand column of panes without digits
	tm capture-pane -p -t "$1" | head -n -1 | sed 's/^.\{60\}//' | tr '0-9' '#'
}
same_panes() { [ "$(panes_text t)" = "$(panes_text o)" ]; }
check "observer: the right column is the driver's, row for row" wait_for 10 same_panes
same_panes || diff <(panes_text t) <(panes_text o) | head -10 | diag

# its own focus and zoom: the driver's screen stays as it is
tm send-keys -t o 3 z
check "observer: zoomed on its own focus (3 errors alone)" wait_for 5 bash -c "
	c=\$(tmux -L '$TSOCK' capture-pane -p -t o); grep -qF ' 3 errors ' <<<\"\$c\" && ! grep -qF ' 1 host ' <<<\"\$c\""
check "driver: still every pane, its focus unmoved" tt_all_titles
tm send-keys -t o Escape

# observers cannot act
for k in p P r b s c K B V; do
	tm send-keys -t o "$k"
	check "observer: '$k' says actions belong to the driver" obs_wait 3 o "observer: actions belong to the driver"
	tm send-keys -t o Escape
	sleep 0.2
	tm send-keys -t o Escape
done
tm send-keys -t o a
check "observer: 'a' (note) refused the same way" obs_wait 3 o "observer: actions belong to the driver"
check "observer: no note entry line opened" bash -c "! tmux -L '$TSOCK' capture-pane -p -t o | grep -qF 'note: '"
check "nothing in the driver's audit log" test ! -e "$STATE/audit.jsonl"
check "nothing in the observer's state dir" bash -c "[ -z \"\$(find '$TMP/ohome' -type f 2>/dev/null)\" ]"

# the protocol: a hello and nothing else
check "a peer's hello gets a whole state first" test "$($PEER first "$SOCK")" = state
check "a peer that writes after its hello is hung up on" test "$($PEER garbage "$SOCK")" = closed
$PEER stall "$SOCK" 36 >"$TMP/stall.out" 2>&1 &
STALL=$!
track_pid $STALL
check "a peer that never says hello is hung up on (10 s)" test "$($PEER nohello "$SOCK")" = closed

# a slow observer skips: the errors pane grows by 600 lines a second while it reads nothing
$PEER skip "$SOCK" 6 >"$TMP/skip.out" 2>&1 &
SKIP=$!
track_pid $SKIP
for i in $(seq 1 6); do
	python3 -c "
import sys, time
line = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()) + ' ERROR web: request %d failed: ' + 'x' * 300
with open(sys.argv[1], 'a') as f:
    for n in range(600): f.write(line % n + '\n')" "$TMP/app.log"
	sleep 1
done
wait $SKIP
check "a slow observer is told it skipped, then gets the newest state" grep -qE 'skipped state' "$TMP/skip.out"
diag <"$TMP/skip.out"
check "the driver still draws while observers lag" tt_all_titles

wait $STALL
check "a peer reading nothing for 30 s is dropped" grep -qx dropped "$TMP/stall.out"
diag <"$TMP/stall.out"

# the driver goes and comes back
tm send-keys -t t q
check "observer: driver gone" obs_wait 10 o "driver gone"
check "the socket is removed with the driver" wait_for 5 test ! -e "$SOCK"
tm kill-session -t t
TT_TITLES=("1 host" "2 notes" "3 errors" "4 cdn")
tm new-session -d -s t -x 120 -y 36 "env HOME=$TMP/home XDG_STATE_HOME=$TMP/home/.state XDG_RUNTIME_DIR=$TMP/run $SITREP -c $TMP/config.json --share; sleep 600"
check "observer: back with the driver" wait_for 15 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | tail -1 | grep -qE 's behind'"
check "observer still alive after the driver's restart" bash -c "! tmux -L '$TSOCK' capture-pane -p -t o | grep -q '^EXIT='"
tm send-keys -t o q
check "observer: q quits with 0" obs_wait 5 o "EXIT=0"

# hostile drivers
fake() { # MODE: a fake driver on its own socket
	FAKE=$TMP/fake-$1.sock
	$PEER fake "$FAKE" "$1" >"$TMP/fake-$1.out" 2>&1 &
	track_pid $!
	wait_for 5 test -S "$FAKE"
}
fake version
obs_start v "$FAKE"
check "another version: the observer says so and exits 1" obs_wait 10 v "EXIT=1"
check "  ... naming both versions" grep -qF "the driver speaks stream version 7; this sitrep reads version 1" "$TMP/v.err"
fake escapes
obs_start e "$FAKE"
check "escapes in a record are drawn inert (^[[31m as text)" obs_wait 10 e "^[[31mred"
check "  ... in the badge too (the driver's user)" obs_wait 5 e "mallory^[[31m"
check "  ... and the screen is not cleared by them" obs_has e " 1 evil "
check "  ... no raw escape reached the terminal (no colour from the data)" bash -c "
	! tmux -L '$TSOCK' capture-pane -p -e -t e | grep -F 'red' | grep -qF \$'\e[31mred'"
fake huge
obs_start h "$FAKE"
check "a record over 8 MiB: said on the screen" obs_wait 15 h "a record over 8 MiB"
check "  ... the observer is still running" bash -c "! tmux -L '$TSOCK' capture-pane -p -t h | grep -q '^EXIT='"
fake truncated
obs_start tr "$FAKE"
check "a record cut short: said on the screen" obs_wait 10 tr "record cut short"

# a socket for a group: a member attaches, someone outside it cannot
PERM=$(mktemp -d /tmp/sitrep-share-perm.XXXXXX)
chmod 711 "$PERM"
GRP=srshare$$
MEMBER=srwatch$$
cleanup_users() { userdel "$MEMBER" 2>/dev/null; groupdel "$GRP" 2>/dev/null; rm -rf "$PERM"; }
trap 'cleanup_users; cleanup' EXIT
if [ "$(id -u)" = 0 ] && groupadd "$GRP" && useradd -M -N -g "$GRP" -s /bin/sh "$MEMBER"; then
	install -m 755 "$SITREP" "$PERM/sitrep"
	cat >"$PERM/config.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$PERM/state", "share": true, "share_group": "$GRP",
  "share_socket": "$PERM/share/share.sock",
  "panes": [ { "id": "notes", "kind": "logs", "source": "note", "text": "for the on-call group" } ] }
JSON
	chmod 600 "$PERM/config.json"
	"$PERM/sitrep" serve -c "$PERM/config.json" 2>"$TMP/serve.err" &
	track_pid $!
	check "sitrep serve: the group's socket is made" wait_for 10 test -S "$PERM/share/share.sock"
	check "  ... 0660, group $GRP; its dir 0710" test "$(stat -c '%a %G' "$PERM/share/share.sock") $(stat -c %a "$PERM/share")" = "660 $GRP 710"
	hello='{"stream":1,"type":"hello","seq":1,"time":0}'
	first_type() { # USER
		printf '%s\n' "$hello" | timeout 10 runuser -u "$1" -- "$PERM/sitrep" attach --stdio "$PERM/share/share.sock" 2>"$TMP/perm-$1.err" |
			head -c 200000 | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["type"])' 2>/dev/null
	}
	check "a member of $GRP attaches (gets the state)" test "$(first_type "$MEMBER")" = state
	out=$(first_type nobody)
	check "nobody (outside $GRP) cannot attach" test "$out" != state
	check "  ... and is told why" grep -qF "permission denied" "$TMP/perm-nobody.err"
	diag <"$TMP/perm-nobody.err"
else
	not_ok "a second user and group for the permission checks (needs root)"
fi
finish
