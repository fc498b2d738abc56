# tests/tui/common.bash: helpers shared by the screen tests (sourced after
# tests/lib.sh; not a test itself, hence not *.sh). sitrep runs inside a
# private tmux server; a wrapper records its pid, its exit status and, after
# it exits, the terminal modes (stty -a), so tests can check what it left.

TT_DEFAULT_PANES='
    { "id": "host", "kind": "metrics", "source": "procfs" },
    { "id": "notes", "kind": "logs", "source": "note", "text": "runbook at https://wiki.example/runbook" },
    { "id": "deploys", "title": "Deploy history", "kind": "deploys", "source": "note", "text": "no deploys yet" },
    { "id": "cdn", "kind": "cdn", "source": "note", "text": "no cdn configured" }'

# A config with four panes of known titles: a procfs metrics pane and notes.
# TT_EXTRA adds top-level members (with a trailing comma); TT_PANES replaces the panes.
tt_config() {
	cat >"$TMP/config.json" <<JSON
{
  ${TT_EXTRA:-}
  "refresh_seconds": 1,
  "panes": [ ${TT_PANES:-$TT_DEFAULT_PANES} ]
}
JSON
	chmod 600 "$TMP/config.json" # a config others can read draws a warning on stderr
	echo "$TMP/config.json"
}

TT_TITLES=("1 host" "2 notes" "3 Deploy history" "4 cdn")

# tt_start W H [ENV=VALUE...] [-- EXTRA SITREP ARGS]: sitrep in session "t".
tt_start() {
	local w=$1 h=$2; shift 2
	local envs=() args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	[ "${1:-}" = "--" ] && shift
	args=("$@")
	local cfg
	cfg=$(tt_config)
	cat >"$TMP/run.sh" <<SH
#!/bin/bash
env HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_STATE_HOME="$TMP/home/.state" ${envs[*]} \\
	bash -c 'echo \$\$ >"\$0"; exec "\$@"' "$TMP/pid" "$SITREP" -c "$cfg" ${args[*]} 2>"$TMP/stderr"
echo "EXIT=\$?"
stty -a | tr ';' '\n' | tr ' ' '\n' | grep -E '^-?(icanon|echo)$' | tr '\n' ' '
echo "STTY-DONE"
exec sleep 600
SH
	chmod +x "$TMP/run.sh"
	mkdir -p "$TMP/home"
	rm -f "$TMP/pid"
	tm_start "$w" "$h" "exec $TMP/run.sh"
	wait_for 5 test -s "$TMP/pid"
	track_pid "$(cat "$TMP/pid")"
}

tt_pid() { cat "$TMP/pid"; }
# sitrep has exited: the wrapper printed its status.
tt_exited() { tm_capture | grep -q '^EXIT='; }
tt_exit_code() { tm_capture | sed -n 's/^EXIT=\([0-9]*\).*/\1/p' | head -1; }
# After exit: canonical mode and echo are back on.
# The wrapper prints EXIT= before it runs stty: wait for STTY-DONE (on the
# modes line, stty's list has no newline), or a
# check right after tt_exited reads the line before stty wrote it.
tt_tty_sane() {
	local line
	wait_for 3 eval "tm_capture | grep -q 'STTY-DONE'" || return 1
	line=$(tm_capture | grep -A1 '^EXIT=' | tail -1)
	[[ " $line " == *" icanon "* ]] && [[ " $line " == *" echo "* ]]
}
tt_alt_off() { [ "$(tm display-message -p -t t '#{alternate_on}')" = 0 ]; }
tt_cursor_on() { [ "$(tm display-message -p -t t '#{cursor_flag}')" = 1 ]; }
tt_all_titles() {
	local cap t
	cap=$(tm_capture)
	for t in "${TT_TITLES[@]}"; do
		[ "$(grep -cF -- " $t " <<<"$cap")" = 1 ] || return 1
	done
}
# tt_frozen_windows N: watches the status bar's clock over N windows of 2.5 s
# and prints how many ended on the second they began with (0: the loop kept
# ticking throughout).
tt_frozen_windows() {
	local n=$1 frozen=0 last now i
	last=$(tm_capture | tail -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}' | tail -1)
	for ((i = 0; i < n; i++)); do
		sleep 2.5
		now=$(tm_capture | tail -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}' | tail -1)
		[ -n "$now" ] && [ "$now" != "$last" ] || frozen=$((frozen + 1))
		last=$now
	done
	echo "$frozen"
}
# A numeric CPU value in the host pane: "CPU  12.3%".
tt_cpu_value() { tm_capture | grep -qE 'CPU +[0-9]+(\.[0-9]+)?%'; }

# tt_clean W H: the screen is exactly one dashboard of W x H: H lines, none
# wider than W, every pane line framed at both ends, one status bar, at the
# bottom, and every title exactly once.
tt_clean() {
	local w=$1 h=$2
	tm_capture -N >"$TMP/cap.txt"
	python3 - "$w" "$h" "$TMP/cap.txt" "${TT_TITLES[@]}" <<'PY'
import sys, unicodedata
w, h, path, titles = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
lines = open(path, encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
errs = []
if len(lines) != h:
    errs.append(f"{len(lines)} lines, want {h}")
for i, l in enumerate(lines):
    if width(l) > w:
        errs.append(f"line {i + 1} is {width(l)} wide")
body = [l.rstrip() for l in lines[:-1]]
for i, l in enumerate(body):
    if not l or l[0] not in "┌│└+|" or l[-1] not in "┐│┘+|":
        errs.append(f"line {i + 1} is not framed: {l[:40]!r}...{l[-10:]!r}")
status = lines[-1] if lines else ""
if "help" not in status:
    errs.append("no status bar on the last line")
if sum("? help" in l for l in lines) != 1:
    errs.append("status bar not exactly once")
text = "\n".join(lines)
for t in titles:
    n = text.count(f" {t} ")
    if n != 1:
        errs.append(f"title {t!r} appears {n} times")
for e in errs:
    print("# " + e)
sys.exit(1 if errs else 0)
PY
}
