#!/usr/bin/env bash
# Integration: children get only the environment they need. The config's
# token variable (token_env) is not in the environment of a log "command"
# input, of a restart and a rollback argv (git deploys, a real repository)
# or of the restart a releases rollback runs, each of which writes its whole
# environment to a file; an ordinary variable is. With "pass_env" naming
# the variable on the input or the pane, exactly that command gets it.
# A "pass_env" on a pane kind that starts nothing is a config error.
source "$(dirname "$0")/../lib.sh"
command -v git >/dev/null || skip_all "git not installed"

TOKEN="tok-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export SITREP_TEST_TOKEN=$TOKEN SITREP_TEST_PLAIN=plain-value
mkdir -p "$TMP/state" "$TMP/app/releases/r1" "$TMP/app/releases/r2"
ln -s releases/r2 "$TMP/app/current"
REPO=$TMP/repo
git init -q -b main "$REPO"
for i in 1 2; do
	echo "$i" >"$REPO/f"
	git -C "$REPO" add f
	git -C "$REPO" -c user.name=a -c user.email=a@example.org commit -qm "change $i"
	git -C "$REPO" tag "deploy-$i"
done
# Each command writes its environment where its first argument says.
cat >"$TMP/dump-env" <<'SH'
#!/bin/sh
env >"$1.tmp" && mv "$1.tmp" "$1"
echo "environment written; token: ${SITREP_TEST_TOKEN:-none}"
SH
chmod +x "$TMP/dump-env"

config() { # FILE LOGS_PASS DEPLOYS_PASS RELEASES_PASS (each "" or a "pass_env" member)
	cat >"$1" <<JSON
{ "state_dir": "$TMP/state", "panes": [
  { "id": "prom", "kind": "metrics", "source": "prometheus", "url": "http://127.0.0.1:9",
    "token_env": "SITREP_TEST_TOKEN", "queries": [ { "name": "up", "expr": "up" } ] },
  { "id": "logs", "kind": "logs", "sources": [
    { "type": "command", "argv": ["$TMP/dump-env", "$TMP/logcmd.env"] $2 } ] },
  { "id": "git", "kind": "deploys", "source": "git", "repo": "$REPO", "tags": "deploy-*",
    "rollback": ["$TMP/dump-env", "$TMP/rollback.env", "{release}"],
    "restart": ["$TMP/dump-env", "$TMP/restart.env"], "restart_timeout_seconds": 5 $3 },
  { "id": "rel", "kind": "deploys", "source": "releases", "path": "$TMP/app",
    "restart": ["$TMP/dump-env", "$TMP/relrestart.env"], "restart_timeout_seconds": 5 $4 } ] }
JSON
	chmod 600 "$1"
}
# has FILE NAME: FILE (an `env` dump) sets NAME.
has() { grep -q "^$2=" "$1"; }
run_all() { # CONFIG: the log command through --once, then restart and rollbacks
	rm -f "$TMP"/*.env
	"$SITREP" --once --json -c "$1" >"$TMP/once.json" 2>"$TMP/once.err"
	wait_for 5 test -s "$TMP/logcmd.env"
	USER=oncall "$SITREP" do restart --yes --pane git -c "$1" >"$TMP/restart.out" 2>&1
	USER=oncall "$SITREP" do rollback deploy-1 --yes --pane git -c "$1" >"$TMP/rollback.out" 2>&1
	ln -sfn releases/r2 "$TMP/app/current"
	USER=oncall "$SITREP" do rollback r1 --yes --pane rel -c "$1" >"$TMP/relrollback.out" 2>&1
}

config "$TMP/c.json" "" "" ""
run_all "$TMP/c.json"
diag <"$TMP/restart.out"
diag <"$TMP/rollback.out"
diag <"$TMP/relrollback.out"
check "the log command ran" test -s "$TMP/logcmd.env"
check "the restart ran" test -s "$TMP/restart.env"
check "the rollback argv ran" test -s "$TMP/rollback.env"
check "the releases rollback's restart ran" test -s "$TMP/relrestart.env"
check "--once shows the log command's line" grep -q "environment written" "$TMP/once.json"
for f in logcmd restart rollback relrestart; do
	check "$f: the token's variable is not in its environment" bash -c "! grep -q '^SITREP_TEST_TOKEN=' '$TMP/$f.env'"
	check "$f: the token is nowhere in its environment" bash -c "! grep -qF '$TOKEN' '$TMP/$f.env'"
	check "$f: an ordinary variable is" has "$TMP/$f.env" SITREP_TEST_PLAIN
	check "$f: sitrep's guard marker is not" bash -c "! grep -q '^SITREP_SPAWN_GUARD=' '$TMP/$f.env'"
done

# The opt-in, one command at a time: only the command that names it gets it.
config "$TMP/c2.json" ', "pass_env": ["SITREP_TEST_TOKEN"]' "" ""
run_all "$TMP/c2.json"
check "pass_env on the log input: it gets the token" grep -qx "SITREP_TEST_TOKEN=$TOKEN" "$TMP/logcmd.env"
check "the line it printed with the token shows it masked" bash -c "grep -q 'token: \*\*\*' '$TMP/once.json' && ! grep -qF '$TOKEN' '$TMP/once.json'"
check "... and the restart does not" bash -c "! grep -q '^SITREP_TEST_TOKEN=' '$TMP/restart.env'"
check "... nor the rollbacks" bash -c "! grep -q '^SITREP_TEST_TOKEN=' '$TMP/rollback.env' '$TMP/relrestart.env'"
config "$TMP/c3.json" "" ', "pass_env": ["SITREP_TEST_TOKEN"]' ', "pass_env": ["SITREP_TEST_TOKEN"]'
run_all "$TMP/c3.json"
check "pass_env on the git pane: the restart gets the token" grep -qx "SITREP_TEST_TOKEN=$TOKEN" "$TMP/restart.env"
check "... and the rollback argv" grep -qx "SITREP_TEST_TOKEN=$TOKEN" "$TMP/rollback.env"
check "pass_env on the releases pane: the rollback's restart gets it" \
	grep -qx "SITREP_TEST_TOKEN=$TOKEN" "$TMP/relrestart.env"
check "... and the log command does not" bash -c "! grep -q '^SITREP_TEST_TOKEN=' '$TMP/logcmd.env'"
check "what the children printed is still masked" bash -c "! grep -rqF '$TOKEN' '$TMP/state' '$TMP/once.json' '$TMP'/*.out"

# Where no command runs, or on a logs pane instead of its input: an error.
cat >"$TMP/bad.json" <<JSON
{ "panes": [ { "id": "m", "kind": "metrics", "source": "procfs", "pass_env": ["SITREP_TEST_TOKEN"] } ] }
JSON
chmod 600 "$TMP/bad.json"
"$SITREP" --check-config -c "$TMP/bad.json" >"$TMP/bad.txt" 2>&1
rc=$?
diag <"$TMP/bad.txt"
check "pass_env on a metrics pane: exit 2 with FILE:LINE:COL" bash -c "test $rc -eq 2 && grep -q 'bad.json:1:.*a metrics pane with source .procfs. runs no command' '$TMP/bad.txt'"
cat >"$TMP/bad2.json" <<JSON
{ "panes": [ { "id": "l", "kind": "logs", "pass_env": ["X"],
  "sources": [ { "type": "command", "argv": ["true"] } ] } ] }
JSON
chmod 600 "$TMP/bad2.json"
"$SITREP" --check-config -c "$TMP/bad2.json" >"$TMP/bad2.txt" 2>&1
rc=$?
diag <"$TMP/bad2.txt"
check "pass_env on a logs pane: points at the command input" bash -c "test $rc -eq 2 && grep -q 'goes on the log input of type \"command\"' '$TMP/bad2.txt'"
finish
