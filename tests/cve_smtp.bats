#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# cve_smtp.bats - hostile bytes on the SMTP side (issue 7; nginx CVE-2025-53859 and the
# XCLIENT xtext fix of 1.29.2; doc/wire.md#auth-request, #smtp-commands,
# #smtp-client-host, #smtp-backend-login): CR, LF or NUL in HELO, MAIL FROM, RCPT TO and
# AUTH blobs, and CR/LF/NUL/space in a PTR record, must never reach an auth_http header or
# an XCLIENT line as anything but escaped data.  What the auth server received (raw) and
# what the SMTP backend received (raw, tests/lib/xclient_record.py) are checked byte for
# byte; a login with spaces, '+', '=', '%' and UTF-8 goes through a real Postfix, which
# logs it decoded.

bats_require_minimum_version 1.5.0
load lib/common
load lib/smtp
load lib/dns
load lib/faults
load lib/tls_more

setup_file() {
	mp_init
	dns_start
	postfix_start
	xrec_start
	# a permissive auth server that sends logins to Postfix through the recorder
	read -r XAUTH2_PORT < <(free_ports 1)
	: >"$T/auth.log"
	python3 "$MP_TESTS/lib/xclient_record.py" auth "$XAUTH2_PORT" "$XREC_PORT" "$T/auth.log" \
		>"$T/xauth2.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$XAUTH2_PORT"
	local rec="auth_http 127.0.0.1:$XAUTH_PORT/auth; smtp_auth plain login none;"
	xserver rec smtp '' "$rec"
	xserver evil smtp proxy_protocol "$rec set_real_ip_from 127.0.0.1;
		resolver 127.0.0.1:$DNS_EVIL_PORT; resolver_timeout 1s;"
	xserver pf smtp '' "auth_http 127.0.0.1:$XAUTH2_PORT/auth;"
	proxy_start
}

teardown_file() {
	postfix_stop
	mp_cleanup
}
setup() {
	auth_log_clear
	: >"$T/xauth.log"
	: >"$T/xfake.log"
	: >"$T/xrec.log"
}
teardown() { check_sanitizers; }

GREETING='220 mail.test ESMTP ready\r\n'
EHLO_REPLY='250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n'
INV='500 5.5.1 Invalid command\r\n'
ARG='501 5.5.4 Invalid argument\r\n'
REQ_HEAD='GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\n'

# backend_saw: the lines the recording backend received, one per line, escaped
backend_saw() { xrec_lines "$T/xfake.log"; }
xauth_requests() { T_AUTH=$T/xauth.log python3 - <<'EOF'
import os, sys
sys.path.insert(0, os.environ["MP_TESTS"] + "/lib")
from wire import esc
data = open(os.environ["T_AUTH"], "rb").read()
for req in data.split(b"\r\n\r\n")[:-1]:
    print(esc(req + b"\r\n\r\n"))
EOF
}

@test "CR or LF inside HELO, MAIL FROM, RCPT TO end the command: no injected header or line" {
	run wire "$(port rec)" '<\r\n' '>EHLO c.test\rAuth-Status: OK\r\n' '<\r\n' \
		'>EHLO c.test\nX-Injected: 1\r\n' '<\r\n' '<\r\n' '<\r\n' \
		'>MAIL FROM:<a@b.test>\nX-Injected: 2\r\n' '<\r\n' '<\r\n' \
		'>RCPT TO:<c@d.test>\rX-Injected: 3\r\n' '<\r\n' '>RCPT TO:<c@d.test>\r\n' '<\r\n'
	[ "$output" = "${GREETING}${INV}${EHLO_REPLY}${INV}250 2.0.0 OK\r\n${INV}${INV}250 2.0.0 ok\r\n" ]
	[ "$(auth_clean "$T/xauth.log")" = 1 ]
	[ "$(xauth_requests)" = "${REQ_HEAD}Auth-Method: none\\r\\nAuth-User: \\r\\nAuth-Pass: \\r\\nAuth-Protocol: smtp\\r\\nAuth-Login-Attempt: 1\\r\\nClient-IP: 127.0.0.1\\r\\nClient-Host: [UNAVAILABLE]\\r\\nAuth-SMTP-Helo: c.test\\r\\nAuth-SMTP-From: MAIL FROM:<a@b.test>\\r\\nAuth-SMTP-To: RCPT TO:<c@d.test>\\r\\n\\r\\n" ]
	run backend_saw
	[ "$(printf '%s\n' "${lines[@]}")" = "--- connection
EHLO mail.test
XCLIENT ADDR=127.0.0.1 NAME=[UNAVAILABLE]
EHLO c.test
MAIL FROM:<a@b.test>
RCPT TO:<c@d.test>" ]
}

@test "NUL in HELO, MAIL FROM or RCPT TO: refused, never in the auth request or at the backend" {
	skip_on_nginx "deliberate difference: nginx passes NUL on"
	run wire "$(port rec)" '<\r\n' '>EHLO c\x00.test\r\n' '<\r\n' '>EHLO c.test\r\n' '<LOGIN\r\n' \
		'>MAIL FROM:<a\x00@b.test>\r\n' '<\r\n' '>MAIL FROM:<a@b.test> X=\x00\r\n' '<\r\n' \
		'>MAIL FROM:<a@b.test>\r\n' '<\r\n' '>RCPT TO:<c@d.test>\x00\r\n' '<\r\n' \
		'>RCPT TO:<c@d.test>\r\n' '<\r\n'
	[ "$output" = "${GREETING}${ARG}${EHLO_REPLY}${ARG}${ARG}250 2.0.0 OK\r\n${ARG}250 2.0.0 ok\r\n" ]
	[ "$(auth_clean "$T/xauth.log")" = 1 ]
	run ! grep -aqP '\x00' "$T/xauth.log" "$T/xfake.log"
	[[ "$(xauth_requests)" == *'\r\nAuth-SMTP-Helo: c.test\r\nAuth-SMTP-From: MAIL FROM:<a@b.test>\r\nAuth-SMTP-To: RCPT TO:<c@d.test>\r\n\r\n' ]]
	[ "$(backend_saw | sed -n 5,6p)" = 'MAIL FROM:<a@b.test>
RCPT TO:<c@d.test>' ]
}

@test "AUTH PLAIN: CR LF NUL in the blob are %XX in the auth request, +XX in XCLIENT LOGIN" {
	skip_on_nginx "XCLIENT LOGIN is xtext since 1.29.2"
	blob=$(printf '\0u\r\nX-Injected: 1\0p\r\n\0w' | base64 -w0)
	run wire "$(port rec)" '<\r\n' '>EHLO c.test\r\n' '<LOGIN\r\n' ">AUTH PLAIN $blob\\r\\n" '<\r\n' \
		'>QUIT\r\n' .
	[ "$output" = "${GREETING}${EHLO_REPLY}235 2.0.0 OK\r\n221 2.0.0 bye\r\n[EOF]" ]
	[ "$(auth_clean "$T/xauth.log")" = 1 ]
	[ "$(xauth_requests)" = "${REQ_HEAD}Auth-Method: plain\\r\\nAuth-User: u%0D%0AX-Injected:%201\\r\\nAuth-Pass: p%0D%0A%00w\\r\\nAuth-Protocol: smtp\\r\\nAuth-Login-Attempt: 1\\r\\nClient-IP: 127.0.0.1\\r\\nClient-Host: [UNAVAILABLE]\\r\\n\\r\\n" ]
	run backend_saw
	[ "$(printf '%s\n' "${lines[@]}")" = "--- connection
EHLO mail.test
XCLIENT ADDR=127.0.0.1 LOGIN=u+0D+0AX-Injected:+201 NAME=[UNAVAILABLE]
EHLO c.test
QUIT" ]
}

@test "AUTH LOGIN: a user name carrying an SMTP command is one xtext LOGIN= value" {
	skip_on_nginx "XCLIENT LOGIN is xtext since 1.29.2"
	u=$(printf 'u\r\nMAIL FROM:<x@evil.test>\r\n' | base64 -w0)
	run wire "$(port rec)" '<\r\n' '>AUTH LOGIN\r\n' '<\r\n' ">$u\\r\\n" '<\r\n' '>cA==\r\n' '<\r\n'
	[ "$output" = "${GREETING}334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.0.0 OK\r\n" ]
	[ "$(auth_clean "$T/xauth.log")" = 1 ]
	[[ "$(xauth_requests)" == *'\r\nAuth-User: u%0D%0AMAIL%20FROM:<x@evil.test>%0D%0A\r\nAuth-Pass: p\r\n'* ]]
	run backend_saw
	# xclient on: EHLO <server_name>, though the client sent no HELO/EHLO
	[ "$(printf '%s\n' "${lines[@]}")" = "--- connection
EHLO mail.test
XCLIENT ADDR=127.0.0.1 LOGIN=u+0D+0AMAIL+20FROM:<x@evil.test>+0D+0A NAME=[UNAVAILABLE]" ]
}

@test "a login with a NUL byte never reaches the backend: Postfix would read only what comes before it" {
	skip_on_nginx "deliberate difference: nginx sends it as +00"
	u=$(printf 'admin\0x' | base64 -w0)
	run wire "$(port rec)" '<\r\n' '>AUTH LOGIN\r\n' '<\r\n' ">$u\\r\\n" '<\r\n' '>cA==\r\n' .
	[ "$output" = "${GREETING}334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n451 4.3.2 Internal server error\r\n[EOF]" ]
	run grep -c 'LOGIN=' "$T/xfake.log"
	[ "$output" = 0 ]
}

@test "XCLIENT LOGIN= is xtext for spaces, '+', '=', '%' and UTF-8; Postfix decodes it" {
	skip_on_nginx "XCLIENT LOGIN is xtext since 1.29.2"
	blob=$(printf '\0j d+x=y\303\251%%\0pw' | base64 -w0)
	run wire "$(port pf)" '<\r\n' '>EHLO c.test\r\n' '<LOGIN\r\n' ">AUTH PLAIN $blob\\r\\n" '<\r\n' \
		'>MAIL FROM:<bob@example.test>\r\n' '<\r\n' '>RCPT TO:<alice@example.test>\r\n' '<\r\n' \
		'>QUIT\r\n' .
	[ "$output" = "${GREETING}${EHLO_REPLY}235 2.0.0 OK\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n[EOF]" ]
	# the auth request: space and % escaped, '+', '=' and UTF-8 raw
	[[ "$(auth_last_request)" == *'\r\nAuth-User: j%20d+x=y\xc3\xa9%25\r\nAuth-Pass: pw\r\n'* ]]
	run xrec_lines "$T/xrec.log"
	[ "${lines[2]}" = 'XCLIENT ADDR=127.0.0.1 LOGIN=j+20d+2Bx+3Dy+C3+A9% NAME=[UNAVAILABLE]' ]
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q 'sasl_username=j d+x=y' "$T/postfix/maillog" && break
		sleep 0.1
	done
	grep -q $'sasl_method=XCLIENT, sasl_username=j d+x=y\303\251%$' "$T/postfix/maillog"
}

@test "PTR records with CR LF, NUL or a space never reach XCLIENT NAME or Client-Host" {
	skip_on_nginx "the host name check came in 1.29.7"
	local n
	for n in 66 76 67; do
		: >"$T/xauth.log"
		: >"$T/xfake.log"
		run wire -t 8 "$(port evil)" ">PROXY TCP4 192.0.2.$n 198.51.100.7 5555 25\\r\\n" '<\r\n' \
			'>MAIL FROM:<a@b.test>\r\n' '<\r\n' '>RCPT TO:<c@d.test>\r\n' '<\r\n'
		[ "$output" = "${GREETING}250 2.0.0 OK\r\n250 2.0.0 ok\r\n" ] || { echo "PTR $n: $output"; false; }
		[ "$(auth_clean "$T/xauth.log")" = 1 ]
		grep -q $'^Client-Host: \\[TEMPUNAVAIL\\]\r$' "$T/xauth.log"
		run backend_saw
		[ "${lines[2]}" = "XCLIENT ADDR=192.0.2.$n NAME=[TEMPUNAVAIL]" ] || { echo "PTR $n: ${lines[*]}"; false; }
		[ "${#lines[@]}" -eq 5 ]
		run ! grep -aqE 'Injected|evil|a b\.example' "$T/xauth.log" "$T/xfake.log"
	done
}

# A login attempt that ends without success names nobody afterwards (issue 11): with
# smtp_auth none beside other methods, a user name given to AUTH LOGIN and then abandoned
# must not become the Auth-User of the `none` request, nor XCLIENT LOGIN= at the backend,
# where Postfix would take it as a SASL login (permit_sasl_authenticated).
cancelled_login() { # STEP...: the wire steps between EHLO and the final RCPT
	run wire "$(port rec)" '<\r\n' '>EHLO c.test\r\n' '<LOGIN\r\n' "$@" \
		'>RCPT TO:<c@d.test>\r\n' '<\r\n'
}
assert_nobody_named() {
	[ "$(auth_clean "$T/xauth.log")" = 1 ]
	[[ "$(xauth_requests)" == *'\r\nAuth-Method: none\r\nAuth-User: \r\nAuth-Pass: \r\n'* ]]
	run backend_saw
	[ "${lines[2]}" = 'XCLIENT ADDR=127.0.0.1 NAME=[UNAVAILABLE]' ]
	run grep -c 'LOGIN=' "$T/xfake.log"
	[ "$output" = 0 ]
}

@test "smtp_auth none: AUTH LOGIN user, '*' at the password prompt, MAIL, RCPT: no login named" {
	cancelled_login '>AUTH LOGIN dmljdGlt\r\n' '<\r\n' '>*\r\n' '<\r\n' \
		'>MAIL FROM:<a@b.test>\r\n' '<\r\n'
	[ "$output" = "${GREETING}${EHLO_REPLY}334 UGFzc3dvcmQ6\r\n${INV}250 2.0.0 OK\r\n250 2.0.0 ok\r\n" ]
	assert_nobody_named
}

@test "smtp_auth none: MAIL first, then AUTH LOGIN user cancelled, then RCPT: no login named" {
	cancelled_login '>MAIL FROM:<a@b.test>\r\n' '<\r\n' '>AUTH LOGIN\r\n' '<\r\n' \
		'>dmljdGlt\r\n' '<\r\n' '>*\r\n' '<\r\n'
	[ "$output" = "${GREETING}${EHLO_REPLY}250 2.0.0 OK\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n${INV}250 2.0.0 ok\r\n" ]
	assert_nobody_named
}

@test "smtp_auth none: a malformed password line or PLAIN blob forgets the user too" {
	bad=$(printf 'victim\0victim\0' | base64 -w0)
	cancelled_login '>MAIL FROM:<a@b.test>\r\n' '<\r\n' '>AUTH LOGIN dmljdGlt\r\n' '<\r\n' \
		'>!!notbase64\r\n' '<\r\n' ">AUTH PLAIN ${bad%??}\\r\\n" '<\r\n'
	[ "$output" = "${GREETING}${EHLO_REPLY}250 2.0.0 OK\r\n334 UGFzc3dvcmQ6\r\n${INV}${INV}250 2.0.0 ok\r\n" ]
	assert_nobody_named
}
