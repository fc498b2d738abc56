#!/usr/bin/env bash
# Screen test: `sitrep attach ssh://host/SOCKET` through Debian's OpenSSH.
# The test starts its own sshd on a free loopback port, with its own host
# key and an authorized key made for the test; the client runs with a config
# of the test's (SITREP_SSH names a wrapper that adds -F), and sitrep runs
# `ssh -T -- sitrep-test 'SITREP' attach --stdio 'SOCKET'` (SITREP_REMOTE:
# the binary under test). The observer draws the driver's panes; when the
# driver quits it says "driver gone" and follows it back. An address that
# could pass for an ssh option, or a path that could run a command on the
# remote shell, runs nothing.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
[ -x /usr/sbin/sshd ] && command -v ssh >/dev/null || skip_all "openssh-server/client not installed (scripts/install-deps --test)"
[ "$(id -u)" = 0 ] || skip_all "sshd needs root here"

S=$TMP/ssh
mkdir -p "$S" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$S/id"
cp "$S/id.pub" "$S/authorized_keys"
PORT=$(free_port)
cat >"$S/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
CFG
/usr/sbin/sshd -D -f "$S/sshd_config" -E "$S/sshd.log" &
track_pid $!
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1-2 "$S/host_key.pub")" >"$S/known_hosts"
cat >"$S/config" <<CFG
Host sitrep-test
  HostName 127.0.0.1
  Port $PORT
  User root
  IdentityFile $S/id
  IdentitiesOnly yes
  UserKnownHostsFile $S/known_hosts
  StrictHostKeyChecking yes
CFG
printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$S/config" >"$S/ssh"
chmod +x "$S/ssh"
check "sshd up on its own port" wait_for 10 "$S/ssh" -o BatchMode=yes sitrep-test true

mkdir -p "$TMP/run" "$TMP/ohome"
chmod 700 "$TMP/run"
SOCK=$TMP/run/sitrep/share.sock
tt_start 120 36 XDG_RUNTIME_DIR="$TMP/run" -- --share
check "driver up, sharing" wait_for 10 test -S "$SOCK"
obs() { # NAME URL
	tm new-session -d -s "$1" -x 120 -y 36 \
		"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state SITREP_SSH=$S/ssh SITREP_REMOTE=$SITREP $SITREP attach '$2' 2>$TMP/$1.err; echo EXIT=\$?; sleep 600"
}
obs o "ssh://sitrep-test$SOCK"
check "observer over ssh: every pane of the driver" wait_for 20 bash -c "
	for t in '1 host' '2 notes' '3 Deploy history' '4 cdn'; do tmux -L '$TSOCK' capture-pane -p -t o | grep -qF \" \$t \" || exit 1; done"
diag <"$TMP/o.err"
check "  ... WATCHING user@host, and its lag" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | tail -1 | grep -qE 'WATCHING .*@.* [0-9.]+ s behind'"
check "driver: shared · 1 watching" tm_wait_text 5 "shared · 1 watching"
right() { tm capture-pane -p -t "$1" | head -n -1 | sed 's/^.\{60\}//' | tr '0-9' '#'; }
check "  ... the right column is the driver's, row for row" wait_for 10 bash -c '[ "$(tmux -L "$0" capture-pane -p -t t | head -n -1 | sed 's/^.\{60\}//' | tr 0-9 "#")" = "$(tmux -L "$0" capture-pane -p -t o | head -n -1 | sed 's/^.\{60\}//' | tr 0-9 "#")" ]' "$TSOCK"
check "sshd logged the key login" grep -q "Accepted publickey for root" "$S/sshd.log"
tm send-keys -t o 4 p
check "  ... p: actions belong to the driver" wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | tail -1 | grep -qF 'observer: actions belong to the driver'"

# the driver goes, and comes back: the observer runs ssh again
tm send-keys -t t q
check "observer: driver gone" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -qF 'driver gone'"
tm kill-session -t t
tm new-session -d -s t -x 120 -y 36 "env HOME=$TMP/home XDG_STATE_HOME=$TMP/home/.state XDG_RUNTIME_DIR=$TMP/run $SITREP -c $TMP/config.json --share; sleep 600"
check "observer over ssh: back with the driver" wait_for 20 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | tail -1 | grep -qE 's behind'"
tm send-keys -t o q
check "observer: q quits with 0" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -q '^EXIT=0'"

# hostile addresses: never an ssh option, never a remote command
hostile() { # URL: attach refuses it (exit 2) or runs nothing
	env SITREP_SSH="$S/ssh" SITREP_REMOTE="$SITREP" "$SITREP" attach "$1" </dev/null >/dev/null 2>"$TMP/h.err"
}
hostile "ssh://-oProxyCommand=touch${IFS}$TMP/pwned1/"
check "ssh://-oProxyCommand=...: refused as bad usage" test $? = 2
hostile "ssh://-oProxyCommand=touch${IFS}$TMP/pwned1@sitrep-test/"
check "ssh://USER@host with USER an option: refused" test $? = 2
hostile "ssh://sitrep-test/-oProxyCommand=x"
check "ssh://host/-path: refused" test $? = 2
printf '{"stream":1,"type":"hello","seq":1,"time":0}\n' |
	env SITREP_SSH="$S/ssh" timeout 20 "$S/ssh" -T -- sitrep-test "$SITREP" attach --stdio "'$TMP/x;touch $TMP/pwned2'" >/dev/null 2>&1
tm new-session -d -s q -x 100 -y 20 \
	"env HOME=$TMP/ohome SITREP_SSH=$S/ssh SITREP_REMOTE=$SITREP $SITREP attach 'ssh://sitrep-test$TMP/x;touch $TMP/pwned3;' 2>$TMP/q.err; echo EXIT=\$?; sleep 60"
check "a path with ; and spaces reaches the remote side as one word (no driver there)" wait_for 20 bash -c "tmux -L '$TSOCK' capture-pane -p -t q | grep -q '^EXIT=1'"
diag <"$TMP/q.err"
check "nothing ran: no file made by a ProxyCommand or the remote shell" \
	bash -c "! ls '$TMP'/pwned* 2>/dev/null"
finish
