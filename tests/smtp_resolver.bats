#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# smtp_resolver.bats - the client host name end to end (doc/wire.md#smtp-client-host,
# #smtp-backend-login): SMTP sessions through mailproxy with "resolver" pointing at
# dnsmasq or at a malicious responder, the client's address made believable with
# "listen ... proxy_protocol" and set_real_ip_from,
# and what comes out: Client-Host in the auth request, NAME= in the XCLIENT line that
# reaches Postfix (recorded on the way by tests/lib/xclient_record.py), and what Postfix
# makes of it in its log and in the Received: header.

bats_require_minimum_version 1.5.0
load lib/common
load lib/smtp
load lib/dns
load lib/tls_more

setup_file() {
	mp_init
	dns_start
	postfix_start
	xrec_start
	authserver_start --backend "smtp=127.0.0.1:$XREC_PORT"
	echo ':' >>"$T/users" # smtp_auth none asks with an empty Auth-User
	local pp="set_real_ip_from 127.0.0.1; smtp_auth plain login none;"
	xserver rdns smtp proxy_protocol "$pp resolver 127.0.0.1:$DNS_PORT;"
	xserver evil smtp proxy_protocol "$pp resolver 127.0.0.1:$DNS_EVIL_PORT; resolver_timeout 1s;"
	xserver dead smtp proxy_protocol "$pp resolver 127.0.0.1:$DNS_DEAD_PORT; resolver_timeout 1s;"
	xserver rdns6 smtp proxy_protocol "$pp resolver 127.0.0.1:$DNS_PORT;
		auth_http 127.0.0.1:$XAUTH_PORT/auth;"
	xserver direct smtp '' "resolver 127.0.0.1:$DNS_PORT;"
	proxy_start
}

teardown_file() {
	postfix_stop
	mp_cleanup
}
setup() {
	auth_log_clear
	: >"$T/xrec.log"
}
teardown() { check_sanitizers; }

GREETING='220 mail.test ESMTP ready\r\n'
EHLO_REPLY='250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n'
B64_ALICE=$(printf '\0alice\0alicepass' | base64)
pp() { echo ">PROXY TCP4 $1 198.51.100.7 5555 25\\r\\n"; }
pp_headers() { echo "Proxy-Protocol-Addr: $1\\r\\nProxy-Protocol-Port: 5555\\r\\nProxy-Protocol-Server-Addr: 198.51.100.7\\r\\nProxy-Protocol-Server-Port: 25\\r\\n"; }
req_plain() { # CLIENT-IP CLIENT-HOST
	echo "GET /auth HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nAuth-Method: plain\\r\\nAuth-User: alice\\r\\nAuth-Pass: alicepass\\r\\nAuth-Protocol: smtp\\r\\nAuth-Login-Attempt: 1\\r\\nClient-IP: $1\\r\\nClient-Host: $2\\r\\n$(pp_headers "$1")\\r\\n"
}

# login_and_send PORT CLIENT-IP: AUTH PLAIN as alice through a PROXY header claiming
# CLIENT-IP, then a message to Postfix; the client's view must be the normal one
login_and_send() {
	run wire -t 8 "$1" "$(pp "$2")" '<\r\n' '>EHLO c.test\r\n' '<LOGIN\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" \
		'<\r\n' '>MAIL FROM:<bob@example.test>\r\n' '<\r\n' '>RCPT TO:<alice@example.test>\r\n' '<\r\n' \
		'>DATA\r\n' '<\r\n' ">Subject: from $2\\r\\n\\r\\nhello\\r\\n.\\r\\n" '<\r\n' '>QUIT\r\n' .
	[[ "$output" == "${GREETING}${EHLO_REPLY}235 2.0.0 OK\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as "*"\r\n221 2.0.0 Bye\r\n[EOF]" ]]
}

xclient_line() { xrec_lines "$T/xrec.log" | grep '^XCLIENT '; }

# postfix_logged PATTERN: until Postfix's log has a line matching PATTERN (grep -E)
postfix_logged() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -qE -- "$1" "$T/postfix/maillog" && return 0
		sleep 0.1
	done
	echo "no '$1' in the Postfix log:" >&2
	tail -n 10 "$T/postfix/maillog" >&2
	return 1
}

@test "forward-confirmed: Client-Host and XCLIENT NAME are the PTR name, Postfix logs it" {
	local n
	n=$(postfix_messages | wc -l)
	login_and_send "$(port rdns)" 192.0.2.1
	[ "$(auth_requests)" = "$(req_plain 192.0.2.1 good.example.test)" ]
	# the backend dialogue, as Postfix received it
	run xrec_lines "$T/xrec.log"
	[ "${lines[0]}" = '--- connection' ]
	[ "${lines[1]}" = 'EHLO mail.test' ]
	[ "${lines[2]}" = 'XCLIENT ADDR=192.0.2.1 LOGIN=alice NAME=good.example.test' ]
	[ "${lines[3]}" = 'EHLO c.test' ]
	[ "${lines[4]}" = 'MAIL FROM:<bob@example.test>' ]
	postfix_logged 'client=good\.example\.test\[192\.0\.2\.1\], sasl_method=XCLIENT, sasl_username=alice'
	postfix_wait_messages $((n + 1))
	grep -q '^Received: from c.test (good.example.test \[192.0.2.1\])' "$(postfix_messages | tail -n 1)"
}

@test "without a PROXY header the client is 127.0.0.1, which dnsmasq names client.example.test" {
	run wire "$(port direct)" '<\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n' '>QUIT\r\n' .
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n221 2.0.0 Bye\r\n[EOF]" ]
	[[ "$(auth_last_request)" == *'\r\nClient-IP: 127.0.0.1\r\nClient-Host: client.example.test\r\n\r\n' ]]
	[ "$(xclient_line)" = 'XCLIENT ADDR=127.0.0.1 LOGIN=alice NAME=client.example.test' ]
}

@test "a server with a resolver is served by mailproxy-full (c-ares), in both activation styles" {
	[ "$(proxy_kind)" = nginx ] && skip "mailproxy's builds"
	[ -x "$MAILPROXY_BUILD/mailproxy-full" ] || skip "built without musl: one handler"
	run python3 "$MP_TESTS/lib/served_by.py" "$(port direct)"
	[ "$output" = mailproxy-full ]
	run python3 "$MP_TESTS/lib/served_by.py" "$(port direct mp inetd)"
	[ "$output" = mailproxy-full ]
	run wire "$(port direct mp inetd)" '<\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n' '>QUIT\r\n' .
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n221 2.0.0 Bye\r\n[EOF]" ]
	[[ "$(auth_last_request)" == *'\r\nClient-Host: client.example.test\r\n\r\n' ]]
}

@test "no PTR record: [UNAVAILABLE] to the auth server and to Postfix, which logs unknown" {
	login_and_send "$(port rdns)" 192.0.2.3
	[ "$(auth_requests)" = "$(req_plain 192.0.2.3 '[UNAVAILABLE]')" ]
	[ "$(xclient_line)" = 'XCLIENT ADDR=192.0.2.3 LOGIN=alice NAME=[UNAVAILABLE]' ]
	postfix_logged 'client=unknown\[192\.0\.2\.3\], sasl_method=XCLIENT, sasl_username=alice'
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q '192.0.2.3 could not be resolved (3: Host not found)' "$(errlog)"
	fi
}

@test "a PTR name whose A record is another address: [UNAVAILABLE]" {
	login_and_send "$(port rdns)" 192.0.2.2
	[ "$(auth_requests)" = "$(req_plain 192.0.2.2 '[UNAVAILABLE]')" ]
	[ "$(xclient_line)" = 'XCLIENT ADDR=192.0.2.2 LOGIN=alice NAME=[UNAVAILABLE]' ]
}

@test "smtp_auth none: Auth-Method none carries Client-Host, XCLIENT has NAME and no LOGIN" {
	run wire "$(port rdns)" "$(pp 192.0.2.6)" '<\r\n' '>EHLO c.test\r\n' '<LOGIN\r\n' \
		'>MAIL FROM:<bob@example.test>\r\n' '<\r\n' '>RCPT TO:<alice@example.test>\r\n' '<\r\n' \
		'>QUIT\r\n' .
	[ "$output" = "${GREETING}${EHLO_REPLY}250 2.0.0 OK\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n[EOF]" ]
	[ "$(auth_requests)" = "GET /auth HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nAuth-Method: none\\r\\nAuth-User: \\r\\nAuth-Pass: \\r\\nAuth-Protocol: smtp\\r\\nAuth-Login-Attempt: 1\\r\\nClient-IP: 192.0.2.6\\r\\nClient-Host: dual.example.test\\r\\n$(pp_headers 192.0.2.6)Auth-SMTP-Helo: c.test\\r\\nAuth-SMTP-From: MAIL FROM:<bob@example.test>\\r\\nAuth-SMTP-To: RCPT TO:<alice@example.test>\\r\\n\\r\\n" ]
	run xrec_lines "$T/xrec.log"
	[ "$(printf '%s\n' "${lines[@]:1:5}")" = "EHLO mail.test
XCLIENT ADDR=192.0.2.6 NAME=dual.example.test
EHLO c.test
MAIL FROM:<bob@example.test>
RCPT TO:<alice@example.test>" ]
}

@test "IPv6 client: ip6.arpa PTR and AAAA confirm it, XCLIENT ADDR=IPV6:" {
	# Postfix here is IPv4 only and refuses an IPv6 XCLIENT: a recording backend answers
	: >"$T/xfake.log"
	: >"$T/xauth.log"
	run wire "$(port rdns6)" '>PROXY TCP6 2001:db8::5 2001:db8::25 5555 25\r\n' '<\r\n' \
		">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n' '>QUIT\r\n' .
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n221 2.0.0 bye\r\n[EOF]" ]
	grep -q $'^Client-IP: 2001:db8::5\r$' "$T/xauth.log"
	grep -q $'^Client-Host: v6.example.test\r$' "$T/xauth.log"
	run xrec_lines "$T/xfake.log"
	[ "$(printf '%s\n' "${lines[@]}")" = "--- connection
EHLO mail.test
XCLIENT ADDR=IPV6:2001:db8::5 LOGIN=alice NAME=v6.example.test
QUIT" ]
}

@test "a silent DNS server: [TEMPUNAVAIL] after resolver_timeout, the greeting waits for it" {
	run wire -e -t 8 "$(port evil)" "$(pp 192.0.2.72)" '~0.2' '>EHLO c.test\r\n' '<LOGIN\r\n' \
		">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n' '>QUIT\r\n' .
	# the EHLO sent during the lookup is answered after the greeting
	[ "${lines[0]}" = "${GREETING}${EHLO_REPLY}235 2.0.0 OK\r\n221 2.0.0 Bye\r\n[EOF]" ]
	python3 -c "import sys; sys.exit(not 0.9 <= ${lines[1]#elapsed=} < 5)"
	[ "$(auth_requests)" = "$(req_plain 192.0.2.72 '[TEMPUNAVAIL]')" ]
	[ "$(xclient_line)" = 'XCLIENT ADDR=192.0.2.72 LOGIN=alice NAME=[TEMPUNAVAIL]' ]
}

@test "a DNS server that refuses (nothing listens): [TEMPUNAVAIL]" {
	run wire -t 8 "$(port dead)" "$(pp 192.0.2.1)" '<\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n'
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n" ]
	[ "$(auth_requests)" = "$(req_plain 192.0.2.1 '[TEMPUNAVAIL]')" ]
}

@test "SERVFAIL for the PTR: [TEMPUNAVAIL]; a CNAME before the PTR is followed" {
	run wire -t 8 "$(port evil)" "$(pp 192.0.2.71)" '<\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n'
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n" ]
	[ "$(auth_requests)" = "$(req_plain 192.0.2.71 '[TEMPUNAVAIL]')" ]
	auth_log_clear
	run wire -t 8 "$(port evil)" "$(pp 192.0.2.74)" '<\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n'
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n" ]
	[ "$(auth_requests)" = "$(req_plain 192.0.2.74 ok74.example.test)" ]
}

@test "a PTR with CR LF and a header line: [TEMPUNAVAIL], nothing of it leaks" {
	skip_on_nginx "the host name check came in 1.29.7"
	login_and_send "$(port evil)" 192.0.2.66
	[ "$(auth_requests)" = "$(req_plain 192.0.2.66 '[TEMPUNAVAIL]')" ]
	[ "$(xclient_line)" = 'XCLIENT ADDR=192.0.2.66 LOGIN=alice NAME=[TEMPUNAVAIL]' ]
	run ! grep -aq 'Injected' "$T/auth.log" "$T/xrec.log"
	postfix_logged 'client=unknown\[192\.0\.2\.66\], sasl_method=XCLIENT, sasl_username=alice'
	run ! grep -aq 'Injected' "$T/postfix/maillog"
	grep -q '192.0.2.66 resolved to invalid host name "evil\\013\\010X-Injected: yes.example.test"' "$(errlog)"
}
