#!/usr/bin/env bash
# docs/SECURITY.md has a row for every source, log input, CDN provider and
# verb of the tree ("Every source and every verb"): who outside controls which
# bytes, what identifies an action's target, how its effect is verified, and
# the tests. The names are read from the tables in the code (backends/sources.c
# and each source's ops, the log input table, the CDN provider table, the verb
# tables of kinds/kind-*.c) and checked against what the binary itself lists,
# so neither a new entry nor a misread table goes unnoticed.
source "$(dirname "$0")/../lib.sh"

doc="$TOP/docs/SECURITY.md"
check "docs/SECURITY.md exists" [ -f "$doc" ]

# name_of PREFIX SYMBOL FIELD: the "FIELD = "..."" of `const struct ... SYMBOL = {`
# in backends/ (the first such field after the definition).
name_of() {
	awk -v sym="$1" -v field="$2" '
		$0 ~ "^const struct [a-z_]+ " sym " = \\{" { on = 1; next }
		on && $0 ~ "\\." field " *= *\"" {
			sub(/^[^"]*"/, ""); sub(/".*/, ""); print; exit
		}' "$TOP"/backends/*.c
}

# entries FILE ARRAY: the &symbols listed in the array named ARRAY of FILE.
entries() {
	awk -v arr="$2" '
		$0 ~ arr "\\[\\] = \\{" { on = 1 }
		on { while (match($0, /&[a-z_]+/)) { print substr($0, RSTART + 1, RLENGTH - 1); $0 = substr($0, RSTART + RLENGTH) } }
		on && /\};/ { exit }' "$1"
}

: >"$TMP/sources"
for sym in $(entries "$TOP/backends/sources.c" sources_table); do
	name_of "$sym" name >>"$TMP/sources"
done
: >"$TMP/inputs"
for sym in $(entries "$TOP/backends/logs.c" logs_input_table); do
	name_of "$sym" type >>"$TMP/inputs"
done
: >"$TMP/providers"
for sym in $(entries "$TOP/backends/cdn.c" cdn_providers); do
	name_of "$sym" name >>"$TMP/providers"
done
# verbs: the .name of each verb a kind defines (one `const struct verb` each)
awk '
	/^const struct verb kind_[a-z_]+ = \{/ { on = 1; next }
	on && /^\};/ { on = 0 }
	on && /\.name *= *"/ { s = $0; sub(/^[^"]*"/, "", s); sub(/".*/, "", s); print s }' \
	"$TOP"/kinds/kind-*.c >"$TMP/verbs"

check "the source table reads as names ($(wc -l <"$TMP/sources"))" [ "$(wc -l <"$TMP/sources")" -ge 10 ]
check "the log input table reads as names" [ "$(wc -l <"$TMP/inputs")" -ge 2 ]
check "the CDN provider table reads as names" [ "$(wc -l <"$TMP/providers")" -ge 2 ]
check "the verb tables read as names" [ "$(wc -l <"$TMP/verbs")" -ge 5 ]

# What the binary lists must all have been read from the code: the sources
# a config may name, and the verbs "keys" may bind.
cat >"$TMP/bad-source.json" <<'JSON'
{ "panes": [ { "id": "x", "kind": "metrics", "source": "no-such-source" } ] }
JSON
cat >"$TMP/bad-key.json" <<'JSON'
{ "keys": { "no_such_action": "z" }, "panes": [ { "id": "x", "kind": "metrics", "source": "procfs" } ] }
JSON
chmod 600 "$TMP"/bad-*.json
listed() { "$SITREP" --check-config -c "$1" 2>&1 | sed -n "s/.*$2\(.*\)).*/\1/p" | tr -d ' ' | tr ',' '\n'; }
listed "$TMP/bad-source.json" 'this build has: ' >"$TMP/bin-sources"
listed "$TMP/bad-key.json" 'expected one of: ' >"$TMP/bin-keys"
check "the binary lists its sources" [ -s "$TMP/bin-sources" ]
missing=$(grep -vxF -f "$TMP/sources" "$TMP/bin-sources")
check "every source the binary knows was read from backends/sources.c" [ -z "$missing" ]
[ -z "$missing" ] || echo "$missing" | diag
for v in $(cat "$TMP/verbs"); do
	check "verb $v is one the binary binds" grep -qxF "$v" "$TMP/bin-keys"
done
cat >"$TMP/bad-provider.json" <<'JSON'
{ "panes": [ { "id": "x", "kind": "cdn", "source": "cdn", "provider": "no-such-provider",
  "edge_url": "http://127.0.0.1:1", "origin_url": "http://127.0.0.1:1", "assets": ["/"] } ] }
JSON
chmod 600 "$TMP/bad-provider.json"
listed "$TMP/bad-provider.json" 'this build has: ' >"$TMP/bin-providers"
check "the binary lists its CDN providers" [ -s "$TMP/bin-providers" ]
for p in $(cat "$TMP/bin-providers"); do
	check "provider $p the binary knows was read from the cdn source's table" grep -qxF "$p" "$TMP/providers"
done

# The rows. Sources start a row in the sources table; inputs and providers
# name themselves after the source; verbs start a row of the verbs table.
section() { awk -v h="$1" '$0 ~ "^### " { on = ($0 ~ h) } on' "$doc"; }
section "Sources: what they read" >"$TMP/source-rows"
section "Verbs: what they change" >"$TMP/verb-rows"
# a row has its five cells: name, outside bytes, target, verification, tests
row_ok() { grep -F -- "$1" "$2" | awk -F' \\| ' 'NF >= 5 && $NF ~ /tests\/|pending|no action|—/ { ok = 1 } END { exit !ok }'; }
while read -r s; do
	check "SECURITY.md has a row for source $s" row_ok "| \`$s\`" "$TMP/source-rows"
done <"$TMP/sources"
while read -r i; do
	check "SECURITY.md has a row for log input $i" row_ok "| \`logs\`, input \`$i\`" "$TMP/source-rows"
done <"$TMP/inputs"
while read -r p; do
	check "SECURITY.md has a row for CDN provider $p" row_ok "| \`cdn\`, provider \`$p\`" "$TMP/source-rows"
done <"$TMP/providers"
while read -r v; do
	check "SECURITY.md has a row for verb $v" row_ok "| \`$v\` (" "$TMP/verb-rows"
done <"$TMP/verbs"

# Every test a row names exists.
grep -o 'tests/[a-z]*/[A-Za-z0-9_.-]*\.\(sh\|c\)' "$TMP/source-rows" "$TMP/verb-rows" | cut -d: -f2 | sort -u >"$TMP/named"
gone=$(while read -r t; do [ -e "$TOP/$t" ] || echo "$t"; done <"$TMP/named")
check "every test the rows name exists ($(wc -l <"$TMP/named") named)" [ -z "$gone" ]
[ -z "$gone" ] || echo "$gone" | diag

# The check itself can fail: a verb without a row is caught.
grep -vF '| `rollback` (' "$TMP/verb-rows" >"$TMP/probe-rows"
fails() { ! "$@"; }
check "a missing row is caught (rollback's removed)" fails row_ok '| `rollback` (' "$TMP/probe-rows"
check "a row without its cells is caught" fails row_ok '| `rollback` (' <(echo '| `rollback` (b) | x |')

echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
