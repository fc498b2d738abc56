#!/bin/bash
# logs-files: what a file input does at start and while following, and how the
# inputs of one pane are merged. At start only the tail is read (64 KiB, or
# tail_lines lines; "from": "start" reads everything); lines of several inputs
# are merged by their time and tagged with their input's name. While running
# (in tmux): a file that does not exist yet is waited for and read when it
# appears, a file that cannot be read shows "Permission denied" and is read
# once it can be, a glob picks up a new matching file, and a command's exit
# status is shown and it is restarted. A group's row reads "E ×N AGE MESSAGE ... SOURCE". Unreadable files need an unprivileged
# user: as root sitrep runs as nobody.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"

# --- at start: tail only, and merging --------------------------------------
seq -f 'error number %g happened' 1 10000 >"$TMP/big.log"
printf '2024-05-01T10:00:01Z a first\n2024-05-01T10:00:03Z a third\n' >"$TMP/a.log"
printf '2024-05-01T10:00:02Z b second\n2024-05-01T10:00:04Z b fourth\n' >"$TMP/b.log"
cat >"$TMP/start.json" <<CONF
{ "panes": [
  { "id": "bytes", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/big.log" } ] },
  { "id": "lines", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/big.log", "tail_lines": 7 } ] },
  { "id": "all", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/big.log", "from": "start" } ] },
  { "id": "merged", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/a.log", "name": "A" },
                                                 { "type": "file", "path": "$TMP/b.log", "name": "B" } ] } ] }
CONF
"$SITREP" --once --json -c "$TMP/start.json" >"$TMP/start.out"
check "--once reads every pane" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["panes"]))' "$TMP/start.out")" = 4
# pyget PANE EXPR: EXPR over the pane's data d.
pyget() { python3 -c "import json,sys
p = {p['id']: p for p in json.load(open(sys.argv[1]))['panes']}
d = p[sys.argv[2]]['data']
print($2)" "$TMP/start.out" "$1"; }
size=$(stat -c %s "$TMP/big.log")
# Lines that fit in the last 64 KiB (the first, partial one is dropped).
want=$(tail -c 65536 "$TMP/big.log" | tail -n +2 | wc -l)
got=$(pyget bytes "d['counts']['lines']")
check "from end: only the last 64 KiB of $size bytes ($got lines, want $want)" test "$got" = "$want"
check "from end: the newest line is the file's last" test "$(pyget bytes "d['lines'][-1]['text']")" = "error number 10000 happened"
check "tail_lines 7: exactly 7 lines" test "$(pyget lines "d['counts']['lines']")" = 7
check "tail_lines 7: from line 9994" test "$(pyget lines "d['lines'][0]['text']")" = "error number 9994 happened"
check "from start: all 10000 lines" test "$(pyget all "d['counts']['lines']")" = 10000
check "from start: one group counts all 10000" test "$(pyget all "[g['count'] for g in d['groups']]")" = "[10000]"
check "two inputs merged by time and tagged" test "$(pyget merged "' '.join(l['source'] + ':' + l['text'][21:] for l in d['lines'])")" = \
	"A:a first B:b second A:a third B:b fourth"

# --- while running ------------------------------------------------------------
RUN=()
if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null || skip_all "root without runuser"
	RUN=(runuser -u nobody --)
	chmod 755 "$TMP"
	# nobody may not be able to reach the build (a clone in /root is 0700)
	install -m 755 "$SITREP" "$TMP/sitrep"
	SITREP=$TMP/sitrep
fi
mkdir -p "$TMP/logs/g" "$TMP/home"
chmod 777 "$TMP/home"
echo "secret error one" >"$TMP/logs/secret.log"
chmod 000 "$TMP/logs/secret.log"
cat >"$TMP/run.json" <<CONF
{ "refresh_seconds": 1, "panes": [ { "id": "files", "kind": "logs", "sources": [
  { "type": "file", "path": "$TMP/logs/later.log", "name": "later" },
  { "type": "file", "path": "$TMP/logs/secret.log", "name": "secret" },
  { "type": "file", "path": "$TMP/logs/g/*.log" },
  { "type": "command", "name": "cmd", "argv": ["sh", "-c", "echo cmd error run; exit 7"] } ] } ] }
CONF
chmod 644 "$TMP/run.json"
tm_start 200 30 env HOME="$TMP/home" XDG_STATE_HOME="$TMP/home/state" "${RUN[@]}" "$SITREP" -c "$TMP/run.json"
on_screen() { tm_capture | grep -qE -- "$1"; }
off_screen() { ! tm_capture | grep -qE -- "$1"; }
check "an unreadable file shows Permission denied" wait_for 5 on_screen 'secret.log: Permission denied'
check "a missing file is waited for" on_screen 'later.log: No such file or directory'
check "the command's exit status is shown" wait_for 5 on_screen 'sh exited with status 7'
check "the command's output is a line tagged cmd" on_screen 'cmd error run .* cmd +│'
runs() { tm_capture | grep -E 'cmd error run .* cmd +│' | sed -nE 's/^│E ×([0-9]+) .*/\1/p' | head -1; }
runs_again() { [ "$(runs)" -gt 1 ] 2>/dev/null; }
check "the command is restarted (its error group grows past 1)" wait_for 8 runs_again

echo "later error appeared" >"$TMP/logs/later.log"
check "the file that appeared later is read" wait_for 5 on_screen 'later error appeared .* later +│'
check "and its error is gone" wait_for 3 off_screen 'No such file or directory'
chmod 644 "$TMP/logs/secret.log"
echo "secret error two" >>"$TMP/logs/secret.log"
check "the readable file is read once permitted" wait_for 5 on_screen 'secret error two .* secret +│'
check "and Permission denied is gone" wait_for 3 off_screen 'Permission denied'
echo "glob error first" >"$TMP/logs/g/one.log"
check "a file matching the glob is followed" wait_for 5 on_screen 'glob error first .* one\.log +│'
sleep 1.2
echo "glob error second" >"$TMP/logs/g/two.log"
check "a new file matching the glob later is followed too" wait_for 5 on_screen 'glob error second .* two\.log +│'
echo "glob error third" >>"$TMP/logs/g/one.log"
check "the first glob file is still followed" wait_for 5 on_screen 'glob error third .* one\.log +│'
tm send-keys -t t q
check "sitrep quits" wait_for 5 tm_pane_dead
finish
