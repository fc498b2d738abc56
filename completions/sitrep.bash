# bash completion for sitrep: options, `do` verbs and each verb's options
# (from the kind tables, through the hidden `sitrep --complete verbs` and
# `sitrep --complete verb NAME`, so a new verb needs no change here), theme names (the
# bundled ones named in --help, plus NAME.json in $SITREP_THEME_DIR and
# ~/.config/sitrep/themes) and, after --pane, the pane ids of the config in
# use (-c FILE on the line, else the default path), from the hidden
# `sitrep --complete panes`. Needs no bash-completion helpers.

# _sitrep_verbs BIN: the `do` verbs.
_sitrep_verbs()
{
	"$1" --complete verbs 2>/dev/null | cut -f1
}

# _sitrep_verb_words BIN VERB: the options of a verb; with a third
# argument, only those that take a value.
_sitrep_verb_words()
{
	"$1" --complete verb "$2" 2>/dev/null | while IFS=$'\t' read -r word value _; do
		[[ $word == -* ]] || continue
		[ -z "${3:-}" ] || [ "$value" != - ] || continue
		echo "$word"
	done
}

# _sitrep_themes BIN: bundled theme names and the user's own.
_sitrep_themes()
{
	"$1" --help 2>/dev/null | tr -s ' \n' '  ' |
		sed -n 's/.*--theme NAME \(.*\), or a themes.*/\1/p' | tr -d ','
	echo
	local d f
	for d in "${SITREP_THEME_DIR:-}" "${XDG_CONFIG_HOME:-$HOME/.config}/sitrep/themes"; do
		[ -n "$d" ] && [ -d "$d" ] || continue
		for f in "$d"/*.json; do
			[ -f "$f" ] || continue
			f=${f##*/}
			echo "${f%.json}"
		done
	done
}

_sitrep()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	local bin=${COMP_WORDS[0]} sub= verb= i w
	local cfg=()
	bin=${bin/#\~/$HOME}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-c | --config)
			((i + 1 < COMP_CWORD)) && cfg=(-c "${COMP_WORDS[i + 1]/#\~/$HOME}")
			((i++))
			;;
		--config=*) cfg=(-c "${w#--config=}") ;;
		--theme | --refresh | --pane | --since) ((i++)) ;;
		-*)
			# a verb's option that takes a value: skip the value
			if [ -n "$verb" ] && _sitrep_verb_words "$bin" "$verb" value | grep -qx -- "$w"; then
				((i++))
			fi
			;;
		*)
			if [ -z "$sub" ]; then
				sub=$w
			elif [ "$sub" = do ] && [ -z "$verb" ]; then
				verb=$w
			fi
			;;
		esac
	done

	COMPREPLY=()
	case $prev in
	-c | --config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--theme)
		COMPREPLY=($(compgen -W "$(_sitrep_themes "$bin")" -- "$cur"))
		return 0
		;;
	--fail-on)
		COMPREPLY=($(compgen -W "warn crit" -- "$cur"))
		return 0
		;;
	--pane)
		COMPREPLY=($(compgen -W "$("$bin" --complete panes "${cfg[@]}" 2>/dev/null)" -- "$cur"))
		return 0
		;;
	--refresh | --since) return 0 ;;
	esac
	if [ "$sub" = do ] && [ -n "$verb" ] && [[ $prev == --* ]] &&
		_sitrep_verb_words "$bin" "$verb" value | grep -qx -- "$prev"; then
		return 0 # the option's value: nothing to offer
	fi

	local global="-c --config --read-only --theme --refresh"
	local words
	case $sub in
	do)
		if [ -z "$verb" ]; then
			words=$(_sitrep_verbs "$bin")
			[[ $cur == -* ]] && words="-h --help"
		else
			words="--pane --yes -h --help $global $(_sitrep_verb_words "$bin" "$verb")"
		fi
		;;
	timeline) words="--markdown --since -h --help $global" ;;
	note) return 0 ;; # free text
	attach) words="--stdio --theme -h --help" ;;
	replay) words="--at -h --help" ;;
	serve) words="-c --config -h --help" ;;
	*) words="$global --share --once --json --fail-on --check-config --example-config --version --help do timeline note serve attach replay" ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
	return 0
}
complete -F _sitrep sitrep
