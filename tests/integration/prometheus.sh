#!/usr/bin/env bash
# Integration: a real prometheus scraping a real prometheus-node-exporter every
# second, queried by `sitrep --once --json`: a CPU query gives a number and a
# history; a syntax error shows Prometheus's own error text; a token given
# through token_env is never printed; a query over 1500 characters goes as a
# POST form and is computed whole.
source "$(dirname "$0")/../lib.sh"
command -v prometheus >/dev/null && command -v prometheus-node-exporter >/dev/null ||
	skip_all "prometheus or prometheus-node-exporter not installed"

lab_up "node prometheus"
ok "prometheus and node exporter started on 127.0.0.1:$PROM_PORT / $NODE_PORT"

CPU='100 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[1m])) * 100'
# Over 1500 characters: sent as a POST form; Prometheus must compute all of it.
LONG="vector(1)$(printf ' + vector(1)%.0s' $(seq 1 150))"
cat >"$TMP/sitrep.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "prod", "kind": "metrics", "source": "prometheus", "url": "$PROM_URL",
    "token_env": "SITREP_TEST_PROM_TOKEN", "window_minutes": 2,
    "queries": [
      { "name": "CPU", "expr": "$CPU", "unit": "%", "warn": 80, "crit": 95 },
      { "name": "Broken", "expr": "sum(rate(node_cpu_seconds_total[1m])" },
      { "name": "PerCPU", "expr": "rate(node_cpu_seconds_total{mode=\"idle\"}[1m])", "by": "cpu", "top": 1 },
      { "name": "Long", "expr": "$LONG" } ] } ] }
JSON

SECRET="tok-$RANDOM-do-not-print"
export SITREP_TEST_PROM_TOKEN=$SECRET
# rate() needs two scrapes inside its window, and a fresh Prometheus takes a
# few seconds to have them: poll until the CPU query has a value and history.
has_data() {
	"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/out.json" 2>"$TMP/err.txt"
	python3 -c "import json; d=json.load(open('$TMP/out.json')); s=[x for x in d['panes'][0]['data']['series'] if x['name']=='CPU'][0]; assert s['value'] is not None and any(h is not None for h in s['history'])"
}
wait_for 40 has_data
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/out.json" 2>"$TMP/err.txt"
rc=$?
check "--once exits 0 with a working prometheus (rc=$rc)" test "$rc" -eq 0

q() { python3 -c "import json,sys; d=json.load(open('$TMP/out.json')); s=d['panes'][0]['data']['series']; $1" 2>&1; }
check "the pane is ok" test "$(q "print(d['panes'][0]['state'])")" = ok
v=$(q "print([x for x in s if x['name']=='CPU'][0]['value'])")
check "CPU has a numeric value ($v)" python3 -c "import sys; v=float('$v'); sys.exit(0 if 0 <= v <= 100 else 1)"
n=$(q "print(sum(1 for h in [x for x in s if x['name']=='CPU'][0]['history'] if h is not None))")
check "CPU has a non-empty history ($n samples)" test "${n:-0}" -ge 1
e=$(q "print([x for x in s if x['name']=='Broken'][0]['error'])")
check "the syntax error shows Prometheus's text ($e)" grep -q "parse error" <<<"$e"
check "the broken query keeps its entry without a value" test "$(q "print([x for x in s if x['name']=='Broken'][0]['value'])")" = None
c=$(q "print(len([x for x in s if x['name']=='PerCPU']))")
check "top 1 of the per-CPU series is shown ($c)" test "$c" = 1
check "the per-CPU row is labelled by cpu" test "$(q "print(list([x for x in s if x['name']=='PerCPU'][0]['labels'].keys()))")" = "['cpu']"
check "a ${#LONG}-character query (POST) is computed whole: 151" test "$(q "print([x for x in s if x['name']=='Long'][0]['value'])")" = 151
check "the token is not in the output" bash -c "! grep -qF '$SECRET' '$TMP/out.json' '$TMP/err.txt'"

# Plain output draws the same error.
"$SITREP" --once -c "$TMP/sitrep.json" >"$TMP/out.txt" 2>&1
check "plain --once shows the error text" grep -q "unclosed left parenthesis" "$TMP/out.txt"
check "plain --once hides the token" bash -c "! grep -qF '$SECRET' '$TMP/out.txt'"

# Prometheus stopped: the pane fails, exit 1, with the connection error.
"$TOP/scripts/lab" down "$LAB"
"$SITREP" --once --json -c "$TMP/sitrep.json" >"$TMP/down.json" 2>/dev/null
rc=$?
check "--once exits 1 when prometheus is down (rc=$rc)" test "$rc" -eq 1
check "the error names the refused connection" grep -qi "connect" "$TMP/down.json"
finish
