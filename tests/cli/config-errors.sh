#!/usr/bin/env bash
# Config errors as a user meets them through the command line: positions and
# "did you mean" from --check-config, hostile bytes in config text never
# reaching the terminal raw, a config from a pipe, the permission warning, and
# a token file that would inject a header.
source "$(dirname "$0")/../lib.sh"

# cfg NAME TEXT: writes $TMP/NAME, the owner's alone (no permission warning)
cfg() {
	(umask 077 && printf '%s\n' "$2" >"$TMP/$1")
}
# run_check NAME: --check-config on $TMP/NAME; stdout, stderr and rc kept
run_check() {
	"$SITREP" --check-config -c "$TMP/$1" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# an unknown key comes first, at its own position, with the nearest valid key
cfg pains.json '{
  "pains": [ { "kind": "metrics", "source": "procfs" } ]
}'
run_check pains.json
check "a misspelt top-level key exits 2" [ "$rc" = 2 ]
check "it is named at its FILE:LINE:COL with the nearest key" \
	grep -qxF "$TMP/pains.json:2:3: unknown key \"pains\" (did you mean \"panes\"?)" "$TMP/err"

cfg ur1.json '{ "panes": [ { "kind": "metrics", "source": "prometheus",
    "queries": [ { "name": "a", "expr": "up" } ], "ur1": "http://127.0.0.1:9" } ] }'
run_check ur1.json
check "a misspelt required key is not hidden behind \"missing\"" \
	grep -qxF "$TMP/ur1.json:2:51: unknown key \"ur1\" (did you mean \"url\"?)" "$TMP/err"

cfg paht.json '{ "panes": [ { "kind": "logs",
    "sources": [ { "type": "file", "paht": "/var/log/x.log" } ] } ] }'
run_check paht.json
check "a misspelt key in a log input is named" \
	grep -qxF "$TMP/paht.json:2:36: unknown key \"paht\" (did you mean \"path\"?)" "$TMP/err"

cfg titel.json '{ "panes": [ { "kind": "metrics", "source": "procfs",
    "titel": "host" } ] }'
run_check titel.json
check "a misspelt optional pane key is named with the pane" \
	grep -qxF "$TMP/titel.json:2:5: unknown key \"titel\" in a metrics pane with source \"procfs\" (did you mean \"title\"?)" "$TMP/err"

cfg far.json '{ "panes": [ { "kind": "cdn", "source": "note", "text": "t", "zzz": 1 } ] }'
run_check far.json
check "a key close to nothing lists the valid keys" \
	grep -qF "$TMP/far.json:1:62: unknown key \"zzz\" in a cdn pane with source \"note\" (expected one of: kind, source, id, title, refresh_seconds, text)" "$TMP/err"

# several mistakes: every one is reported in one run, in the order of the
# file, each at its FILE:LINE:COL, by every mode that reads the config
cfg many.json '{
  "refesh_seconds": 2,
  "panes": [
    { "kind": "metrics", "source": "prom", "url": "http://127.0.0.1:9" },
    { "kind": "alerts" },
    { "kind": "metrics", "source": "procfs", "titel": "host" },
    { "kind": "metric", "source": "procfs" },
    { "kind": "cdn", "source": "note", "text": "t" }
  ]
}'
kinds=$("$SITREP" --check-config -c "$TMP/many.json" 2>&1 | sed -n 's/.*"metric" (did you mean "metrics"? expected one of: \(.*\))$/\1/p')
cat >"$TMP/many.want" <<EOF
$TMP/many.json:2:3: unknown key "refesh_seconds" in the top level (did you mean "refresh_seconds"?)
$TMP/many.json:4:36: unknown source "prom" (did you mean "prometheus"? kind "metrics" takes: procfs, prometheus, note)
$TMP/many.json:5:5: missing "source" (expected one of: alertmanager, note, for kind "alerts")
$TMP/many.json:6:46: unknown key "titel" in a metrics pane with source "procfs" (did you mean "title"?)
$TMP/many.json:7:15: unknown pane kind "metric" (did you mean "metrics"? expected one of: $kinds)
EOF
run_check many.json
check "several mistakes: exit 2" [ "$rc" = 2 ]
check "the kind list is the build's" grep -q 'metrics, .*checks' <<<"$kinds"
check "several mistakes: every one, in file order, with a position and the nearest valid value" \
	diff -u "$TMP/many.want" "$TMP/err"
"$SITREP" --once -c "$TMP/many.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--once reports every mistake too (exit 2)" bash -c "[ $rc = 2 ] && diff -u '$TMP/many.want' '$TMP/err'"
"$SITREP" do purge cdn -c "$TMP/many.json" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "do reports every mistake too (exit 2)" bash -c "[ $rc = 2 ] && diff -u '$TMP/many.want' '$TMP/err'"
"$SITREP" timeline -c "$TMP/many.json" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "timeline reports every mistake too (exit 2)" bash -c "[ $rc = 2 ] && diff -u '$TMP/many.want' '$TMP/err'"
"$SITREP" -c "$TMP/many.json" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "the dashboard's start reports every mistake too (exit 2)" bash -c "[ $rc = 2 ] && diff -u '$TMP/many.want' '$TMP/err'"

# a source's own mistakes are reported along with the other panes'
cfg srcs.json '{ "panes": [
  { "kind": "metrics", "source": "prometheus", "queries": [ { "name": "a", "expr": "up" } ], "ur1": "http://h" },
  { "kind": "cdn", "source": "note", "txet": "t" },
  { "kind": "metrics", "source": "procfs", "cpu_wran": 5, "memroy_warn": 5 } ] }'
run_check srcs.json
check "mistakes inside three panes' sources are all reported" bash -c "[ $rc = 2 ] &&
	grep -qF 'srcs.json:2:94: unknown key \"ur1\" (did you mean \"url\"?)' '$TMP/err' &&
	grep -qF 'srcs.json:3:38: unknown key \"txet\" (did you mean \"text\"?)' '$TMP/err' &&
	grep -qF 'srcs.json:4:44: unknown key \"cpu_wran\"' '$TMP/err' &&
	grep -qF 'srcs.json:4:59: unknown key \"memroy_warn\"' '$TMP/err' && [ \$(wc -l <'$TMP/err') = 4 ]"

# the cap: at most 20 errors are listed, the rest counted
{
	printf '{ "panes": [\n'
	for i in $(seq 1 16); do
		printf '  { "kind": "metrics", "source": "procfs", "zz1": 1, "zz2": 2 }%s\n' "$([ "$i" = 16 ] || echo ,)"
	done
	printf '] }\n'
} >"$TMP/cap.json"
chmod 600 "$TMP/cap.json"
run_check cap.json
check "32 mistakes: 20 listed, then how many more" bash -c "[ $rc = 2 ] &&
	[ \$(grep -c 'unknown key \"zz' '$TMP/err') = 20 ] &&
	tail -1 '$TMP/err' | grep -qxF '$TMP/cap.json: 12 more errors not shown (at most 20 are listed at once)'"

# "keys": every bad binding, a misspelt action with the nearest one
cfg keys.json '{ "keys": { "qiut": "Q", "zoom": "Ctrl-x" }, "panes": [ { "kind": "metrics", "source": "procfs" } ] }'
run_check keys.json
check "both bad bindings are reported, the misspelt action with the nearest one" bash -c "[ $rc = 2 ] &&
	grep -q '^$TMP/keys.json:1:13: unknown action \"qiut\" in \"keys\" (did you mean \"quit\"? expected one of: quit, ' '$TMP/err' &&
	grep -q '^$TMP/keys.json:1:34: \"Ctrl-x\" is not a key sitrep can bind' '$TMP/err'"

# duplicate ids have a position, also when one of them is a default id
cfg dup.json '{ "panes": [ { "id": "metrics2", "kind": "metrics", "source": "procfs" },
  { "kind": "metrics", "source": "procfs" } ] }'
run_check dup.json
check "a duplicate default id is reported at the pane, with the first" \
	grep -qF "$TMP/dup.json:2:3: duplicate pane id \"metrics2\" (first at line 1, column 22" "$TMP/err"

# hostile bytes in config text: never raw on stdout or stderr
cfg evil.json '{ "panes": [ { "id": "a\u001b]0;pwned\u0007\u001b[2J\u009b1m", "kind": "metrics", "source": "procfs" } ] }'
run_check evil.json
check "an escape in a pane id is an error (exit 2)" [ "$rc" = 2 ]
check "the id is shown as inert text" grep -qF '^[]0;pwned^G^[[2J<U+009B>1m' "$TMP/err"
check "no ESC, BEL or C1 byte reaches stdout or stderr" \
	bash -c "! cat '$TMP/out' '$TMP/err' | LC_ALL=C grep -q \$'[\\x01-\\x09\\x0b-\\x1f\\x7f]\\|\\xc2[\\x80-\\x9f]'"
cfg evilkey.json '{ "x\u001b[2J": 1, "panes": [ { "kind": "metrics", "source": "procfs" } ] }'
run_check evilkey.json
check "an escape in an unknown key is shown as inert text" \
	bash -c "grep -qF 'unknown key \"x^[[2J\"' '$TMP/err' && ! grep -q \$'\\e' '$TMP/err'"
cfg evilparse.json '{ "a\u001b[2J" 1 }'
run_check evilparse.json
check "an escape in a parse error is shown as inert text" \
	bash -c "grep -qF 'a^[[2J' '$TMP/err' && ! grep -q \$'\\e' '$TMP/err'"
cfg eviltheme.json '{ "theme": "x\u001b]0;t\u0007", "panes": [ { "kind": "metrics", "source": "procfs" } ] }'
run_check eviltheme.json
check "control characters in the theme name are refused, not printed" \
	bash -c "[ $rc = 2 ] && grep -qF 'eviltheme.json:1:12: \"theme\" must not contain control characters' '$TMP/err' && ! grep -q \$'\\e' '$TMP/err'"

cfg evilsrc.json '{ "panes": [ { "kind": "metrics", "source": "prom\u001b[2J" }, { "kind": "metr\u001b]0;x\u0007" } ] }'
run_check evilsrc.json
check "an escape in an unknown source or kind value is shown as inert text" \
	bash -c "[ $rc = 2 ] && grep -qF 'unknown source \"prom^[[2J\"' '$TMP/err' && grep -qF 'unknown pane kind \"metr^[]0;x^G\"' '$TMP/err' && ! grep -q \$'\\e' '$TMP/err'"

# a config from a pipe (process substitution) or a FIFO is read
"$SITREP" --check-config -c <(echo '{ "panes": [ { "kind": "metrics", "source": "procfs" } ] }') >"$TMP/out" 2>"$TMP/err"
rc=$?
check "-c <(echo ...) is read" bash -c "[ $rc = 0 ] && grep -q ': ok (1 pane)' '$TMP/out'"
"$SITREP" --check-config -c <(sleep 0.5; echo '{ "pains": [] }') >"$TMP/out" 2>"$TMP/err"
check "a slow pipe is waited for, and its errors have positions" \
	grep -qE '^/dev/fd/[0-9]+:1:3: unknown key "pains" \(did you mean "panes"\?\)$' "$TMP/err"
mkfifo -m 600 "$TMP/fifo"
(sleep 0.3; echo '{ "panes": [ { "kind": "metrics", "source": "procfs" } ] }' >"$TMP/fifo") &
track_pid $!
"$SITREP" --check-config -c "$TMP/fifo" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a FIFO whose writer comes late is read" bash -c "[ $rc = 0 ] && grep -q 'fifo: ok' '$TMP/out'"

# a config that group or others can read draws a warning, on stderr only
cfg open.json '{ "panes": [ { "id": "host", "kind": "metrics", "source": "procfs" } ] }'
chmod 644 "$TMP/open.json"
run_check open.json
check "a mode 0644 config still passes" [ "$rc" = 0 ]
check "it draws a warning naming the file and the mode" \
	grep -qF "sitrep: warning: config file $TMP/open.json has mode 0644: group or others can read it" "$TMP/err"
chmod 666 "$TMP/open.json"
run_check open.json
check "a mode 0666 config: others can change it" grep -qF "has mode 0666: group or others can change it" "$TMP/err"
chmod 644 "$TMP/open.json"
"$SITREP" --once --json -c "$TMP/open.json" >"$TMP/once.json" 2>"$TMP/err"
rc=$?
check "--once --json with the warning: stdout is still JSON" python3 -c "
import json, sys
d = json.load(open('$TMP/once.json'))
sys.exit(0 if $rc == 0 and d['panes'][0]['id'] == 'host' else 1)"
check "--once --json with the warning: the warning is on stderr" grep -q "warning: config file" "$TMP/err"
chmod 600 "$TMP/open.json"
run_check open.json
check "a mode 0600 config draws no warning" bash -c "[ $rc = 0 ] && [ ! -s '$TMP/err' ]"

# token files: a line break inside is refused; a readable one warns
tokcfg() {
	cfg tok.json "{ \"panes\": [ { \"kind\": \"metrics\", \"source\": \"prometheus\", \"url\": \"http://127.0.0.1:9\",
    \"token_file\": \"$TMP/token\", \"queries\": [ { \"name\": \"a\", \"expr\": \"up\" } ] } ] }"
}
tokcfg
(umask 077 && printf 'Zq9s3cr\nX-Injected: 1\n' >"$TMP/token")
run_check tok.json
check "a token file with an embedded newline is refused (exit 2)" [ "$rc" = 2 ]
check "the refusal names the file and its key, at the key's position" \
	grep -qF "$TMP/tok.json:2:19: token file $TMP/token (from \"token_file\") contains a line break (LF): refused" "$TMP/err"
check "the refusal does not quote the token" bash -c "! grep -q Zq9 '$TMP/err' '$TMP/out'"
(umask 077 && printf 'Zq9s3cr\r\n' >"$TMP/token")
run_check tok.json
check "a token file with CRLF is refused" grep -qF "contains a carriage return (CR)" "$TMP/err"
(umask 077 && printf 'Zq9s3cr\n' >"$TMP/token")
run_check tok.json
check "a token file with one trailing newline is fine" bash -c "[ $rc = 0 ] && [ ! -s '$TMP/err' ]"
chmod 640 "$TMP/token"
run_check tok.json
check "a token file group can read draws a warning with its mode" \
	bash -c "[ $rc = 0 ] && grep -qF 'warning: token file $TMP/token has mode 0640' '$TMP/err' && ! grep -q Zq9 '$TMP/err'"
sed 's#"token_file": "[^"]*"#"token_env": "SITREP_TEST_TOKEN"#' "$TMP/tok.json" >"$TMP/tokenv.json"
chmod 600 "$TMP/tokenv.json"
SITREP_TEST_TOKEN=$'Zq9s3cr\r\nX-Injected: 1' "$SITREP" --check-config -c "$TMP/tokenv.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a token from the environment with CR LF is refused" \
	bash -c "[ $rc = 2 ] && grep -qF 'environment variable SITREP_TEST_TOKEN (from \"token_env\") contains a carriage return' '$TMP/err' && ! grep -q Zq9 '$TMP/err'"

finish
