#!/usr/bin/env bash
# Integration: masked first, then cut, where sitrep keeps only part of what a
# child printed. A known token (the config's token_env) is printed by
# journalctl on stderr (sitrep keeps 300 bytes), and by a failing restart of
# a releases pane and of a git pane (sitrep keeps the last 160 bytes), placed
# so that the cut falls inside the token and leaves 5 to 7 of its bytes on
# the kept side: too short to be recognised as a piece of the token once
# cut, so the old code, which cut first, showed them. Masked whole before
# the cut, nothing of it shows in --once, stderr, the audit log or the
# timeline. The children do not get the token's variable (it is withheld):
# the scripts have it written in.
source "$(dirname "$0")/../lib.sh"
command -v git >/dev/null || skip_all "git not installed"

TOKEN="tok-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" # 36 bytes
export SITREP_TEST_TOKEN=$TOKEN
mkdir -p "$TMP/state" "$TMP/app/releases/r1" "$TMP/app/releases/r2"
ln -s releases/r2 "$TMP/app/current"
REPO=$TMP/repo
git init -q -b main "$REPO"
echo 1 >"$REPO/f"
git -C "$REPO" add f
git -C "$REPO" -c user.name=a -c user.email=a@example.org commit -qm "change 1"
git -C "$REPO" tag deploy-1

x() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }
# journalctl's stderr: "journalctl: " + 293 bytes, then the token: a cut at
# 300 bytes of the line keeps its first 7.
cat >"$TMP/journalctl" <<SH
#!/bin/sh
echo "$(x 293)$TOKEN and more" >&2
sleep 30
SH
# A failing restart: its last 160 bytes start 5 bytes before the token's end.
cat >"$TMP/restart" <<SH
#!/bin/sh
echo "restarting"
echo "$(x 40)$TOKEN$(x 155 y)" >&2
exit 3
SH
chmod +x "$TMP/journalctl" "$TMP/restart"

cat >"$TMP/c.json" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "prom", "kind": "metrics", "source": "prometheus", "url": "http://127.0.0.1:9",
    "token_env": "SITREP_TEST_TOKEN", "queries": [ { "name": "up", "expr": "up" } ] },
  { "id": "logs", "kind": "logs", "sources": [ { "type": "journald", "journalctl": "$TMP/journalctl" } ] },
  { "id": "git", "kind": "deploys", "source": "git", "repo": "$REPO", "tags": "deploy-*",
    "restart": ["$TMP/restart"], "restart_timeout_seconds": 5 },
  { "id": "rel", "kind": "deploys", "source": "releases", "path": "$TMP/app",
    "restart": ["$TMP/restart"], "restart_timeout_seconds": 5 } ] }
JSON
chmod 600 "$TMP/c.json"

# No 5-byte piece of the token anywhere in the files named.
no_piece() {
	python3 - "$TOKEN" "$@" <<'PY'
import sys
tok, files = sys.argv[1], sys.argv[2:]
for f in files:
    text = open(f, encoding="utf-8", errors="replace").read()
    for k in range(len(tok) - 4):
        assert tok[k:k + 5] not in text, "%s shows %r of the token" % (f, tok[k:k + 5])
PY
}

"$SITREP" --once --json -c "$TMP/c.json" >"$TMP/once.json" 2>"$TMP/once.err"
check "--once shows what journalctl said, masked" python3 -c "
import json; d={p['id']: p for p in json.load(open('$TMP/once.json'))['panes']}
e = d['logs'].get('error') or ''
assert e.startswith('journalctl: xxxx') and '***' in e, d['logs']"
check "journalctl's stderr: no piece of the token in --once" no_piece "$TMP/once.json" "$TMP/once.err"

for pane in rel git; do
	USER=oncall "$SITREP" do restart --yes --pane $pane -c "$TMP/c.json" >"$TMP/$pane.out" 2>&1
	rc=$?
	diag <"$TMP/$pane.out"
	check "$pane: the failing restart says how it ended and its last words (rc=$rc)" bash -c "
test $rc -eq 1 && grep -q 'restart exited with status 3' '$TMP/$pane.out' && grep -q 'yyyyy' '$TMP/$pane.out'"
	check "$pane: no piece of the token on stdout or stderr" no_piece "$TMP/$pane.out"
done
"$SITREP" timeline -c "$TMP/c.json" >"$TMP/timeline.txt" 2>&1
check "no piece of the token in the audit log or the timeline" no_piece "$TMP/state/audit.jsonl" "$TMP/timeline.txt"
finish
