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

# every subcommand takes -h/--help: its usage on stdout, exit 0, before any
# config is read (a broken or missing one does not matter); every subcommand
# and verb sitrep --help lists is checked, so a new one is held to it too
subs=$("$SITREP" --help | sed -n 's/^ *\(usage: \)\{0,1\}sitrep \([a-z][a-z_]*\).*/\2/p' | sort -u)
check "--help lists subcommands ($(echo $subs))" bash -c "grep -qx do <<<'$subs' && grep -qx timeline <<<'$subs'"
verbs=$("$SITREP" --help | sed -n 's/^ *sitrep do \([a-z_]*\).*/\1/p')
for cmd in $(for s in $subs; do echo "$s"; done) $(for v in $verbs; do echo "do:$v"; done); do
	words=${cmd/:/ }
	for h in -h --help; do
		"$SITREP" $words $h -c "$TMP/nonexistent.json" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		check "sitrep $words $h: exit 0, usage on stdout, nothing on stderr" bash -c "[ $rc = 0 ] &&
			head -1 '$TMP/out' | grep -q '^usage: sitrep $words' && [ ! -s '$TMP/err' ]"
	done
done
"$SITREP" do purge --help >"$TMP/out" 2>&1
check "sitrep do purge --help: only purge's usage, and what it does" bash -c "
	[ \$(grep -c 'sitrep do' '$TMP/out') = 1 ] && grep -q '^purge ' '$TMP/out'"
"$SITREP" do --help >"$TMP/out" 2>&1
check "sitrep do --help: every verb" bash -c "[ \$(grep -c 'sitrep do' '$TMP/out') = $(echo "$verbs" | wc -w) ]"
"$SITREP" timeline --since 2h -h >"$TMP/out" 2>&1; rc=$?
check "-h after a subcommand's options" bash -c "[ $rc = 0 ] && grep -q 'usage: sitrep timeline' '$TMP/out'"
"$SITREP" timeline --bogus >"$TMP/out" 2>&1; rc=$?
check "a bad subcommand option is still a usage error (exit 2)" [ "$rc" = 2 ]

# the completions offer -h/--help after each subcommand
compl() {
	env -i PATH="$PATH" bash --norc --noprofile -c '
		source "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_sitrep sitrep "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' "$ROOT/completions/sitrep.bash" "$@"
}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
for words in "do" "do purge" "timeline"; do
	got=$(compl "$SITREP" $words --h)
	check "bash: 'sitrep $words --h' gives --help ($got)" test "$got" = "--help "
done
got=$(compl "$SITREP" do '')
check "bash: 'sitrep do ' still gives only the verbs ($got)" test "$got" = "$(echo $verbs | tr ' ' '\n' | sort | tr '\n' ' ')"
check "zsh completion offers --help after do and timeline" \
	bash -c "[ \$(grep -c -- '{-h,--help}' '$ROOT/completions/_sitrep') -ge 3 ] && grep -q 'compadd -- -h --help' '$ROOT/completions/_sitrep'"
check "fish completion offers --help after do and timeline" \
	grep -q "__fish_seen_subcommand_from do timeline[a-z ]*' -s h -l help" "$ROOT/completions/sitrep.fish"
if command -v fish >/dev/null; then
	check "fish: the completion parses" fish -n "$ROOT/completions/sitrep.fish"
fi
if command -v zsh >/dev/null; then
	check "zsh: the completion parses" zsh -n "$ROOT/completions/_sitrep"
fi

# the docs say what the code does
DOC=$ROOT/docs/configuration.md
section() { awk -v h="$2" 'index($0, h) == 1 { on = 1; print; next } on && /^##/ { exit } on' "$1"; }
printf '{ "panes": [ { "kind": "nokind" } ] }\n' >"$TMP/k.json"
kinds=$("$SITREP" --check-config -c "$TMP/k.json" 2>&1 | sed -n 's/.*expected one of: \(.*\))$/\1/p')
row=$(grep '^| `kind` |' "$DOC" | cut -d'|' -f5 | tr -d ' ')
check "configuration.md: \"Every pane\" lists every kind of the build ($kinds)" \
	test "$(tr ',' '\n' <<<"$row" | sort | tr '\n' ' ')" = "$(tr -d ' ' <<<"$kinds" | tr ',' '\n' | sort | tr '\n' ' ')"
printf '{ "panes": [ { "kind": "deploys" } ] }\n' >"$TMP/d.json"
dsrc=$("$SITREP" --check-config -c "$TMP/d.json" 2>&1 | sed -n 's/.*expected one of: \(.*\), for kind.*/\1/p' | tr -d ' ' | tr ',' ' ')
section "$DOC" "## Built-in default" >"$TMP/builtin.md"
check "configuration.md: the built-in default promises no later version" bash -c "! grep -qiE 'later version|not available' '$TMP/builtin.md'"
for s in $dsrc; do
	[ "$s" = note ] && continue
	check "configuration.md: the built-in default names deploy source $s" grep -q "\`$s\`" "$TMP/builtin.md"
done
section "$DOC" "### http (kind checks)" >"$TMP/checks.md"
for k in $(sed -n 's/.*config_get_[a-z_]*(ctx, [a-z]*, "\([a-z_]*\)".*/\1/p' "$ROOT/backends/http.c" | sort -u); do
	check "configuration.md: the checks section documents \"$k\"" grep -q "\`$k\`" "$TMP/checks.md"
done
check "configuration.md: the checks section does not call TLS days unmeasured" \
	bash -c "! grep -qi 'not measured' '$TMP/checks.md'"
section "$DOC" "### alertmanager (kind alerts)" >"$TMP/am.md"
check "configuration.md: createdBy's fallbacks are said once" test "$(grep -o 'LOGNAME' "$TMP/am.md" | wc -l)" = 1
# SITREP_READ_ONLY: what the code does, and the man page and README say it
printf '{ "panes": [ { "id": "host", "kind": "metrics", "source": "procfs" } ] }\n' >"$TMP/ro.json"
chmod 600 "$TMP/ro.json"
for v in 0 false No OFF '' ' off '; do
	got=$(SITREP_READ_ONLY="$v" "$SITREP" --once --json -c "$TMP/ro.json" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["read_only"])')
	check "SITREP_READ_ONLY='$v' leaves actions allowed" test "$got" = False
done
for v in 1 true YES on maybe 2; do
	got=$(SITREP_READ_ONLY="$v" "$SITREP" --once --json -c "$TMP/ro.json" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["read_only"])')
	check "SITREP_READ_ONLY='$v' means read-only (fails closed)" test "$got" = True
done
sed -n '/^\.B SITREP_READ_ONLY/,/^\.TP/p' "$ROOT/docs/sitrep.1" >"$TMP/ro.man"
for w in 0 false no off; do
	check "sitrep.1: SITREP_READ_ONLY names $w as an explicit false" grep -qF "\\fB$w\\fR" "$TMP/ro.man"
done
check "sitrep.1: SITREP_READ_ONLY fails closed, as the README says" \
	bash -c "grep -q 'fails' '$TMP/ro.man' && grep -q 'anything but an explicit false' '$TMP/ro.man' &&
	grep -q 'fails closed: any value but an explicit false' '$ROOT/README.md'"
# the lab's ports, users and names are in the README's demo section
section "$ROOT/README.md" "## The demo" >"$TMP/demo.md"
for var in $(sed -n 's/.*env_add "\([A-Z_]*\)=.*/\1/p' "$ROOT/scripts/lab" | sort -u); do
	check "README demo: DIR/env's $var" grep -q "\`$var\`" "$TMP/demo.md"
done
for id in $(sed -n 's/.*{ "id": "\([a-z]*\)".*/\1/p' "$ROOT/scripts/lab" | sort -u); do
	check "README demo: the lab's pane $id" grep -q "\`$id\`" "$TMP/demo.md"
done
check "README demo: the database user and name" bash -c "grep -q 'user \`postgres\`' '$TMP/demo.md' && grep -q 'database \`app\`' '$TMP/demo.md'"

finish
