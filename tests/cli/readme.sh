#!/usr/bin/env bash
# The README's facts about this tree, compared with the tree: the libraries
# meson.build links, the kinds the build knows, the files of the state dir,
# what `make test-deps` installs for the demo, the layout of the source, the
# demo screen against the lab's panes, and what tests/integration/demo.sh
# really checks. Each is read from the code or the scripts, so a kind, a
# library, a state file or a lab server added there and not here fails.
source "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
README=$ROOT/README.md
section() { awk -v h="$2" 'index($0, h) == 1 { on = 1; print; next } on && /^## / { exit } on' "$1"; }
# flat: a text on one line, runs of blanks as one space (a sentence may wrap anywhere)
flat() { tr '\n' ' ' | tr -s ' '; }

# --- the libraries (the intro names every one meson.build requires) ---------
intro=$(awk '/^```/ { exit } { print }' "$README" | flat)
declare -A libname=([ncursesw]=ncursesw [libuv]=libuv [libcurl]=libcurl [libcjson]=cJSON
	[libpcre2-8]=PCRE2 [libzstd]=libzstd [libpq]=libpq [libmariadb]="MariaDB Connector/C")
for dep in $(grep -v 'required *: *false' "$ROOT/meson.build" | sed -n "s/.*dependency('\([^']*\)'.*/\1/p"); do
	name=${libname[$dep]:-}
	check "README intro names the library $dep${name:+ ($name)}" bash -c '[ -n "$1" ] && grep -qF -- "$1" <<<"$2"' _ "$name" "$intro"
done

# --- the kinds ------------------------------------------------------------
printf '{ "panes": [ { "kind": "nokind" } ] }\n' >"$TMP/k.json"
kinds=$("$SITREP" --check-config -c "$TMP/k.json" 2>&1 | sed -n 's/.*expected one of: \(.*\))$/\1/p' | tr -d ' ' | tr ',' '\n' | sort)
check "the build lists its kinds ($(echo $kinds))" test -n "$kinds"
listed=$(section "$README" "## Configuration basics" | flat | sed -n 's/.*a `kind` (\([^)]*\)).*/\1/p' | tr -d ' ' | tr ',' '\n' | sort)
check "README Configuration basics lists every kind of the build ($(echo $listed))" test "$(echo $listed)" = "$(echo $kinds)"

# --- the state dir --------------------------------------------------------
# the names the code gives its state files (timeline.jsonl.1 is a rotation)
files=$(cat "$ROOT"/core/*.c "$ROOT"/include/sitrep/core/*.h | grep -o '"[a-z]*\.jsonl[.a-z]*"' | tr -d '"' | sort -u)
check "the code names its state files ($(echo $files))" test -n "$files"
state=$(section "$README" "## Where state lives" | flat)
for f in $files; do
	check "README Where state lives names $f" grep -qF "\`$f\`" <<<"$state"
done

# --- make test-deps: the servers the lab runs ------------------------------
demo=$(section "$README" "## The demo" | flat)
deps=$(sed -n 's/.*(`make test-deps`\([^)]*\)).*/\1/p' <<<"$demo")
check "README demo names what make test-deps installs" test -n "$deps"
# install-deps --test's packages whose program scripts/lab runs, and the backups tests' tools
test_pkgs=$(bash -c 'source <(sed -n "/^build_pkgs=/,/^# only scripts\/fuzz/p" "$0"); echo "${test_pkgs[@]}"' "$ROOT/scripts/install-deps")
backup_pkgs=$(sed -n '/backups kind/,/^test_pkgs+=/s/^test_pkgs+=(\(.*\))/\1/p' "$ROOT/scripts/install-deps")
check "install-deps names the backups tests' packages ($backup_pkgs)" test -n "$backup_pkgs"
for p in $(tr ' ' '\n' <<<"$test_pkgs" | sort -u); do
	stem=${p%-server}
	stem=${stem%-light}
	stem=${stem#prometheus-}
	[ "$p" = gzip ] && continue # a dump format, not a server or a tool of the demo
	grep -qiw -- "$stem" "$ROOT/scripts/lab" || grep -qw -- "$p" <<<"$backup_pkgs" || continue
	[ "$stem" = python3 ] || [ "$stem" = curl ] && continue # what the lab is written with
	want=${stem/node-exporter/node exporter}
	check "README's make test-deps list names $p" grep -qiF -- "$want" <<<"$deps"
done

# --- the layout of the source ---------------------------------------------
layout=$(section "$README" "## Layout of the source" | awk '/^```/ { n++; next } n == 1')
inc=$(awk '/^include\/sitrep\// { on = 1; print; next } on && /^[^ ]/ { exit } on' <<<"$layout" | flat)
for d in "$ROOT"/include/sitrep/*/; do
	d=$(basename "$d")
	check "README layout: include/sitrep/ names its folder $d/" grep -qE "(^| )$d/" <<<"$inc"
done
check "README layout: private headers beside their code" grep -q 'beside' <<<"$inc"
be=$(awk '/^backends\// { on = 1; print; next } on && /^[^ ]/ { exit } on' <<<"$layout" | flat)
if ls "$ROOT"/backends/backups-*.c >/dev/null 2>&1; then
	check "README layout: the backups source spans backups-*.c" grep -qF 'backups-*.c' <<<"$be"
fi
for f in "$ROOT"/backends/db*.c; do
	f=$(basename "$f")
	check "README layout: backends/ names the database engines' shared $f" grep -qF "$f" <<<"$be"
done
for p in $(grep -oE '^[a-z][a-z/]*/' <<<"$layout"); do
	check "README layout: $p exists" test -d "$ROOT/$p"
done

# --- the keys of the verbs (the kind tables') -------------------------------
keys=$(section "$README" "## Keys" | flat)
for k in $(cat "$ROOT"/kinds/*.c | sed -n 's/.*\.key = "\([^"]*\)".*/\1/p' | sort -u); do
	check "README Keys names the verb key $k" grep -qF "\`$k\`" <<<"$keys"
done

# --- the demo screen --------------------------------------------------------
screen=$(awk '/^```/ { n++; next } n == 1' "$README")
titles=$(grep -oE '┌ [0-9]+ [a-z]+ ' <<<"$screen" | awk '{ print $2 ":" $3 }')
ids=$(grep -o '`DIR/sitrep.json` has the panes [^(]*' <<<"$demo" | grep -o '`[a-z]*`' | tr -d '`' |
	grep -v '^DIR' | awk '{ print NR ":" $0 }')
check "README screen: the panes of the lab's config, in order ($(echo $titles))" test "$(echo $titles)" = "$(echo $ids)"
status=$(tail -1 <<<"$screen")
counted=$(grep -oE '[0-9]+ (crit|warn|ok)' <<<"$status" | awk '{ s += $1 } END { print s }')
check "README screen: the status line counts every pane ($counted of $(wc -l <<<"$titles"))" test "$counted" = "$(wc -l <<<"$titles")"
counts=$(grep -oE '([0-9]+ (crit|warn|ok) ?)+' <<<"$status" | head -1 | sed 's/ $//')
after=$(awk '/^```/ { n++; next } n == 2' "$README" | sed '/^$/,$d' | flat)
check "README: the text under the screen quotes its count ($counts)" grep -qF "(\`$counts\`" <<<"$after"
for t in $titles; do
	check "README: the text under the screen uses the screen's number for ${t#*:}" \
		bash -c '! grep -oE "\`[0-9]+ $1\`" <<<"$3" | grep -qvF "\`$2 $1\`"' _ "${t#*:}" "${t%%:*}" "$after"
done

# --- what tests/integration/demo.sh checks ---------------------------------
DEMO=$ROOT/tests/integration/demo.sh
tests=$(section "$README" "## Tests and benchmarks" | flat)
said=$(grep -o 'tests/integration/demo.sh.*(`t`) are not part of it\.' <<<"$tests")
check "README says what demo.sh does, not that it checks each step" bash -c "[ -n \"\$1\" ] && ! grep -q 'each step' <<<\"\$1\"" _ "$said"
size=$(sed -n 's/^tm_start \([0-9]*\) \([0-9]*\) .*/\1x\2/p' "$DEMO")
check "README: demo.sh's size $size" grep -qF "$size" <<<"$said"
default=$(sed -n 's/^SERVICES=\${LAB_SERVICES:-"\(.*\)"}$/\1/p' "$ROOT/scripts/lab")
used=$(sed -n "s/.*LAB_SERVICES='\([^']*\)'.*/\1/p" "$DEMO")
for s in $default; do
	[[ " $used " == *" $s "* ]] && continue
	check "README: demo.sh runs without the lab's $s, and says so" grep -qiF "$s" <<<"$said"
done
# the keys it sends, as the README writes them ("5 p y", "6 b r1 Enter")
for k in $(sed -n 's/^key \(.*\)$/\1/p' "$DEMO" | tr ' ' '_'); do
	check "README: demo.sh's keys '${k//_/ }' are named" bash -c "grep -qE -- \"\$1\" <<<\"\$2\"" _ \
		"\`[^\`]*$(sed -e 's/_/ */g' -e 's/r *1/r1/' <<<"$k")[^\`]*\`" "$said"
done

finish
