#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# smtp.bats - SMTP through the proxy: greeting, HELO/EHLO lists, AUTH PLAIN/LOGIN/CRAM-MD5
# through to a real Postfix with XCLIENT, messages sent with smtplib and curl arriving
# intact, smtp_auth none (MAIL/RCPT replay), proxy_smtp_auth (a fake backend), greeting delay,
# errors, auth failures, pipelining and max_errors.  Wire bytes: doc/wire.md#smtp,
# #smtp-backend-login.

load lib/common
load lib/smtp

setup_file() {
	mp_init
	postfix_start
	fake_smtp_start
	authserver_start --backend "smtp=127.0.0.1:$POSTFIX_PORT"
	# smtp_auth none asks with an empty Auth-User: let the auth server know that "user"
	echo ':' >>"$T/users"
	authserver2_start
	smtp_server main ''
	smtp_server caps 'smtp_capabilities "SIZE 10485760" 8BITMIME PIPELINING;
		smtp_auth external cram-md5 login plain;'
	smtp_server noauth 'smtp_auth none;'
	smtp_server none 'smtp_auth none plain;'
	smtp_server delay 'smtp_greeting_delay 1s;'
	smtp_server errors 'max_errors 2;'
	smtp_server small 'smtp_client_buffer 64;'
	smtp_server pauth "xclient off; proxy_smtp_auth on; auth_http 127.0.0.1:$AUTH2PORT/auth;"
	smtp_server helo "xclient off;"
	proxy_start
}

teardown_file() {
	postfix_stop
	mp_cleanup
}
teardown() { check_sanitizers; }

GREETING='220 mail.test ESMTP ready\r\n'
B64_ALICE=$(printf '\0alice\0alicepass' | base64)

# the delivered message, as Postfix stored it (LF line ends), without the headers Postfix
# put in front (Return-Path, Delivered-To, Received)
delivered_tail() {
	awk 'f || /^From: Bob/ { f = 1; print }' "$1"
}

@test "greeting, fd 3 and inetd styles" {
	run wire "$(port main)" '<\r\n'
	[ "$output" = "$GREETING" ]
	run wire "$(port main mp inetd)" '<\r\n'
	[ "$output" = "$GREETING" ]
}

@test "EHLO and HELO, default configuration" {
	run wire "$(port main)" '<\r\n' '>EHLO client.example\r\n' '<AUTH PLAIN LOGIN\r\n' \
		'>HELO client.example\r\n' '<250 mail.test\r\n'
	[ "$output" = "${GREETING}250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n250 mail.test\r\n" ]
}

@test "EHLO with smtp_capabilities and every AUTH method in fixed order" {
	run wire "$(port caps)" '<\r\n' '>ehlo x\r\n' '<EXTERNAL\r\n'
	[ "$output" = "${GREETING}250-mail.test\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n" ]
}

@test "EHLO with only smtp_auth none: no AUTH line" {
	run wire "$(port noauth)" '<\r\n' '>EHLO x\r\n' '<\r\n'
	[ "$output" = "${GREETING}250 mail.test\r\n" ]
}

@test "HELO/EHLO need exactly one argument" {
	run wire "$(port main)" '<\r\n' '>HELO\r\n' '<\r\n' '>EHLO a b\r\n' '<\r\n' \
		'>EHLO   x   \r\n' '<LOGIN\r\n'
	[ "$output" = "${GREETING}501 5.5.4 Invalid argument\r\n501 5.5.4 Invalid argument\r\n250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n" ]
}

@test "NUL in HELO, MAIL or RCPT is refused with 501 (never reaches a header or XCLIENT)" {
	[ "$(proxy_kind)" = nginx ] && skip "deliberate difference: nginx passes NUL on"
	run wire "$(port none)" '<\r\n' '>HELO a\x00b\r\n' '<\r\n' '>MAIL FROM:<a\x00@b>\r\n' '<\r\n' \
		'>MAIL FROM:<a@b>\r\n' '<\r\n' '>RCPT TO:<c@d>\x00\r\n' '<\r\n'
	[ "$output" = "${GREETING}501 5.5.4 Invalid argument\r\n501 5.5.4 Invalid argument\r\n250 2.0.0 OK\r\n501 5.5.4 Invalid argument\r\n" ]
}

@test "NOOP, RSET, VRFY, EXPN, HELP, DATA, STARTTLS, QUIT" {
	run wire "$(port main)" '<\r\n' '>NOOP\r\n' '<\r\n' '>rset\r\n' '<\r\n' '>VRFY x\r\n' '<\r\n' \
		'>EXPN x\r\n' '<\r\n' '>HELP\r\n' '<\r\n' '>DATA\r\n' '<\r\n' '>STARTTLS\r\n' '<\r\n' \
		'>QUIT\r\n' '.'
	[ "$output" = "${GREETING}250 2.0.0 OK\r\n250 2.0.0 OK\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n221 2.0.0 Bye\r\n[EOF]" ]
}

@test "MAIL without smtp_auth none: 530, logged; RCPT before MAIL: 503" {
	run wire "$(port main)" '<\r\n' '>MAIL FROM:<a@b>\r\n' '<\r\n' '>RCPT TO:<c@d>\r\n' '<\r\n'
	[ "$output" = "${GREETING}530 5.7.1 Authentication required\r\n503 5.5.1 Bad sequence of commands\r\n" ]
	grep -q 'client was rejected: "MAIL FROM:<a@b>__"' "$(errlog)"
}

@test "AUTH: no argument 501, unknown or disabled mechanism 500, bad base64 500" {
	run wire "$(port main)" '<\r\n' '>AUTH\r\n' '<\r\n' '>AUTH DIGEST-MD5\r\n' '<\r\n' \
		'>AUTH CRAM-MD5\r\n' '<\r\n' '>AUTH EXTERNAL\r\n' '<\r\n' '>AUTH PLAIN !!!!\r\n' '<\r\n' \
		'>AUTH PLAIN\r\n' '<334 \r\n' '>*\r\n' '<\r\n' '>NOOP\r\n' '<\r\n'
	[ "$output" = "${GREETING}501 5.5.4 Invalid argument\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n334 \r\n500 5.5.1 Invalid command\r\n250 2.0.0 OK\r\n" ]
}

@test "AUTH PLAIN with initial response, through to Postfix with XCLIENT" {
	run wire "$(port main)" '<\r\n' '>EHLO client.example\r\n' '<LOGIN\r\n' \
		">AUTH PLAIN $B64_ALICE\r\n" '<\r\n' '>MAIL FROM:<bob@example.test>\r\n' '<\r\n' \
		'>QUIT\r\n' '.'
	[ "$output" = "${GREETING}250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n235 2.0.0 OK\r\n250 2.1.0 Ok\r\n221 2.0.0 Bye\r\n[EOF]" ]
	grep -q 'client logged in' "$(errlog)"
	[ "$(auth_last_request)" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: smtp\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\nClient-Host: [UNAVAILABLE]\r\n\r\n' ]
}

@test "AUTH PLAIN with a challenge, AUTH LOGIN, AUTH LOGIN with username" {
	run wire "$(port main)" '<\r\n' '>AUTH PLAIN\r\n' '<334 \r\n' ">$B64_ALICE\r\n" '<\r\n' \
		'>NOOP\r\n' '<\r\n'
	[ "$output" = "${GREETING}334 \r\n235 2.0.0 OK\r\n250 2.0.0 Ok\r\n" ]
	run wire "$(port main)" '<\r\n' '>AUTH LOGIN\r\n' '<\r\n' '>YWxpY2U=\r\n' '<\r\n' \
		'>YWxpY2VwYXNz\r\n' '<\r\n'
	[ "$output" = "${GREETING}334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.0.0 OK\r\n" ]
	run wire "$(port main)" '<\r\n' '>auth login YWxpY2U=\r\n' '<\r\n' '>YWxpY2VwYXNz\r\n' '<\r\n'
	[ "$output" = "${GREETING}334 UGFzc3dvcmQ6\r\n235 2.0.0 OK\r\n" ]
}

@test "AUTH CRAM-MD5 through to the backend" {
	run wire "$(port caps)" '<\r\n' '>AUTH CRAM-MD5\r\n' '<\r\n' \
		'!base64.b64encode(b"alice " + hmac.new(b"alicepass", base64.b64decode(last[4:]), hashlib.md5).hexdigest().encode()) + b"\r\n"' \
		'<\r\n'
	[ "${output: -16}" = '235 2.0.0 OK\r\n' ]
	auth_last_request | grep -q 'Auth-Method: cram-md5\\r\\nAuth-User: alice\\r\\nAuth-Pass: [0-9a-f]\{32\}\\r\\nAuth-Salt: <[0-9]*\.[0-9]*@mail.test>\\r\\n'
}

@test "a message sent with smtplib arrives intact, XCLIENT applied" {
	smtp_message 1 >"$T/m1"
	run smtp_send_smtplib "$(port main)" bob@example.test alice@example.test "$T/m1" alice alicepass
	[ "$status" -eq 0 ]
	postfix_wait_messages 1
	f=$(postfix_messages | tail -n 1)
	diff <(tr -d '\r' <"$T/m1") <(delivered_tail "$f")
	# the backend saw the client's address and login only through XCLIENT
	grep -q 'client=unknown\[127.0.0.2\], sasl_method=XCLIENT, sasl_username=alice' "$T/postfix/maillog"
	grep -q '^Received: from client.example (unknown \[127.0.0.2\])' "$f"
}

@test "a message sent with curl arrives intact" {
	local n
	n=$(postfix_messages | wc -l)
	smtp_message 2 >"$T/m2"
	run smtp_send_curl "$(port main)" bob@example.test alice@example.test "$T/m2" alice alicepass
	[ "$status" -eq 0 ]
	postfix_wait_messages $((n + 1))
	diff <(tr -d '\r' <"$T/m2") <(delivered_tail "$(postfix_messages | tail -n 1)")
}

@test "smtp_auth none: MAIL and RCPT replayed to the backend, message delivered" {
	local n
	n=$(postfix_messages | wc -l)
	auth_log_clear
	run wire "$(port none)" '<\r\n' '>EHLO client.example\r\n' '<\r\n' \
		'>MAIL FROM:<bob@example.test> SIZE=100\r\n' '<\r\n' '>RCPT TO:<alice@example.test>\r\n' \
		'<\r\n' '>DATA\r\n' '<\r\n' '>Subject: none\r\n\r\nunauthenticated\r\n.\r\n' '<\r\n' \
		'>QUIT\r\n' '.'
	[[ "$output" == "${GREETING}250-mail.test\r\n250 AUTH PLAIN\r\n250 2.0.0 OK\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as "*'\r\n221 2.0.0 Bye\r\n[EOF]' ]]
	[ "$(auth_last_request)" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: none\r\nAuth-User: \r\nAuth-Pass: \r\nAuth-Protocol: smtp\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\nClient-Host: [UNAVAILABLE]\r\nAuth-SMTP-Helo: client.example\r\nAuth-SMTP-From: MAIL FROM:<bob@example.test> SIZE=100\r\nAuth-SMTP-To: RCPT TO:<alice@example.test>\r\n\r\n' ]
	postfix_wait_messages $((n + 1))
	grep -q '^unauthenticated$' "$(postfix_messages | tail -n 1)"
}

@test "smtp_auth none: the backend's RCPT rejection reaches the client, the session goes on" {
	run wire "$(port none)" '<\r\n' '>MAIL FROM:<bob@example.test>\r\n' '<\r\n' \
		'>RCPT TO:<nobody@example.test>\r\n' '<\r\n' '>RCPT TO:<alice@example.test>\r\n' '<\r\n' \
		'>QUIT\r\n' '.'
	[ "$output" = "${GREETING}250 2.0.0 OK\r\n554 5.7.1 <nobody@example.test>: Recipient address rejected: No such user here\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n[EOF]" ]
}

@test "smtp_auth none: MAIL twice 503, MAIL without argument 501, RSET clears, HELO clears" {
	run wire "$(port none)" '<\r\n' '>MAIL\r\n' '<\r\n' '>MAIL FROM:<a@b>\r\n' '<\r\n' \
		'>MAIL FROM:<a@b>\r\n' '<\r\n' '>RSET\r\n' '<\r\n' '>RCPT TO:<c@d>\r\n' '<\r\n' \
		'>MAIL FROM:<a@b>\r\n' '<\r\n' '>HELO x\r\n' '<\r\n' '>RCPT TO:<c@d>\r\n' '<\r\n' \
		'>RCPT\r\n' '<\r\n'
	[ "$output" = "${GREETING}501 5.5.4 Invalid argument\r\n250 2.0.0 OK\r\n503 5.5.1 Bad sequence of commands\r\n250 2.0.0 OK\r\n503 5.5.1 Bad sequence of commands\r\n250 2.0.0 OK\r\n250 mail.test\r\n503 5.5.1 Bad sequence of commands\r\n503 5.5.1 Bad sequence of commands\r\n" ]
}

@test "proxy_smtp_auth without xclient: HELO <server_name>, AUTH PLAIN to the backend" {
	: >"$T/fake_smtp.log"
	run wire "$(port pauth)" '<\r\n' '>HELO client.example\r\n' '<\r\n' ">AUTH PLAIN $B64_ALICE\r\n" \
		'<\r\n' '>MAIL FROM:<a@b>\r\n' '<\r\n' '>QUIT\r\n' '.'
	[ "$output" = "${GREETING}250 mail.test\r\n235 2.0.0 OK\r\n250 2.0.0 fake ok\r\n221 2.0.0 fake closing\r\n[EOF]" ]
	[ "$(cat "$T/fake_smtp.log")" = "HELO mail.test"$'\r\n'"AUTH PLAIN $B64_ALICE"$'\r\n'"MAIL FROM:<a@b>"$'\r\n'"QUIT"$'\r' ]
}

@test "proxy_smtp_auth, EHLO client: EHLO <server_name>, AUTH PLAIN" {
	: >"$T/fake_smtp.log"
	run wire "$(port pauth)" '<\r\n' '>EHLO client.example\r\n' '<LOGIN\r\n' \
		">AUTH PLAIN $B64_ALICE\r\n" '<\r\n'
	[ "$output" = "${GREETING}250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n235 2.0.0 OK\r\n" ]
	[ "$(head -n 2 "$T/fake_smtp.log")" = "EHLO mail.test"$'\r\n'"AUTH PLAIN $B64_ALICE"$'\r' ]
}

@test "xclient off: the backend gets HELO with the server name, then the client's bytes" {
	run wire "$(port helo)" '<\r\n' ">AUTH PLAIN $B64_ALICE\r\n" '<\r\n' '>MAIL FROM:<a@b>\r\n' '<\r\n'
	[ "$output" = "${GREETING}235 2.0.0 OK\r\n250 2.1.0 Ok\r\n" ]
}

@test "smtp_greeting_delay: a client that talks first gets 503 and is logged" {
	run wire -e "$(port delay)" '>EHLO early\r\n' '.'
	[ "${lines[0]}" = '503 5.5.0 Improper use of SMTP command pipelining\r\n[EOF]' ]
	grep -q 'client was rejected before greeting: "EHLO early__"' "$(errlog)"
}

@test "smtp_greeting_delay: a patient client is greeted after the delay" {
	run wire -e "$(port delay)" '<\r\n' '>QUIT\r\n' '.'
	[ "${lines[0]}" = "${GREETING}221 2.0.0 Bye\r\n[EOF]" ]
	awk -F= '{ exit !($2 >= 0.9) }' <<<"${lines[1]}"
}

@test "auth failure: 535 5.7.0 and close" {
	run wire "$(port main)" '<\r\n' ">AUTH PLAIN $(printf '\0alice\0wrong' | base64)\r\n" '.'
	[ "$output" = "${GREETING}535 5.7.0 Invalid login or password\r\n[EOF]" ]
	grep -q 'client login failed: "Invalid login or password"' "$(errlog)"
}

@test "auth failure with Auth-Error-Code" {
	run wire "$(port main)" '<\r\n' ">AUTH PLAIN $(printf '\0errcode\0x' | base64)\r\n" '.'
	[ "$output" = "${GREETING}451 4.3.0 Temporary server problem, try again later\r\n[EOF]" ]
}

@test "auth failure with Auth-Wait: the session goes on, pipelined commands too" {
	local t0=$SECONDS
	run wire "$(port main)" '<\r\n' \
		">AUTH PLAIN $(printf '\0waiter\0wrong' | base64)\r\nNOOP\r\n" '<OK\r\n' \
		">AUTH PLAIN $(printf '\0alice\0alicepass' | base64)\r\n" '<235 2.0.0 OK\r\n'
	[ "$output" = "${GREETING}535 5.7.0 Invalid login or password\r\n250 2.0.0 OK\r\n235 2.0.0 OK\r\n" ]
	grep -q 'Auth-User: waiter.*Auth-Login-Attempt: 1' <(auth_requests)
	grep -q 'Auth-User: alice.*Auth-Login-Attempt: 2' <(auth_requests)
}

@test "pipelining: several commands in one write, replies in order" {
	run wire "$(port main)" '<\r\n' '>EHLO x\r\nNOOP\r\nDATA\r\nRSET\r\nQUIT\r\n' '.'
	[ "$output" = "${GREETING}250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n250 2.0.0 OK\r\n500 5.5.1 Invalid command\r\n250 2.0.0 OK\r\n221 2.0.0 Bye\r\n[EOF]" ]
}

@test "pipelining: what follows AUTH goes to the backend after the 235" {
	run wire "$(port main)" '<\r\n' \
		">EHLO client.example\r\nAUTH PLAIN $B64_ALICE\r\nMAIL FROM:<bob@example.test>\r\nRCPT TO:<alice@example.test>\r\n" \
		'<2.1.5 Ok\r\n' '>QUIT\r\n' '.'
	[ "$output" = "${GREETING}250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n235 2.0.0 OK\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n[EOF]" ]
}

@test "max_errors: the second parser error is answered, then the connection closes" {
	run wire "$(port errors)" '<\r\n' '>DATA\r\n' '<\r\n' '>VRFY x\r\n' '<\r\n' '>BDAT 1\r\n' '.'
	[ "$output" = "${GREETING}500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n[EOF]" ]
	grep -q 'client sent too many invalid commands' "$(errlog)"
}

@test "a line longer than smtp_client_buffer: 500 and close" {
	run wire "$(port small)" '<\r\n' ">HELO $(printf 'x%.0s' {1..100})\r\n" '.'
	[ "$output" = "${GREETING}500 5.5.1 Invalid command\r\n[EOF]" ]
	grep -q 'client sent too long command' "$(errlog)"
}

@test "bare LF line ends; CR not followed by LF is an error" {
	run wire "$(port main)" '<\r\n' '>NOOP\n' '<\r\n' '>NOOP\rx\r\n' '<\r\n' '>noop\r\n' '<\r\n'
	[ "$output" = "${GREETING}250 2.0.0 OK\r\n500 5.5.1 Invalid command\r\n250 2.0.0 OK\r\n" ]
}
