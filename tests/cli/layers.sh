#!/usr/bin/env bash
# The layer rule, checked on the built libraries with nm: core (with kinds/)
# uses no symbol that backends/ or tui/ define, backends/ none that tui/
# defines. main.c alone wires the three. A check that fails names the symbols.
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
echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
