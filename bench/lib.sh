# bench/lib.sh: what the bench/ scripts share (sourced, not run).
# - bench_row: one line of the results table. When the script runs under
#   bench/run-all, $BENCH_RESULTS names a tab-separated file that run-all turns
#   into the table of docs/PERFORMANCE.md; alone, the row is only printed.
# - a private tmux server, a private config and state directory (so neither
#   the developer's config nor their timeline is touched), and a cleanup that
#   stops only the pids this script started and removes its files.
# Sourcing scripts set $build before, and call bench_init NAME.

bench_init() {
	BENCH_NAME=$1
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sitrep-bench-$1.XXXXXX")
	BENCH_SOCK="sitrep-bench-$1-$$"
	BENCH_PIDS=()
	SITREP="$PWD/$build/sitrep"
	[ -x "$SITREP" ] || { echo "bench/$1: $SITREP is not built" >&2; exit 1; }
	# The built-in default config, and a state directory of our own.
	export XDG_CONFIG_HOME="$BENCH_TMP/config" XDG_STATE_HOME="$BENCH_TMP/state"
	unset SITREP_CONFIG SITREP_READ_ONLY
	mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

tm() { tmux -L "$BENCH_SOCK" -f /dev/null "$@"; }

# bench_bg CMD...: starts CMD in the background and remembers its pid.
bench_bg() {
	"$@" &
	BENCH_PIDS+=($!)
}

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	tm kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$BENCH_SOCK"
	rm -rf "$BENCH_TMP"
}

# bench_row FIGURE SITREP PEER RATIO TARGET VERDICT
bench_row() {
	printf '  | %s | %s | %s | %s | %s | %s |\n' "$@"
	if [ -n "${BENCH_RESULTS:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"
	fi
}

# Numbers: median, min-max spread and percentiles of the arguments.
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6g\n", m }'; }
spread() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- | sed 's/-/–/'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
# calc 'EXPR' [FORMAT]: awk arithmetic
calc() { awk "BEGIN { printf \"${2:-%.2f}\", $1 }"; }

# cpu_ns PID: CPU time of every thread of PID in ns (schedstat: ns, where
# /proc/PID/stat's 10 ms ticks cannot tell an idle process's 0.1 % from 0.2 %).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f", t }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

now_ns() { date +%s%N; }

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# json_get FILE EXPR: a value out of a ptydrive JSON answer (python expression on d).
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=$2; print('-' if v is None else (('%.1f' % v) if isinstance(v, float) else v))" "$1"; }
