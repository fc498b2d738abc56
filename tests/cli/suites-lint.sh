#!/usr/bin/env bash
# suites-lint: the test suites themselves keep the rules that make them
# trustworthy on a loaded machine. wait_for polls a command; a value computed
# once in its arguments (`test -n "$(pid_of x)"`) is never polled, so the wait either
# passes at once or times out whatever happens meanwhile. Such a condition is
# written `wait_for N eval '...'` or as a function.
source "$(dirname "$0")/../lib.sh"
cd "$TOP"
re='wait_for [0-9.]+ (test|\[) [^|&;]*\$\([^(]'
bad=$(grep -rnE "$re" tests scripts bench --include='*.sh' --include=lab --include='*.bash' |
	grep -v '^tests/cli/suites-lint.sh' || true)
echo "$bad" | diag
check "no wait_for polls a value computed once" test -z "$bad"
# the check itself finds what it looks for
printf 'wait_for 5 test -n "$(pid_of x)"\n' >"$TMP/bad.sh"
check "... and the check finds such a wait" grep -qE "$re" "$TMP/bad.sh"
finish
