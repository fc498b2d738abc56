#!/usr/bin/env bash
# Screen test: a terminal of any size costs sitrep bounded memory. ncurses
# keeps every cell of the screen several times over, so the size handed to it
# is clamped to 1000 columns by 500 rows (docs/sitrep.1) and the dashboard is
# drawn at that size in the top left corner. Started in a 10000x10000 window,
# then resized to very wide, very tall and back to normal, sitrep's peak
# resident size (VmHWM) stays under 96 MiB (about 63 at the clamp, 10 at
# 120x40), it draws a whole dashboard at the
# clamp each time, and a normal size afterwards is clean again. A watchdog
# kills sitrep (by its pid) if it grows past 256 MiB, so a build without the
# clamp fails here instead of eating the machine.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

LIMIT_KIB=$((96 * 1024))
KILL_KIB=$((256 * 1024))
# Under AddressSanitizer every allocation has shadow memory and freed blocks
# wait in a quarantine: the same clamp costs about 4 times as much there (a
# build without the clamp still grows to gigabytes).
if nm -an "$SITREP" 2>/dev/null | grep -q __asan_init; then
	LIMIT_KIB=$((400 * 1024))
	KILL_KIB=$((1024 * 1024))
fi

tt_start 10000 10000
pid=$(tt_pid)
watchdog() {
	local rss
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
		if [ -n "$rss" ] && [ "$rss" -gt "$KILL_KIB" ]; then
			echo "$rss" >"$TMP/killed"
			kill -KILL "$pid"
			return
		fi
		sleep 0.05
	done
}
watchdog &
track_pid $!
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null; }
alive() { kill -0 "$pid" 2>/dev/null && ! [ -e "$TMP/killed" ]; }
bounded() {
	local peak
	peak=$(hwm)
	echo "# peak RSS ${peak:-?} KiB${TMP:+$( [ -e "$TMP/killed" ] && echo ", killed at $(cat "$TMP/killed") KiB")}"
	alive && [ -n "$peak" ] && [ "$peak" -lt "$LIMIT_KIB" ]
}
# line N of the screen (1-based), trailing blanks dropped
line() { tm capture-pane -p -t t -S $(($1 - 1)) -E $(($1 - 1)) | sed 's/ *$//'; }
width() { python3 -c 'import sys; print(len(sys.stdin.read().rstrip("\n")))'; }
# drawn_at W H: a dashboard of W x H: its status bar on line H and nothing
# below, its first line W wide with a frame corner at column W.
drawn_at() {
	local w=$1 h=$2
	line "$h" | grep -qF "? help" || return 1
	if [ "$(tm display -p -t t '#{window_height}')" -gt "$h" ]; then
		[ -z "$(line $((h + 1)))" ] || return 1
	fi
	[ "$(line 1 | width)" = "$w" ] || return 1
	[ "$(line 1 | python3 -c 'import sys; print(sys.stdin.read().rstrip(chr(10))[-1:])')" = "┐" ]
}

check "started in 10000x10000: still running" wait_for 5 alive
check "started in 10000x10000: drawn at the clamp, 1000x500" wait_for 10 drawn_at 1000 500
check "started in 10000x10000: memory bounded" bounded

tm resize-window -t t -x 2000 -y 100
check "very wide (2000x100): drawn 1000x100" wait_for 10 drawn_at 1000 100
tm resize-window -t t -x 100 -y 5000
check "very tall (100x5000): drawn 100x500" wait_for 10 drawn_at 100 500
tm resize-window -t t -x 10000 -y 10000
check "10000x10000 again: drawn at the clamp" wait_for 10 drawn_at 1000 500
check "after the resizes: memory bounded" bounded

tm resize-window -t t -x 120 -y 40
check "back to 120x40: a clean dashboard" wait_for 5 tt_clean 120 40
check "the CPU value still shows" wait_for 3 tt_cpu_value
tm send-keys -t t q
check "q quits with status 0" wait_for 5 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
finish
