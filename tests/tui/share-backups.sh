#!/usr/bin/env bash
# Screen test of the backups pane on an observer (kind_backups_from_json):
# a driver with --share and a backups pane over a directory of real dumps
# (a gzip dump that verifies, a zero-byte dump whose name carries an escape,
# an older one), an observer attached over the socket. The observer draws
# the set's header (verdict, source, where), the newest and the previous
# backup as the driver has them (the zero-byte one "zero bytes", its escape
# shown as ^[ and never sent to the terminal), and Enter's details of the
# newest end with what its check said and the restore commands to copy.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v gzip >/dev/null || skip_all "gzip not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

mkdir -p "$TMP/run" "$TMP/ohome" "$TMP/dumps"
chmod 700 "$TMP/run"
SOCK=$TMP/run/sitrep/share.sock
printf 'CREATE TABLE t (id int);\n' | gzip >"$TMP/dumps/app-20261207.sql.gz"
touch -d '-20 minutes' "$TMP/dumps/app-20261207.sql.gz"
: >"$TMP/dumps/app-20261207-"$'\e'"[2J.dump"
touch -d '-40 minutes' "$TMP/dumps/app-20261207-"$'\e'"[2J.dump"
printf 'CREATE TABLE t (id int);\n' | gzip >"$TMP/dumps/app-20261206.sql.gz"
touch -d '-25 hours' "$TMP/dumps/app-20261206.sql.gz"
TT_PANES='
    { "id": "dumps", "kind": "backups", "source": "dir", "glob": "'"$TMP/dumps/app-*"'", "verify": true, "max_age": "26h" }'
TT_TITLES=("1 dumps")
tt_start 120 30 XDG_RUNTIME_DIR="$TMP/run" -- --share
check "driver: the backups pane draws its newest dump" tm_wait_text 15 "app-20261207.sql.gz"
check "the socket is made" wait_for 5 test -S "$SOCK"

tm new-session -d -s o -x 120 -y 30 \
	"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state XDG_RUNTIME_DIR=$TMP/run $SITREP attach 2>$TMP/o.err; echo EXIT=\$?; sleep 600"
obs_has() { tm capture-pane -p -t o | grep -qF -- "$1"; }
check "observer: the set's header (verdict, source, where)" \
	wait_for 15 obs_has "ok   dumps  dir $TMP/dumps/app-*"
check "observer: the newest backup's row" wait_for 5 bash -c \
	"tmux -L '$TSOCK' capture-pane -p -t o | grep -qE 'dump +[0-9.]+B +app-20261207\.sql\.gz'"
check "observer: the previous one, not usable: zero bytes, its escape inert" \
	wait_for 5 obs_has "app-20261207-^[[2J.dump  zero bytes"
check "observer: no escape reached the terminal (the screen was not cleared)" obs_has "1 dumps"
tm send-keys -t o Enter
check "observer: Enter's details: what the check said" wait_for 5 obs_has "checked: gzip -t: ok"
check "observer: Enter's details: the restore command to copy" \
	wait_for 5 obs_has "gzip -dc $TMP/dumps/app-20261207.sql.gz"
check "observer still running" bash -c "! tmux -L '$TSOCK' capture-pane -p -t o | grep -q '^EXIT='"
tm send-keys -t o q
tm send-keys -t t q
check "driver quits" wait_for 10 tt_exited
tm_kill
finish
