#!/usr/bin/env bash
# Screen test: nothing important is cut off. The demo incident on the lab's
# real servers (varnish in front of nginx, PostgreSQL with the query storm,
# the app's log, releases; no CPU load), sitrep at 80, 100, 120, 160 and 200
# columns. At each width:
# - the cdn rows keep the verdict, the whole path and a readable validator
#   head (never "6same ETag"), and the rows line up;
# - the checks rows line up (names, latencies and reasons in columns);
# - log rows lead with severity, count, age and the message (no ISO
#   timestamp in the row; it is in the detail view);
# - the storm's group row keeps the query's start;
# - every text cut ends in "…" after a whole word (a word of the full text,
#   from `sitrep --once --json` on the same lab), in the panes and in the
#   status line's causes;
# and z on the host pane lists as many processes as fit (not the 5 of "top").
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
for b in nginx varnishd psql curl; do command -v "$b" >/dev/null || skip_all "$b not installed"; done

LAB=$TMP/lab
trap '"$TOP/scripts/lab" down "$LAB" >/dev/null 2>&1; cleanup' EXIT
export LAB_NO_LOAD=1
lab_up "releases nginx varnish postgres applog"
if ! "$TOP/scripts/lab" play "$LAB" >"$TMP/play.log" 2>&1; then
	diag <"$TMP/play.log"
	not_ok "the incident is played"
	finish
fi
ok "the lab is up and the incident played"
while read -r p; do track_pid "$p"; done <"$LAB/pids"

for W in 80 100 120 160 200; do
	tm_start "$W" 40 "cd '$LAB' && '$SITREP' -c '$LAB/sitrep.json' 2>'$TMP/err.$W'"
	ready() { local s; s=$(tm_capture); [[ $s == *"×8"* && $s == *"stale"* && $s == *"FAIL"* && $s == *"deploy r3"* ]]; }
	if ! wait_for 30 ready; then
		tm_capture | diag
		not_ok "$W columns: the incident is on the screen"
		tm_kill
		continue
	fi
	sleep 1.5 # one more refresh: the checks' latencies and the log groups settle
	tm_capture >"$TMP/screen.$W"
	# every word of every text sitrep shows, whole (what a cut must end on),
	# as it is now: the timeline pane shows what the dashboard recorded (a
	# spike's sentence)
	"$SITREP" --once --json -c "$LAB/sitrep.json" >"$TMP/once.$W.json" 2>/dev/null
	python3 - "$W" "$TMP/screen.$W" "$TMP/once.$W.json" >"$TMP/checks.$W" 2>&1 <<'PY'
import json, re, sys, unicodedata
W, path, once = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = open(path, encoding="utf-8").read().rstrip("\n").split("\n")
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
def pane(title):
    """the body rows of the pane whose top border names title: (x, rows)"""
    for i, r in enumerate(rows):
        m = re.search(r"┌ \d+ " + re.escape(title) + r" ─", r)
        if not m:
            continue
        x = m.start()
        end = r.index("┐", x)
        body = []
        for r2 in rows[i + 1:]:
            if r2[x] == "└":
                break
            body.append(r2[x + 1:end])
        return body
    return None
out = []
def check(name, cond, why=""):
    out.append(("ok" if cond else "not ok", name, why))
check("no line is wider than the screen", all(width(r) <= W for r in rows))

cdn = pane("cdn") or []
stale = [r for r in cdn if r.startswith("stale")]
check("cdn: the stale row has its verdict, whole path and a validator head",
      bool(stale) and re.match(r"stale +/static/app\.js +", stale[0]) is not None
      and re.search(r" [0-9a-f]{7}", stale[0]) is not None, stale[:1])
check("cdn: no validator cut to one character (\"6same ETag\")",
      not any(re.search(r" [0-9a-f]same ETag", r) for r in cdn), cdn)
arows = [r for r in cdn if re.match(r"(fresh|stale|error) ", r)]
check("cdn: the rows line up (path and validator columns)",
      len(arows) >= 2 and len({r.index("/") for r in arows}) == 1
      and len({re.search(r" [0-9a-f]{7}", r).start() for r in arows if re.search(r" [0-9a-f]{7}", r)}) == 1, arows)

checks = pane("checks") or []
crow = [r for r in checks if re.match(r"(ok|FAIL|wait) ", r)]
names = {re.match(r"(ok|FAIL|wait) +", r).end() for r in crow}
lat = {r.index("ms") for r in crow if "ms" in r}
check("checks: the rows line up (names and latencies)", len(crow) >= 2 and len(names) == 1 and len(lat) <= 1, crow)
check("checks: the failing check's reason starts readable",
      any(re.search(r"FAIL +app\.js .*status 200", r) for r in crow), crow)

logs = pane("errors") or []
lrows = [r for r in logs if re.match(r"[EW] ", r)]
check("logs: rows lead with severity, count, age, then the message",
      bool(lrows) and all(re.match(r"[EW] ×\d+ +(now|\d+[smhd]) +\S", r) for r in lrows), lrows)
check("logs: no ISO timestamp in a row (it is in the detail view)",
      not any(re.search(r"\d{4}-\d\d-\d\dT\d\d:", r) for r in lrows), lrows)

db = pane("db") or []
grow = [r for r in db if r.startswith("×8")]
check("db: the storm's row keeps the query's start", bool(grow) and "SELECT count(*)" in grow[0], grow)

# cuts: every token ending in … is a whole word of some text sitrep has
texts = json.dumps(json.load(open(once)), ensure_ascii=False)
words = set(re.findall(r"[^\s\"'`,;:()\[\]{}<>=]+", texts)) | set(texts.split())
bad = []
for r in rows:
    for tok in re.findall(r"(\S+)…", r):
        t = tok.strip("│·→")
        if not t:
            continue
        # a single word too long for its column (a URL) may be cut inside it
        if len(t) >= 12 or any(len(w) >= 16 and w.startswith(t) for w in words):
            continue
        if re.fullmatch(r"[0-9a-f]{7,8}", t):  # a validator's head: the readable part of an ETag
            continue
        if t not in words and t.rstrip(":,.") not in words:
            bad.append(t + "…")
check("every cut ends after a whole word", not bad, bad)
status = rows[-1]
check("the status line has the deploy and its first cause", "deploy r3" in status and "→" in status, status)
for st, name, why in out:
    print(f"{st} - {W} columns: {name}")
    if st != "ok":
        print(f"# {why}")
PY
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$TMP/checks.$W"
	grep -q "^not ok" "$TMP/checks.$W" && diag <"$TMP/screen.$W"

	if [ "$W" = 120 ]; then
		# z on the host pane: as many processes as fit the full screen
		tm send-keys -t t 1 z
		procs() { tm_capture | grep -cE '^│ +[0-9]+ [^ ]'; }
		wait_for 10 bash -c "[ \$(tmux -L '$TSOCK' capture-pane -p -t t | grep -cE '^│ +[0-9]+ [^ ]') -gt 10 ]"
		n=$(procs)
		total=$(ls -d /proc/[0-9]* | wc -l)
		check "120x40, z: the host pane lists as many processes as fit ($n rows, not the 5 of top)" test "$n" -gt 10 -o "$n" -ge "$((total - 2))"
		tm_capture | tail -3 | head -1 | diag
	fi
	tm_kill
done
finish
