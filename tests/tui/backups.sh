#!/usr/bin/env bash
# Screen test: the backups pane in the real dashboard on the lab (scripts/lab
# with releases, postgres and pgbackrest, incident played without load): a
# full backup before r2, r3 deployed without one. The pane and the status
# line say "no backup since r3"; B shows the exact argv, takes a backup
# (verified: pgbackrest lists it) and the cause goes; V restores it into a
# scratch cluster and reports it; Enter shows the production restore
# commands to copy; the timeline records the unprotected deploy and both
# actions.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v pgbackrest >/dev/null || skip_all "pgbackrest not installed"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || skip_all "no PostgreSQL server binaries"

LAB=$TMP/lab
trap '"$TOP/scripts/lab" down "$LAB" >/dev/null 2>&1; cleanup' EXIT
lab_up "releases postgres pgbackrest"
[ -n "${PGBR_CONF:-}" ] || { not_ok "the lab has a pgBackRest stanza"; finish; }
LAB_NO_LOAD=1 "$TOP/scripts/lab" play "$LAB" >/dev/null 2>"$TMP/play.err" || { diag <"$TMP/play.err"; not_ok "the incident played"; finish; }
pgbr_count() { pgbackrest --config="$PGBR_CONF" --stanza=app info --output=json | python3 -c "import json,sys; print(len(json.load(sys.stdin)[0]['backup']))"; }
check "one backup, taken before r2" test "$(pgbr_count)" = 1

tm_start 160 48 "$SITREP -c $LAB/sitrep.json"
check "the backups pane says no backup since r3" tm_wait_text 20 "no backup since r3 ✗"
check "the status line names it as a cause" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q 'no backup since r3'"
check "the data at risk is shown" tm_wait_text 10 "at risk: "

tm send-keys -t t 4
tm send-keys -t t B
check "B opens the confirmation" tm_wait_text 5 "Confirm backup"
# the dialog's own text: its columns only (panes show beside it), unwrapped
dialog_text() {
	tm_capture | python3 -c "
import sys
lines = sys.stdin.read().split('\n')
top = next(i for i, l in enumerate(lines) if 'Confirm' in l)
left = lines[top].index('\u250c\u2500 Confirm')
right = lines[top].index('\u2510', left)
out = []
for l in lines[top + 1:]:
    if len(l) <= left or l[left] == '\u2514':
        break
    out.append(l[left + 1:right])
print(''.join(out).replace(' ', ''))"
}
dialog_text >"$TMP/confirm.txt"
check "the dialog shows the exact argv" grep -qF -- "pgbackrest--config=$PGBR_CONF--stanza=appbackup--type=full(timeout120s" "$TMP/confirm.txt"
tm send-keys -t t y
check "the backup is verified: a new backup with its size" tm_wait_text 120 "new backup "
check "pgbackrest lists it" test "$(pgbr_count)" = 2
check "the pane now says it was taken after r3" tm_wait_text 20 "after r3 ✓"
check "the cause is gone from the status line" wait_for 10 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | tail -1 | grep -q 'no backup since r3'"

tm send-keys -t t V
check "V opens the confirmation" tm_wait_text 5 "Confirm verify"
dialog_text >"$TMP/confirm2.txt"
check "the dialog lists the restore into scratch, pg_ctl and the removal" bash -c "
	grep -q -- '--archive-mode=offrestore' '$TMP/confirm2.txt' && grep -q 'pg_ctl' '$TMP/confirm2.txt' && grep -q 'rm-rf' '$TMP/confirm2.txt'"
tm send-keys -t t y
check "the restore is verified: rows counted, time measured, scratch removed" tm_wait_text 180 "scratch removed"
tm_capture >"$TMP/after.txt"
check "no scratch directory is left" bash -c "! ls -d '$PGBR_SCRATCH'/sitrep-verify-* 2>/dev/null"

tm send-keys -t t Enter
check "Enter shows the production restore commands to copy" tm_wait_text 5 "restore production (copy; sitrep never runs these)"
check "with the newest backup's label" tm_wait_text 5 "--delta --set="
tm send-keys -t t Escape
tm send-keys -t t q
wait_for 10 tm_pane_dead

"$SITREP" -c "$LAB/sitrep.json" timeline >"$TMP/timeline.txt" 2>&1
check "the timeline has the deploy that went out without a backup" grep -q "r3 deployed with no backup of backups since r2" "$TMP/timeline.txt"
check "the timeline has the backup and the verify" bash -c "grep -q 'backup' '$TMP/timeline.txt' && grep -q 'scratch removed' '$TMP/timeline.txt'"
finish
