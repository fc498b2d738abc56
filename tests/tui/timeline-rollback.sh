#!/usr/bin/env bash
# timeline-rollback: an action's event says who did it. A rollback in the
# dashboard to a release alice made is recorded as "now running R2 (rollback
# by USER)", never "by bob" (who made it, not who switched to it): in the
# timeline pane and in `sitrep timeline`. A switch made outside sitrep says
# so and names the release's maker as such.
source "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip_all "tmux not installed"
[ -x "$SITREP" ] || skip_all "no binary at $SITREP"

APP=$TMP/app
R1=20240521200000 R2=20240521210000 R3=20240521221400
mkdir -p "$APP/releases" "$TMP/state"
for r in $R1 $R2 $R3; do
	mkdir "$APP/releases/$r"
	echo "c0ffee$r" >"$APP/releases/$r/REVISION"
done
ln -s "releases/$R3" "$APP/current"
cat >"$APP/revisions.log" <<LOG
Branch main (at c0ffee$R1) deployed as release $R1 by alice
Branch main (at c0ffee$R2) deployed as release $R2 by bob
Branch hotfix (at c0ffee$R3) deployed as release $R3 by carol
LOG
cat >"$TMP/sitrep.json" <<JSON
{ "refresh_seconds": 1, "state_dir": "$TMP/state", "panes": [
  { "id": "deploys", "kind": "deploys", "source": "releases", "path": "$APP" },
  { "id": "story", "kind": "timeline" } ] }
JSON
chmod 600 "$TMP/sitrep.json"
ME=oncall-ana

tm_start 200 30 "env USER=$ME $SITREP -c $TMP/sitrep.json"
check "the current release is marked" tm_wait_text 10 "▶ $R3"
tm send-keys -t t 1
tm send-keys -t t b
check "b opens the confirmation" tm_wait_text 5 "Confirm rollback"
tm send-keys -t t "$R2"
tm send-keys -t t Enter
check "the rollback is done" wait_for 10 bash -c "[ \"\$(readlink '$APP/current')\" = releases/$R2 ]"
check "the timeline pane says who rolled back" tm_wait_text 10 "now running $R2 (rollback by $ME)"
check "and does not credit the release's maker" bash -c "! tmux -L '$TSOCK' capture-pane -p -t t | grep -q 'now running $R2 by bob'"
tm_capture | diag

# a switch nobody did here: said so, the maker named as the maker
ln -s "releases/$R1" "$APP/.next" && mv -T "$APP/.next" "$APP/current"
check "an outside switch is named as such" tm_wait_text 10 "now running $R1 (switched outside this sitrep)"
tm send-keys -t t q
wait_for 5 tm_pane_dead
tm_kill

"$SITREP" timeline -c "$TMP/sitrep.json" >"$TMP/tl.txt" 2>&1
check "sitrep timeline: the rollback's deploy names who did it" grep -qF "now running $R2 (rollback by $ME)" "$TMP/tl.txt"
check "sitrep timeline: nothing credits bob with the switch" bash -c "! grep -q 'now running $R2 by bob' '$TMP/tl.txt'"
check "sitrep timeline: the outside switch names alice as the maker only" grep -qF "now running $R1 (switched outside this sitrep); made by alice" "$TMP/tl.txt"
cat "$TMP/tl.txt" | diag
finish
