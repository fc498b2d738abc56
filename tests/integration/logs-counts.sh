#!/bin/bash
# logs-counts: the error and warning counts of a file read from its start
# agree exactly with `LC_ALL=C grep -a -ciE` over the default patterns (in
# ERE form), on hostile files: CRLF endings, lines longer than the 1 MiB line
# limit, NUL bytes, invalid UTF-8 and JSON lines. Each file is read twice: as
# a small file (the loop's own line-by-line path) and grown past the backlog
# threshold (8 MiB), which is scanned in chunks on the thread pool; both must
# give grep's counts (lines over 1 MiB: the backlog only, see below). Also: a glob matching more files than max_files follows
# the newest and says so on the pane.
source "$(dirname "$0")/../lib.sh"

# The default patterns (kinds/logs/logclass.c) in ERE form.
err_ere='\b(error|emerg|fatal|panic|crit|critical|traceback|segfault|segmentation fault|core dumped|oom-killer|out of memory)\b|exception\b|\[alert\]|HTTP/[0-9.]+" 5[0-9][0-9] '
warn_ere='\bwarn(ing)?s?\b'

# counts FILE: "lines errors warnings" as sitrep reads the file from its start.
counts() {
	printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ { "type": "file", "path": "%s", "from": "start" } ] } ] }\n' \
		"$1" >"$TMP/c.json"
	"$SITREP" --once --json -c "$TMP/c.json" | python3 -c 'import json,sys
c = json.load(sys.stdin)["panes"][0]["data"]["counts"]
print(c["lines"], c["errors"], c["warnings"])'
}
# grep_counts FILE: the same from grep (-a: NUL bytes do not make it binary).
grep_counts() {
	local lines errs both
	lines=$(LC_ALL=C grep -ac '' "$1")
	errs=$(LC_ALL=C grep -aciE "$err_ere" "$1")
	both=$(LC_ALL=C grep -aciE "($err_ere)|($warn_ere)" "$1")
	echo "$lines $errs $((both - errs))"
}
compare() {
	local name=$1 file=$2 want got
	want=$(grep_counts "$file")
	got=$(counts "$file")
	check "$name: sitrep '$got' = grep '$want'" test "$got" = "$want"
}

python3 - "$TMP" <<'PY'
import random, sys
d = sys.argv[1]
rnd = random.Random(7)
words = [b"request", b"served", b"user", b"worker", b"timed out", b"server", b"error", b"ERROR:",
         b"warning", b"Warn", b"panic:", b"NullPointerException", b"critical", b"fatal",
         b'"GET / HTTP/1.1" 502 ', b"[alert]", b"out of memory", b"terror", b"errors", b"erro r"]
def line():
    n = rnd.randint(1, 12)
    return b" ".join(rnd.choice(words) if rnd.random() < 0.3 else b"w%d" % rnd.randint(0, 999)
                     for _ in range(n))
def write(name, lines):
    with open(f"{d}/{name}", "wb") as f:
        f.write(b"".join(lines))
base = [line() + b"\n" for _ in range(3000)]
write("plain.log", base)
write("crlf.log", [l[:-1] + b"\r\n" for l in base])
# NUL bytes and invalid UTF-8 inside lines, also right before a match
hostile = []
for l in base:
    r = rnd.random()
    if r < 0.2:
        l = l.replace(b" ", b"\x00", 1)
    elif r < 0.4:
        l = b"\xff\xfe" + l
    elif r < 0.5:
        l = l.replace(b" ", b" \xc3(\x80 ", 1)
    hostile.append(l)
write("hostile.log", hostile)
# lines of 3 MiB (past the 1 MiB limit) with the word at the start, middle, end or nowhere
long = []
for i, where in enumerate(["start", "end", "none", "middle", "end", "none"]):
    body = bytearray(b"x" * (3 << 20))
    if where == "start": body[0:6] = b"error "
    if where == "middle": body[1 << 20: (1 << 20) + 7] = b" panic "
    if where == "end": body[-6:] = b" fatal"
    long.append(bytes(body) + b"\n")
    long.extend(base[i * 10:(i + 1) * 10])
write("long.log", long)
json_lines = [b'{"level":"info","msg":"error in text but info"}\n', b'{"level":"err","msg":"x"}\n',
              b'{"lvl":50,"msg":"y"}\n', b' {"msg":"no level, an error"}\n'] * 50
write("json.log", json_lines)
PY

# Lines past the 1 MiB limit are classified whole only by the backlog scan
# (the line-by-line path cuts them at 1 MiB): long.log (18 MiB) is one.
compare "3 MiB lines, backlog" "$TMP/long.log"
for f in plain crlf hostile; do
	compare "$f, small" "$TMP/$f.log"
	# The same content repeated past the backlog threshold.
	for _ in $(seq 1 40); do cat "$TMP/$f.log"; done >"$TMP/$f-big.log"
	while [ "$(stat -c %s "$TMP/$f-big.log")" -lt $((9 * 1024 * 1024)) ]; do
		cat "$TMP/$f.log" >>"$TMP/$f-big.log"
	done
	compare "$f, $(($(stat -c %s "$TMP/$f-big.log") / 1048576)) MiB backlog" "$TMP/$f-big.log"
done
# JSON lines: the level field decides, not grep; 50 each of info, err, 50 and
# an error found by the pattern.
check "json levels" test "$(counts "$TMP/json.log")" = "200 150 0"
for _ in $(seq 1 2000); do cat "$TMP/json.log"; done >"$TMP/json-big.log"
check "json levels, backlog" test "$(counts "$TMP/json-big.log")" = "400000 300000 0"

# The backlog keeps the file's last lines, like the line-by-line path.
printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ { "type": "file", "path": "%s", "from": "start" } ] } ] }\n' \
	"$TMP/plain-big.log" >"$TMP/k.json"
last=$("$SITREP" --once --json -c "$TMP/k.json" | python3 -c 'import json,sys
d = json.load(sys.stdin)["panes"][0]["data"]; print(len(d["lines"]), d["lines"][-1]["text"])')
check "backlog keeps the last 10000 lines, newest last ($last)" test "$last" = "10000 $(tail -n 1 "$TMP/plain-big.log")"

# A glob over more files than max_files: the newest are followed, the pane says so.
mkdir -p "$TMP/g"
for i in $(seq 1 5); do
	echo "error in file $i" >"$TMP/g/f$i.log"
	touch -d "2024-01-01 00:00:0$i" "$TMP/g/f$i.log"
done
printf '{ "panes": [ { "id": "l", "kind": "logs", "sources": [ { "type": "file", "path": "%s/g/*.log", "max_files": 3 } ] } ] }\n' \
	"$TMP" >"$TMP/g.json"
"$SITREP" --once --json -c "$TMP/g.json" >"$TMP/g.out" 2>/dev/null
check "glob cap: --once exits 0 (a cap is not a failure)" [ $? = 0 ]
check "glob cap: the pane says 'following 3 of 5 files', as a warning on fresh data" python3 -c "
import json,sys
p=json.load(open('$TMP/g.out'))['panes'][0]
assert p['state']=='ok' and p['warning']=='following 3 of 5 files; raise max_files', p"
check "glob cap: the three newest are followed" test "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))["panes"][0]["data"]
print(" ".join(sorted(l["source"] for l in d["lines"])))' "$TMP/g.out")" = "f3.log f4.log f5.log"
finish
