#!/usr/bin/env bash
# Screen test: a driver on the demo lab (the incident played: r3 current
# behind a stale edge, a query storm, an alert) shares its dashboard; an
# observer attached over the socket draws the same panes, and cannot act.
#   - the cdn, deploys and db panes, zoomed in both, are the driver's row for
#     row; the observer's own zoom leaves the driver's screen alone;
#   - every action key on every pane in the observer (p P r b s c K) says
#     "observer: actions belong to the driver", and nothing happens anywhere:
#     a recording HTTP server (the purge endpoint of an "http" cdn pane) sees
#     no request, the varnish edge still serves r2's app.js, `current` still
#     points at r3 and the restart never ran, all 8 storm sessions are still
#     in pg_stat_activity, Alertmanager has no silence, the audit log is
#     byte for byte what it was. The driver's own p y on the same http pane
#     does reach the recording server (the check can see a request);
#   - the driver purges the varnish edge (p y) and quits; `sitrep replay`
#     of the recording shows /static/app.js stale before the purge and fresh
#     after it, with the REPLAY clock at the time asked for; [ and ] step it,
#     action keys are refused, e exports the replayed timeline. The recording
#     is 0600 and zstd-compressed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/common.bash"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"
for b in curl nginx varnishd psql prometheus-alertmanager stress-ng; do
	command -v "$b" >/dev/null || skip_all "$b not installed (scripts/install-deps --test)"
done

trap '"$TOP/scripts/lab" down "$TMP/lab" >/dev/null 2>&1; cleanup' EXIT
lab_up "releases nginx varnish postgres applog alertmanager"
"$TOP/scripts/lab" play "$LAB" >/dev/null 2>"$TMP/play.err" || { diag <"$TMP/play.err"; not_ok "the lab plays the incident"; finish; }
ok "the lab is up and broken (r3 behind a stale edge, the storm)"
# an alert to (not) silence
curl -fsS -X POST -H 'Content-Type: application/json' "$AM_URL/api/v2/alerts" \
	-d '[{"labels":{"alertname":"BookingDown","severity":"critical"},"annotations":{"summary":"booking button dead"}}]' >/dev/null

# the recording HTTP server: every request it gets, one line each
RPORT=$(free_port)
python3 - "$RPORT" "$TMP/requests.log" >"$TMP/rec.err" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
log = open(sys.argv[2], "a", buffering=1)
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        log.write(f"{self.command} {self.path} {body!r}\n")
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    do_GET = do_POST = do_PURGE = do_PUT = do_DELETE = do_BAN = any
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
track_pid $!
wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RPORT" || { diag <"$TMP/rec.err"; not_ok "the recording server starts"; finish; }
: >"$TMP/requests.log"

# the lab's config, one pane more: the http provider, purging through the recording server
python3 - "$LAB/sitrep.json" "$TMP/config.json" "$RPORT" "$EDGE_URL" "$ORIGIN_URL" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["panes"].append({"id": "cdnrec", "kind": "cdn", "source": "cdn", "provider": "http",
    "edge_url": sys.argv[4], "origin_url": sys.argv[5], "assets": ["/static/app.js"],
    "purge_method": "POST", "purge_url": f"http://127.0.0.1:{sys.argv[3]}/purge?u={{url}}",
    "purge_all_url": f"http://127.0.0.1:{sys.argv[3]}/purge-all", "verify_timeout_seconds": 3})
json.dump(cfg, open(sys.argv[2], "w"), indent=1)
PY
chmod 600 "$TMP/config.json"
ids=$(python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(open(sys.argv[1]))["panes"]))' "$TMP/config.json")
idx() { local i=1 p; for p in $ids; do [ "$p" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; }

mkdir -p "$TMP/run" "$TMP/ohome"
chmod 700 "$TMP/run"
tm_start 160 50 "env XDG_RUNTIME_DIR=$TMP/run $SITREP -c $TMP/config.json --share 2>$TMP/driver.err; sleep 600"
check "driver up, sharing" tm_wait_text 20 "shared · 0 watching"
tm new-session -d -s o -x 160 -y 50 \
	"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state XDG_RUNTIME_DIR=$TMP/run $SITREP attach 2>$TMP/o.err; echo EXIT=\$?; sleep 600"
ocap() { tm capture-pane -p -t o; }
check "observer attached" wait_for 15 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -qF 'WATCHING'"
check "driver: shared · 1 watching" tm_wait_text 5 "shared · 1 watching"
check "observer: /static/app.js stale, as on the driver" wait_for 15 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -q 'stale *\/static\/app.js'"

# the same pane, zoomed in both: row for row, digits aside (ages and durations tick)
body() { tm capture-pane -p -t "$1" | head -n -1 | tr '0-9' '#' | sed 's/ *$//'; }
for p in cdn deploys db; do
	n=$(idx "$p")
	tm send-keys -t t "$n" z
	tm send-keys -t o "$n" z
	check "pane $p zoomed: the observer's rows are the driver's" wait_for 15 bash -c '[ "$(tmux -L "$0" capture-pane -p -t t | head -n -1 | tr 0-9 "#" | sed "s/ *$//")" = "$(tmux -L "$0" capture-pane -p -t o | head -n -1 | tr 0-9 "#" | sed "s/ *$//")" ]' "$TSOCK"
	[ "$(body t)" = "$(body o)" ] || diff <(body t) <(body o) | head -8 | diag
	tm send-keys -t t Escape
	tm send-keys -t o Escape
done
tm send-keys -t o "$(idx db)" z
check "the observer's own zoom (db) ..." wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -qF ' $(idx db) db '"
check "  ... leaves the driver's screen with every pane" wait_for 5 bash -c "
	c=\$(tmux -L '$TSOCK' capture-pane -p -t t); grep -qF ' $(idx cdn) cdn ' <<<\"\$c\" && grep -qF ' $(idx db) db ' <<<\"\$c\" && grep -qF ' 1 host ' <<<\"\$c\""
tm send-keys -t o Escape

# nothing an observer presses acts
storm_n() { psql -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d app -Atc \
	"select count(*) from pg_stat_activity where application_name = 'web-r3' and state = 'active'"; }
edge_bad() { ! curl -fsS --max-time 2 "$EDGE_URL/static/app.js" | grep -q "bookingEnabled = true"; }
silences() { curl -fsS "$AM_URL/api/v2/silences" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
check "before: 8 storm sessions, the edge serves r2's app.js, no silence" \
	test "$(storm_n) $(edge_bad && echo bad) $(silences)" = "8 bad 0"
audit_sum() { if [ -e "$LAB/state/audit.jsonl" ]; then cksum <"$LAB/state/audit.jsonl"; else echo none; fi; }
restarted() { if [ -e "$LAB/app/restarted" ]; then cksum <"$LAB/app/restarted"; else echo none; fi; }
before=$(audit_sum)
cur_before=$(readlink "$LAB/app/current") restarted_before=$(restarted)
for p in cdn cdnrec deploys db alerts; do
	for k in p P r b s c K; do
		tm send-keys -t o "$(idx "$p")" Down "$k"
		check "observer, pane $p, key $k: actions belong to the driver" \
			wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | tail -1 | grep -qF 'observer: actions belong to the driver'"
		tm send-keys -t o y Escape
		sleep 0.1
	done
done
sleep 3 # what an action would have sent has had the time to arrive
check "the recording server saw no request" test ! -s "$TMP/requests.log"
check "the varnish edge still serves r2's app.js" edge_bad
check "current still points at r3, the restart never ran again" \
	test "$(readlink "$LAB/app/current") $(restarted)" = "$cur_before $restarted_before"
check "all 8 storm sessions still in pg_stat_activity" test "$(storm_n)" = 8
check "Alertmanager has no silence" test "$(silences)" = 0
check "the audit log is untouched" test "$(audit_sum)" = "$before"
check "the observer wrote nothing of its own" bash -c "[ -z \"\$(find '$TMP/ohome' -type f 2>/dev/null)\" ]"

# the driver can: the same key on the http pane reaches the recording server
tm send-keys -t t "$(idx cdnrec)" p
check "driver: the purge dialog for the http pane" tm_wait_text 5 "127.0.0.1:$RPORT/purge"
tm send-keys -t t y
check "driver's p y: the recording server got the purge" wait_for 10 grep -q "POST /purge" "$TMP/requests.log"
# and the real purge, for the replay below
tm send-keys -t t Escape "$(idx cdn)" p
check "driver: the PURGE dialog for varnish" tm_wait_text 5 "PURGE $EDGE_URL/static/app.js"
tm send-keys -t t y
edge_good() { ! edge_bad; }
check "driver's purge: the edge serves the good app.js" wait_for 20 edge_good
check "driver: /static/app.js fresh" wait_for 20 bash -c "tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'fresh *\/static\/app.js'"
check "observer: /static/app.js fresh too" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -q 'fresh *\/static\/app.js'"
sleep 2
tm send-keys -t t q
check "observer: driver gone" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t o | grep -qF 'driver gone'"
tm send-keys -t o q

# the recording, replayed
REC=$LAB/state/stream.jsonl.zst
check "the recording is 0600" test "$(stat -c %a "$REC")" = 600
check "  ... and zstd-compressed, whole (the driver ended its frame)" zstd -tq "$REC"
zstd -dcq "$REC" >"$TMP/rec.jsonl"
read -r t_stale t_fresh < <(python3 - "$TMP/rec.jsonl" <<'PY'
import json, sys
stale = fresh = None
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except Exception:
        continue
    p = r.get("pane") if r.get("type") == "pane" else None
    if not p or p.get("id") != "cdn":
        continue
    v = {a["path"]: a["verdict"] for a in p["data"].get("assets", [])}.get("/static/app.js")
    if v == "stale" and fresh is None:
        stale = r["time"]
    if v == "fresh" and stale is not None and fresh is None:
        fresh = r["time"]
print(stale // 1000 if stale else 0, fresh // 1000 + 2 if fresh else 0)
PY
)
check "the recording has the stale asset, then the fresh one" test "$t_stale" -gt 0 -a "$t_fresh" -gt "$t_stale"
replay_at() { # TIME(unix s)
	tm kill-session -t r 2>/dev/null
	tm new-session -d -s r -x 160 -y 50 \
		"env HOME=$TMP/ohome XDG_STATE_HOME=$TMP/ohome/state $SITREP replay '$REC' --at $(date -u -d "@$1" +%FT%TZ) 2>$TMP/r.err; echo EXIT=\$?; sleep 600"
}
rcap() { tm capture-pane -p -t r; }
replay_at "$t_stale"
check "replay before the purge: /static/app.js stale" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t r | grep -q 'stale *\/static\/app.js'"
check "  ... the clock says REPLAY $(date -d "@$t_stale" +%H:%M:%S)" bash -c "tmux -L '$TSOCK' capture-pane -p -t r | tail -1 | grep -qF 'REPLAY $(date -d "@$t_stale" +%H:%M:%S)'"
tm send-keys -t r "$(idx cdn)" p
check "  ... p refused: actions belong to the driver" wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t r | tail -1 | grep -qF 'observer: actions belong to the driver'"
tm send-keys -t r '['
check "  ... [ steps 10 s back" wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t r | tail -1 | grep -qF 'REPLAY $(date -d "@$((t_stale - 10))" +%H:%M:%S)'"
tm send-keys -t r ']'
check "  ... ] steps 10 s on" wait_for 3 bash -c "tmux -L '$TSOCK' capture-pane -p -t r | tail -1 | grep -qF 'REPLAY $(date -d "@$t_stale" +%H:%M:%S)'"
tm send-keys -t r e
check "  ... e exports the replayed timeline" wait_for 5 bash -c "ls '$TMP/ohome/state/sitrep/'timeline-*.md"
purges_then=$(cat "$TMP/ohome/state/sitrep/"timeline-*.md 2>/dev/null | grep -ci purge)
check "  ... nothing recorded in the audit log by the replay" test ! -e "$TMP/ohome/state/sitrep/audit.jsonl"
replay_at "$t_fresh"
check "replay after the purge: /static/app.js fresh" wait_for 10 bash -c "tmux -L '$TSOCK' capture-pane -p -t r | grep -q 'fresh *\/static\/app.js'"
check "  ... the clock says REPLAY $(date -d "@$t_fresh" +%H:%M:%S)" bash -c "tmux -L '$TSOCK' capture-pane -p -t r | tail -1 | grep -qF 'REPLAY $(date -d "@$t_fresh" +%H:%M:%S)'"
rm -f "$TMP/ohome/state/sitrep/"timeline-*.md
tm send-keys -t r e
check "  ... e exports the replayed timeline" wait_for 5 bash -c "ls '$TMP/ohome/state/sitrep/'timeline-*.md"
check "  ... as it was then: the varnish purge is in it, not in the one of before" \
	test "$(cat "$TMP/ohome/state/sitrep/"timeline-*.md | grep -ci purge)" -gt "$purges_then"
tm send-keys -t r '{'
check "  ... { jumps back to a timeline event" wait_for 3 bash -c "! tmux -L '$TSOCK' capture-pane -p -t r | tail -1 | grep -qF 'REPLAY $(date -d "@$t_fresh" +%H:%M:%S)'"
tm send-keys -t r q
check "replay: q quits with 0" wait_for 5 bash -c "tmux -L '$TSOCK' capture-pane -p -t r | grep -q '^EXIT=0'"
finish
