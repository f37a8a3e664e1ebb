#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sandbox.bats - the seccomp filters on the real programs: a handler whose filter cannot be
# installed (here: a parent's filter refuses seccomp(2), as a unit's SystemCallFilter= could)
# serves nothing and says why in its error_log, never to the client; a sanitizer build runs
# without a filter by design (lib/base/sandbox.c) and serves.  What each filter refuses is shown
# call by call in tests/unit/test_sandbox.c.

load lib/common

setup_file() {
	mp_init
	mp_server main ''
	mkdir -p "$T/mp"
	mp_write_conf mp
	read -r P3 PI < <(awk '$1 == "main" { print $2, $3 }' "$T/mp/ports")
	: >"$T/mp/error.log"
	for style in fd3 inetd; do
		if [ "$style" = inetd ]; then
			opt=(-l "127.0.0.1:$PI" --inetd)
		else
			opt=(-l "127.0.0.1:$P3")
		fi
		systemd-socket-activate "${opt[@]}" -a -E MAILPROXY_TLS_SOCKET= \
			python3 "$MP_TESTS/lib/noseccomp.py" "$MAILPROXY_BUILD/mailproxy" -c "$T/mp/proxy.conf" \
			>"$T/mp/ssa-$style.log" 2>&1 </dev/null 3>&- &
		track $!
	done
	wait_listen "$P3" "$PI"
	export P3 PI
}

teardown_file() { mp_cleanup; }

sanitizer_build() { grep -q __asan_init "$MAILPROXY_BUILD/mailproxy"; }

@test "no filter, no service: the handler closes without a byte (fd 3 and inetd) and logs why" {
	for p in "$P3" "$PI"; do
		run wire -t 2 "$p" '.'
		echo "$p: $output"
		if sanitizer_build; then
			[ "$output" = '* OK IMAP4 ready\r\n[TIMEOUT]' ]
		else
			[ "$output" = '[EOF]' ]
		fi
	done
	cat "$T/mp/error.log"
	if sanitizer_build; then
		! grep -q 'seccomp' "$T/mp/error.log"
	else
		[ "$(grep -c '\[alert\] .*seccomp filter not installed (13: Permission denied)' "$T/mp/error.log")" = 2 ]
	fi
}
