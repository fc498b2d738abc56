#!/usr/bin/env bash
# The command-line contract: exit codes, --check-config positions, --example-config,
# --once text and JSON (checked against schema version 1), read-only, bad usage.
source "$(dirname "$0")/../lib.sh"

# --version / --help
check "--version prints the version" bash -c "'$SITREP' --version | grep -qE '^sitrep [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help lists --once and --check-config" bash -c "'$SITREP' --help | grep -q -- '--once' && '$SITREP' --help | grep -q -- '--check-config'"

# bad usage exits 2 with a message
"$SITREP" --frobnicate >"$TMP/out" 2>&1; rc=$?
check "unknown option exits 2" [ "$rc" = 2 ]
check "unknown option is named" grep -q -- "unknown option --frobnicate" "$TMP/out"
"$SITREP" --refresh abc >"$TMP/out" 2>&1; rc=$?
check "--refresh abc exits 2" [ "$rc" = 2 ]
"$SITREP" --json >"$TMP/out" 2>&1; rc=$?
check "--json without --once exits 2" [ "$rc" = 2 ]

# --check-config: good, bad, missing
"$SITREP" --example-config >"$TMP/example.json"
check "--example-config passes --check-config" "$SITREP" --check-config -c "$TMP/example.json"
check "the example has comments" grep -q '^ *//' "$TMP/example.json"
# The example's logs pane: a missing log file is waited for, not a config error,
# and the commented-out inputs are valid once uncommented.
check "the example has a logs pane" grep -q '"kind": "logs"' "$TMP/example.json"
sed 's#/var/log/nginx/error.log#'"$TMP"'/no/such/error.log#' "$TMP/example.json" >"$TMP/example-missing.json"
check "a missing log file passes --check-config" "$SITREP" --check-config -c "$TMP/example-missing.json"
sed -E 's#^( *)// (, \{|    "org_id"|"patterns")#\1\2#' "$TMP/example.json" >"$TMP/example-inputs.json"
check "the example's other log inputs are valid uncommented" bash -c \
	"grep -q '^ *, { \"type\": \"loki\"' '$TMP/example-inputs.json' && LOKI_TOKEN=x '$SITREP' --check-config -c '$TMP/example-inputs.json' >/dev/null"
printf '{\n  "panes": [\n    { "kind": "metrics", "source": "procfs", "colour": 1 }\n  ]\n}\n' >"$TMP/bad.json"
"$SITREP" --check-config -c "$TMP/bad.json" >"$TMP/out" 2>&1; rc=$?
check "bad config exits 2" [ "$rc" = 2 ]
check "bad config names FILE:LINE:COL" grep -q "^$TMP/bad.json:3:46: unknown key \"colour\"" "$TMP/out"
printf '{ "panes": [ { "kind": "metrics", "source": "procfs" }, ] }' >"$TMP/comma.json"
"$SITREP" --check-config -c "$TMP/comma.json" >"$TMP/out" 2>&1; rc=$?
check "trailing comma exits 2 with position" bash -c "[ $rc = 2 ] && grep -q '^$TMP/comma.json:1:57: ' '$TMP/out'"
"$SITREP" --check-config -c "$TMP/nonexistent.json" >"$TMP/out" 2>&1; rc=$?
check "missing config file exits 2" bash -c "[ $rc = 2 ] && grep -q 'No such file' '$TMP/out'"
SITREP_CONFIG="$TMP/bad.json" "$SITREP" --check-config >"$TMP/out" 2>&1; rc=$?
check "SITREP_CONFIG is honoured" bash -c "[ $rc = 2 ] && grep -q bad.json '$TMP/out'"
mkdir -p "$TMP/xdg/sitrep" && cp "$TMP/bad.json" "$TMP/xdg/sitrep/config.json"
XDG_CONFIG_HOME="$TMP/xdg" "$SITREP" --check-config >"$TMP/out" 2>&1; rc=$?
check "XDG_CONFIG_HOME/sitrep/config.json is honoured" bash -c "[ $rc = 2 ] && grep -q xdg/sitrep/config.json '$TMP/out'"
XDG_CONFIG_HOME="$TMP/none" HOME="$TMP/none" "$SITREP" --check-config >"$TMP/out" 2>&1; rc=$?
check "no config file: the built-in default" bash -c "[ $rc = 0 ] && grep -q '<built-in>: ok' '$TMP/out'"

# --once with the built-in default: text and JSON
XDG_CONFIG_HOME="$TMP/none" HOME="$TMP/none" "$SITREP" --once >"$TMP/once.txt" 2>&1; rc=$?
check "--once (default config) exits 0" [ "$rc" = 0 ]
check "--once text shows the host pane and CPU" grep -qE '^ +CPU +[0-9.]+%' "$TMP/once.txt"
XDG_CONFIG_HOME="$TMP/none" HOME="$TMP/none" "$SITREP" --once --json >"$TMP/once.json" 2>"$TMP/err"; rc=$?
check "--once --json exits 0" [ "$rc" = 0 ]
python3 - "$TMP/once.json" >"$TMP/schema.out" 2>&1 <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
rfc = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
def need(cond, what):
    if not cond:
        print("schema violation:", what); sys.exit(1)
need(doc.get("version") == 1, "version 1")
need(isinstance(doc.get("generated_at"), str) and rfc.match(doc["generated_at"]), "generated_at RFC3339")
need(isinstance(doc.get("read_only"), bool), "read_only bool")
need(isinstance(doc.get("panes"), list) and doc["panes"], "panes list")
kinds = set()
for p in doc["panes"]:
    for k in ("id", "kind", "source", "state", "error", "updated_at", "data"):
        need(k in p, f"pane key {k}")
    need(p["state"] in ("ok", "stale", "error", "init"), "state value")
    need(p["error"] is None or isinstance(p["error"], str), "error str|null")
    need(p["updated_at"] is None or rfc.match(p["updated_at"]), "updated_at")
    need(isinstance(p["data"], dict), "data object")
    kinds.add(p["kind"])
    if p["kind"] == "metrics" and p["state"] == "ok":
        for s in p["data"]["series"]:
            for k in ("name", "value", "unit", "status", "labels", "history", "error"):
                need(k in s, f"series key {k}")
            need(s["status"] in ("ok", "warn", "crit", "unknown"), "status value")
            need(s["value"] is None or isinstance(s["value"], (int, float)), "value num|null")
            need(all(v is None or isinstance(v, (int, float)) for v in s["history"]), "history")
host = [p for p in doc["panes"] if p["id"] == "host"][0]
cpu = [s for s in host["data"]["series"] if s["name"] == "CPU"][0]
need(isinstance(cpu["value"], (int, float)) and 0 <= cpu["value"] <= 100, "numeric CPU")
need({"metrics", "logs", "deploys", "cdn"} <= kinds, "default panes: metrics, logs, deploys, cdn")
print("schema ok")
PY
check "--once --json matches schema version 1" grep -q "schema ok" "$TMP/schema.out" || diag <"$TMP/schema.out"

# read-only is reported
SITREP_READ_ONLY=1 XDG_CONFIG_HOME="$TMP/none" HOME="$TMP/none" "$SITREP" --once --json >"$TMP/ro.json" 2>/dev/null
check "SITREP_READ_ONLY=1 gives read_only true" python3 -c "import json,sys; sys.exit(0 if json.load(open('$TMP/ro.json'))['read_only'] is True else 1)"
XDG_CONFIG_HOME="$TMP/none" HOME="$TMP/none" "$SITREP" --once --json --read-only >"$TMP/ro.json" 2>/dev/null
check "--read-only gives read_only true" python3 -c "import json,sys; sys.exit(0 if json.load(open('$TMP/ro.json'))['read_only'] is True else 1)"

# a pane whose source fails: exit 1, the other panes still report
cat >"$TMP/noproc.json" <<JSON
{ "panes": [
  { "id": "broken", "kind": "metrics", "source": "procfs", "proc_root": "$TMP/no-such-proc" },
  { "id": "fine", "kind": "metrics", "source": "procfs" } ] }
JSON
"$SITREP" --once --json -c "$TMP/noproc.json" >"$TMP/noproc.out" 2>"$TMP/noproc.err"; rc=$?
check "a failing pane makes --once exit 1" [ "$rc" = 1 ]
check "the failing pane is in state error with its message" python3 -c "
import json,sys
d = {p['id']: p for p in json.load(open('$TMP/noproc.out'))['panes']}
sys.exit(0 if d['broken']['state'] == 'error' and 'no-such-proc' in d['broken']['error'] and d['fine']['state'] == 'ok' else 1)"

# sitrep timeline prints the audit log, sanitized, as text or Markdown
mkdir -p "$TMP/state"
printf '{ "state_dir": "%s", "panes": [ { "kind": "metrics", "source": "procfs" } ] }' "$TMP/state" >"$TMP/state.json"
"$SITREP" timeline -c "$TMP/state.json" >"$TMP/tl.out" 2>&1
check "timeline with no actions says so" grep -q "no actions recorded yet" "$TMP/tl.out"
printf '%s\n' '{"time":"2026-11-22T01:00:00Z","user":"ana","action":"silence","target":"HighCPU","pane":"alerts","result":"ok","detail":"\u001b[31mred|x"}' >"$TMP/state/audit.jsonl"
"$SITREP" -c "$TMP/state.json" timeline >"$TMP/tl.out" 2>&1
check "timeline lists the action" grep -q "2026-11-22T01:00:00Z  ana .*silence .*HighCPU" "$TMP/tl.out"
check "timeline output is sanitized" bash -c "grep -qF '^[[31m' '$TMP/tl.out' && ! grep -q $'\e' '$TMP/tl.out'"
"$SITREP" timeline --markdown -c "$TMP/state.json" >"$TMP/tl.md" 2>&1
check "timeline --markdown is a table row, outside text in a code span" \
	grep -qF '| 2026-11-22T01:00:00Z | ana | silence HighCPU | alerts | ok | `^[[31mred\|x` |' "$TMP/tl.md"
"$SITREP" timeline --bogus >/dev/null 2>&1
check "timeline with a bad argument exits 2" [ $? = 2 ]

finish
