#!/usr/bin/env bash
# The layer rule, checked on the built libraries with nm: core (with kinds/)
# uses no symbol that backends/ or tui/ define, backends/ none that tui/
# defines. main.c alone wires the three. A check that fails names the symbols.
# The #include lines follow the same rule, and every path the comments and
# docs name exists.
source "$(dirname "$0")/../lib.sh"

dir=$(dirname "$SITREP")
core="$dir/libsitrep-core.a"
backends="$dir/libsitrep-backends.a"
tui="$dir/libsitrep-tui.a"
for lib in "$core" "$backends" "$tui"; do
	check "$(basename "$lib") is built" [ -f "$lib" ]
done

# defined LIB: the global symbols a library defines (text, data, bss, rodata).
defined() { nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
# undefined LIB: the symbols a library needs from elsewhere.
undefined() { nm -g --undefined-only "$1" 2>/dev/null | awk '{ print $NF }' | sort -u; }

defined "$core" >"$TMP/core.def"
defined "$backends" >"$TMP/backends.def"
defined "$tui" >"$TMP/tui.def"
undefined "$core" >"$TMP/core.undef"
undefined "$backends" >"$TMP/backends.undef"

check "core defines symbols (nm works)" [ -s "$TMP/core.def" ]
check "backends defines source tables" grep -qx sources_table "$TMP/backends.def"

comm -12 "$TMP/core.undef" "$TMP/backends.def" >"$TMP/core-backends"
comm -12 "$TMP/core.undef" "$TMP/tui.def" >"$TMP/core-tui"
comm -12 "$TMP/backends.undef" "$TMP/tui.def" >"$TMP/backends-tui"
check "core uses nothing of backends/" [ ! -s "$TMP/core-backends" ]
diag <"$TMP/core-backends"
check "core uses nothing of tui/" [ ! -s "$TMP/core-tui" ]
diag <"$TMP/core-tui"
check "backends/ use nothing of tui/" [ ! -s "$TMP/backends-tui" ]
diag <"$TMP/backends-tui"

# The check itself can fail: a symbol core would need from tui is caught.
printf 'tui_frontend\n' | comm -12 - "$TMP/tui.def" >"$TMP/probe"
check "a core reference to a tui symbol would be caught" [ -s "$TMP/probe" ]

# Folders: the log modules live with their kind, generic I/O in core/io.
for f in logstore logclass fingerprint logtime; do
	check "$f.c lives in kinds/logs/" [ -f "$TOP/kinds/logs/$f.c" ] && [ ! -e "$TOP/core/$f.c" ]
done

# Includes follow the same rule, file by file: a layer names only its own
# public headers and those of the layers below it, and a folder's private
# headers stay in that folder (docs/ARCHITECTURE.md, "Headers").
# include_violations ROOT: "file:line: header" for each #include "..." the
# rule forbids under ROOT.
include_violations() {
	local root=$1 f rel allow line inc a ok
	find "$root/core" "$root/kinds" "$root/backends" "$root/tui" "$root/include" -name '*.[ch]' 2>/dev/null |
		sort | while IFS= read -r f; do
		rel=${f#"$root"/}
		case $rel in
		core/io/* | include/sitrep/io/*) allow='sitrep/core/ sitrep/io/' ;;
		core/* | include/sitrep/core/*) allow='sitrep/core/ sitrep/io/' ;;
		kinds/* | include/sitrep/kinds/*) allow='sitrep/core/ sitrep/io/ sitrep/kinds/' ;;
		backends/*) allow='sitrep/core/ sitrep/io/ sitrep/kinds/ backends/' ;;
		tui/*) allow='sitrep/core/ sitrep/io/ sitrep/kinds/ tui/ tui-internal.h sitrep-build.h' ;;
		*) allow='' ;; # include/ outside the three folders: nothing belongs there
		esac
		grep -n '^#include "' "$f" | while IFS= read -r line; do
			inc=${line#*\"}
			inc=${inc%%\"*}
			ok=
			for a in $allow; do
				case $inc in "$a"*) ok=1 ;; esac
			done
			[ -n "$ok" ] || echo "$rel:${line%%:*}: $inc"
		done
	done
}
include_violations "$TOP" >"$TMP/includes"
check "every #include follows the layer rule" [ ! -s "$TMP/includes" ]
diag <"$TMP/includes"
# The check itself can fail: core naming a kind's model, io naming core's
# contract of kinds, backends naming the TUI, a header left in the flat folder.
mkdir -p "$TMP/Probe/core/io" "$TMP/Probe/backends" "$TMP/Probe/include/sitrep"
printf '#include "sitrep/kinds/cdn.h"\n' >"$TMP/Probe/core/Probe.c"
printf '#include "sitrep/kinds/logs.h"\n' >"$TMP/Probe/core/io/Probe.c"
printf '#include "tui/pane.h"\n' >"$TMP/Probe/backends/Probe.c"
printf '#include "sitrep/core/util.h"\n' >"$TMP/Probe/include/sitrep/Probe.h"
check "a forbidden include in each layer would be caught" \
	[ "$(include_violations "$TMP/Probe" | wc -l)" -eq 4 ]
flat=$(find "$TOP/include/sitrep" -maxdepth 1 -name '*.h' | wc -l)
check "no public header outside include/sitrep/{core,io,kinds} ($flat)" [ "$flat" -eq 0 ]

# Comments and docs name files that exist: a move fixes the references in
# the same change. (Placeholders such as kinds/kind-NAME.c are written in
# capitals and skipped.)
stale_paths() {
	local root=$1
	(cd "$root" && find core kinds backends tui include tests docs scripts bench completions main.c README.md \
		-type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.md' -o -name '*.py' -o -name '*.build' \
		-o -name '*.1' -o -name '*.bash' -o -path 'scripts/*' \) 2>/dev/null |
		xargs grep -oHIE '(^|[^A-Za-z0-9_./-])(core|backends|tui|kinds|include|tests|docs|scripts|bench)(/[a-z0-9_.+-]+)+\.(c|h|sh|md|py|1)\b' |
		while IFS=: read -r file path; do
			path=${path#[!a-z]} # the character before the path, when there is one
			[ -e "$path" ] || echo "$file names $path"
		done | sort -u)
}
stale_paths "$TOP" >"$TMP/stale"
check "every path a comment or doc names exists ($(wc -l <"$TMP/stale") stale)" [ ! -s "$TMP/stale" ]
diag <"$TMP/stale"
mkdir -p "$TMP/Probe/docs"
printf 'see core/%s.c\n' no-such-file >"$TMP/Probe/docs/probe.md"
check "a stale path would be caught" bash -c "$(declare -f stale_paths); stale_paths '$TMP/Probe' | grep -q no-such-file"
echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
