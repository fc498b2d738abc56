#!/bin/bash
# logs-formats: a line's severity comes from its own format end to end, on
# both ways a line reaches the store: a file read from its start (the backlog
# scan on the thread pool) and a command's output (line by line). The corpus
# tests/data/logs/formats holds one file per format and the expected severity
# of each line (NAME.sev: E, W, I); each file's error and warning counts must
# be those of its .sev. The "format" key of an input names one format (its
# lines get that format's level, "keywords" reads no level at all) and an
# unknown name is a config error.
source "$(dirname "$0")/../lib.sh"
CORPUS=$TOP/tests/data/logs/formats

# counts SOURCE-JSON: "lines errors warnings" of a pane with that one input.
counts() {
	printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ %s ] } ] }\n' "$1" >"$TMP/c.json"
	chmod 600 "$TMP/c.json"
	"$SITREP" --once --json -c "$TMP/c.json" | python3 -c 'import json,sys
c = json.load(sys.stdin)["panes"][0]["data"]["counts"]
print(c["lines"], c["errors"], c["warnings"])'
}
want() { echo "$(wc -l <"$1") $(grep -c '^E$' "$1") $(grep -c '^W$' "$1")"; }

for log in "$CORPUS"/*.log; do
	name=$(basename "$log" .log)
	w=$(want "$CORPUS/$name.sev")
	got=$(counts "{ \"type\": \"file\", \"path\": \"$log\", \"from\": \"start\" }")
	check "$name: file from start: lines errors warnings $got (want $w)" test "$got" = "$w"
	got=$(counts "{ \"type\": \"command\", \"argv\": [\"cat\", \"$log\"] }")
	# a command's exit is recorded as one more (warning) line of sitrep's own
	read -r l e wn <<<"$w"
	check "$name: command output: $got (want $((l + 1)) $e $((wn + 1)))" test "$got" = "$((l + 1)) $e $((wn + 1))"
done

# --- the "format" key ------------------------------------------------------------
printf '%s\n' 'E1207 04:10:04.551203 4412 reflector.go:138] list failed' \
	'level=info msg="batch done" error=none' 'level=info msg="cache" warning=none' >"$TMP/two.log"
src() { echo "{ \"type\": \"file\", \"path\": \"$TMP/two.log\", \"from\": \"start\"$1 }"; }
check "auto: glog E is an error, logfmt info stays info" test "$(counts "$(src '')")" = "3 1 0"
check "format logfmt: its lines by level, the glog line by keywords (none)" test "$(counts "$(src ', "format": "logfmt"')")" = "3 0 0"
check "format keywords: no level read, the words count" test "$(counts "$(src ', "format": "keywords"')")" = "3 1 1"
printf '%s\n' 'E1207 04:10:04.551203 4412 reflector.go:138] list done' >"$TMP/one.log"
check "format keywords: a glog E line without a failure word is info" \
	test "$(counts "{ \"type\": \"file\", \"path\": \"$TMP/one.log\", \"from\": \"start\", \"format\": \"keywords\" }")" = "1 0 0"
check "format auto: that line is an error" \
	test "$(counts "{ \"type\": \"file\", \"path\": \"$TMP/one.log\", \"from\": \"start\" }")" = "1 1 0"
printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ { "type": "file", "path": "%s", "format": "klingon" } ] } ] }\n' \
	"$TMP/one.log" >"$TMP/bad.json"
chmod 600 "$TMP/bad.json"
out=$("$SITREP" --check-config -c "$TMP/bad.json" 2>&1)
rc=$?
check "an unknown format is a config error (exit $rc)" test "$rc" = 2
check "the message names the key's place and the choices: $out" grep -q 'bad.json:1:.*unknown log format (expected auto' <<<"$out"

# --- W3C: the file's own #Fields: directive, wherever reading starts -------------
# An IIS log followed from its end (the default: its last 64 KiB) starts far
# past its directives; its records are read by them all the same, and a bare
# 503 in a file with no directive is no status.
{
	printf '%s\n' '#Software: Microsoft Internet Information Services 10.0' '#Version: 1.0' \
		'#Date: 2026-12-07 04:00:00' \
		'#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port c-ip sc-status sc-substatus sc-win32-status time-taken'
	for i in $(seq 1 4000); do
		s=200
		[ $((i % 100)) = 0 ] && s=503
		[ $((i % 100)) = 50 ] && s=404
		echo "2026-12-07 04:10:04 10.0.0.4 GET /page/$i - 443 10.0.0.9 $s 0 0 $((i % 900))"
	done
} >"$TMP/iis.log"
check "the IIS log is larger than the tail read from its end" test "$(stat -c %s "$TMP/iis.log")" -gt 131072
# the last 64 KiB hold about 1000 records: 10 of them 503 and 10 404
got=$(counts "{ \"type\": \"file\", \"path\": \"$TMP/iis.log\" }")
read -r l e w <<<"$got"
check "IIS followed from its end: its 503s are errors, its 404s warnings ($got)" \
	test "$e" -ge 9 -a "$e" -le 11 -a "$w" -ge 9 -a "$w" -le 11
got=$(counts "{ \"type\": \"file\", \"path\": \"$TMP/iis.log\", \"from\": \"start\" }")
check "IIS from its start: 40 errors, 40 warnings ($got)" test "$got" = "4004 40 40"
got=$(counts "{ \"type\": \"file\", \"path\": \"$TMP/iis.log\", \"format\": \"w3c\" }")
read -r l e w <<<"$got"
check "format w3c: the same ($got)" test "$e" -ge 9 -a "$e" -le 11
grep -v '^#' "$TMP/iis.log" >"$TMP/bare.log"
check "the same records without their directive: no status is guessed" \
	test "$(counts "{ \"type\": \"file\", \"path\": \"$TMP/bare.log\", \"from\": \"start\" }")" = "4000 0 0"
for f in elb haproxy; do
	check "format $f is a known name" \
		test "$(counts "{ \"type\": \"file\", \"path\": \"$CORPUS/haproxy.log\", \"from\": \"start\", \"format\": \"$f\" }" | wc -w)" = 3
done

# --- journald: the entry's PRIORITY is its severity ----------------------------------
# No journal can be written here (systemd-journal-remote is not installed), so
# a script prints what `journalctl -o json` prints: one JSON object per entry,
# every field a string (systemd's JSON export format).
cat >"$TMP/journalctl" <<'SH'
#!/bin/sh
echo '{"__REALTIME_TIMESTAMP":"1796616604551203","PRIORITY":"6","SYSLOG_IDENTIFIER":"app","MESSAGE":"retry succeeded; last error was transient"}'
echo '{"__REALTIME_TIMESTAMP":"1796616605000000","PRIORITY":"3","SYSLOG_IDENTIFIER":"nginx","MESSAGE":"upstream timed out"}'
echo '{"__REALTIME_TIMESTAMP":"1796616606000000","PRIORITY":"4","SYSLOG_IDENTIFIER":"kernel","MESSAGE":"fatal-looking words, warning priority"}'
echo '{"__REALTIME_TIMESTAMP":"1796616607000000","SYSLOG_IDENTIFIER":"legacy","MESSAGE":"fatal: no priority, so the words decide"}'
sleep 5
SH
chmod +x "$TMP/journalctl"
check "journald: PRIORITY decides (6 info though it says error, 3 error, 4 warn), words only without it" \
	test "$(counts "{ \"type\": \"journald\", \"journalctl\": \"$TMP/journalctl\" }")" = "4 2 1"

# --- a Python traceback is one event ----------------------------------------------
# Python itself writes the traceback (on stderr, which a command input follows).
cat >"$TMP/tb.py" <<'PY'
def total(items):
    return sum(item["price"] for item in items)
print("2026-12-07 04:10:04 INFO pricing cart", flush=True)
total([{"name": "tea"}])
PY
# Python runs first and its output is what the command input reads: a
# command's first read ends after 300 ms of quiet, and a loaded machine may
# pause Python that long between its INFO line and the traceback (--once
# would then print the INFO alone).
python3 "$TMP/tb.py" >"$TMP/tb.txt" 2>&1
printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ { "type": "command", "argv": ["cat", "%s"] } ] } ] }\n' \
	"$TMP/tb.txt" >"$TMP/tb.json"
chmod 600 "$TMP/tb.json"
"$SITREP" --once --json -c "$TMP/tb.json" >"$TMP/tb.out"
tbget() { python3 -c "import json,sys
d = json.load(open(sys.argv[1]))['panes'][0]['data']
print($1)" "$TMP/tb.out"; }
check "traceback: one error for the whole trace" test "$(tbget "d['counts']['errors']")" = 1
check "traceback: its group is named by the exception line" \
	test "$(tbget "[g['sample'] for g in d['groups'] if g['severity'] == 'error']")" = "[\"KeyError: 'price'\"]"

# --- multi-line errors: one event each (tests/data/logs/traces) --------------------------
# Each trace file, read from its start (the backlog scan) and as a command's
# output (line by line), gives the totals and group names of its .groups file.
TRACES=$TOP/tests/data/logs/traces
groups_of() {
	printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ %s ] } ] }\n' "$1" >"$TMP/c.json"
	chmod 600 "$TMP/c.json"
	"$SITREP" --once --json -c "$TMP/c.json" | python3 -c 'import json,sys
d = json.load(sys.stdin)["panes"][0]["data"]
c = d["counts"]
print(c["errors"], c["warnings"])
for g in sorted(d["groups"], key=lambda g: g["sample"]):
    if not g["sample"].startswith("sitrep: "):
        print(g["severity"][0].upper(), g["count"], g["sample"])'
}
want_groups() {
	python3 -c 'import sys
lines = open(sys.argv[1]).read().splitlines()
h = lines[0].split()
print(h[4], h[6])
for l in sorted(lines[1:], key=lambda l: l.split("\t")[2]):
    s, n, name, cause = l.split("\t")
    print(s, n, name)' "$1"
}
for log in "$TRACES"/*.log; do
	name=$(basename "$log" .log)
	w=$(want_groups "$TRACES/$name.groups")
	got=$(groups_of "{ \"type\": \"file\", \"path\": \"$log\", \"from\": \"start\" }")
	check "trace $name: file from start: errors, warnings and groups as in $name.groups" test "$got" = "$w"
	[ "$got" = "$w" ] || diff <(echo "$w") <(echo "$got") | sed 's/^/# /'
	got=$(groups_of "{ \"type\": \"command\", \"argv\": [\"cat\", \"$log\"] }")
	read -r e wn <<<"$(head -1 <<<"$w")"
	w2=$(printf '%s %s\n%s' "$e" "$((wn + 1))" "$(tail -n +2 <<<"$w")")
	check "trace $name: command output: the same (and the exit warning)" test "$got" = "$w2"
	[ "$got" = "$w2" ] || diff <(echo "$w2") <(echo "$got") | sed 's/^/# /'
done

echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
