#!/usr/bin/env bash
# The action contract on the command line: `sitrep do` walks the kind tables
# (every verb in the usage), bad arguments are usage errors before anything is
# sent, a verb only goes to a pane of its kind, read-only refuses and records,
# and SITREP_READ_ONLY fails closed for every value but an explicit false.
source "$(dirname "$0")/../lib.sh"

cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "host", "kind": "metrics", "source": "procfs" },
  { "id": "alerts", "kind": "alerts", "source": "alertmanager", "url": "http://127.0.0.1:9" } ] }
JSON
chmod 600 "$TMP/c.json"

"$SITREP" do >"$TMP/out" 2>&1; rc=$?
check "do without a verb is bad usage" [ "$rc" = 2 ]
for v in "silence ALERTNAME" "purge [--stale|--all|PATH...]" "restart" "rollback [RELEASE]" "cancel PID|--group QUERYID"; do
	check "the usage lists: do $v" grep -qF "sitrep do $v" "$TMP/out"
done
"$SITREP" --help >"$TMP/help" 2>&1
check "--help lists the verbs from the same tables" grep -qF "sitrep do cancel PID|--group QUERYID [--terminate]" "$TMP/help"

for d in infs 1e308w 1000000000w nanm 367d 5; do
	"$SITREP" -c "$TMP/c.json" do silence X --for "$d" --yes >"$TMP/out" 2>&1; rc=$?
	check "--for $d is bad usage (exit 2)" [ "$rc" = 2 ]
done
check "nothing was recorded for bad usage" [ ! -e "$TMP/state/audit.jsonl" ]

"$SITREP" -c "$TMP/c.json" do purge --yes >"$TMP/out" 2>&1; rc=$?
check "purge without a cdn pane is bad usage" [ "$rc" = 2 ]
check "it says which pane kind is missing" grep -q "no cdn pane" "$TMP/out"
"$SITREP" -c "$TMP/c.json" do silence X --pane host --yes >"$TMP/out" 2>&1; rc=$?
check "a verb aimed at a pane of another kind is bad usage" [ "$rc" = 2 ]
check "it names the kinds" grep -q "host' is a metrics pane; silence needs a alerts pane" "$TMP/out"

"$SITREP" -c "$TMP/c.json" do silence X </dev/null >"$TMP/out" 2>&1; rc=$?
check "without --yes and without a terminal it refuses (exit 3)" [ "$rc" = 3 ]
check "the refusal is recorded" grep -q '"result":"refused".*no terminal to confirm' "$TMP/state/audit.jsonl"

# SITREP_READ_ONLY: only an explicit false lets actions through
ro() { SITREP_READ_ONLY="$1" "$SITREP" --once --json -c "$TMP/c.json" 2>"$TMP/err" |
	python3 -c "import json,sys; print(json.load(sys.stdin)['read_only'])"; }
for v in 1 TRUE Yes on "1 " " true"; do
	check "SITREP_READ_ONLY='$v' is read-only" [ "$(ro "$v")" = True ]
done
for v in 0 false NO off "" " 0 "; do
	check "SITREP_READ_ONLY='$v' is not read-only" [ "$(ro "$v")" = False ]
done
check "an unknown value is read-only" [ "$(ro maybe)" = True ]
check "and warns" grep -q 'SITREP_READ_ONLY="maybe"' "$TMP/err"

SITREP_READ_ONLY=Yes "$SITREP" -c "$TMP/c.json" do silence X --yes >"$TMP/out" 2>&1; rc=$?
check "read-only (Yes) refuses do with exit 3" [ "$rc" = 3 ]
check "the read-only refusal is recorded" grep -q '"target":"X".*"result":"refused".*read-only' "$TMP/state/audit.jsonl"
# "keys": the dashboard's actions and every verb of every kind, nothing else
cat >"$TMP/keys.json" <<JSON
{ "keys": { "silence": "S", "cancel": "x", "terminate": "X", "purge_all": "F5", "quit": "Q" },
  "panes": [ { "id": "host", "kind": "metrics", "source": "procfs" } ] }
JSON
chmod 600 "$TMP/keys.json"
check "every verb can be rebound" "$SITREP" --check-config -c "$TMP/keys.json"
cat >"$TMP/badkey.json" <<JSON
{ "keys": { "frobnicate": "x" }, "panes": [ { "id": "host", "kind": "metrics", "source": "procfs" } ] }
JSON
"$SITREP" --check-config -c "$TMP/badkey.json" >"$TMP/out" 2>&1; rc=$?
check "an unknown action in keys is a config error (exit 2)" [ "$rc" = 2 ]
check "at its position, listing the verbs from the tables" grep -qE 'badkey.json:1:[0-9]+: unknown action "frobnicate".*terminate' "$TMP/out"
finish
