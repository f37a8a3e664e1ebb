#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# man.bats - the manual pages: mdoc that mandoc -Tlint finds nothing in, and a
# mailproxy.conf.5 that documents exactly the directives mailproxy accepts, read from the
# directive table in lib/conf/conf_directives.c.

bats_require_minimum_version 1.5.0
load lib/common

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

pages() { echo "$ROOT"/man/*.[1-8] "$ROOT"/mailproxy.conf.5; }

@test "mandoc -Tlint -W warning: nothing to say about any page" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	for p in $(pages); do
		run mandoc -Tlint -W warning "$p"
		echo "$p: $output"
		[ "$status" = 0 ]
		[ -z "$output" ]
	done
}

@test "every page is mdoc, and mailproxy.conf.5 has the sections the issue asks for" {
	for p in $(pages); do
		grep -q '^\.Dd ' "$p"
		grep -q '^\.Dt ' "$p"
		run ! grep -q '^\.TH ' "$p"
	done
	for s in NAME DESCRIPTION EXAMPLES FILES 'EXIT STATUS' STANDARDS CAVEATS; do
		grep -q "^\.Sh $s\$" "$ROOT/mailproxy.conf.5" || { echo "no $s"; return 1; }
	done
}

directives_code() { awk -f "$MP_TESTS/lib/directives.awk" "$ROOT/lib/conf/conf_directives.c" | sort -u; }

@test "the directive table is where this test looks for it" {
	run directives_code
	[ "${#lines[@]}" -gt 50 ]
	for d in mail server listen auth_http imap_capabilities ssl_certificate set_real_ip_from; do
		[[ " ${lines[*]} " == *" $d "* ]] || { echo "no $d in the table?"; return 1; }
	done
}

@test "mailproxy.conf.5 documents every directive mailproxy accepts" {
	directives_code >"$BATS_TEST_TMPDIR/code"
	grep -oE '(^\.|[ ])Ic [a-z0-9_]+' "$ROOT/mailproxy.conf.5" | awk '{ print $2 }' | sort -u \
		>"$BATS_TEST_TMPDIR/page"
	run comm -23 "$BATS_TEST_TMPDIR/code" "$BATS_TEST_TMPDIR/page"
	[ -z "$output" ] || { echo "accepted but not documented: ${lines[*]}"; return 1; }
}

@test "every directive mailproxy.conf.5 describes is one mailproxy accepts" {
	directives_code >"$BATS_TEST_TMPDIR/code"
	grep '^\.It Ic ' "$ROOT/mailproxy.conf.5" | grep -oE 'Ic [a-z0-9_]+' | awk '{ print $2 }' |
		sort -u >"$BATS_TEST_TMPDIR/page"
	run comm -13 "$BATS_TEST_TMPDIR/code" "$BATS_TEST_TMPDIR/page"
	[ -z "$output" ] || { echo "documented but not accepted: ${lines[*]}"; return 1; }
}

@test "mailproxy(8) documents every option of the usage line" {
	run "$MAILPROXY_BUILD/mailproxy" -h
	usage=$output
	echo "$usage"
	opts=$(grep -oE '\[-[a-zA-Z]+' <<<"$usage" | tr -d '[-' | fold -w1 | grep -v h)
	[ -n "$opts" ]
	for o in $opts; do
		grep -q "^\.It Fl $o" "$ROOT/man/mailproxy.8" || { echo "-$o undocumented"; return 1; }
	done
}
