#!/usr/bin/env bash
# Integration: a name lookup that hangs never blocks the loop. An LD_PRELOAD
# shim (tests/data/slowdns.c, built here with cc) makes getaddrinfo sleep for
# slow.invalid and fail at once for nx.invalid. With a prometheus pane on each: the dashboard keeps
# its clock and answers keys while the lookup hangs, the pane says "resolving
# host: timed out", the other says "no such host", and `sitrep --once`
# returns within its bound (SITREP_ONCE_TIMEOUT) with both errors.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../tui/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
command -v cc >/dev/null || skip_all "no C compiler for the getaddrinfo shim"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

HANG=40
if ! cc -shared -fPIC -o "$TMP/slowdns.so" "$TOP/tests/data/slowdns.c" -ldl 2>"$TMP/cc.log"; then
	diag <"$TMP/cc.log"
	skip_all "cannot build the getaddrinfo shim"
fi
# A sanitizer build wants its runtime first among preloads; the shim comes first here.
SHIM="LD_PRELOAD=$TMP/slowdns.so${LD_PRELOAD:+:$LD_PRELOAD} SLOWDNS_SECONDS=$HANG"
SHIM="$SHIM ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

TT_PANES='
    { "id": "slow", "kind": "metrics", "source": "prometheus", "url": "http://slow.invalid:9090",
      "queries": [ { "name": "up", "expr": "up" } ] },
    { "id": "nx", "kind": "metrics", "source": "prometheus", "url": "http://nx.invalid:9090",
      "queries": [ { "name": "up", "expr": "up" } ] },
    { "id": "host", "kind": "metrics", "source": "procfs" }'
TT_TITLES=("1 slow" "2 nx" "3 host")
cfg=$(tt_config)

# --once: bounded by SITREP_ONCE_TIMEOUT=8 whatever the resolver does (the
# outer timeout only keeps a broken build from hanging the suite).
start=$SECONDS
env $SHIM SITREP_ONCE_TIMEOUT=8 HOME="$TMP/home" XDG_STATE_HOME="$TMP/home/.state" \
	timeout 30 "$SITREP" --once --json -c "$cfg" >"$TMP/once.json" 2>"$TMP/once.err"
rc=$? took=$((SECONDS - start))
check "--once returns within its bound (took ${took}s, rc $rc)" test "$took" -le 10
check "--once exit 1 (panes in error)" test "$rc" = 1
err_of() { python3 -c "
import json,sys
for p in json.load(open('$TMP/once.json'))['panes']:
    if p['id'] == '$1': print(p['error'] or '')" 2>/dev/null; }
check "--once: slow pane says resolving host: timed out ($(err_of slow))" \
	grep -qF "resolving host: timed out" <<<"$(err_of slow)"
check "--once: nx pane says no such host ($(err_of nx))" grep -qF "no such host" <<<"$(err_of nx)"

# The dashboard while a lookup hangs for ${HANG}s (refresh every second, so
# new requests keep arriving for the hung name).
tt_start 160 40 $SHIM
check "dashboard up" wait_for 5 tt_all_titles
# For 12 s, well past the 3 s lookup deadline and the 10 s request timeout,
# the clock moves on in every 2.5 s window.
frozen=$(tt_frozen_windows 5)
check "the clock kept ticking while the lookup hung ($frozen frozen windows)" test "$frozen" = 0
tm send-keys -t t '?'
check "keys answered: ? opens the help within 2 s" tm_wait_text 2 "sitrep help"
tm send-keys -t t Escape
check "Esc closes it" wait_for 2 bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -qF 'sitrep help'"
check "the slow pane shows: resolving host: timed out" tm_wait_text 5 "resolving host: timed out"
check "the nx pane shows: no such host" tm_wait_text 5 "no such host"
tm send-keys -t t q
check "q quits at once" wait_for 3 tt_exited
check "exit status 0" test "$(tt_exit_code)" = 0
[ -s "$TMP/stderr" ] && head -20 "$TMP/stderr" | diag
finish
