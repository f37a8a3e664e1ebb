#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pop3.bats - POP3 through the proxy: greeting (with the APOP salt), CAPA in its three
# variants, AUTH listing, USER/PASS, APOP, AUTH PLAIN/LOGIN/CRAM-MD5/EXTERNAL, parser
# errors, starttls only refusals, max_errors, the 128-byte command buffer, timeouts, auth
# failures with and without Auth-Wait, pipelining, and logging in to Dovecot with poplib
# and curl.  Wire bytes: doc/wire.md#auth-outcome, #front-end, #pop3,
# #pop3-backend-login, #tls.

load lib/common
load lib/pop3

setup_file() {
	mp_init
	pop3_conf
	pop3_cert
	dovecot_start
	authserver_start
	mp_server main ''
	mp_server all 'pop3_auth plain apop cram-md5 external;'
	mp_server ext 'pop3_auth plain external;'
	mp_server apoponly 'pop3_auth apop; pop3_capabilities TOP UIDL RESP-CODES PIPELINING;'
	mp_server stls "starttls on; ssl_certificate $T/pop3.crt; ssl_certificate_key $T/pop3.key;"
	mp_server stlsonly "starttls only; ssl_certificate $T/pop3.crt; ssl_certificate_key $T/pop3.key;
		max_errors 2; pop3_capabilities TOP user UIDL;"
	mp_server maxerr 'max_errors 2;'
	mp_server tmo 'timeout 1s;'
	mp_server passerr 'proxy_pass_error_message on;'
	proxy_start
}

teardown_file() { mp_cleanup; }
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

GREET='+OK POP3 ready\r\n'
INV='-ERR invalid command\r\n'
IERR='-ERR internal server error\r\n[EOF]'
CAPA_HEAD='+OK Capability list follows\r\n'
# the salt in the greeting of a server with apop or cram-md5
SALT_RE='^\+OK POP3 ready (<[0-9]+\.[0-9]+@mail\.test>)\\r\\n'
# the APOP command for alice, computed from the greeting
APOP='!b"APOP alice " + hashlib.md5(got[got.index(b"<"):got.index(b">") + 1] + b"alicepass").hexdigest().encode() + b"\r\n"'

@test "greeting, fd 3 (LISTEN_FDS) style" {
	run wire "$(port main)" '<\r\n'
	[ "$output" = "$GREET" ]
}

@test "greeting, inetd style" {
	run wire "$(port main mp inetd)" '<\r\n'
	[ "$output" = "$GREET" ]
}

@test "greeting carries the salt when apop or cram-md5 is enabled, a new one each time" {
	run wire "$(port all)" '<\r\n'
	[[ "$output" =~ $SALT_RE ]]
	first=${BASH_REMATCH[1]}
	run wire "$(port apoponly)" '<\r\n'
	[[ "$output" =~ $SALT_RE ]]
	[ "${BASH_REMATCH[1]}" != "$first" ]
}

@test "CAPA, default configuration" {
	run wire "$(port main)" '>CAPA\r\n' '<.\r\n'
	[ "$output" = "$GREET$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n' ]
}

@test "CAPA lists the SASL methods in nginx's order" {
	run wire "$(port all)" '>capa\r\n' '<.\r\n'
	[[ "$output" == *"\\r\\n$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n.\r\n' ]]
}

@test "CAPA with pop3_capabilities and no SASL method: a bare SASL line" {
	run wire "$(port apoponly)" '>CAPA\r\n' '<.\r\n'
	[[ "$output" == *"\\r\\n$CAPA_HEAD"'TOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nSASL\r\n.\r\n' ]]
}

@test "CAPA with starttls on adds STLS" {
	run wire "$(port stls)" '>CAPA\r\n' '<.\r\n'
	[ "$output" = "$GREET$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\nSTLS\r\n.\r\n' ]
}

@test "CAPA with starttls only: no USER (any case), no SASL, STLS" {
	run wire "$(port stlsonly)" '>CAPA\r\n' '<.\r\n'
	[ "$output" = "$GREET$CAPA_HEAD"'TOP\r\nUIDL\r\nSTLS\r\n.\r\n' ]
}

@test "CAPA after USER is the plain list, without STLS" {
	run wire "$(port stls)" '>USER alice\r\n' '<+OK\r\n' '>CAPA\r\n' '<.\r\n'
	[ "$output" = "$GREET"'+OK\r\n'"$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n' ]
}

@test "AUTH without a mechanism lists the enabled methods" {
	run wire "$(port main)" '>AUTH\r\n' '<.\r\n'
	[ "$output" = "$GREET"'+OK methods supported:\r\nPLAIN\r\nLOGIN\r\n.\r\n' ]
	run wire "$(port all)" '>AUTH\r\n' '<.\r\n'
	[[ "$output" == *'\r\n+OK methods supported:\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\nEXTERNAL\r\n.\r\n' ]]
	run wire "$(port apoponly)" '>AUTH\r\n' '<.\r\n'
	[[ "$output" == *'\r\n+OK methods supported:\r\n.\r\n' ]]
}

@test "NOOP and QUIT" {
	run wire "$(port main)" '>NOOP\r\n' '<+OK\r\n' '>noop x y\r\n' '<+OK\r\n' '>QUIT\r\n' .
	[ "$output" = "$GREET"'+OK\r\n+OK\r\n+OK\r\n[EOF]' ]
}

@test "QUIT in the user state" {
	run wire "$(port main)" '>USER alice\r\n' '<+OK\r\n' '>NOOP\r\n' '<+OK\r\n' '>Quit\r\n' .
	[ "$output" = "$GREET"'+OK\r\n+OK\r\n+OK\r\n[EOF]' ]
}

@test "transaction-state and unknown commands are invalid, the session goes on" {
	run wire "$(port main)" '>STAT\r\n' "<$INV" '>RETR 1\r\n' "<$INV" '>USERS alice\r\n' "<$INV" \
		'>\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET$INV$INV$INV$INV"'+OK\r\n' ]
}

@test "STLS without starttls is an invalid command" {
	run wire "$(port main)" '>STLS\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET$INV"'+OK\r\n' ]
}

@test "STLS: +OK, bytes behind it dropped, handshake, no new greeting, TLS capabilities" {
	run stls_session "$(port stls)" 'STLS\r\nCAPA\r\n' 'CAPA\r\n' 'USER alice\r\n' 'PASS alicepass\r\n' 'QUIT\r\n'
	[ "$output" = "$GREET"'+OK\r\n|TLS|'"$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n+OK\r\n+OK Logged in.\r\n+OK Logging out.\r\n' ]
	grep -q 'Auth-SSL: on' "$T/auth.log"
}

@test "starttls only: after STLS, USER and AUTH are allowed, STLS is not" {
	run stls_session "$(port stlsonly)" 'STLS\r\n' 'CAPA\r\n' 'AUTH\r\n' 'STLS\r\n' 'USER alice\r\n' 'PASS alicepass\r\n' 'QUIT\r\n'
	[ "$output" = "$GREET"'+OK\r\n|TLS|'"$CAPA_HEAD"'TOP\r\nuser\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n+OK methods supported:\r\nPLAIN\r\nLOGIN\r\n.\r\n'"$INV"'+OK\r\n+OK Logged in.\r\n+OK Logging out.\r\n' ]
}

@test "PASS before USER, USER without or with two words of argument" {
	run wire "$(port main)" '>PASS alicepass\r\n' "<$INV" '>USER\r\n' "<$INV" '>USER  \r\n' "<$INV"
	[ "$output" = "$GREET$INV$INV$INV" ]
	run auth_requests
	[ -z "$output" ]
}

@test "any other command after USER is invalid and USER must be repeated" {
	run wire "$(port main)" '>USER alice\r\n' '<+OK\r\n' '>STAT\r\n' "<$INV" '>PASS alicepass\r\n' "<$INV" \
		'>USER alice\r\n' '<+OK\r\n' '>USER bob\r\n' "<$INV"
	[ "$output" = "$GREET"'+OK\r\n'"$INV$INV"'+OK\r\n'"$INV" ]
	run auth_requests
	[ -z "$output" ]
}

@test "CR not followed by LF is an invalid line" {
	run wire "$(port main)" '>NOOP\rx\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET$INV"'+OK\r\n' ]
}

@test "USER/PASS: the backend's reply to PASS reaches the client verbatim" {
	run wire "$(port main)" '>USER alice\r\n' '<+OK\r\n' '>PASS alicepass\r\n' '<\r\n' '>QUIT\r\n' .
	[ "$output" = "$GREET"'+OK\r\n+OK Logged in.\r\n+OK Logging out.\r\n[EOF]' ]
	run auth_last_request
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: pop3\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
}

@test "USER and PASS arguments keep their spaces" {
	run wire "$(port main)" '>USER spacey\r\n' '<+OK\r\n' '>PASS pass word%1\r\n' '<\r\n'
	[ "$output" = "$GREET"'+OK\r\n+OK Logged in.\r\n' ]
	run auth_last_request
	[[ "$output" == *'\r\nAuth-User: spacey\r\nAuth-Pass: pass%20word%251\r\n'* ]]
	run wire "$(port main)" '>USER alice \r\n' '<+OK\r\n' '>PASS alicepass\r\n' .
	[ "$output" = "$GREET"'+OK\r\n-ERR Invalid login or password\r\n[EOF]' ]
	run auth_last_request
	[[ "$output" == *'\r\nAuth-User: alice%20\r\n'* ]]
}

@test "poplib: USER/PASS, then RETR returns the stored message byte for byte" {
	run fetch_poplib "$(port main)" 1
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$(message_file 1)")" ]
	fetch_poplib "$(port main mp inetd)" 2 | cmp - "$(message_file 2)"
}

@test "raw RETR through the relay" {
	size=$(stat -c %s "$(message_file 1)")
	run wire "$(port main)" '>USER alice\r\n' '<+OK\r\n' '>PASS alicepass\r\n' '<\r\n' '>RETR 1\r\n' '<\r\n.\r\n'
	[[ "$output" == "$GREET"'+OK\r\n+OK Logged in.\r\n+OK '"$size"' octets\r\nFrom: Bob'*'It has two lines.\r\n.\r\n' ]]
}

@test "poplib: APOP with the salt of the greeting" {
	fetch_poplib "$(port all)" 1 apop | cmp - "$(message_file 1)"
	run auth_last_request
	[[ "$output" =~ ^'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: apop\r\nAuth-User: alice\r\nAuth-Pass: '[0-9a-f]{32}'\r\nAuth-Salt: <'[0-9]+\.[0-9]+'@mail.test>\r\nAuth-Protocol: pop3\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n'$ ]]
}

@test "APOP on the wire: digest checked by the auth server, PASS reply forwarded" {
	run wire "$(port all)" '<\r\n' "$APOP" '<\r\n'
	[[ "$output" =~ $SALT_RE'+OK Logged in.\r\n'$ ]]
	salt=$(echo "$output" | grep -o '<[^>]*>')
	run auth_last_request
	[[ "$output" == *"Auth-Pass: $(apop_digest "$salt" alicepass)\\r\\nAuth-Salt: $salt\\r\\nAuth-Protocol: pop3\\r\\n"* ]]
}

@test "APOP needs apop enabled and exactly two arguments" {
	run wire "$(port main)" '>APOP alice 0123456789abcdef0123456789abcdef\r\n' "<$INV"
	[ "$output" = "$GREET$INV" ]
	run wire "$(port all)" '<\r\n' '>APOP alice\r\n' "<$INV" '>APOP alice b c\r\n' "<$INV"
	[[ "$output" == *'\r\n'"$INV$INV" ]]
	run auth_requests
	[ -z "$output" ]
}

@test "APOP with a wrong digest: -ERR with the auth server's text, then close" {
	run wire "$(port all)" '>APOP alice 0123456789abcdef0123456789abcdef\r\n' .
	[[ "$output" == *'\r\n-ERR Invalid login or password\r\n[EOF]' ]]
}

@test "APOP and no Auth-Pass from the auth server: internal error" {
	run wire "$(port all)" '<\r\n' '!b"APOP nopass " + hashlib.md5(got[got.index(b"<"):got.index(b">") + 1] + b"nopasspass").hexdigest().encode() + b"\r\n"' .
	[[ "$output" == *'\r\n'"$IERR" ]]
	grep -q 'did not send password' "$(errlog)"
}

@test "AUTH PLAIN with an initial response" {
	ir=$(printf '\0alice\0alicepass' | base64)
	run wire "$(port main)" ">AUTH PLAIN $ir\\r\\n" '<\r\n'
	[ "$output" = "$GREET"'+OK Logged in.\r\n' ]
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: pop3\r\n'* ]]
}

@test "AUTH PLAIN after the empty challenge" {
	ir=$(printf 'authz\0alice\0alicepass' | base64)
	run wire "$(port main)" '>auth plain\r\n' '<+ \r\n' ">$ir\\r\\n" '<\r\n'
	[ "$output" = "$GREET"'+ \r\n+OK Logged in.\r\n' ]
}

@test "AUTH LOGIN, with and without the user name on the AUTH line" {
	run wire "$(port main)" '>AUTH LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '>YWxpY2U=\r\n' '<+ UGFzc3dvcmQ6\r\n' \
		'>YWxpY2VwYXNz\r\n' '<\r\n'
	[ "$output" = "$GREET"'+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n+OK Logged in.\r\n' ]
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\n'* ]]
	run wire "$(port main)" '>AUTH LOGIN YWxpY2U=\r\n' '<+ UGFzc3dvcmQ6\r\n' '>YWxpY2VwYXNz\r\n' '<\r\n'
	[ "$output" = "$GREET"'+ UGFzc3dvcmQ6\r\n+OK Logged in.\r\n' ]
}

@test "AUTH CRAM-MD5: challenge is the greeting's salt, digest checked by the auth server" {
	run wire "$(port all)" '<\r\n' '>AUTH CRAM-MD5\r\n' '<\r\n' '!cram("alice", "alicepass")' '<\r\n'
	[[ "$output" =~ $SALT_RE ]]
	salt=${BASH_REMATCH[1]}
	chal=$(printf '%s' "$salt" | base64 -w0)
	[[ "$output" == *'\r\n+ '"$chal"'\r\n+OK Logged in.\r\n' ]]
	run auth_last_request
	[[ "$output" =~ 'Auth-Method: cram-md5\r\nAuth-User: alice\r\nAuth-Pass: '[0-9a-f]{32}'\r\nAuth-Salt: '"$salt"'\r\nAuth-Protocol: pop3\r\n' ]]
}

@test "AUTH EXTERNAL, with and without the initial response" {
	run wire "$(port ext)" '>AUTH EXTERNAL YWxpY2U=\r\n' '<\r\n'
	[ "$output" = "$GREET"'+OK Logged in.\r\n' ]
	run auth_last_request
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: external\r\nAuth-User: alice\r\nAuth-Pass: \r\nAuth-Protocol: pop3\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
	run wire "$(port ext)" '>AUTH EXTERNAL\r\n' '<+ VXNlcm5hbWU6\r\n' '>YWxpY2U=\r\n' '<\r\n'
	[ "$output" = "$GREET"'+ VXNlcm5hbWU6\r\n+OK Logged in.\r\n' ]
}

@test "Auth-Salt only with APOP and CRAM-MD5, though the greeting made a salt" {
	skip_on_nginx "sends Auth-Salt with every method but plain"
	run wire "$(port all)" '<\r\n' '>AUTH EXTERNAL YWxpY2U=\r\n' '<\r\n'
	[[ "$output" == *'\r\n+OK Logged in.\r\n' ]]
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Pass: \r\nAuth-Protocol: pop3\r\n'* ]]
	run wire "$(port all)" '<\r\n' '>AUTH LOGIN YWxpY2U=\r\n' '<+ UGFzc3dvcmQ6\r\n' '>YWxpY2VwYXNz\r\n' '<\r\n'
	[[ "$output" == *'\r\n+OK Logged in.\r\n' ]]
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Pass: alicepass\r\nAuth-Protocol: pop3\r\n'* ]]
}

@test "AUTH CRAM-MD5 and EXTERNAL need to be enabled; unknown mechanisms are invalid" {
	run wire "$(port main)" '>AUTH CRAM-MD5\r\n' "<$INV" '>AUTH EXTERNAL\r\n' "<$INV" \
		'>AUTH DIGEST-MD5\r\n' "<$INV" '>AUTH PLAIN a b\r\n' "<$INV" \
		'>AUTH LOGIN a b\r\n' "<$INV" '>AUTH CRAM-MD5 x\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET$INV$INV$INV$INV$INV$INV"'+OK\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "AUTH EXTERNAL with an initial response needs external enabled too" {
	skip_on_nginx "accepts AUTH EXTERNAL with an initial response when external is not enabled"
	run wire "$(port main)" '>AUTH EXTERNAL YWxpY2U=\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET$INV"'+OK\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "bad SASL responses end the exchange" {
	run wire "$(port main)" '>AUTH PLAIN\r\n' '<+ \r\n' '>*\r\n' "<$INV" '>AUTH PLAIN\r\n' '<+ \r\n' \
		'>YWxpY2U=\r\n' "<$INV" '>AUTH LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '>!!!\r\n' "<$INV" \
		'>YWxpY2U=\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET"'+ \r\n'"$INV"'+ \r\n'"$INV"'+ VXNlcm5hbWU6\r\n'"$INV$INV"'+OK\r\n' ]
	grep -q 'client sent invalid base64 encoding in AUTH PLAIN command' "$(errlog)"
	grep -q 'client sent invalid login in AUTH PLAIN command\|client sent invalid password in AUTH PLAIN command' "$(errlog)"
}

@test "curl pop3://: SASL login and RETR" {
	curl -s --max-time 10 "pop3://127.0.0.1:$(port main)/1" -u alice:alicepass | cmp - "$(message_file 1)"
	curl -s --max-time 10 "pop3://127.0.0.1:$(port main)/2" -u alice:alicepass --login-options AUTH=LOGIN |
		cmp - "$(message_file 2)"
	curl -s --max-time 10 "pop3://127.0.0.1:$(port main)/1" -u alice:alicepass --login-options AUTH=PLAIN |
		cmp - "$(message_file 1)"
}

@test "curl pop3://: APOP and CRAM-MD5" {
	curl -s --max-time 10 "pop3://127.0.0.1:$(port all)/1" -u alice:alicepass --login-options 'AUTH=+APOP' |
		cmp - "$(message_file 1)"
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Method: apop\r\n'* ]]
	curl -s --max-time 10 "pop3://127.0.0.1:$(port all)/2" -u alice:alicepass --login-options AUTH=CRAM-MD5 |
		cmp - "$(message_file 2)"
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Method: cram-md5\r\n'* ]]
}

@test "curl pop3://: message list through the relay" {
	run curl -s --max-time 10 "pop3://127.0.0.1:$(port main)/" -u alice:alicepass
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == '1 '* ]]
	[[ "${lines[1]}" == '2 '* ]]
}

@test "wrong password without Auth-Wait: -ERR with the auth server's text, then close" {
	run wire "$(port main)" '>USER alice\r\n' '<+OK\r\n' '>PASS wrong\r\n' .
	[ "$output" = "$GREET"'+OK\r\n-ERR Invalid login or password\r\n[EOF]' ]
	grep -q 'client login failed: "Invalid login or password"' "$(errlog)"
}

@test "wrong password with Auth-Wait: delayed -ERR, back to the start state, attempt 2 succeeds" {
	run wire -e "$(port main)" '>USER waiter\r\n' '<+OK\r\n' '>PASS wrong\r\n' '<-ERR Invalid login or password\r\n' \
		'>PASS waiterpass\r\n' "<$INV" '>USER waiter\r\nPASS waiterpass\r\n' '<+OK Logged in.\r\n' '>QUIT\r\n' .
	[ "${lines[0]}" = "$GREET"'+OK\r\n-ERR Invalid login or password\r\n'"$INV"'+OK\r\n+OK Logged in.\r\n+OK Logging out.\r\n[EOF]' ]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -ge 1 ]
	run auth_requests
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'\r\nAuth-User: waiter\r\nAuth-Pass: wrong\r\nAuth-Protocol: pop3\r\nAuth-Login-Attempt: 1\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-User: waiter\r\nAuth-Pass: waiterpass\r\nAuth-Protocol: pop3\r\nAuth-Login-Attempt: 2\r\n'* ]]
}

@test "commands pipelined behind a failed PASS with Auth-Wait are processed afterwards" {
	run wire "$(port main)" '>USER waiter\r\nPASS wrong\r\nNOOP\r\nCAPA\r\nQUIT\r\n' .
	[ "$output" = "$GREET"'+OK\r\n-ERR Invalid login or password\r\n+OK\r\n'"$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n+OK\r\n[EOF]' ]
}

@test "pipelining: commands before and after the login, in one segment" {
	run wire "$(port main)" '>CAPA\r\nNOOP\r\nUSER alice\r\nPASS alicepass\r\nSTAT\r\nQUIT\r\n' .
	[[ "$output" == "$GREET$CAPA_HEAD"'TOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n+OK\r\n+OK\r\n+OK Logged in.\r\n+OK 2 '[0-9]*'\r\n+OK Logging out.\r\n[EOF]' ]]
}

@test "Auth-Status: WAIT repeats the request with the same attempt number" {
	run wire "$(port main)" '>USER statuswait\r\nPASS statuswaitpass\r\n' '<+OK Logged in.\r\n'
	[ "$output" = "$GREET"'+OK\r\n+OK Logged in.\r\n' ]
	run auth_requests
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
}

@test "Auth-User and Auth-Pass from the auth server replace the client's credentials" {
	run wire "$(port main)" '>USER authuser\r\nPASS authuserpass\r\n' '<+OK Logged in.\r\n' '>STAT\r\n' '<\r\n'
	[[ "$output" == "$GREET"'+OK\r\n+OK Logged in.\r\n+OK 2 '* ]]
}

@test "auth server without Auth-Server: internal error" {
	run wire "$(port main)" '>USER noserver\r\nPASS noserverpass\r\n' .
	[ "$output" = "$GREET"'+OK\r\n'"$IERR" ]
}

@test "backend not listening: internal error" {
	run wire "$(port main)" '>USER deadbackend\r\nPASS deadbackendpass\r\n' .
	[ "$output" = "$GREET"'+OK\r\n'"$IERR" ]
}

@test "backend refuses the login: internal error" {
	run wire "$(port main)" '>USER ghost\r\nPASS ghostpass\r\n' .
	[ "$output" = "$GREET"'+OK\r\n'"$IERR" ]
	grep -q 'upstream sent invalid response' "$(errlog)"
}

@test "backend refuses the login, proxy_pass_error_message on: the backend's reply" {
	run wire "$(port passerr)" '>USER ghost\r\nPASS ghostpass\r\n' .
	[[ "$output" == "$GREET"'+OK\r\n-ERR '*'\r\n[EOF]' ]]
}

@test "starttls only: USER, APOP and AUTH are refused, not counted in max_errors" {
	run wire "$(port stlsonly)" '>USER alice\r\n' "<$INV" '>AUTH\r\n' "<$INV" '>AUTH PLAIN\r\n' "<$INV" \
		'>APOP alice x\r\n' "<$INV" '>PASS alicepass\r\n' "<$INV" '>NOOP\r\n' '<+OK\r\n' '>QUIT\r\n' .
	[ "$output" = "$GREET$INV$INV$INV$INV$INV"'+OK\r\n+OK\r\n[EOF]' ]
	run auth_requests
	[ -z "$output" ]
}

@test "max_errors 2: two -ERR replies, then the connection is closed" {
	run wire "$(port maxerr)" '>STAT\r\nLIST\r\nNOOP\r\n' .
	[ "$output" = "$GREET$INV$INV[EOF]" ]
	grep -q 'client sent too many invalid commands' "$(errlog)"
}

@test "max_errors counts only parser errors, not bad arguments" {
	run wire "$(port maxerr)" '>USER\r\nPASS x\r\nAPOP a\r\nAUTH FOO\r\nSTLS\r\nNOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET$INV$INV$INV$INV$INV"'+OK\r\n' ]
}

@test "max_errors defaults to 5" {
	run wire "$(port main)" '>A\r\nB\r\nC\r\nD\r\nE\r\nNOOP\r\n' .
	[ "$output" = "$GREET$INV$INV$INV$INV$INV[EOF]" ]
}

@test "a line of 128 bytes fits the command buffer" {
	u=$(printf 'u%.0s' {1..121})
	run wire "$(port main)" ">USER $u\\r\\n" '<+OK\r\n' '>NOOP\r\n' '<+OK\r\n'
	[ "$output" = "$GREET"'+OK\r\n+OK\r\n' ]
}

@test "a line longer than 128 bytes: -ERR invalid command and close" {
	u=$(printf 'u%.0s' {1..122})
	run wire "$(port main)" ">USER $u\\r\\n" .
	[ "$output" = "$GREET$INV[EOF]" ]
	grep -q 'client sent too long command' "$(errlog)"
}

@test "an overlong invalid line also closes the connection" {
	u=$(printf 'x%.0s' {1..200})
	run wire "$(port main)" ">XXXX $u\\r\\nNOOP\\r\\n" .
	[ "$output" = "$GREET$INV[EOF]" ]
}

@test "timeout: a silent client is disconnected without a reply" {
	run wire -e "$(port tmo)" .
	[ "${lines[0]}" = "$GREET[EOF]" ]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -ge 1 ]
	[ "${elapsed%.*}" -lt 3 ]
	grep -q 'client timed out' "$(errlog)"
}

@test "timeout bounds the whole pre-auth dialogue, not each command" {
	run wire -e "$(port tmo)" '~0.6' '>NOOP\r\n' '<+OK\r\n' '~0.6' '>NOOP\r\n' .
	[[ "${lines[0]}" == "$GREET"'+OK\r\n'*'[EOF]' ]]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -lt 2 ]
}

@test "error_log: no password of this suite's logins" {
	log=$(errlog)
	[ -s "$log" ]
	! grep -nE 'alicepass|waiterpass|pass word|pass%20word|authuserpass|statuswaitpass|YWxpY2VwYXNz' "$log"
}
