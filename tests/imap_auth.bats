#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# imap_auth.bats - IMAP authentication through the proxy: LOGIN argument forms (atoms,
# quoted strings, literals), AUTHENTICATE PLAIN/LOGIN/CRAM-MD5/EXTERNAL, the exact auth_http
# requests, auth failures with and without Auth-Wait, and the auth server's overrides.
# Wire bytes: doc/wire.md#auth-request, #auth-outcome, #imap-grammar, #sasl,
# #imap-authenticate.

load lib/common

setup_file() {
	mp_init
	dovecot_start
	authserver_start
	mp_server main 'auth_http_header X-Test one;
		auth_http_header X-Other "two words";'
	mp_server cram 'imap_auth plain cram-md5;'
	mp_server ext 'imap_auth external;'
	proxy_start
}

teardown_file() { mp_cleanup; }
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

GREET='* OK IMAP4 ready\r\n'
# the tagged reply Dovecot gives to the proxy's LOGIN, relayed to the client
logged_in() { [[ "$output" == "$GREET$1"'a OK [CAPABILITY '*'] Logged in\r\n' ]]; }

@test "LOGIN: the exact auth_http request, with auth_http_header lines last" {
	run wire "$(port main)" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	logged_in ''
	run auth_requests
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\nX-Test: one\r\nX-Other: two words\r\n\r\n' ]
}

@test "LOGIN with quoted strings; space and % are escaped towards the auth server" {
	run wire "$(port cram)" '>a LOGIN "spacey" "pass word%1"\r\n' '<a OK' '<\r\n'
	logged_in ''
	run auth_requests
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: spacey\r\nAuth-Pass: pass%20word%251\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
}

@test "LOGIN: backslash escapes inside a quoted string" {
	run wire "$(port main)" '>a LOGIN "\\a\\lice" "alice\\pass"\r\n' '<a OK' '<\r\n'
	logged_in ''
	run auth_last_request
	[[ "$output" == *'\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\n'* ]]
}

@test "LOGIN with synchronising literals: + OK continuation for each" {
	run wire "$(port main)" '>a LOGIN {5}\r\n' '<+ OK\r\n' '>alice {9}\r\n' '<+ OK\r\n' '>alicepass\r\n' '<a OK' '<\r\n'
	logged_in '+ OK\r\n+ OK\r\n'
	run auth_last_request
	[[ "$output" == *'\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\n'* ]]
}

@test "LOGIN with a literal holding a space and a percent sign" {
	run wire "$(port main)" '>a LOGIN spacey {11}\r\n' '<+ OK\r\n' '>pass word%1\r\n' '<a OK' '<\r\n'
	logged_in '+ OK\r\n'
	run auth_last_request
	[[ "$output" == *'\r\nAuth-User: spacey\r\nAuth-Pass: pass%20word%251\r\n'* ]]
}

@test "LOGIN with non-synchronising literals {n+}: no continuation" {
	run wire "$(port main)" '>a LOGIN {5+}\r\nalice {9+}\r\nalicepass\r\n' '<a OK' '<\r\n'
	logged_in ''
}

@test "LOGIN with one argument or an empty user name is an invalid command" {
	run wire "$(port main)" '>a LOGIN alice\r\n' '<a BAD invalid command\r\n' \
		'>b LOGIN "" alicepass\r\n' '<b BAD invalid command\r\n' '>c NOOP\r\n' '<c OK completed\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb BAD invalid command\r\nc OK completed\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "wrong password without Auth-Wait: tagged NO with the auth server's text, then close" {
	run wire "$(port main)" '>a LOGIN alice wrong\r\n' .
	[ "$output" = "$GREET"'a NO Invalid login or password\r\n[EOF]' ]
}

@test "wrong password with Auth-Wait: delayed NO, the session continues, attempt 2 succeeds" {
	run wire -e "$(port main)" '>a LOGIN waiter wrong\r\n' '<a NO Invalid login or password\r\n' \
		'>b LOGIN waiter waiterpass\r\n' '<b OK' '<\r\n' '>c LOGOUT\r\n' .
	[[ "${lines[0]}" == "$GREET"'a NO Invalid login or password\r\nb OK [CAPABILITY '*'] Logged in\r\n* BYE Logging out\r\nc OK Logout completed'*'[EOF]' ]]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -ge 1 ]
	run auth_requests
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'\r\nAuth-User: waiter\r\nAuth-Pass: wrong\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-User: waiter\r\nAuth-Pass: waiterpass\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 2\r\n'* ]]
}

@test "commands pipelined behind a failed LOGIN with Auth-Wait are processed afterwards" {
	run wire "$(port main)" '>a LOGIN waiter wrong\r\nb NOOP\r\nc LOGOUT\r\n' .
	[ "$output" = "$GREET"'a NO Invalid login or password\r\nb OK completed\r\n* BYE\r\nc OK completed\r\n[EOF]' ]
}

@test "Auth-Status: WAIT repeats the request with the same attempt number" {
	run wire -e "$(port main)" '>a LOGIN statuswait statuswaitpass\r\n' '<a OK' '<\r\n' '>b LOGOUT\r\n' .
	[[ "${lines[0]}" == "$GREET"'a OK [CAPABILITY '*'] Logged in\r\n* BYE Logging out\r\nb OK Logout completed'*'[EOF]' ]]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -ge 1 ]
	run auth_requests
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[[ "${lines[1]}" == *'\r\nAuth-Login-Attempt: 1\r\n'* ]]
}

@test "Auth-User and Auth-Pass from the auth server replace the client's credentials" {
	run wire "$(port main)" '>a LOGIN authuser authuserpass\r\n' '<a OK' '<\r\n' '>b SELECT INBOX\r\n' '<b OK' '<\r\n'
	[[ "$output" == "$GREET"'a OK [CAPABILITY '*'] Logged in\r\n'*'* 2 EXISTS\r\n'*'b OK [READ-WRITE]'* ]]
}

@test "AUTHENTICATE PLAIN without initial response: empty challenge" {
	run wire "$(port main)" '>a AUTHENTICATE PLAIN\r\n' '<+ \r\n' '!b64("\0alice\0alicepass")+b"\r\n"' '<a OK' '<\r\n'
	logged_in '+ \r\n'
	run auth_last_request
	[[ "$output" == 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: imap\r\n'* ]]
}

@test "AUTHENTICATE PLAIN with initial response; the authzid is ignored" {
	run wire "$(port main)" '!b"a AUTHENTICATE PLAIN "+b64("bob\0alice\0alicepass")+b"\r\n"' '<a OK' '<\r\n'
	logged_in ''
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\n'* ]]
}

@test "AUTHENTICATE PLAIN: bad base64, missing NUL, cancel are invalid; session continues" {
	run wire "$(port main)" '>a AUTHENTICATE PLAIN !!!!\r\n' '<a BAD invalid command\r\n' \
		'!b"b AUTHENTICATE PLAIN "+b64("alicealicepass")+b"\r\n"' '<b BAD invalid command\r\n' \
		'>c AUTHENTICATE PLAIN\r\n' '<+ \r\n' '>*\r\n' '<c BAD invalid command\r\n' \
		'>d NOOP\r\n' '<d OK completed\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb BAD invalid command\r\n+ \r\nc BAD invalid command\r\nd OK completed\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "AUTHENTICATE LOGIN: username and password prompts; reported as plain" {
	run wire "$(port main)" '>a AUTHENTICATE LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '!b64("alice")+b"\r\n"' \
		'<+ UGFzc3dvcmQ6\r\n' '!b64("alicepass")+b"\r\n"' '<a OK' '<\r\n'
	logged_in '+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n'
	run auth_last_request
	[[ "$output" == *'\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\n'* ]]
}

@test "AUTHENTICATE LOGIN with the user name as initial response: only the password prompt" {
	run wire "$(port main)" '!b"a AUTHENTICATE LOGIN "+b64("alice")+b"\r\n"' '<+ UGFzc3dvcmQ6\r\n' \
		'!b64("alicepass")+b"\r\n"' '<a OK' '<\r\n'
	logged_in '+ UGFzc3dvcmQ6\r\n'
}

@test "AUTHENTICATE LOGIN: invalid base64 user name gets BAD without any tag" {
	run wire "$(port main)" '>a AUTHENTICATE LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '>#\r\n' '<invalid command\r\n'
	[ "$output" = "$GREET"'+ VXNlcm5hbWU6\r\nBAD invalid command\r\n' ]
}

@test "AUTHENTICATE without mechanism, unknown mechanism, CRAM-MD5 and EXTERNAL not enabled" {
	run wire "$(port main)" '>a AUTHENTICATE\r\n' '<a BAD invalid command\r\n' \
		'>b AUTHENTICATE DIGEST-MD5\r\n' '<b BAD invalid command\r\n' \
		'>c AUTHENTICATE CRAM-MD5\r\n' '<c BAD invalid command\r\n' \
		'>d AUTHENTICATE EXTERNAL\r\n' '<d BAD invalid command\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb BAD invalid command\r\nc BAD invalid command\r\nd BAD invalid command\r\n' ]
}

@test "AUTHENTICATE CRAM-MD5: salt challenge, HMAC-MD5 response, Auth-Salt and Auth-Pass" {
	run wire "$(port cram)" '>a AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '!cram("alice", "alicepass")' '<a OK' '<\r\n'
	[[ "$output" =~ ^'* OK IMAP4 ready\r\n+ '([A-Za-z0-9+/]+=*)'\r\na OK [CAPABILITY '.*'] Logged in\r\n'$ ]]
	salt=$(printf '%s' "${BASH_REMATCH[1]}" | base64 -d)
	[[ "$salt" =~ ^\<[0-9]+\.[0-9]+@mail\.test\>$ ]]
	digest=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"alicepass", sys.argv[1].encode(), hashlib.md5).hexdigest())' "$salt")
	run auth_last_request
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: cram-md5\r\nAuth-User: alice\r\nAuth-Pass: '"$digest"'\r\nAuth-Salt: '"$salt"'\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
}

@test "AUTHENTICATE CRAM-MD5 cancelled: the next exchange gets a fresh salt, and only it counts" {
	skip_on_nginx "deliberate difference: nginx reuses the salt of an abandoned exchange"
	run wire "$(port cram)" '>a AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '>*\r\n' '<a BAD' '<\r\n' \
		'>b AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '!cram("alice", "alicepass")' '<b OK' '<\r\n'
	[[ "$output" =~ ^'* OK IMAP4 ready\r\n+ '([A-Za-z0-9+/]+=*)'\r\na BAD invalid command\r\n+ '([A-Za-z0-9+/]+=*)'\r\nb OK ' ]]
	first=$(printf '%s' "${BASH_REMATCH[1]}" | base64 -d)
	second=$(printf '%s' "${BASH_REMATCH[2]}" | base64 -d)
	[ "$first" != "$second" ]
	run auth_requests
	[[ "$output" == *'\r\nAuth-Salt: '"$second"'\r\n'* ]]
	[[ "$output" != *"$first"* ]]
}

@test "AUTHENTICATE CRAM-MD5 with a wrong password: NO and close" {
	run wire "$(port cram)" '>a AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '!cram("alice", "nope")' .
	[[ "$output" =~ ^'* OK IMAP4 ready\r\n+ '[A-Za-z0-9+/]+=*'\r\na NO Invalid login or password\r\n[EOF]'$ ]]
}

@test "AUTHENTICATE CRAM-MD5: initial response and a malformed response are invalid" {
	run wire "$(port cram)" '>a AUTHENTICATE CRAM-MD5 YWxpY2U=\r\n' '<a BAD invalid command\r\n' \
		'>b AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '!b64("alice 0123")+b"\r\n"' '<b BAD invalid command\r\n'
	[[ "$output" =~ ^'* OK IMAP4 ready\r\na BAD invalid command\r\n+ '[A-Za-z0-9+/]+=*'\r\nb BAD invalid command\r\n'$ ]]
}

@test "AUTHENTICATE EXTERNAL: identity prompt, Auth-Pass from the auth server" {
	run wire "$(port ext)" '>a AUTHENTICATE EXTERNAL\r\n' '<+ VXNlcm5hbWU6\r\n' '!b64("alice")+b"\r\n"' '<a OK' '<\r\n'
	logged_in '+ VXNlcm5hbWU6\r\n'
	run auth_last_request
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: external\r\nAuth-User: alice\r\nAuth-Pass: \r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
}

@test "AUTHENTICATE EXTERNAL with initial response" {
	run wire "$(port ext)" '!b"a AUTHENTICATE EXTERNAL "+b64("alice")+b"\r\n"' '<a OK' '<\r\n'
	logged_in ''
}

@test "AUTHENTICATE EXTERNAL: no Auth-Pass from the auth server is an internal error" {
	run wire "$(port ext)" '!b"a AUTHENTICATE EXTERNAL "+b64("nopass")+b"\r\n"' .
	[ "$output" = "$GREET"'* BAD internal server error\r\n[EOF]' ]
	grep -q 'did not send password' "$(errlog)"
}

@test "CAPABILITY of the cram and ext servers" {
	run wire "$(port cram)" '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = "$GREET"'* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=CRAM-MD5\r\na OK completed\r\n' ]
	run wire "$(port ext)" '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = "$GREET"'* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=EXTERNAL\r\na OK completed\r\n' ]
}

@test "error_log: logins are logged, passwords never are" {
	log=$(errlog)
	[ -s "$log" ]
	grep -q 'client login failed' "$log"
	grep -q 'client logged in' "$log"
	! grep -nE 'alicepass|waiterpass|pass word|pass%20word|authuserpass|statuswaitpass|YWxpY2VwYXNz' "$log"
}
