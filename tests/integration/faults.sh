#!/usr/bin/env bash
# Integration: faults. Eight prometheus panes in the real dashboard (tmux), each
# against its own tests/faultserver.py. Seven servers then misbehave
# (connection refused, accept-and-hang, one byte per second, HTTP 500,
# malformed JSON, a 100 MiB body, a redirect loop): each pane shows its fault
# with its age and keeps its last good value, while the healthy pane keeps
# refreshing every second. When the faults stop, every pane recovers.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"

FAULTS="refused hang drip 500 malformed huge redirect"
declare -A PORT PID
start_server() { # NAME VALUE
	python3 "$TOP/tests/faultserver.py" "${PORT[$1]}" --mode-file "$TMP/$1.mode" --value "$2" \
		2>>"$TMP/$1.log" &
	PID[$1]=$!
	track_pid "${PID[$1]}"
	wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:${PORT[$1]}/counts"
}
panes=""
for name in healthy $FAULTS; do
	PORT[$name]=$(free_port)
	echo ok >"$TMP/$name.mode"
	value=42
	[ "$name" = healthy ] && value=clock
	start_server "$name" "$value"
	panes="$panes${panes:+,}
  { \"id\": \"$name\", \"kind\": \"metrics\", \"source\": \"prometheus\", \"url\": \"http://127.0.0.1:${PORT[$name]}\",
    \"timeout_seconds\": 2, \"queries\": [ { \"name\": \"v\", \"expr\": \"v\" } ] }"
done
cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [ $panes ] }
JSON

tm_start 200 50 "$SITREP -c $TMP/sitrep.json"
# A mark is "N:id HEALTH AGE": "3:hang ok 2s", or "3:hang ok stale 15s" when
# the data is old (the health of what is shown, then its age).
status_ok() { # every pane "ok" and fresh in the status bar
	local s; s=$(tm_capture | tail -1)
	for n in healthy $FAULTS; do
		grep -qE "[0-9]:$n ok" <<<"$s" || return 1
		! grep -qE "[0-9]:$n ([a-z]+ )?(stale|error)" <<<"$s" || return 1
	done
}
check "all panes ok at start" wait_for 15 status_ok
count42() { tm_capture | grep -oE "│v +42 " | wc -l; }
check "each fault pane shows its value" test "$(count42)" -eq 7

# Faults on.
kill "${PID[refused]}"
for f in hang drip 500 malformed huge redirect; do echo "$f" >"$TMP/$f.mode"; done
healthy_queries() { curl -fsS "http://127.0.0.1:${PORT[healthy]}/counts" | python3 -c "import json,sys; print(json.load(sys.stdin).get('/api/v1/query',0))"; }
q0=$(healthy_queries)
all_failed() {
	local s; s=$(tm_capture)
	for n in $FAULTS; do grep -qE "[0-9]:$n ([a-z]+ )?stale" <<<"$(tail -1 <<<"$s")" || return 1; done
	# hang and drip end at the 2 s timeout; every pane then shows an error line
	[ "$(grep -oE 'error [0-9]+s:' <<<"$s" | wc -l)" -ge 7 ]
}
check "every fault pane turns stale with an error" wait_for 15 all_failed
tm_capture >"$TMP/faults.txt"
q1=$(healthy_queries)
for want in "Couldn't connect" "HTTP 500" "malformed JSON" "larger than 8388608 bytes" "redirects followed"; do
	check "the screen shows: $want" grep -qF "$want" "$TMP/faults.txt"
done
check "hang and drip show a timeout" test "$(grep -o 'timed out' "$TMP/faults.txt" | wc -l)" -ge 2
check "each error shows its age" test "$(grep -oE 'error [0-9]+s:' "$TMP/faults.txt" | wc -l)" -ge 7
check "each fault pane keeps its last good value" test "$(grep -oE '│v +42 ' "$TMP/faults.txt" | wc -l)" -eq 7
check "the healthy pane stays ok" grep -qE "1:healthy ok" <(tail -1 "$TMP/faults.txt")

# The healthy pane keeps its 1 s rhythm while the others hang.
sleep 5
q2=$(healthy_queries)
n=$((q2 - q1))
check "healthy pane refreshed on time during faults ($n refreshes in 5 s; $((q1 - q0)) before)" test "$n" -ge 4
v1=$(tm_capture | grep -m1 -oE '│v +[0-9.]+ ' | tr -dc '0-9')
sleep 2.2
v2=$(tm_capture | grep -m1 -oE '│v +[0-9.]+ ' | tr -dc '0-9')
check "its value on screen moves ($v1 -> $v2)" test "$v1" != "$v2"

# A key is answered at once while four panes wait on hung servers.
tm send-keys -t t '?'
t0=$(date +%s%N)
wait_for 2 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'sitrep help'"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "the help key is answered during faults (${ms} ms)" test "$ms" -lt 1000
tm send-keys -t t Escape

# Faults off: every pane recovers.
for f in hang drip 500 malformed huge redirect; do echo ok >"$TMP/$f.mode"; done
start_server refused 42
check "every pane recovers" wait_for 20 status_ok
check "no error left on screen" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'error [0-9]'"
if tm_pane_dead; then not_ok "sitrep still running"; else ok "sitrep still running"; fi
tm send-keys -t t q
check "q quits" wait_for 5 tm_pane_dead
grep -E "error" "$TMP/faults.txt" | cut -c1-200 | diag
finish
