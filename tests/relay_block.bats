#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# relay_block.bats - a logged-in session whose one side stops reading while the other
# writes many small pieces (an IMAP client that leaves a big answer unread while small
# updates keep coming).  The relay's splice pipe then runs out of slots long before it
# runs out of bytes; it must wait for the reader without spinning (under 10% of one CPU,
# read from /proc/PID/stat), hand over every byte once the reader resumes (count and
# SHA-256), and count the blocked time as idle time for proxy_timeout.  The backend is
# tests/lib/drip.py, behind the auth server; the client is drip.py too.  With
# MAILPROXY_TARGET=nginx the same checks hold for nginx's worker (its recv() drops an
# urgent byte too), which shows that the tests ask for nginx's behaviour.

load lib/common
load lib/faults

setup_file() {
	mp_init
	read -r DRIP < <(free_ports 1)
	export DRIP
	python3 "$MP_TESTS/lib/drip.py" backend "$DRIP" "$T" >"$T/drip.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$DRIP"
	authserver_start --backend "imap=127.0.0.1:$DRIP"
	mp_tag
	mp_server main ''
	mp_server tmo 'proxy_timeout 3s;'
	proxy_start
	RELAY=mailproxy-relay
	if [ "$MAILPROXY_TARGET" = nginx ]; then
		RELAY=nginx
	fi
	export RELAY
}

teardown_file() { mp_cleanup; }
setup() { : >"$(errlog)"; }
teardown() { check_sanitizers; }

# drip PORT MODE [N]: drip.py's client through the proxy on PORT, logged in as alice;
# its key=value lines become shell variables
drip() {
	local out
	out=$(DRIP_LOG=$(errlog) timeout 90 python3 "$MP_TESTS/lib/drip.py" client "$1" alice alicepass "${@:2}" "$T")
	echo "$out"
	while IFS='=' read -r k v; do
		printf -v "$k" '%s' "$v"
	done <<<"$out"
}

# the checks every flowing case shares: the right process was measured, it slept while
# blocked, and every byte came through
blocked_then_whole() { # BYTES
	[ "$relay" = "$RELAY" ]
	[ "${stalled_bytes:-0}" -gt 0 ]
	[ -n "$cpu_percent" ]
	[ "$cpu_percent" -lt 10 ]
	[ "$digest" = ok ]
	if [ -n "$1" ]; then
		[ "$bytes" -eq "$1" ]
	fi
}

@test "the client stops reading while the backend writes 300000 small lines: the relay sleeps, then every byte arrives" {
	relay= stalled_bytes= cpu_percent= bytes= digest=
	drip "$(port main)" drip 300000
	blocked_then_whole $((300000 * 32))
	wait_log 'proxied session done' 10
	no_leftovers
}

@test "the backend stops reading while the client writes small lines: the relay sleeps, then every byte arrives" {
	relay= stalled_bytes= cpu_percent= bytes= digest=
	drip "$(port main)" sink
	blocked_then_whole ''
	wait_log 'proxied session done' 10
	no_leftovers
}

@test "a client's urgent byte is dropped, as nginx's recv() drops it; the rest flows and nothing spins" {
	relay= stalled_bytes= cpu_percent= bytes= digest=
	drip "$(port main)" urgent
	blocked_then_whole ''
	wait_log 'proxied session done' 10
	no_leftovers
}

@test "a relay blocked on a client that does not read is idle: cut at proxy_timeout (3s)" {
	relay= stalled_bytes= timed_out_after=
	drip "$(port tmo)" stall 300000
	[ "$relay" = "$RELAY" ]
	[ "${stalled_bytes:-0}" -gt 0 ]
	# nothing moved for 1 s before the stall was seen: the cut is 2 s later, give or take
	local t=${timed_out_after%.*}
	[ -n "$t" ]
	[ "$t" -ge 1 ]
	[ "$t" -lt 4 ]
	no_leftovers
}
