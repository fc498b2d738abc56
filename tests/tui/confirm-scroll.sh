#!/usr/bin/env bash
# Screen test: the confirmation dialog sends only what it has shown. A real
# nginx origin and a real varnishd edge hold 40 stale assets; in a 100x24
# terminal `p` lists 40 PURGE requests, more than fit. The move keys (j, k,
# Down, PgDn, End, Home) scroll and never cancel; y before every line has been
# on the screen sends nothing (varnish's log is the judge) and says how much
# is left; jumping to the end with End does not count the middle as seen.
# After paging through to the end, y sends exactly the requests that were on
# the screen. n and Esc cancel, recorded. A resize rewraps the list and what
# is left to see is counted again; a too small terminal accepts no y. A list
# too long for the screen asks for the verb and count typed instead, and
# that typing survives Ctrl-Z and fg under a job-control shell.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v varnishd >/dev/null || skip_all "varnish not installed"
command -v nginx >/dev/null || skip_all "nginx not installed"
command -v curl >/dev/null || skip_all "curl not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

source "$TOP/tests/data/cdn/servers.bash"
cdn_servers_up

N=40
assets=""
for i in $(seq -w 1 $N); do
	echo "v1 $i" >"$TMP/www/static/asset-$i.js"
	assets="$assets${assets:+, }\"/static/asset-$i.js\""
done
# Cache v1 of each at the edge, then deploy v2 (longer: a new ETag).
cache_all() { for i in $(seq -w 1 $N); do curl -sf -o /dev/null "$EDGE/static/asset-$i.js"; done; }
deploy() { for i in $(seq -w 1 $N); do echo "$1 $i: the fixed build" >"$TMP/www/static/asset-$i.js"; done; }
cache_all
deploy v2
check "the edge still serves v1 of asset 40" bash -c "curl -sf '$EDGE/static/asset-40.js' | grep -q 'v1 40'"

TT_EXTRA="\"state_dir\": \"$TMP/state\","
TT_PANES="{ \"id\": \"cdn\", \"kind\": \"cdn\", \"source\": \"cdn\", \"provider\": \"varnish\",
    \"varnishstat\": false, \"edge_url\": \"$EDGE\", \"origin_url\": \"$ORIGIN\",
    \"assets\": [ $assets ], \"verify_timeout_seconds\": 10 }"
TT_TITLES=("1 cdn")
gone() { bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF -- \"\$0\"" "$1"; }
dialog_open() { tm_capture | grep -qF "Confirm purge"; }
# The PURGE lines on the screen now, one URL a line.
shown_urls() { tm_capture | grep -oE "PURGE $EDGE/static/asset-[0-9]+\.js" | sed 's/^PURGE //'; }
sent_urls() {
	varnishlog -n "$TMP/varnish" -d -g request -q 'ReqMethod eq "PURGE"' 2>/dev/null |
		sed -n 's/.*ReqURL *//p' | sort -u | sed "s|^|$EDGE|"
}
purges_are() { test "$(purges)" = "$1"; }
audit_has() { [ -f "$TMP/state/audit.jsonl" ] && grep -q -- "$1" "$TMP/state/audit.jsonl"; }

tt_start 100 24
check "the pane sees 40 stale assets" tm_wait_text 20 "40 stale assets"
tm send-keys -t t p
check "p opens the dialog" tm_wait_text 5 "Confirm purge"
check "the prompt says what y and n do, with the count" \
	tm_wait_text 3 "y: purge 40 assets · n or Esc: keep them, nothing is sent"
check "the prompt says how much is left to see" tm_wait_text 3 "more lines to see before y"
tm_capture | diag
# The dialog lists the paths per edge, then the requests: the first page
# shows some of them and neither list whole.
first=$(tm_capture | grep -oE "/static/asset-[0-9]+\.js" | sort -u | wc -l)
check "the first page shows some of the 40 assets, not all ($first)" test "$first" -gt 0 -a "$first" -lt $N

tm send-keys -t t End
check "End shows the last request" tm_wait_text 3 "PURGE $EDGE/static/asset-40.js"
check "End does not cancel" dialog_open
tm send-keys -t t y
check "y after End alone: the middle was never shown, refused" tm_wait_text 3 "scroll to the end first ("
sleep 1
check "y after End alone: nothing sent to varnish" test "$(purges)" = 0
check "y after End alone: the dialog stays" dialog_open
for k in Home j k Down Up PgDn PgUp G; do
	tm send-keys -t t "$k"
	sleep 0.3
	check "$k scrolls and does not cancel" dialog_open
done
check "nothing was cancelled" gone "cancelled"
check "nothing sent while scrolling" test "$(purges)" = 0

# Page through from the top, collecting what the screen showed.
tm send-keys -t t Home
sleep 0.4
: >"$TMP/seen.txt"
for _ in $(seq 1 30); do
	shown_urls >>"$TMP/seen.txt"
	tm_capture | grep -qF "more line" || break
	tm send-keys -t t PgDn
	sleep 0.4
done
shown_urls >>"$TMP/seen.txt"
sort -u "$TMP/seen.txt" -o "$TMP/seen.txt"
check "paging shows all 40 requests ($(wc -l <"$TMP/seen.txt"))" test "$(wc -l <"$TMP/seen.txt")" = $N
check "at the end nothing is left to see" gone "more line"
tm send-keys -t t y
check "y at the end sends the purge" wait_for 20 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'purged, 40 fresh'"
sent_urls >"$TMP/sent.txt"
check "varnish got 40 PURGE requests" test "$(purges)" = $N
check "exactly the requests the screen showed" diff "$TMP/seen.txt" "$TMP/sent.txt"
check "the edge serves v2 now" bash -c "curl -sf '$EDGE/static/asset-17.js' | grep -q 'v2 17'"

# n and Esc cancel, recorded, nothing sent.
deploy v3
check "stale again after the next deploy" tm_wait_text 20 "40 stale assets"
before=$(purges)
tm send-keys -t t p
tm_wait_text 5 "Confirm purge"
tm send-keys -t t n
check "n cancels" tm_wait_text 3 "purge cancelled, nothing sent"
tm send-keys -t t p
tm_wait_text 5 "Confirm purge"
tm send-keys -t t Escape
check "Esc cancels" wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'Confirm purge'"
check "the cancels are recorded" test "$(grep -c '"result":"refused".*cancelled in the dashboard' "$TMP/state/audit.jsonl")" = 2
check "n and Esc sent nothing" test "$(purges)" = "$before"

# Resizes while open: the list rewraps and what is left is counted again
# from what the screen has really shown.
tm send-keys -t t p
tm_wait_text 5 "Confirm purge"
left_at() { tm_capture | grep -oE '[0-9]+ more lines? to see' | grep -oE '^[0-9]+' | head -1; }
tm_wait_text 3 "more lines to see"
left1=$(left_at)
tm resize-window -t t -x 60 -y 24
check "narrower: the dialog is still open" tm_wait_text 3 "Confirm purge"
sleep 0.5
left2=$(left_at)
check "narrower: more wrapped lines left to see ($left1 -> $left2)" test "${left2:-0}" -gt "${left1:-0}"
tm resize-window -t t -x 30 -y 8
check "too small: the dialog is hidden" wait_for 3 gone "Confirm purge"
tm send-keys -t t End
sleep 0.3
tm send-keys -t t y
sleep 1
check "too small: y sends nothing" test "$(purges)" = "$before"
tm resize-window -t t -x 100 -y 100
check "taller: the dialog is back" tm_wait_text 3 "Confirm purge"
check "taller: the whole list fits, nothing left to see" wait_for 3 gone "more line"
tm resize-window -t t -x 100 -y 24
sleep 0.5
check "smaller again: what was shown stays shown" gone "more line"
tm send-keys -t t y
check "y after the whole list was on the screen sends 40 more PURGE requests" \
	wait_for 20 purges_are $((before + N))
tm send-keys -t t q
check "q quits" wait_for 5 tt_exited
tm_kill

# A list too long to scroll through sensibly (100x10: two rows of it on
# screen) asks for the verb and the count typed; y is text there. Typing is
# interrupted by Ctrl-Z and resumed with fg under a job-control shell.
deploy v4
before=$(purges)
TSOCK="sitrep-$TEST_NAME-$$-job"
TMUX_SOCKETS+=("$TSOCK")
tm new-session -d -s t -x 100 -y 10 "env PS1='$ ' bash --norc --noprofile -i"
sleep 0.5
tm send-keys -t t "env HOME=$TMP/home $SITREP -c $TMP/config.json" Enter
check "job control: 40 stale" tm_wait_text 20 "40 stale"
tm send-keys -t t p
check "too long for the screen: the dialog asks to type the verb and count" tm_wait_text 5 'Type "purge 40" and Enter'
tm_capture | diag
tm send-keys -t t y
sleep 0.5
check "y is only a typed letter here: nothing sent" test "$(purges)" = "$before"
tm send-keys -t t BSpace p u r g e Space 4
tm_wait_text 3 "> purge 4_"
tm send-keys -t t C-z
check "Ctrl-Z while typing: the shell is back" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'Stopped'"
check "Ctrl-Z while typing: main screen" test "$(tm display -p -t t '#{alternate_on}')" = 0
tm send-keys -t t fg Enter
check "fg: the dialog is back with what was typed" tm_wait_text 5 "> purge 4_"
check "fg: alternate screen again" test "$(tm display -p -t t '#{alternate_on}')" = 1
tm send-keys -t t 0
tm_wait_text 3 "> purge 40_"
tm send-keys -t t Enter
check "the typed confirmation sends 40 more PURGE requests" wait_for 20 purges_are $((before + N))
# q while the purge is still being verified asks first (an action in flight):
# wait for its outcome, which a slow (sanitizer) build takes longer to reach.
# (the audit log's third "ok": the two purges above and this one)
wait_for 30 bash -c "[ \$(grep -c '\"result\":\"ok\"' '$TMP/state/audit.jsonl') -ge 3 ]"
tm send-keys -t t q
check "q quits to the shell" wait_for 15 bash -c "[ \"\$(tmux -L '$TSOCK' display -p -t t '#{alternate_on}')\" = 0 ]"
finish
