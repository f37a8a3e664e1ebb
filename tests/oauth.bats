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
	run wire "$(port imapplain)" ">a AUTHENTICATE XOAUTH2 $(xo alice "$ALICE")\r\n" '<\r\n' \
		'>b AUTHENTICATE OAUTHBEARER\r\n' '<\r\n'
	[ "$output" = "$IMAP_GREET"'a BAD invalid command\r\nb BAD invalid command\r\n' ]
	run wire "$(port pop3plain)" '>AUTH XOAUTH2\r\n' '<\r\n'
	[ "$output" = "$POP3_GREET"'-ERR invalid command\r\n' ]
	run wire "$(port smtpplain)" '>EHLO c\r\n' '<AUTH' '<\r\n' '>AUTH OAUTHBEARER\r\n' '<\r\n'
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
