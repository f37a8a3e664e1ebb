#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# oauth.bats - OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER of RFC 7628) for IMAP, POP3 and
# SMTP: the capabilities, real clients (curl --oauth2-bearer, python's imaplib and smtplib)
# with tokens the auth server issued (tests/authserver.py, "GET /token") logging in to
# Dovecot and Postfix, the exact auth requests, refused tokens with their Auth-Error-SASL
# challenge on the wire, malformed messages, long and over-long tokens, the token passed
# through to the backend, and no token in any log, debug included.  Runs against mailproxy
# only: Debian's nginx 1.22 has neither mechanism.

load lib/common
load lib/smtp

POP3_SERVERS=" "
pop3_server() {
	POP3_SERVERS+="$1 "
	mp_server "$@"
}
eval "smtp_$(declare -f mp_write_conf)"
mp_write_conf() {
	smtp_mp_write_conf "$@"
	awk -v names="$POP3_SERVERS" '
		/server \{ # / { cur = $NF }
		/^[[:space:]]*protocol imap;$/ && index(names, " " cur " ") { sub(/imap/, "pop3") }
		{ print }' "$T/$1/proxy.conf" >"$T/$1/proxy.conf.new"
	mv "$T/$1/proxy.conf.new" "$T/$1/proxy.conf"
}

setup_file() {
	[ "$MAILPROXY_TARGET" = nginx ] && skip "nginx 1.22 has no XOAUTH2 or OAUTHBEARER"
	local users=$MP_USERS
	mp_init
	postfix_start
	# the auth server knows "passthru" by a password; Dovecot knows it by its token, so
	# that the token passed through to the backend logs it in
	MP_USERS="$users
passthru:passthrupass" authserver_start --backend "smtp=127.0.0.1:$POSTFIX_PORT"
	PASSTHRU_TOKEN=$(token passthru passthrupass)
	export PASSTHRU_TOKEN
	MP_USERS="$users
passthru:$PASSTHRU_TOKEN" dovecot_start
	# curl 7.88 takes OAUTHBEARER whenever it is offered: the *x servers offer XOAUTH2 alone
	mp_server imap 'imap_auth plain xoauth2 oauthbearer;'
	mp_server imapx 'imap_auth xoauth2;'
	mp_server imapbig 'imap_auth xoauth2 oauthbearer; imap_client_buffer 16k;'
	mp_server imapplain ''
	mp_server imapdebug "imap_auth xoauth2 oauthbearer; error_log $T/debug.log debug;"
	pop3_server pop3 'pop3_auth plain xoauth2 oauthbearer;'
	pop3_server pop3x 'pop3_auth xoauth2;'
	pop3_server pop3plain ''
	smtp_server smtp 'smtp_auth plain login xoauth2 oauthbearer;'
	smtp_server smtpx 'smtp_auth xoauth2;'
	smtp_server smtpplain ''
	smtp_server smtpdebug "smtp_auth xoauth2 oauthbearer; smtp_greeting_delay 1s;
		error_log $T/debug.log debug;"
	proxy_start
	ALICE=$(token alice alicepass)
	export ALICE
}

teardown_file() {
	postfix_stop
	mp_cleanup
}
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

# token USER PASSWORD [PAD]: an access token from the auth server's token endpoint
token() {
	curl -sSf --max-time 5 "http://127.0.0.1:$AUTHPORT/token?user=$1&password=$2&pad=${3:-0}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
# xo USER TOKEN, ob USER TOKEN: the base64 client messages of XOAUTH2 and OAUTHBEARER
xo() { printf 'user=%s\001auth=Bearer %s\001\001' "$1" "$2" | base64 -w0; }
ob() { printf 'n,a=%s,\001auth=Bearer %s\001\001' "$1" "$2" | base64 -w0; }
# the Auth-Error-SASL value of tests/authserver.py, the JSON of RFC 7628 3.2.2
SASL_ERR=$(printf '{"status": "invalid_token", "schemes": "bearer", "scope": "mail"}' | base64 -w0)
IMAP_GREET='* OK IMAP4 ready\r\n'
POP3_GREET='+OK POP3 ready\r\n'
SMTP_GREET='220 mail.test ESMTP ready\r\n'

@test "capabilities: XOAUTH2 and OAUTHBEARER where configured, nginx's lists elsewhere" {
	run wire "$(port imap)" '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = "$IMAP_GREET"'* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER\r\na OK completed\r\n' ]
	run wire "$(port imapplain)" '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = "$IMAP_GREET"'* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\na OK completed\r\n' ]
	run wire "$(port pop3)" '>CAPA\r\n' '<.\r\n' '>AUTH\r\n' '<.\r\n'
	[ "$output" = "$POP3_GREET"'+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n.\r\n+OK methods supported:\r\nPLAIN\r\nLOGIN\r\nXOAUTH2\r\nOAUTHBEARER\r\n.\r\n' ]
	run wire "$(port pop3plain)" '>CAPA\r\n' '<.\r\n'
	[ "$output" = "$POP3_GREET"'+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n' ]
	run wire "$(port smtp)" '>EHLO c\r\n' '<AUTH' '<\r\n'
	[ "$output" = "$SMTP_GREET"'250-mail.test\r\n250 AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n' ]
	run wire "$(port smtpplain)" '>EHLO c\r\n' '<AUTH' '<\r\n'
	[ "$output" = "$SMTP_GREET"'250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n' ]
}

@test "not configured: AUTHENTICATE XOAUTH2 and OAUTHBEARER are invalid commands, as in nginx" {
	run wire "$(port imapplain)" ">a AUTHENTICATE XOAUTH2 $(xo alice "$ALICE")\r\n" '<a BAD invalid command\r\n' \
		'>b AUTHENTICATE OAUTHBEARER\r\n' '<b BAD invalid command\r\n'
	[ "$output" = "$IMAP_GREET"'a BAD invalid command\r\nb BAD invalid command\r\n' ]
	run wire "$(port pop3plain)" '>AUTH XOAUTH2\r\n' '<-ERR invalid command\r\n'
	[ "$output" = "$POP3_GREET"'-ERR invalid command\r\n' ]
	run wire "$(port smtpplain)" '>EHLO c\r\n' '<AUTH' '<\r\n' '>AUTH OAUTHBEARER\r\n' '<500 5.5.1 Invalid command\r\n'
	[ "$output" = "$SMTP_GREET"'250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n500 5.5.1 Invalid command\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "curl --oauth2-bearer: IMAP with XOAUTH2, the exact auth request, the message from Dovecot" {
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$ALICE" \
		"imap://127.0.0.1:$(port imapx)/INBOX;MAILINDEX=2" -o "$T/curl.out"
	cmp "$T/curl.out" "$(message_file 2)"
	run auth_requests
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: xoauth2\r\nAuth-User: alice\r\nAuth-Pass: '"$ALICE"'\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
}

@test "curl --oauth2-bearer: IMAP with OAUTHBEARER (curl's choice), inetd style" {
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$ALICE" \
		"imap://127.0.0.1:$(port imap mp inetd)/INBOX;MAILINDEX=1" -o "$T/curl.out"
	cmp "$T/curl.out" "$(message_file 1)"
	run auth_requests
	[[ "$output" == *'\r\nAuth-Method: oauthbearer\r\nAuth-User: alice\r\nAuth-Pass: '"$ALICE"'\r\n'* ]]
}

@test "curl --oauth2-bearer: POP3 with XOAUTH2 and with OAUTHBEARER" {
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$ALICE" \
		"pop3://127.0.0.1:$(port pop3x)/1" -o "$T/curl1.out"
	cmp "$T/curl1.out" "$(message_file 1)"
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$ALICE" \
		"pop3://127.0.0.1:$(port pop3)/2" -o "$T/curl2.out"
	cmp "$T/curl2.out" "$(message_file 2)"
	run auth_requests
	[[ "${lines[0]}" == *'\r\nAuth-Method: xoauth2\r\nAuth-User: alice\r\nAuth-Pass: '"$ALICE"'\r\nAuth-Protocol: pop3\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-Method: oauthbearer\r\nAuth-User: alice\r\nAuth-Pass: '"$ALICE"'\r\nAuth-Protocol: pop3\r\n'* ]]
}

@test "curl --oauth2-bearer: SMTP with XOAUTH2 and OAUTHBEARER, the mail reaches Postfix" {
	local before
	before=$(postfix_messages | wc -l)
	printf 'Subject: xoauth2\r\n\r\nsent with a bearer token\r\n' >"$T/mail.txt"
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$ALICE" \
		--mail-from alice@example.test --mail-rcpt bob@example.test -T "$T/mail.txt" \
		"smtp://127.0.0.1:$(port smtpx)"
	curl -sS --max-time 10 --sasl-ir -u alice: --oauth2-bearer "$ALICE" \
		--mail-from alice@example.test --mail-rcpt bob@example.test -T "$T/mail.txt" \
		"smtp://127.0.0.1:$(port smtp)"
	postfix_wait_messages $((before + 2))
	grep -q 'sent with a bearer token' "$(postfix_messages | tail -n 1)"
	run auth_requests
	[[ "${lines[0]}" == *'\r\nAuth-Method: xoauth2\r\nAuth-User: alice\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-Method: oauthbearer\r\nAuth-User: alice\r\n'* ]]
}

@test "python imaplib authenticate('XOAUTH2') and ('OAUTHBEARER') select INBOX" {
	run python3 - "$(port imap)" "$ALICE" <<'PY'
import imaplib, sys
port, tok = int(sys.argv[1]), sys.argv[2]
for mech, msg in (("XOAUTH2", "user=alice\x01auth=Bearer %s\x01\x01" % tok),
                  ("OAUTHBEARER", "n,a=alice,\x01host=127.0.0.1\x01port=%d\x01auth=Bearer %s\x01\x01" % (port, tok))):
    m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    typ, _ = m.authenticate(mech, lambda _: msg.encode())
    typ2, data = m.select("INBOX")
    print(mech, typ, typ2, data[0].decode())
    m.logout()
PY
	[ "$status" = 0 ]
	[ "${lines[0]}" = 'XOAUTH2 OK OK 2' ]
	[ "${lines[1]}" = 'OAUTHBEARER OK OK 2' ]
}

@test "python smtplib auth('OAUTHBEARER') with the initial response, then a refused token" {
	run python3 - "$(port smtp)" "$ALICE" <<'PY'
import smtplib, sys
port, tok = int(sys.argv[1]), sys.argv[2]
msg = lambda t: lambda challenge=None: "n,a=alice,\x01auth=Bearer %s\x01\x01" % t
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("c")
print(s.auth("OAUTHBEARER", msg(tok), initial_response_ok=True))
s.quit()
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("c")
try:
    s.auth("OAUTHBEARER", msg("forged"), initial_response_ok=True)
except smtplib.SMTPAuthenticationError as e:
    print("refused", e.smtp_code, e.smtp_error.decode())
PY
	[ "$status" = 0 ]
	[ "${lines[0]}" = "(235, b'2.0.0 OK')" ]
	[ "${lines[1]}" = 'refused 535 5.7.0 Invalid login or password' ]
}

@test "OAUTHBEARER without an initial response: the empty challenge, then the message" {
	run wire "$(port imap)" '>a AUTHENTICATE OAUTHBEARER\r\n' '<+ \r\n' ">$(ob alice "$ALICE")\r\n" '<a OK' '<\r\n'
	[[ "$output" == "$IMAP_GREET"'+ \r\na OK [CAPABILITY '*'] Logged in\r\n' ]]
	run wire "$(port pop3)" '>AUTH XOAUTH2\r\n' '<+ \r\n' ">$(xo alice "$ALICE")\r\n" '<+OK' '<\r\n'
	[ "$output" = "$POP3_GREET"'+ \r\n+OK Logged in.\r\n' ]
	run wire "$(port smtp)" '>EHLO c\r\n' '<AUTH' '<\r\n' '>AUTH XOAUTH2\r\n' '<334 \r\n' \
		">$(xo alice "$ALICE")\r\n" '<235' '<\r\n'
	[[ "$output" == *'\r\n334 \r\n235 2.0.0 OK\r\n' ]]
}

@test "a refused token, IMAP: the Auth-Error-SASL challenge, the next line ignored, NO, close" {
	run wire "$(port imap)" ">a AUTHENTICATE XOAUTH2 $(xo alice forged)\r\n" "<+ $SASL_ERR\r\n" '>\r\n' .
	[ "$output" = "$IMAP_GREET+ $SASL_ERR"'\r\na NO Invalid login or password\r\n[EOF]' ]
	run auth_requests
	[[ "$output" == *'\r\nAuth-Method: xoauth2\r\nAuth-User: alice\r\nAuth-Pass: forged\r\n'* ]]
	# a token issued for another user
	run wire "$(port imap)" ">b AUTHENTICATE OAUTHBEARER $(ob bob "$ALICE")\r\n" "<+ $SASL_ERR\r\n" '>AQ==\r\n' .
	[ "$output" = "$IMAP_GREET+ $SASL_ERR"'\r\nb NO Invalid login or password\r\n[EOF]' ]
}

@test "a refused token with Auth-Wait: the challenge after the delay, NO, and the session goes on" {
	run wire -e "$(port imap)" ">a AUTHENTICATE XOAUTH2 $(xo waiter forged)\r\n" "<+ $SASL_ERR\r\n" '>AQ==\r\n' \
		'<a NO' '<\r\n' '>b NOOP\r\n' '<b OK completed\r\n' '>c LOGOUT\r\n' .
	[ "${lines[0]}" = "$IMAP_GREET+ $SASL_ERR"'\r\na NO Invalid login or password\r\nb OK completed\r\n* BYE\r\nc OK completed\r\n[EOF]' ]
	[[ "${lines[1]}" =~ ^elapsed=(1|2)\. ]]
}

@test "a refused token, POP3 and SMTP: the challenge with their prefixes, then -ERR and 535" {
	run wire "$(port pop3)" ">AUTH XOAUTH2 $(xo alice forged)\r\n" "<+ $SASL_ERR\r\n" '>AQ==\r\n' .
	[ "$output" = "$POP3_GREET+ $SASL_ERR"'\r\n-ERR Invalid login or password\r\n[EOF]' ]
	run wire "$(port smtp)" '>EHLO c\r\n' '<AUTH' '<\r\n' ">AUTH OAUTHBEARER $(ob alice forged)\r\n" \
		"<334 $SASL_ERR\r\n" '>*\r\n' .
	[ "$output" = "$SMTP_GREET"'250-mail.test\r\n250 AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n334 '"$SASL_ERR"'\r\n535 5.7.0 Invalid login or password\r\n[EOF]' ]
}

@test "after the challenge a malformed or over-long line gets the failure too, and the close" {
	run wire "$(port imap)" ">a AUTHENTICATE XOAUTH2 $(xo alice forged)\r\n" "<+ $SASL_ERR\r\n" '>x\ry\r\n' .
	[ "$output" = "$IMAP_GREET+ $SASL_ERR"'\r\na NO Invalid login or password\r\n[EOF]' ]
	run wire "$(port smtp)" ">AUTH XOAUTH2 $(xo alice forged)\r\n" "<334 $SASL_ERR\r\n" '>a\rb\r\n' .
	[ "$output" = "$SMTP_GREET"'334 '"$SASL_ERR"'\r\n535 5.7.0 Invalid login or password\r\n[EOF]' ]
	# exactly a full buffer, so that no unread byte turns the close into a reset
	run wire "$(port pop3)" ">AUTH XOAUTH2 $(xo alice forged)\r\n" "<+ $SASL_ERR\r\n" "!b'A' * 8192" .
	[ "$output" = "$POP3_GREET+ $SASL_ERR"'\r\n-ERR Invalid login or password\r\n[EOF]' ]
}

@test "an Auth-Error-SASL that is not base64 is dropped (logged): the plain failure reply" {
	run wire "$(port imap)" ">a AUTHENTICATE XOAUTH2 $(xo sasljunk forged)\r\n" .
	[ "$output" = "$IMAP_GREET"'a NO Invalid login or password\r\n[EOF]' ]
	grep -q 'auth http server 127.0.0.1:[0-9]*/auth sent invalid Auth-Error-SASL, ignored' "$(errlog)"
}

@test "malformed messages: invalid command, the reason logged, no auth request" {
	local m
	m=$(printf 'user=alice\001auth=Bearer %s\001' "$ALICE" | base64 -w0)
	run wire "$(port imap)" ">a AUTHENTICATE XOAUTH2 $m\r\n" '<a BAD invalid command\r\n' \
		">b AUTHENTICATE XOAUTH2 $(printf 'user=alice\001auth=Basic YTpi\001\001' | base64 -w0)\r\n" '<b BAD invalid command\r\n' \
		">c AUTHENTICATE OAUTHBEARER $(printf 'p=tls-unique,,\001auth=Bearer t\001\001' | base64 -w0)\r\n" '<c BAD invalid command\r\n' \
		'>d AUTHENTICATE OAUTHBEARER\r\n' '<+ \r\n' '>AQ==\r\n' '<d BAD invalid command\r\n'
	[ "$output" = "$IMAP_GREET"'a BAD invalid command\r\nb BAD invalid command\r\nc BAD invalid command\r\n+ \r\nd BAD invalid command\r\n' ]
	grep -q 'client sent invalid message in AUTH XOAUTH2 command' "$(errlog)"
	grep -q 'client sent invalid bearer token in AUTH XOAUTH2 command' "$(errlog)"
	grep -q 'client sent invalid message in AUTH OAUTHBEARER command' "$(errlog)"
	run wire "$(port pop3)" ">AUTH XOAUTH2 $m\r\n" '<-ERR invalid command\r\n'
	[ "$output" = "$POP3_GREET"'-ERR invalid command\r\n' ]
	run wire "$(port smtp)" ">AUTH XOAUTH2 $m\r\n" '<500 5.5.1 Invalid command\r\n'
	[ "$output" = "$SMTP_GREET"'500 5.5.1 Invalid command\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "a token longer than the old limits: 4 KB over POP3 (nginx's 128 bytes), 9 KB over IMAP" {
	local long
	long=$(token alice alicepass 4000)
	[ "${#long}" -gt 4000 ]
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$long" \
		"pop3://127.0.0.1:$(port pop3)/1" -o "$T/curl1.out"
	cmp "$T/curl1.out" "$(message_file 1)"
	long=$(token alice alicepass 9000)
	curl -sS --max-time 10 -u alice: --oauth2-bearer "$long" \
		"imap://127.0.0.1:$(port imapbig)/INBOX;MAILINDEX=2" -o "$T/curl2.out"
	cmp "$T/curl2.out" "$(message_file 2)"
	run auth_requests
	[[ "${lines[0]}" == *'\r\nAuth-Pass: '"$(token alice alicepass 4000)"'\r\nAuth-Protocol: pop3\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-Pass: '"$long"'\r\nAuth-Protocol: imap\r\n'* ]]
}

@test "a hostile over-long message: too long command, the protocol's error, close" {
	# each fills the buffer exactly, so that no unread byte turns the close into a reset
	run wire "$(port imap)" "!b'a AUTHENTICATE XOAUTH2 ' + b'A' * (4096 - 23)" .
	[ "$output" = "$IMAP_GREET"'a BAD invalid command\r\n[EOF]' ]
	# the AUTHENTICATE line stays in nginx's buffer during the exchange
	run wire "$(port imap)" '>b AUTHENTICATE OAUTHBEARER\r\n' '<+ \r\n' "!b'A' * (4096 - 28)" .
	[ "$output" = "$IMAP_GREET"'+ \r\nb BAD invalid command\r\n[EOF]' ]
	run wire "$(port pop3)" "!b'AUTH XOAUTH2 ' + b'A' * (8192 - 13)" .
	[ "$output" = "$POP3_GREET"'-ERR invalid command\r\n[EOF]' ]
	run wire "$(port smtp)" "!b'AUTH XOAUTH2 ' + b'A' * (4096 - 13)" .
	[ "$output" = "$SMTP_GREET"'500 5.5.1 Invalid command\r\n[EOF]' ]
	run grep -c 'client sent too long command' "$(errlog)"
	[ "$output" -ge 4 ]
	run auth_requests
	[ -z "$output" ]
}

@test "no Auth-Pass in the reply: the backend gets the client's user and token" {
	run wire "$(port imap)" ">a AUTHENTICATE XOAUTH2 $(xo passthru "$PASSTHRU_TOKEN")\r\n" '<a OK' '<\r\n'
	[[ "$output" == "$IMAP_GREET"'a OK [CAPABILITY '*'] Logged in\r\n' ]]
	grep -q "passthru" "$T/dovecot/dovecot.log"
}

@test "the token never reaches a log, with debug logging on" {
	local bad=tok-"$RANDOM$RANDOM"-bad
	run wire "$(port imapdebug)" ">a AUTHENTICATE XOAUTH2 $(xo alice "$ALICE")\r\n" '<a OK' '<\r\n'
	[[ "$output" == *'a OK [CAPABILITY '* ]]
	run wire "$(port imapdebug)" '>a AUTHENTICATE OAUTHBEARER\r\n' '<+ \r\n' ">$(ob alice "$ALICE")\r\n" '<a OK' '<\r\n'
	[[ "$output" == *'a OK [CAPABILITY '* ]]
	run wire "$(port imapdebug)" ">a AUTHENTICATE XOAUTH2 $(xo alice "$bad")\r\n" "<+ $SASL_ERR\r\n" '>AQ==\r\n' .
	[[ "$output" == *'a NO Invalid login or password\r\n[EOF]' ]]
	# pipelined before the greeting: the rejected line is logged without its response
	run wire "$(port smtpdebug)" ">AUTH XOAUTH2 $(xo alice "$bad")\r\nQUIT\r\n" .
	[ "$output" = '503 5.5.0 Improper use of SMTP command pipelining\r\n[EOF]' ]
	grep -q 'client was rejected before greeting: "AUTH XOAUTH2 (hidden)"' "$T/debug.log"
	# the debug lines are there ...
	grep -q 'auth http request: "Auth-Pass: (hidden)"' "$T/debug.log"
	grep -q 'imap SASL response (hidden)' "$T/debug.log"
	grep -q 'sent to upstream: .* bytes (hidden)' "$T/debug.log"
	# ... and no token, raw or in its base64 message, in any of mailproxy's logs
	local f s
	for f in "$T/debug.log" "$(errlog)" "$T"/mp/ssa-*.log; do
		for s in "$ALICE" "$bad" "$(xo alice "$ALICE")" "$(ob alice "$ALICE")" "$(xo alice "$bad")" \
			"${ALICE##*.}"; do
			if grep -qF -- "$s" "$f"; then
				echo "found in $f: $s" >&2
				return 1
			fi
		done
	done
}
