#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# load.bats - many sessions at once, and one big one, through mailproxy under socket
# activation, to echo_backend.py (an auth server plus an IMAP backend that echoes every byte
# after the login).  Every session's stream is checked by SHA-256 both ways (load_client.py),
# none may fail, and no mailproxy or mailproxy-relay process may be left afterwards.
#
# Sizes: 500 sessions of 256 KiB each way and one session of 1 GiB each way; against a
# sanitizer build (ASan makes every handler several times slower and larger), 100 sessions
# of 64 KiB and 128 MiB.  LOAD_N, LOAD_SIZE and LOAD_BIG override them.

load lib/common
load lib/faults

setup_file() {
	mp_init
	fakes_start
	mp_tag
	mp_server load "auth_http 127.0.0.1:$FAKEAUTH/auth; proxy_buffer 16k;"
	proxy_start
	if grep -q __asan_init "$MAILPROXY_BUILD/mailproxy" 2>/dev/null; then
		: "${LOAD_N:=100}" "${LOAD_SIZE:=65536}" "${LOAD_BIG:=134217728}"
	else
		: "${LOAD_N:=500}" "${LOAD_SIZE:=262144}" "${LOAD_BIG:=1073741824}"
	fi
	export LOAD_N LOAD_SIZE LOAD_BIG
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

@test "500 concurrent sessions (100 under ASan), each moving a known payload both ways" {
	run timeout 150 python3 "$MP_TESTS/lib/load_client.py" -t 120 "$(port load)" "$LOAD_N" "$LOAD_SIZE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "sessions=$LOAD_N ok=$LOAD_N failed=0 "* ]]
	no_leftovers 20
	[ "$(grep -c 'proxied session done' "$(errlog)")" -ge "$LOAD_N" ]
	! grep -E '\[(alert|emerg|crit)\]' "$(errlog)"
}

@test "one session moving 1 GiB each way (128 MiB under ASan), inetd style" {
	run timeout 150 python3 "$MP_TESTS/lib/load_client.py" -t 140 "$(port load mp inetd)" 1 "$LOAD_BIG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "sessions=1 ok=1 failed=0 bytes_each_way=$LOAD_BIG "* ]]
	no_leftovers 10
	grep -q "to upstream: $LOAD_BIG bytes, to client: $LOAD_BIG bytes" "$(errlog)"
}
