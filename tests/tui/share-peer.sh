#!/usr/bin/env bash
# Screen-less test of the observer's check of who serves a socket
# (core/observe.c, SO_PEERCRED), run before any record is read:
#   - a socket another user (nobody) planted in a directory others may
#     write in (a 1777 dir, like /tmp) is refused, naming the uid, by
#     `sitrep attach` and by the relay `sitrep attach --stdio`, which pass
#     on not one byte of what it serves;
#   - another user's socket in that user's own directory, which nobody
#     else may write in (how a "share_group" driver's 0710 dir is), is
#     watched: the path itself names the driver.
# Our own driver and a root driver are accepted: tests/tui/share.sh covers
# both (its driver, and `sitrep serve` run as root for a group member).
source "$(dirname "$0")/../lib.sh"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root to run a listener as another user"
command -v setpriv >/dev/null || skip_all "setpriv not installed"
NOBODY=$(id -u nobody) || skip_all "no user nobody"
# the system's python: another user may not reach one under root's home (pyenv)
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "no /usr/bin/python3 for the other user"

BASE=$(mktemp -d /tmp/sitrep-share-peer.XXXXXX)
chmod 755 "$BASE"
trap 'rm -rf "$BASE"; cleanup' EXIT
cp "$TOP/tests/sharepeer.py" "$BASE/sharepeer.py"
chmod 644 "$BASE/sharepeer.py"
# setpriv execs the command: the pid $! gives is the listener's own, so the
# cleanup's kill reaches it (a shell function run with & would give a subshell's)
AS_NOBODY=(setpriv --reuid "$NOBODY" --regid "$(id -g nobody)" --clear-groups --)
hello='{"stream":1,"type":"hello","seq":1,"time":0}'
relay() { # SOCKET: the first line the relay passes on
	printf '%s\n' "$hello" | timeout 10 "$SITREP" attach --stdio "$1" 2>"$TMP/relay.err" | head -c 100000 | head -1
}

# planted: nobody's listener in a directory anyone may write in
mkdir -m 1777 "$BASE/shared"
"${AS_NOBODY[@]}" "$PY" "$BASE/sharepeer.py" fake "$BASE/shared/share.sock" bye >"$TMP/planted.out" 2>&1 &
track_pid $!
check "nobody's listener is up in the 1777 dir" wait_for 10 test -S "$BASE/shared/share.sock"
check "  ... owned by nobody" test "$(stat -c %u "$BASE/shared/share.sock")" = "$NOBODY"
out=$(relay "$BASE/shared/share.sock")
check "the relay passes on nothing of a planted socket" test -z "$out"
check "  ... and says who serves it (uid $NOBODY) and that it refuses" \
	grep -qE "served by uid $NOBODY \(nobody\).*refusing" "$TMP/relay.err"
diag <"$TMP/relay.err"
TMUX_SOCKETS+=("$TSOCK")
tm new-session -d -s a -x 120 -y 30 \
	"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state $SITREP attach $BASE/shared/share.sock 2>$TMP/attach.err; echo EXIT=\$?; sleep 600"
attach_has() { tm capture-pane -p -t a | grep -qF -- "$1"; }
check "sitrep attach refuses a planted socket with exit 1" wait_for 20 attach_has "EXIT=1"
check "  ... naming the uid, before the screen is taken" grep -qE "served by uid $NOBODY \(nobody\).*refusing" "$TMP/attach.err"
diag <"$TMP/attach.err"; tm capture-pane -p -t a | grep -v "^$" | diag
tm capture-pane -p -t a >"$TMP/attach.out"
check "  ... the fake driver's pane never reached the observer" bash -c "! grep -qF evil '$TMP/attach.out' '$TMP/attach.err'"

# theirs: nobody's own directory, 0711, that nobody else may write in
mkdir -m 711 "$BASE/theirs"
chown nobody "$BASE/theirs"
"${AS_NOBODY[@]}" "$PY" "$BASE/sharepeer.py" fake "$BASE/theirs/share.sock" bye >"$TMP/theirs.out" 2>&1 &
track_pid $!
check "nobody's listener is up in its own dir" wait_for 10 test -S "$BASE/theirs/share.sock"
out=$(relay "$BASE/theirs/share.sock")
check "another user's socket in that user's own dir is watched (a state first)" \
	bash -c "python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1])[\"type\"] != \"state\")' '$out'"
diag <"$TMP/relay.err"

# the same dir made group-writable: no longer that user's alone
chmod 771 "$BASE/theirs"
out=$(relay "$BASE/theirs/share.sock")
check "the same dir, group-writable: refused" test -z "$out"
check "  ... and said" grep -qF "refusing" "$TMP/relay.err"
finish
