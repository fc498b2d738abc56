#!/usr/bin/env bash
# Every place that lists the command line says what `sitrep --help` says: the
# man page (SYNOPSIS, OPTIONS, COMMANDS), the README's usage block and the
# bash, zsh and fish completions. The usage text is the reference because it
# is built from the code (main.c's option list and subcommand table); the rest
# is written by hand, so an option or subcommand added to the code and
# forgotten in one of them (as --share, serve, attach and replay once were)
# fails here, and so does one a surface still names after the code dropped it.
# `do` verbs and their options come from the kind tables: tests/cli/verbs.sh
# holds the man page and completions to those.
source "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$ROOT/docs/sitrep.1

# words: the input's words, one per line, sorted and unique.
words() { tr -s ' \t' '\n\n' | sed '/^$/d' | sort -u; }
longopts() { grep -oE -- '--[a-z][a-z-]*' | sort -u; }
# missing A B: the words of A not in B (both word lists), on one line.
missing() { comm -23 <(words <<<"$1") <(words <<<"$2") | tr '\n' ' ' | sed 's/ $//'; }
man_plain() { sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(em/--/g'; }
man_section() { awk -v h=".SH $1" '$0 == h { on = 1; next } on && /^\.SH / { exit } on' "$MAN"; }

"$SITREP" --help >"$TMP/help" 2>&1
check "sitrep --help exits 0" test $? = 0
# the subcommands: every `sitrep WORD` usage line
subs=$(sed -n 's/^ *\(usage: \)\{0,1\}sitrep \([a-z][a-z]*\).*/\2/p' "$TMP/help" | words)
check "--help lists subcommands ($(echo $subs))" bash -c "grep -qx do <<<'$subs' && grep -qx attach <<<'$subs'"
# the global options: the option list under the usage lines
opts=$(sed -nE 's/^  (-[a-z], )?(--[a-z][a-z-]*).*/\2/p' "$TMP/help" | words)
check "--help's option list has --once and --share ($(echo $opts))" \
	bash -c "grep -qx -- --once <<<'$opts' && grep -qx -- --share <<<'$opts'"
# every long option --help names anywhere, and those of the do verbs (from the tables)
all=$(longopts <"$TMP/help")
dolines=$(grep -E '^ *(usage: )?sitrep do ' "$TMP/help")
doall=$(longopts <<<"$dolines")
# the options every verb takes (--pane, --yes): the completions name these themselves
docommon=$(for o in $doall; do
	[ "$(grep -c -- "$o" <<<"$dolines")" = "$(wc -l <<<"$dolines")" ] && echo "$o"
done)
# the options of each other subcommand, from its own usage
declare -A subopts=()
for s in $subs; do
	[ "$s" = do ] && continue
	subopts[$s]=$("$SITREP" "$s" --help 2>&1 | longopts)
done
# the options some subcommand or the global list has, apart from the do verbs'
nondo=$( (echo "$opts"; for s in "${!subopts[@]}"; do echo "${subopts[$s]}"; done; echo --help; echo --version) | words)

# --- the man page -----------------------------------------------------------
man_plain <"$MAN" >"$TMP/man"
man_section SYNOPSIS | man_plain | sed -e '/^\.br$/d' -e 's/^\.B //' >"$TMP/synopsis"
man_section OPTIONS >"$TMP/options.man"
man_section COMMANDS | man_plain >"$TMP/commands"
# an OPTIONS entry: the line after each .TP
mopts=$(awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' "$TMP/options.man" | man_plain | longopts)
m=$(missing "$opts" "$mopts")
check "sitrep.1 OPTIONS has an entry for every option of --help (missing: $m)" test -z "$m"
m=$(missing "$mopts" "$opts")
check "sitrep.1 OPTIONS has no entry --help lacks (extra: $m)" test -z "$m"
manall=$(longopts <"$TMP/man")
m=$(missing "$all" "$manall")
check "sitrep.1 names every long option of --help (missing: $m)" test -z "$m"
m=$(missing "$manall" "$all")
check "every long option sitrep.1 names is in --help (extra: $m)" test -z "$m"
msubs=$(sed -n 's/^\.B sitrep \([a-z][a-z]*\).*/\1/p' <(man_section SYNOPSIS) | words)
m=$(missing "$subs" "$msubs")
check "sitrep.1 SYNOPSIS has every subcommand of --help (missing: $m)" test -z "$m"
m=$(missing "$msubs" "$subs")
check "sitrep.1 SYNOPSIS has no subcommand --help lacks (extra: $m)" test -z "$m"
m=$(missing "$(sed '/^sitrep --once/,$d' "$TMP/synopsis" | longopts)" "$(sed -n '1s/^usage: //p' "$TMP/help" | longopts)")
check "sitrep.1 SYNOPSIS's dashboard line is --help's (extra: $m)" test -z "$m"
m=$(missing "$(sed -n '1s/^usage: //p' "$TMP/help" | longopts)" "$(sed '/^sitrep --once/,$d' "$TMP/synopsis" | longopts)")
check "sitrep.1 SYNOPSIS's dashboard line has every option of --help's (missing: $m)" test -z "$m"
for s in $subs; do
	[ "$s" = do ] && continue
	syn=$(awk -v s="sitrep $s" 'index($0, s) == 1 { on = 1; print; next } on && /^sitrep / { on = 0 } on' "$TMP/synopsis")
	m=$(missing "${subopts[$s]}" "$(longopts <<<"$syn")")
	check "sitrep.1 SYNOPSIS of $s names its options (missing: $m)" test -z "$m"
	entry=$(awk -v s="$s" '/^\.TP/ { on = 0; prev = 1; next } prev && ($0 ~ "^\\.BR? \"?" s "[ \"]" || $0 == ".B " s) { on = 1 } { prev = 0 } on' \
		<(man_section COMMANDS) | man_plain)
	check "sitrep.1 COMMANDS has an entry for $s" test -n "$entry"
	m=$(missing "${subopts[$s]}" "$(longopts <<<"$entry")")
	check "sitrep.1 COMMANDS entry of $s names its options (missing: $m)" test -z "$m"
done
man_section "SEE ALSO" | man_plain >"$TMP/seealso"
check "sitrep.1 SEE ALSO names docs/stream.md" grep -q 'docs/stream.md' "$TMP/seealso"
for d in $(grep -o 'docs/[A-Za-z-]*\.md' "$TMP/seealso"); do
	check "sitrep.1 SEE ALSO: $d exists" test -f "$ROOT/$d"
done
check "sitrep.1 SEE ALSO sends observers to sitrep attach, not tmux attach -r" \
	bash -c "grep -q 'sitrep attach' '$TMP/seealso' && ! grep -qE 'attach with tmux attach -r|observers attach with' '$TMP/seealso'"

# --- the README's usage block -----------------------------------------------
awk '/^## Usage/ { on = 1; next } on && /^```$/ { n++; if (n == 2) exit; next } on && n == 1' \
	"$ROOT/README.md" >"$TMP/readme-usage"
rsubs=$(sed -n 's/^sitrep \([a-z][a-z]*\).*/\1/p' "$TMP/readme-usage" | words)
m=$(missing "$subs" "$rsubs")
check "README usage block has every subcommand (missing: $m)" test -z "$m"
m=$(missing "$(grep -v '^sitrep do ' "$TMP/help" | longopts)" "$(longopts <"$TMP/readme-usage")")
check "README usage block names every option of --help but the verbs' (missing: $m)" test -z "$m"
m=$(missing "$(longopts <"$TMP/readme-usage")" "$all")
check "README usage block names no option --help lacks (extra: $m)" test -z "$m"

# --- the completions --------------------------------------------------------
# bash: what it offers, asked the way bash asks
compl() {
	env -i PATH="$PATH" bash --norc --noprofile -c '
		source "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_sitrep sitrep "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' "$ROOT/completions/sitrep.bash" "$@"
}
top=$(compl "$SITREP" '')
btop_subs=$(grep -v '^-' <<<"$top" | words)
btop_opts=$(compl "$SITREP" -- | longopts)
declare -A bsub=()
for s in $subs; do
	if [ "$s" = do ]; then
		bsub[$s]=$(compl "$SITREP" do "$("$SITREP" --complete verbs | head -1 | cut -f1)" -- | longopts)
	else
		bsub[$s]=$(compl "$SITREP" "$s" -- | longopts)
	fi
done

# zsh and fish are read, not run (neither need be installed): the words they
# name in each place
Z=$ROOT/completions/_sitrep
F=$ROOT/completions/sitrep.fish
# zsh: the case branch of a subcommand (the default branch for none)
zbranch() { awk -v b="$1)" '$1 == b { on = 1; next } on && /^\t\t;;/ { exit } on' "$Z"; }
zglobal=$(awk '/^\tglobal=\(/ { on = 1; next } on && /^\t\)/ { exit } on' "$Z")
ztop_subs=$(zbranch '*' | sed -n "s/.*'1:command:(\([a-z ]*\))'.*/\1/p" | words)
zdetect=$(sed -n 's/.*local sub=\${words\[(r)(\([a-z|]*\))\]}.*/\1/p' "$Z" | tr '|' ' ' | words)
# fish: the options a line offers, and when
fopts() { sed -n 's/.* -l \([a-z-]*\).*/--\1/p' | sort -u; }
# the lines with no condition, or one that holds after `sitrep SUB`
fish_for() {
	grep '^complete -c sitrep ' "$F" | grep -v -- '-n __sitrep_no_sub' |
		awk -v s="$1" '!/ -n / || index($0, "__fish_seen_subcommand_from") && $0 ~ ("_from [a-z ]*" s "[ ;\x27]")'
}
ftop_subs=$(sed -n 's/^complete -c sitrep -n __sitrep_no_sub -a \([a-z]*\) .*/\1/p' "$F" | words)
fnosub=$(awk '/^function __sitrep_no_sub/ { on = 1; next } on && /^end/ { exit } on' "$F" |
	sed -n 's/.*__fish_seen_subcommand_from \(.*\)/\1/p' | words)

for shell in bash zsh fish; do
	case $shell in
	bash) have_subs=$btop_subs; have_opts=$btop_opts; named=$(grep -v -- '--complete' "$ROOT/completions/sitrep.bash" | longopts) ;;
	zsh) have_subs=$ztop_subs; have_opts=$( (echo "$zglobal"; zbranch '*') | longopts); named=$(grep -v -- '--complete' "$Z" | longopts) ;;
	fish) have_subs=$ftop_subs; have_opts=$(grep -v -- '-n __fish_seen' "$F" | fopts); named=$(grep '^complete ' "$F" | fopts) ;;
	esac
	m=$(missing "$subs" "$have_subs")
	check "$shell completion offers every subcommand of --help (missing: $m)" test -z "$m"
	m=$(missing "$have_subs" "$subs")
	check "$shell completion offers no subcommand --help lacks (extra: $m)" test -z "$m"
	m=$(missing "$opts" "$have_opts")
	check "$shell completion offers every option of --help's list before a subcommand (missing: $m)" test -z "$m"
	m=$(missing "$named" "$all")
	check "$shell completion names no option --help lacks (extra: $m)" test -z "$m"
	for s in $subs; do
		want=${subopts[$s]:-}
		[ "$s" = do ] && want=$docommon
		[ "$s" != note ] && want+=$'\n--help'
		case $shell in
		bash) have=${bsub[$s]} ;;
		zsh) have=$( (grep -q '\$global' <<<"$(zbranch "$s")" && echo "$zglobal"; zbranch "$s") | longopts) ;;
		fish) have=$(fish_for "$s" | fopts) ;;
		esac
		m=$(missing "$want" "$have")
		check "$shell completion offers $s's options after 'sitrep $s' (missing: $m)" test -z "$m"
	done
done
m=$(missing "$subs" "$zdetect")
check "zsh completion tells every subcommand apart (missing: $m)" test -z "$m"
m=$(missing "$subs" "$fnosub")
check "fish completion ends the top level at every subcommand (missing: $m)" test -z "$m"

if command -v zsh >/dev/null; then
	check "zsh: the completion parses" zsh -n "$Z"
fi
if command -v fish >/dev/null; then
	check "fish: the completion parses" fish -n "$F"
fi
finish
