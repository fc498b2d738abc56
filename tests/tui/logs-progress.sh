#!/usr/bin/env bash
# logs-progress: a long read says how far it is. A file of 400 MiB read from
# its start (the backlog scan on the thread pool) shows on the pane, while it
# is read, the bytes read of the total, the rate and the time left, and the
# groups already found in what was read; when it is over the header shows the
# labelled counts. `--once` prints the same progress on stderr when stderr is
# a terminal (under script(1)), and nothing of it when stderr is a file.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v script >/dev/null || skip_all "script (util-linux) not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

# 60 blocks of 10,000 info lines and one Java error event each, ~400 MiB.
python3 - "$TMP/big.log" <<'PY'
import sys
blk = b"".join(b"2025-06-01 10:00:%02d INFO request %06d served in 12 ms by worker 7 of pool web\n" % (i % 60, i)
               for i in range(10000))
blk += (b"2025-06-01 10:00:00 ERROR [main] c.e.App - request failed\n"
        b"java.lang.IllegalStateException: cart 81 has no price\n"
        b"\tat com.example.shop.Cart.total(Cart.java:42)\n")
with open(sys.argv[1], "wb") as f:
    for _ in range(480):
        f.write(blk)
PY
SIZE=$(stat -c %s "$TMP/big.log")
cat >"$TMP/sitrep.json" <<CONF
{ "panes": [ { "id": "big", "kind": "logs", "sources": [ { "type": "file", "path": "$TMP/big.log", "from": "start" } ] } ] }
CONF
chmod 600 "$TMP/sitrep.json"

tm_start 160 30 "$SITREP" -c "$TMP/sitrep.json"
screen() { tm_capture; }
# the progress and a group at once: the groups form while the file is read
reading_with_group() {
	screen >"$TMP/screen.txt"
	grep -qE 'reading from the start: [0-9.]+ [KMG]i?B of [0-9.]+ MiB \([0-9]+ %\), [0-9.]+ [KMG]iB/s, [0-9]+[smh] left' "$TMP/screen.txt" &&
		grep -q 'java.lang.IllegalStateException: cart 81 has no price' "$TMP/screen.txt"
}
check "while reading: bytes read of the total, rate, time left, and the groups so far" wait_for 60 reading_with_group
grep -m1 'reading from' "$TMP/screen.txt" | diag
check "when done: every figure labelled, digits grouped" tm_wait_text 120 "groups: 480 errors, 0 warnings, 4,801,440 lines"
screen | grep -m1 groups: | diag
check "the progress is gone once the read is over" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'reading from'"
tm kill-server 2>/dev/null

# --once: progress on stderr when it is a terminal ...
script -qec "'$SITREP' --once -c '$TMP/sitrep.json' >'$TMP/once.out'" "$TMP/tty.txt" >/dev/null
check "--once, stderr a terminal: the progress is printed" grep -qE 'big: reading from the start: .* of [0-9.]+ MiB' "$TMP/tty.txt"
check "--once: the result is the whole file" grep -q '4801440 lines, 480 errors' "$TMP/once.out"
# ... and not when it is a file
"$SITREP" --once -c "$TMP/sitrep.json" >"$TMP/once2.out" 2>"$TMP/err.txt"
check "--once, stderr a file: no progress there" test ! -s "$TMP/err.txt"

echo "1..$TAP_N"
exit $((TAP_FAILED > 0))
