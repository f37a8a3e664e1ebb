#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# lint.bats - tests/lint-bats.sh, the check that make check runs over the suites: it
# passes the tree as it is, names FILE:LINE for each kind of check that cannot fail, and
# leaves the usual idioms alone.  Needs no build.

LINT=$BATS_TEST_DIRNAME/lint-bats.sh
# the samples below spell their lists with $AND, so that no line of this file is one
AND='&&'

# The snippets say @TEST: bats would take a line starting with "@test" for a test of
# this file, quoted or not.
# bad LINE SNIPPET: the snippet, as a .bats file, is refused with its LINE named
bad() {
	printf '%s\n' "${2//@TEST/@test}" >"$BATS_TEST_TMPDIR/t.bats"
	run "$LINT" "$BATS_TEST_TMPDIR/t.bats"
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/t.bats:$1: "* ]]
}

# good SNIPPET: the snippet passes
good() {
	printf '%s\n' "${1//@TEST/@test}" >"$BATS_TEST_TMPDIR/t.bats"
	run "$LINT" "$BATS_TEST_TMPDIR/t.bats"
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
}

@test "the suites and their helpers pass" {
	run "$LINT" "$BATS_TEST_DIRNAME"/*.bats "$BATS_TEST_DIRNAME"/lib/*.bash
	echo "$output"
	[ "$status" = 0 ]
}

@test "an && list of checks in a test body" {
	bad 3 "@TEST \"x\" {
	run true
	[ \"\$a\" -ge 1 ] $AND [ \"\$a\" -lt 3 ]
	true
}"
	bad 2 '@TEST "x" {
	grep -q x f && [ -s g ]
}'
}

@test "an && list in a helper, in a loop, in a group, at the top level" {
	bad 2 "h() {
	[ \"\$1\" = a ] $AND [ \"\$2\" = b ]
	echo done
}"
	bad 3 '@TEST "x" {
	for f in a b; do
		[ -e "$f" ] && grep -q x "$f"
	done
}'
	bad 1 '[ -n "$X" ] && echo "$X"'
	bad 2 '@TEST "x" {
	{ [ a ] && [ b ]; } >&2
}'
}

@test "an && list that ends in || true, or an || handler that only prints" {
	bad 2 '@TEST "x" {
	[ a ] && [ b ] || true
}'
	bad 2 '@TEST "x" {
	[ "$status" = 0 ] || echo "status $status"
	true
}'
	bad 2 '@TEST "x" {
	[ "$status" = 0 ] || { echo "status $status" >&2; }
}'
}

@test "! cmd before the end of a test or helper" {
	bad 2 '@TEST "x" {
	! grep -q secret log
	true
}'
	bad 3 '@TEST "x" {
	for p in a b; do
		! grep -q "$p" log
	done
}'
	bad 2 'h() {
	! grep -q x log
	[ -s log ]
}'
}

@test "local NAME=\$(...) hides the status" {
	bad 2 '@TEST "x" {
	local p=$(port main)
	[ -n "$p" ]
}'
	bad 1 'h() { declare -r x=`false`; }
h'
}

@test "a test that returns early passes silently" {
	bad 2 '@TEST "x" {
	[ -x "$B/mailproxy-tls" ] || return 0
	run true
}'
	bad 3 '@TEST "x" {
	if [ -z "$T" ]; then
		return
	fi
}'
}

@test "skip without a reason" {
	bad 2 '@TEST "x" {
	skip
}'
	bad 2 'need_it() {
	command -v it >/dev/null || skip ""
}'
}

@test "the idioms that do fail, or are not checks, pass" {
	good '#!/usr/bin/env bats
load lib/common
ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
h() { # a && b || fail, and a guard
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	[ "$1" -ge 1 ] && [ "$1" -lt 3 ] || { echo "elapsed $1" >&2; return 1; }
	local i out
	out=$(false) || true
	for ((i = 0; i < 10; i++)); do
		grep -q x f && break
		[ "$i" -gt 3 ] && continue
		sleep 0.1
	done
	[ -s f ] || printf "%s\n" x >f
	! grep -q y f
}
skip_on_x() { [ "$X" = 1 ] && skip "not on X"; return 0; }
@TEST "x" {
	if [ -s f ] && grep -q x f; then echo yes; fi
	while [ -s f ] && ! grep -q x f; do sleep 1; done
	[[ -n "$a" && "$a" != *" uid=0 "* ]]
	((SECONDS - start >= 1 && SECONDS - start <= 6))
	grep -q x f && false
	run ! grep -q y f
	python3 - <<PY &
if a and b:
    x = "[ a ] && [ b ]"
    local_ = "! cmd"
PY
	[ "$(echo "a && b" | tr a b)" = "b && b" ]
	if [ "$(proxy_kind)" = mailproxy ]; then
		! pgrep -f x
	fi
}
@TEST "y" {
	case $x in
	a | b) [ -s f ] ;;
	*) skip "no $x" ;;
	esac
	want=(
		"a && b"
		"! c"
	)
	! grep -q z f
}'
}
