#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# imap.bats - IMAP through the proxy before authentication (greeting, CAPABILITY, NOOP,
# LOGOUT, parser errors, pipelining) and logging in to Dovecot with imaplib and curl,
# under both activation styles.  Wire bytes: doc/wire.md#front-end, #imap.

load lib/common

setup_file() {
	mp_init
	dovecot_start
	authserver_start
	mp_server main ''
	mp_server caps 'imap_capabilities IMAP4rev1 IDLE NAMESPACE;
		imap_auth external cram-md5 login plain;'
	mp_server order 'imap_auth external login;'
	proxy_start
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

# fetch_imaplib PORT N: log in as alice, SELECT INBOX, print message N (BODY[]) raw
fetch_imaplib() {
	python3 - "$1" "$2" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
m.login("alice", "alicepass")
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
typ, data = m.fetch(sys.argv[2], "(BODY.PEEK[])")
assert typ == "OK", (typ, data)
sys.stdout.buffer.write(data[0][1])
m.logout()
EOF
}

@test "harness: Dovecot accepts a direct login" {
	run wire "$DOVECOT_IMAP" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK [CAPABILITY '*'] Dovecot'*' ready.\r\na OK [CAPABILITY '*'] Logged in\r\n' ]]
}

@test "harness: the auth server checks passwords and APOP/CRAM-MD5 digests" {
	salt='<12345.1700000000@mail.test>'
	ask() { curl -si --max-time 5 "http://127.0.0.1:$AUTHPORT/auth" -H "Auth-Method: $1" -H "Auth-User: $2" \
		-H "Auth-Pass: $3" -H "Auth-Salt: $salt" -H "Auth-Protocol: $4" | tr -d '\r' | tr '\n' ' '; }
	apop=$(python3 -c 'import hashlib,sys; print(hashlib.md5(sys.argv[1].encode() + b"alicepass").hexdigest())' "$salt")
	cram=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"alicepass", sys.argv[1].encode(), hashlib.md5).hexdigest())' "$salt")
	[ "$(ask plain alice alicepass imap)" = "HTTP/1.0 200 OK Auth-Status: OK Auth-Server: 127.0.0.1 Auth-Port: $DOVECOT_IMAP  " ]
	[ "$(ask plain alice wrong imap)" = "HTTP/1.0 200 OK Auth-Status: Invalid login or password  " ]
	[ "$(ask apop alice "$apop" pop3)" = "HTTP/1.0 200 OK Auth-Status: OK Auth-Server: 127.0.0.1 Auth-Port: $DOVECOT_POP3 Auth-Pass: alicepass  " ]
	[ "$(ask apop alice "$cram" pop3)" = "HTTP/1.0 200 OK Auth-Status: Invalid login or password  " ]
	[ "$(ask cram-md5 alice "$cram" imap)" = "HTTP/1.0 200 OK Auth-Status: OK Auth-Server: 127.0.0.1 Auth-Port: $DOVECOT_IMAP Auth-Pass: alicepass  " ]
	[ "$(ask cram-md5 alice "$apop" imap)" = "HTTP/1.0 200 OK Auth-Status: Invalid login or password  " ]
	[ "$(ask plain spacey 'pass%20word%251' imap)" = "HTTP/1.0 200 OK Auth-Status: OK Auth-Server: 127.0.0.1 Auth-Port: $DOVECOT_IMAP  " ]
}

@test "greeting, fd 3 (LISTEN_FDS) style" {
	run wire "$(port main)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
}

@test "greeting, inetd style" {
	run wire "$(port main mp inetd)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
}

@test "CAPABILITY, default configuration" {
	run wire "$(port main)" '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\na OK completed\r\n' ]
}

@test "CAPABILITY with imap_capabilities and imap_auth (AUTH= in fixed order)" {
	run wire "$(port caps)" '>A1 capability\r\n' '<A1 OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4rev1 IDLE NAMESPACE AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5 AUTH=EXTERNAL\r\nA1 OK completed\r\n' ]
}

@test "CAPABILITY: listing imap_auth methods replaces the default PLAIN" {
	run wire "$(port order)" '>x CAPABILITY\r\n' '<x OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=LOGIN AUTH=EXTERNAL\r\nx OK completed\r\n' ]
}

@test "NOOP, with and without arguments, any case" {
	run wire "$(port main)" '>a1 NOOP\r\n' '<a1 OK completed\r\n' '>a2 noop foo "bar baz"\r\n' \
		'<a2 OK completed\r\n' '>a3 NoOp\r\n' '<a3 OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\na1 OK completed\r\na2 OK completed\r\na3 OK completed\r\n' ]
}

@test "LOGOUT answers BYE and closes" {
	run wire "$(port main)" '>a LOGOUT\r\n' .
	[ "$output" = '* OK IMAP4 ready\r\n* BYE\r\na OK completed\r\n[EOF]' ]
}

@test "LOGOUT under inetd style" {
	run wire "$(port main mp inetd)" '>z.9 LOGOUT\r\n' .
	[ "$output" = '* OK IMAP4 ready\r\n* BYE\r\nz.9 OK completed\r\n[EOF]' ]
}

@test "unknown command: tagged BAD, session continues" {
	run wire "$(port main)" '>a SELECT INBOX\r\n' '<a BAD invalid command\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\na BAD invalid command\r\nb OK completed\r\n' ]
}

@test "bad tag characters: untagged BAD" {
	run wire "$(port main)" '>a*b NOOP\r\n' '<BAD invalid command\r\n' '>c NOOP\r\n' '<c OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* BAD invalid command\r\nc OK completed\r\n' ]
}

@test "empty line: untagged BAD" {
	run wire "$(port main)" '>\r\n' '<BAD invalid command\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* BAD invalid command\r\n' ]
}

@test "tag of 32 characters is accepted, 33 is not" {
	t32=abcdefghijklmnopqrstuvwxyz-._012
	run wire "$(port main)" ">$t32 NOOP\\r\\n" "<$t32 OK completed\\r\\n" ">${t32}3 NOOP\\r\\n" '<BAD invalid command\r\n'
	[ "$output" = "* OK IMAP4 ready\\r\\n$t32 OK completed\\r\\n* BAD invalid command\\r\\n" ]
}

@test "command without tag and unknown command word" {
	run wire "$(port main)" '>NOOP\r\n' '<invalid command\r\n' '>a NOOPS\r\n' '<invalid command\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* BAD invalid command\r\na BAD invalid command\r\n' ]
}

@test "STARTTLS without starttls configured is an invalid command" {
	run wire "$(port main)" '>a STARTTLS\r\n' '<a BAD invalid command\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\na BAD invalid command\r\nb OK completed\r\n' ]
}

@test "pipelined commands in one write are answered in order" {
	run wire "$(port main)" '>a NOOP\r\nb CAPABILITY\r\nc FOO\r\nd NOOP\r\ne LOGOUT\r\n' .
	[ "$output" = '* OK IMAP4 ready\r\na OK completed\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\nb OK completed\r\nc BAD invalid command\r\nd OK completed\r\n* BYE\r\ne OK completed\r\n[EOF]' ]
}

@test "a command split over several writes" {
	run wire "$(port main)" '<\r\n' '>a N' '~0.2' '>OO' '~0.2' '>P\r' '~0.2' '>\n' '<a OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\na OK completed\r\n' ]
}

@test "bare LF ends a line" {
	run wire "$(port main)" '>a NOOP\n' '<a OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\na OK completed\r\n' ]
}

@test "LOGIN with atoms reaches Dovecot; its reply and later commands are relayed" {
	run wire "$(port main)" '>a1 LOGIN alice alicepass\r\n' '<a1 OK' '<\r\n' '>a2 SELECT INBOX\r\n' \
		'<a2 OK' '<\r\n' '>a3 LOGOUT\r\n' .
	[[ "$output" == '* OK IMAP4 ready\r\na1 OK '*'Logged in\r\n'* ]]
	[[ "$output" == *'* 2 EXISTS\r\n'* ]]
	[[ "$output" == *'a2 OK [READ-WRITE] Select completed'* ]]
	[[ "$output" == *'* BYE Logging out\r\na3 OK Logout completed'*'\r\n[EOF]' ]]
}

@test "commands pipelined behind LOGIN are forwarded to the backend after the login" {
	run wire "$(port main)" '>a1 LOGIN alice alicepass\r\na2 SELECT INBOX\r\na3 LOGOUT\r\n' .
	[[ "$output" == '* OK IMAP4 ready\r\na1 OK '*'Logged in\r\n'*'* 2 EXISTS\r\n'*'a2 OK [READ-WRITE] Select completed'*'a3 OK Logout completed'*'\r\n[EOF]' ]]
}

@test "imaplib: login, SELECT, FETCH a message byte for byte (fd 3 style)" {
	fetch_imaplib "$(port main)" 1 >"$T/fetch1.out"
	cmp "$T/fetch1.out" "$(message_file 1)"
}

@test "imaplib: login, SELECT, FETCH a message byte for byte (inetd style)" {
	fetch_imaplib "$(port main mp inetd)" 2 >"$T/fetch2.out"
	cmp "$T/fetch2.out" "$(message_file 2)"
}

@test "curl imap:// fetches a message byte for byte" {
	curl -sS --max-time 10 -u alice:alicepass "imap://127.0.0.1:$(port main)/INBOX;MAILINDEX=2" -o "$T/curl.out"
	cmp "$T/curl.out" "$(message_file 2)"
}

@test "curl imap:// with AUTHENTICATE (SASL PLAIN) under inetd style" {
	curl -sS --max-time 10 --login-options 'AUTH=PLAIN' -u alice:alicepass \
		"imap://127.0.0.1:$(port main mp inetd)/INBOX;MAILINDEX=1" -o "$T/curl1.out"
	cmp "$T/curl1.out" "$(message_file 1)"
}

@test "curl with a wrong password fails with the auth server's text" {
	run curl -sS --max-time 10 -u alice:wrong "imap://127.0.0.1:$(port main)/INBOX;MAILINDEX=1"
	[ "$status" -ne 0 ]
	[[ "$output" == *'Login denied'* || "$output" == *'denied'* ]]
}
