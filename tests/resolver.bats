#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# resolver.bats - the SMTP client host name (forward-confirmed reverse DNS,
# doc/wire.md#smtp-client-host) against dnsmasq and a malicious responder:
# resolver_client_host() driven through `test_resolver probe`
# (tests/unit/test_resolver.c), which prints the value that would go into Client-Host and
# XCLIENT NAME=, with several servers too.  The end-to-end SMTP checks (the auth server
# and Postfix seeing the name) are in smtp_resolver.bats.

load lib/common
load lib/dns

setup_file() {
	mp_init
	dns_start
	PROBE=$MAILPROXY_BUILD/tests/test_resolver
	[ -x "$PROBE" ] || { echo "no $PROBE: run make unit" >&2; return 1; }
	export PROBE
}

teardown_file() { mp_cleanup; }

# probe SERVERS CLIENT [TIMEOUT-MS [ipv4=off|ipv6=off]]: rc=N host=... on stdout, the log
# lines on stderr ($T/probe.log)
probe() {
	"$PROBE" probe "$1" "$2" "${3:-2000}" "${@:4}" 2>"$T/probe.log"
}
DNS() { echo "127.0.0.1:$DNS_PORT"; }
EVIL() { echo "127.0.0.1:$DNS_EVIL_PORT"; }
logged() { grep -qF -- "$1" "$T/probe.log"; }

@test "forward-confirmed: the PTR name, when its A record is the client" {
	run probe "$(DNS)" 192.0.2.1
	[ "$output" = 'rc=0 host=good.example.test' ]
	[ ! -s "$T/probe.log" ]
	run probe "$(DNS)" 127.0.0.1
	[ "$output" = 'rc=0 host=client.example.test' ]
}

@test "forward-confirmed over IPv6 (ip6.arpa, AAAA), and a name with both families" {
	run probe "$(DNS)" 2001:db8::5
	[ "$output" = 'rc=0 host=v6.example.test' ]
	run probe "$(DNS)" 192.0.2.6
	[ "$output" = 'rc=0 host=dual.example.test' ]
	run probe "$(DNS)" 2001:db8::6
	[ "$output" = 'rc=0 host=dual.example.test' ]
}

@test "no PTR record: [UNAVAILABLE], logged as nginx does" {
	run probe "$(DNS)" 192.0.2.3
	[ "$output" = 'rc=1 host=[UNAVAILABLE]' ]
	logged '192.0.2.3 could not be resolved (3: Host not found)'
}

@test "the forward lookup does not give the client back: [UNAVAILABLE], not logged" {
	run probe "$(DNS)" 192.0.2.2
	[ "$output" = 'rc=1 host=[UNAVAILABLE]' ]
	[ ! -s "$T/probe.log" ]
}

@test "the PTR name does not exist: [UNAVAILABLE]" {
	run probe "$(DNS)" 192.0.2.4
	[ "$output" = 'rc=1 host=[UNAVAILABLE]' ]
	logged '"noforward.example.test" could not be resolved (3: Host not found)'
}

@test "ipv6=off: no AAAA lookup, so an IPv6-only name is not confirmed" {
	run probe "$(DNS)" 2001:db8::5 2000 ipv6=off
	[ "$output" = 'rc=1 host=[UNAVAILABLE]' ]
	run probe "$(DNS)" 192.0.2.1 2000 ipv6=off
	[ "$output" = 'rc=0 host=good.example.test' ]
	run probe "$(DNS)" 192.0.2.1 2000 ipv4=off
	[ "$output" = 'rc=1 host=[UNAVAILABLE]' ]
}

@test "a PTR with CR, LF and a header in it: [TEMPUNAVAIL], escaped in the log" {
	run probe "$(EVIL)" 192.0.2.66
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.66 resolved to invalid host name "evil\013\010X-Injected: yes.example.test"'
	[ "$(wc -l <"$T/probe.log")" -eq 1 ]
	! grep -q $'\r' "$T/probe.log"
}

@test "other invalid PTR names: a space, the root name, a NUL byte" {
	run probe "$(EVIL)" 192.0.2.67
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.67 resolved to invalid host name "a b.example.test"'
	run probe "$(EVIL)" 192.0.2.68
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.68 resolved to invalid host name ""'
	run probe "$(EVIL)" 192.0.2.76
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.76 resolved to invalid host name "evil\000\013\010.example.test"'
}

@test "unusable answers (empty PTR data, only a CNAME): [TEMPUNAVAIL]" {
	run probe "$(EVIL)" 192.0.2.69
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	run probe "$(EVIL)" 192.0.2.70
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.70 could not be resolved (110: Operation timed out)'
}

@test "a CNAME before the PTR, and a CNAME before the A record, are followed" {
	run probe "$(EVIL)" 192.0.2.74
	[ "$output" = 'rc=0 host=ok74.example.test' ]
	run probe "$(EVIL)" 192.0.2.73
	[ "$output" = 'rc=0 host=fwd-cname.example.test' ]
}

@test "SERVFAIL for the PTR or for the forward lookup: [TEMPUNAVAIL]" {
	run probe "$(EVIL)" 192.0.2.71
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.71 could not be resolved (2: Server failure)'
	run probe "$(EVIL)" 192.0.2.75
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '"servfail.example.test" could not be resolved (2: Server failure)'
}

@test "no answer within resolver_timeout: [TEMPUNAVAIL] after the timeout" {
	local t0 t1
	t0=$(date +%s%N)
	run probe "$(EVIL)" 192.0.2.72 1000
	t1=$(date +%s%N)
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
	logged '192.0.2.72 could not be resolved (110: Operation timed out)'
	(( (t1 - t0) / 1000000 >= 900 && (t1 - t0) / 1000000 < 4000 ))
}

@test "several servers: a dead one is skipped, in either order" {
	run probe "127.0.0.1:$DNS_DEAD_PORT $(DNS)" 192.0.2.1 3000
	[ "$output" = 'rc=0 host=good.example.test' ]
	run probe "$(DNS) 127.0.0.1:$DNS_DEAD_PORT" 192.0.2.1 3000
	[ "$output" = 'rc=0 host=good.example.test' ]
	run probe "127.0.0.1:$DNS_DEAD_PORT" 192.0.2.1 1000
	[ "$output" = 'rc=2 host=[TEMPUNAVAIL]' ]
}

@test "three servers, one SERVFAIL, one empty: every lookup gets the good answer" {
	local sf em i order total_sf=0 total_em=0
	read -r sf em < <(free_ports 2)
	python3 "$MP_TESTS/lib/dns_evil.py" "$sf" servfail >"$T/dns/sf.stderr" 2>&1 </dev/null 3>&- &
	track $!
	python3 "$MP_TESTS/lib/dns_evil.py" "$em" empty >"$T/dns/em.stderr" 2>&1 </dev/null 3>&- &
	track $!
	for ((i = 0; i < 100; i++)); do
		dns_query "$em" good.example.test 1 >/dev/null 2>&1 && break
		sleep 0.05
	done
	# each order three times: whichever server a process asks first, the answer is good
	for order in "127.0.0.1:$sf 127.0.0.1:$em $(DNS)" "127.0.0.1:$em $(DNS) 127.0.0.1:$sf" \
	    "$(DNS) 127.0.0.1:$sf 127.0.0.1:$em"; do
		for ((i = 0; i < 3; i++)); do
			run probe "$order" 192.0.2.1 3000
			[ "$output" = 'rc=0 host=good.example.test' ]
			# a failing server is logged once per lookup, and only a failing one
			n_sf=$(grep -c "resolver 127.0.0.1:$sf failed for \"1.2.0.192.in-addr.arpa\" (Server failure), asking the next" "$T/probe.log" || true)
			n_em=$(grep -c "resolver 127.0.0.1:$em failed for \"1.2.0.192.in-addr.arpa\" (empty answer), asking the next" "$T/probe.log" || true)
			[ "$n_sf" -le 1 ]
			[ "$n_em" -le 1 ]
			run grep -c "127.0.0.1:$DNS_PORT failed" "$T/probe.log"
			[ "$output" = 0 ]
			total_sf=$((total_sf + n_sf))
			total_em=$((total_em + n_em))
		done
	done
	# the broken servers were really asked first some of the time
	[ "$total_sf" -ge 1 ]
	[ "$total_em" -ge 1 ]
}
