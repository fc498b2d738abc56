#!/usr/bin/env bash
# State files are regular, owned and loud when they fail, on the command line
# (the dashboard's side is tests/tui/state-files.sh). For each planted thing
# in the state dir, every command that opens it ends within seconds (timeout
# 5: a FIFO used to block open() for ever), names the file and the reason on
# stderr, exits non-zero, and neither reads nor writes what it refused:
#   - a FIFO as timeline.jsonl or audit.jsonl: `sitrep timeline`, `--once`,
#     `do restart --yes` (whose command must not run);
#   - a symlink as either file: ELOOP's "symbolic link", not "No such file";
#   - a state dir or file another user could have written (group/other
#     writable, or owned by another uid): a forged "alice rollback r1 ok" is
#     not printed, nothing is appended, no action is sent;
#   - an outcome that cannot be recorded after the action ran: exit 1.
source "$(dirname "$0")/../lib.sh"

S=$TMP/state
mkdir -p "$TMP/app/releases/r1"
ln -s releases/r1 "$TMP/app/current"
# the restart leaves a mark when it runs: a refused action must leave none
cat >"$TMP/c.json" <<JSON
{ "state_dir": "$S", "panes": [
  { "id": "story", "kind": "timeline" },
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$TMP/app",
    "restart": ["touch", "$TMP/restarted"] } ] }
JSON
chmod 600 "$TMP/c.json"

fresh() { rm -rf "$S" "$TMP/restarted"; mkdir -m 700 "$S"; }
# run ARGS...: sitrep with a deadline (SIGKILL after it: a sitrep blocked in open()
# ignores SIGTERM, which its loop would handle); rc in $rc, stderr in $TMP/err
run() { timeout -k 1 5 "$SITREP" -c "$TMP/c.json" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
says() { grep -qF -- "$1" "$TMP/err"; }
forged='{"time":"2026-11-30T00:00:00Z","user":"alice","action":"rollback","target":"r1","result":"ok"}'

# --- FIFOs -------------------------------------------------------------------
for f in timeline.jsonl audit.jsonl; do
	fresh
	mkfifo "$S/$f"
	run timeline
	check "FIFO $f: sitrep timeline ends (no hang) with exit 1" [ "$rc" = 1 ]
	check "FIFO $f: sitrep timeline names the file and says FIFO" says "$S/$f is a FIFO, not a regular file"
	run --once
	check "FIFO $f: --once ends by itself (no hang, not killed)" [ "$rc" -lt 124 ]
	check "FIFO $f: --once shows why the history is missing" \
		grep -qF "history not read: $S/$f is a FIFO" "$TMP/out"
	run do restart --yes
	check "FIFO $f: do restart --yes ends (no hang), exit $([ $f = audit.jsonl ] && echo 1 || echo 0)" \
		[ "$rc" = "$([ $f = audit.jsonl ] && echo 1 || echo 0)" ]
	if [ "$f" = audit.jsonl ]; then
		check "FIFO audit.jsonl: the restart is not sent" [ ! -e "$TMP/restarted" ]
		check "FIFO audit.jsonl: do says the audit log is a FIFO" says "audit.jsonl is a FIFO"
	fi
	check "FIFO $f: still a FIFO (never replaced or written)" [ -p "$S/$f" ]
done

# --- symlinks ----------------------------------------------------------------
for f in timeline.jsonl audit.jsonl; do
	fresh
	ln -s "$TMP/elsewhere" "$S/$f"
	run timeline
	check "symlink $f: sitrep timeline exits 1" [ "$rc" = 1 ]
	check "symlink $f: the error is the symlink (ELOOP), not ENOENT" says "$S/$f is a symbolic link"
	check "symlink $f: ... and never 'No such file'" bash -c "! grep -q 'No such file' '$TMP/err'"
done
run do restart --yes
check "symlink audit.jsonl: do restart exits 1" [ "$rc" = 1 ]
check "symlink audit.jsonl: the restart is not sent" [ ! -e "$TMP/restarted" ]
check "symlink audit.jsonl: the link is not followed" [ ! -e "$TMP/elsewhere" ]

# --- a state dir or file another user could have written ----------------------
plant() { # plant DIR_MODE FILE_MODE: a state dir holding the forged record
	fresh
	echo "$forged" >"$S/audit.jsonl"
	chmod "$2" "$S/audit.jsonl"
	chmod "$1" "$S"
}
for modes in "0777 0600" "0770 0600" "0700 0666" "0700 0620"; do
	set -- $modes
	plant "$1" "$2"
	run timeline
	check "dir $1, audit.jsonl $2: sitrep timeline exits 1" [ "$rc" = 1 ]
	check "dir $1, audit.jsonl $2: the forged rollback is not printed" bash -c "! grep -q alice '$TMP/out'"
	check "dir $1, audit.jsonl $2: it says others can write it" says "can be written by other users"
	run do restart --yes
	check "dir $1, audit.jsonl $2: do restart is refused (exit 1), not sent" \
		bash -c "[ $rc = 1 ] && [ ! -e '$TMP/restarted' ]"
	check "dir $1, audit.jsonl $2: nothing appended to the planted log" [ "$(wc -l <"$S/audit.jsonl")" = 1 ]
done
if [ "$(id -u)" = 0 ]; then
	# root can make the dir of another user (nobody) as a hostile local user would
	plant 0777 0666
	chown -R 65534 "$S"
	run timeline
	check "dir of uid 65534: sitrep timeline exits 1" [ "$rc" = 1 ]
	check "dir of uid 65534: the forged rollback is not printed" bash -c "! grep -q alice '$TMP/out'"
	check "dir of uid 65534: it names the owner" says "belongs to uid 65534"
	run do restart --yes
	check "dir of uid 65534: do restart is refused, not sent" bash -c "[ $rc = 1 ] && [ ! -e '$TMP/restarted' ]"
	check "dir of uid 65534: nothing appended" [ "$(wc -l <"$S/audit.jsonl")" = 1 ]
	# our own 0700 dir with a file of another user's in it
	plant 0700 0600
	chown 65534 "$S/audit.jsonl"
	run timeline
	check "audit.jsonl of uid 65534 in our dir: not read (exit 1, no alice)" \
		bash -c "[ $rc = 1 ] && ! grep -q alice '$TMP/out'"
else
	ok "# SKIP foreign-owned state dir: needs root to chown"
fi
# the same record in a dir and file that are ours is read: the rule is not "refuse all"
plant 0700 0600
run timeline
check "ours, 0700 and 0600: the record is shown (exit 0)" bash -c "[ $rc = 0 ] && grep -q alice '$TMP/out'"

# --- an outcome that cannot be recorded is not silent -------------------------
fresh
cat >"$TMP/swap.json" <<JSON
{ "state_dir": "$S", "panes": [
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$TMP/app",
    "restart": ["sh", "-c", "rm -f '$S/audit.jsonl' && mkfifo '$S/audit.jsonl'"] } ] }
JSON
chmod 600 "$TMP/swap.json"
timeout -k 1 10 "$SITREP" -c "$TMP/swap.json" do restart --yes >"$TMP/out" 2>"$TMP/err"; rc=$?
check "the audit log swapped for a FIFO during the restart: exit 1, no hang" [ "$rc" = 1 ]
check "... and stderr says the outcome was not recorded, and why" says "not recorded in the audit log"
check "... naming the FIFO" says "audit.jsonl is a FIFO"
cat "$TMP/err" | diag
finish
