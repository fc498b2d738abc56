#!/usr/bin/env bash
# health: `--once` says how the system is, not only whether each fetch
# worked. Each pane carries its "health" (the worst level its data shows);
# the top level has "health" (ok|warn|crit, a pane without data at least
# warn) and "causes" (what the status line shows, "PANE: what"); `--fail-on
# warn|crit` exits 1 at that health, the default exit status is unchanged;
# a pane still without an answer when --once ends is "init" with "pending",
# never "ok" and never an invented error. The procfs panes read a captured
# /proc (tests/data/proc), so the levels are exact: memory is at 1.3 %.
source "$(dirname "$0")/../lib.sh"

PROC=$TOP/tests/data/proc
calm='{ "id": "calm", "kind": "metrics", "source": "procfs", "proc_root": "'$PROC'" }'
warm='{ "id": "warm", "kind": "metrics", "source": "procfs", "proc_root": "'$PROC'", "memory_warn": 1 }'
hot='{ "id": "hot", "kind": "metrics", "source": "procfs", "proc_root": "'$PROC'", "memory_warn": 0.5, "memory_crit": 1 }'
config() { # config NAME PANE...
	local f=$TMP/$1.json; shift
	local IFS=,
	echo "{ \"panes\": [ $* ] }" >"$f"
	chmod 600 "$f"
	echo "$f"
}
once() { # once CONFIG [ARGS...]: JSON in $TMP/out.json, exit status in $RC
	local c=$1; shift
	"$SITREP" --once --json -c "$c" "$@" >"$TMP/out.json" 2>"$TMP/err"
	RC=$?
}
jq_py() { python3 -c "import json,sys; d=json.load(open('$TMP/out.json')); $1"; }

once "$(config calm "$calm")"
check "calm: health ok, no causes, exit 0" jq_py "assert d['health']=='ok' and d['causes']==[] and d['panes'][0]['health']=='ok', d"
check "calm: exit 0" test "$RC" = 0
once "$(config calm "$calm")" --fail-on warn
check "calm with --fail-on warn: exit 0" test "$RC" = 0

C=$(config mixed "$calm" "$warm" "$hot")
once "$C"
check "mixed: top-level health is the worst pane's (crit)" jq_py "assert d['health']=='crit', d['health']"
check "mixed: each pane says its own health" jq_py "
h={p['id']:(p['state'],p['health']) for p in d['panes']}
assert h=={'calm':('ok','ok'),'warm':('ok','warn'),'hot':('ok','crit')}, h"
check "mixed: the causes are the status line's, PANE: what, the crit ones first within a kind" jq_py "
assert d['causes']==['hot: Memory crit 1.3%','warm: Memory warn 1.3%'], d['causes']"
check "mixed: default exit status unchanged (0: no pane failed)" test "$RC" = 0
once "$C" --fail-on crit
check "--fail-on crit at crit: exit 1" test "$RC" = 1
once "$(config warmonly "$calm" "$warm")" --fail-on crit
check "--fail-on crit at warn: exit 0" test "$RC" = 0
once "$(config warmonly "$calm" "$warm")" --fail-on warn
check "--fail-on warn at warn: exit 1" test "$RC" = 1

# text output ends with the same health and causes
"$SITREP" --once -c "$C" >"$TMP/out.txt" 2>&1
check "text: each pane's state and health" grep -q '^hot (metrics/procfs): ok, health crit$' "$TMP/out.txt"
check "text: health and causes at the end" bash -c "tail -3 '$TMP/out.txt' | tr '\n' '|' | grep -qF 'health: crit|  hot: Memory crit 1.3%|  warm: Memory warn 1.3%|'"

# a server that accepts and never answers: init with pending, never ok
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(120)' "$TMP/port" &
track_pid $!
wait_for 10 test -s "$TMP/port"
silent='{ "id": "silent", "kind": "metrics", "source": "prometheus", "url": "http://127.0.0.1:'$(cat "$TMP/port")'", "queries": [ { "name": "up", "expr": "up" } ] }'
SITREP_ONCE_TIMEOUT=1 once "$(config silent "$calm" "$silent")"
check "silent: the pane is reported in init, with why" jq_py "
p=[p for p in d['panes'] if p['id']=='silent'][0]
assert p['state']=='init' and p['health']=='unknown' and p['error'] is None and p['pending']=='no answer within 1 s', p"
check "silent: not knowing is not ok (health warn)" jq_py "assert d['health']=='warn', d['health']"
check "silent: exit 1 as a pane that did not answer" test "$RC" = 1
SITREP_ONCE_TIMEOUT=1 "$SITREP" --once -c "$TMP/silent.json" >"$TMP/silent.txt" 2>&1
check "silent, text: init with why" grep -q '^silent (metrics/prometheus): init: no answer within 1 s$' "$TMP/silent.txt"

# usage
"$SITREP" --once --fail-on maybe -c "$C" >/dev/null 2>"$TMP/err"
check "--fail-on maybe: usage error, exit 2" test $? = 2
check "... naming the levels" grep -q 'warn or crit' "$TMP/err"
"$SITREP" --fail-on crit -c "$C" --check-config >/dev/null 2>&1
check "--fail-on without --once: usage error" test $? = 2
check "--help names --fail-on" bash -c "'$SITREP' --help | grep -q -- '--fail-on LEVEL'"
check "bash completion offers --fail-on and its levels" bash -c "grep -q -- '--fail-on)' '$TOP/completions/sitrep.bash' && grep -q -- '--fail-on' '$TOP/completions/_sitrep' && grep -q -- 'fail-on' '$TOP/completions/sitrep.fish'"
finish
