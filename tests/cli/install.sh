#!/bin/bash
# install: `meson install --destdir` from the build dir of $SITREP puts every
# file where it belongs (binary, man page, themes, bash, zsh and fish
# completions); the man page renders without warnings and names every
# command and option of --help; the installed bash completion (sourced in a
# plain non-interactive bash, no bash-completion package needed) completes
# `sitrep do ` to the verbs of --help, `--pane ` to the pane ids of the
# config in use (-c FILE, else the default path) and `--theme ` to the theme
# names; fish's completes the same where fish is installed.
source "$(dirname "$0")/../lib.sh"

BUILD=$(dirname "$SITREP")
[ -f "$BUILD/build.ninja" ] || { not_ok "$BUILD is a meson build dir"; finish; }
D=$TMP/d
if meson install -C "$BUILD" --destdir "$D" --no-rebuild >"$TMP/install.log" 2>&1; then
	ok "meson install --destdir"
else
	not_ok "meson install --destdir"
	diag <"$TMP/install.log"
	finish
fi

# The directories meson was configured with.
opt() {
	meson introspect "$BUILD" --buildoptions |
		python3 -c "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']==sys.argv[1]][0])" "$1"
}
PREFIX=$(opt prefix)
BINDIR=$(opt bindir)
DATADIR=$(opt datadir)
MANDIR=$(opt mandir)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PREFIX/$1" ;; esac; }
BIN=$D$(abs "$BINDIR")/sitrep
SHARE=$D$(abs "$DATADIR")
MAN=$D$(abs "$MANDIR")/man1/sitrep.1
if pkg-config --exists bash-completion 2>/dev/null; then
	BASHC=$D$(pkg-config --variable=completionsdir --define-variable=datadir="$(abs "$DATADIR")" bash-completion)/sitrep
else
	BASHC=$SHARE/bash-completion/completions/sitrep
fi
ZSHC=$SHARE/zsh/site-functions/_sitrep
FISHC=$SHARE/fish/vendor_completions.d/sitrep.fish

check "binary at $BIN" test -x "$BIN"
check "the installed binary runs" bash -c "'$BIN' --version | grep -q '^sitrep '"
check "man page at $MAN" test -s "$MAN"
for t in default mono high-contrast solarized-dark solarized-light; do
	check "theme $t at share/sitrep/themes" test -s "$SHARE/sitrep/themes/$t.json"
done
check "bash completion at $BASHC" test -s "$BASHC"
check "zsh completion at $ZSHC" test -s "$ZSHC"
check "fish completion at $FISHC" test -s "$FISHC"
# Nothing else: a stray file is as wrong as a missing one.
find "$D" -type f | sed "s|^$D||" | sort >"$TMP/files"
check "exactly 10 files installed" test "$(wc -l <"$TMP/files")" = 10
diag <"$TMP/files"

# The man page renders without a warning, with man and with groff.
MANWIDTH=100 man --warnings -l "$MAN" >"$TMP/man.txt" 2>"$TMP/man.err"
check "man -l renders it without warnings" test ! -s "$TMP/man.err"
diag <"$TMP/man.err"
groff -man -ww -z "$MAN" 2>"$TMP/groff.err"
check "groff -ww finds nothing to warn about" test ! -s "$TMP/groff.err"
check "it has the sections a man page needs" bash -c "for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS ENVIRONMENT FILES 'EXIT STATUS' SIGNALS; do grep -q \"^\$s\" '$TMP/man.txt' || exit 1; done"
# Every command and option of --help is in it.
"$BIN" --help >"$TMP/help.txt"
missing=()
for w in $(grep -oE -- '--[a-z][a-z-]*' "$TMP/help.txt" | sort -u) $(sed -n 's/^.*sitrep do \([a-z_]*\).*$/do \1/p' "$TMP/help.txt" | tr ' ' '_') timeline; do
	w=${w//_/ }
	grep -qF -- "$w" "$TMP/man.txt" || missing+=("$w")
done
check "every command and option of --help is in the man page${missing[*]:+ (missing: ${missing[*]})}" test ${#missing[@]} = 0

# Completion, as a shell would ask for it: the installed sitrep first on PATH.
mkdir -p "$TMP/home/.config/sitrep/themes"
cat >"$TMP/a.json" <<'CONF'
{ "panes": [ { "id": "web-cdn", "kind": "cdn", "source": "note", "text": "x" },
             { "id": "db.main", "kind": "logs", "source": "note", "text": "x" } ] }
CONF
cat >"$TMP/home/.config/sitrep/config.json" <<'CONF'
{ "panes": [ { "id": "default-only", "kind": "logs", "source": "note", "text": "x" } ] }
CONF
chmod 600 "$TMP/a.json" "$TMP/home/.config/sitrep/config.json"
echo '{}' >"$TMP/home/.config/sitrep/themes/mine.json"

# complete_bash WORD...: the candidates bash offers for the last word.
complete_bash() {
	env -i PATH="$(dirname "$BIN"):/usr/bin:/bin" HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		bash --norc --noprofile -c '
		source "$0" || exit 9
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_sitrep sitrep "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' "$BASHC" "$@"
}
spec=$(env -i PATH=/usr/bin:/bin bash --norc --noprofile -c 'source "$0"; complete -p sitrep' "$BASHC")
check "bash: complete -p sitrep ($spec)" test "$spec" = "complete -F _sitrep sitrep"
verbs=$(sed -n 's/^.*sitrep do \([a-z_]*\).*$/\1/p' "$TMP/help.txt" | sort | tr '\n' ' ')
got=$(complete_bash sitrep do '' | tr '\n' ' ')
check "bash: 'sitrep do ' gives the verbs of --help ($got)" test "$got" = "$verbs"
check "bash: the verbs are the seven of the contract" test "$verbs" = "backup cancel purge restart rollback silence verify "
got=$(complete_bash sitrep do r | tr '\n' ' ')
check "bash: 'sitrep do r' gives restart rollback ($got)" test "$got" = "restart rollback "
got=$(complete_bash sitrep -c "$TMP/a.json" do purge --pane '' | tr '\n' ' ')
check "bash: --pane after -c FILE gives that config's pane ids ($got)" test "$got" = "db.main web-cdn "
got=$(complete_bash sitrep do purge --pane '' | tr '\n' ' ')
check "bash: --pane without -c gives the default config's ids ($got)" test "$got" = "default-only "
got=$(complete_bash sitrep --theme '' | tr '\n' ' ')
check "bash: --theme gives the bundled themes and the user's ($got)" \
	test "$got" = "default high-contrast mine mono solarized-dark solarized-light "
got=$(complete_bash sitrep --ch | tr '\n' ' ')
check "bash: options complete ($got)" test "$got" = "--check-config "
got=$(complete_bash sitrep timeline -- | tr '\n' ' ')
check "bash: timeline's options ($got)" bash -c "[[ '$got' == *--markdown* && '$got' == *--since* ]]"
got=$(complete_bash sitrep do cancel -- | tr '\n' ' ')
check "bash: cancel's options ($got)" bash -c "[[ '$got' == *--group* && '$got' == *--terminate* && '$got' == *--pane* ]]"

if command -v zsh >/dev/null; then
	check "zsh: the completion parses (zsh -n)" zsh -n "$ZSHC"
fi
if command -v fish >/dev/null; then
	check "fish: the completion parses (fish -n)" fish -n "$FISHC"
	complete_fish() {
		env -i PATH="$(dirname "$BIN"):/usr/bin:/bin" HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
			fish --no-config -c "source '$FISHC'; complete -C '$1'" | cut -f1 | sort | tr '\n' ' '
	}
	got=$(complete_fish 'sitrep do ')
	check "fish: 'sitrep do ' gives the verbs ($got)" test "$got" = "$verbs"
	got=$(complete_fish "sitrep -c $TMP/a.json do purge --pane ")
	check "fish: --pane gives the config's pane ids ($got)" test "$got" = "db.main web-cdn "
	got=$(complete_fish 'sitrep --theme ')
	check "fish: --theme gives the themes ($got)" \
		test "$got" = "default high-contrast mine mono solarized-dark solarized-light "
fi

finish
