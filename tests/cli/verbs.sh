#!/usr/bin/env bash
# A verb is written once, in its kind's table: `sitrep do` parses by its
# grammar, and the usage, the shell completions and the man page follow it.
# The completions read the tables at completion time (`sitrep --complete
# verbs`, `--complete verb NAME`); the man page is written by hand, so this
# test compares its synopsis and its entries with the tables: a verb added to
# a table but not to docs/sitrep.1 fails here.
source "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$ROOT/docs/sitrep.1

"$SITREP" --complete verbs >"$TMP/verbs" 2>"$TMP/err"; rc=$?
check "--complete verbs lists the tables' verbs (rc=$rc)" bash -c "[ $rc = 0 ] && [ -s '$TMP/verbs' ]"
verbs=$(cut -f1 "$TMP/verbs")
usage_verbs=$("$SITREP" --help | sed -n 's/^ *\(usage: \)\{0,1\}sitrep do \([a-z_]*\).*/\2/p')
check "--complete verbs and --help list the same verbs" test "$(echo $verbs)" = "$(echo $usage_verbs)"
"$SITREP" --complete verb no_such_verb >/dev/null 2>&1; rc=$?
check "--complete verb of an unknown verb fails (rc=$rc)" [ "$rc" != 0 ]

# compl WORDS...: what bash completes for `sitrep WORDS...` (the last word is
# the one being completed).
compl() {
	env -i PATH="$PATH" bash --norc --noprofile -c '
		source "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_sitrep sitrep "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' "$ROOT/completions/sitrep.bash" "$@"
}

# man_plain: a man line with its font escapes and \- taken out.
man_plain() { sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(em/--/g'; }

for v in $verbs; do
	"$SITREP" --complete verb "$v" >"$TMP/words.$v"
	opts=$(awk -F'\t' '$1 ~ /^-/ { print $1 }' "$TMP/words.$v")
	valued=$(awk -F'\t' '$1 ~ /^-/ && $2 != "-" { print $1 }' "$TMP/words.$v")

	# bash: every option of the grammar after `do VERB -`
	got=$(compl "$SITREP" do "$v" --)
	missing=
	for o in $opts; do grep -qw -- "$o" <<<"$got" || missing+=" $o"; done
	check "bash: 'sitrep do $v --' offers the grammar's options (missing:$missing)" test -z "$missing"
	# ... and nothing after an option that takes a value
	for o in $valued; do
		got=$(compl "$SITREP" do "$v" "$o" '')
		check "bash: nothing offered as the value of $v $o ($got)" test -z "$(echo $got)"
	done

	# the completion files name no verb: they read the tables
	check "completions name no verb '$v'" bash -c "! grep -Eq '(^|[[:space:]])$v\\)|_from $v' \
		'$ROOT/completions/sitrep.bash' '$ROOT/completions/_sitrep' '$ROOT/completions/sitrep.fish'"

	# man page: the synopsis line is the generated usage, word for word
	want=$("$SITREP" do "$v" --help | sed -n 's/^usage: sitrep do //p')
	have=$(awk -v v="$v" 'found && /^\./ { exit } found { print } $0 == ".B sitrep do " v { found = 1 }' "$MAN" |
		man_plain | tr '\n' ' ' | sed 's/ *$//')
	check "sitrep.1 synopsis of do $v is the table's ('$have' vs '$v $want')" test "$v $have" = "$want"
	# ... and the verb has an entry that names each of its options
	awk -v v="$v" '/^\.TP/ { on = 0 } on { print } /^\.B[IR]? "?do / { if (index($0, "do " v) > 0) on = 1 }' \
		"$MAN" >"$TMP/entry.$v"
	entry=$(awk -v v="$v" '/^\.B[IR]? "?do / && index($0, "do " v) > 0' "$MAN"; cat "$TMP/entry.$v")
	check "sitrep.1 has an entry for do $v" grep -q "do $v" <<<"$entry"
	missing=
	for o in $opts; do grep -qF -- "$o" <<<"$(man_plain <<<"$entry")" || missing+=" $o"; done
	check "sitrep.1's entry for do $v names its options (missing:$missing)" test -z "$missing"
done

# A verb in the man page's synopsis that no table has is stale too.
for v in $(sed -n 's/^\.B sitrep do \([a-z_]*\)$/\1/p' "$MAN"); do
	check "sitrep.1's do $v is a verb of the tables" grep -qx "$v" <<<"$verbs"
done

if command -v zsh >/dev/null; then
	check "zsh: the completion parses" zsh -n "$ROOT/completions/_sitrep"
fi
if command -v fish >/dev/null; then
	check "fish: the completion parses" fish -n "$ROOT/completions/sitrep.fish"
fi
finish
