#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# imap_errors.bats - IMAP error paths: the auth server down, slow, or answering garbage;
# backends down or refusing; overlong lines; the pre-auth timeout; max_errors; literal edge
# cases.  Wire bytes and log texts: doc/wire.md#auth-outcome, #auth-transport, #too-long,
# #max-errors, #timers, #internal-error, #imap-literals, #logging.

load lib/common

setup_file() {
	mp_init
	dovecot_start
	authserver_start
	# a second auth server on a unix socket (auth_http unix:..., Host: localhost)
	python3 "$MP_TESTS/authserver.py" --listen "unix:$T/auth.sock" --users "$T/users" \
		--backend "127.0.0.1:$DOVECOT_IMAP" --log "$T/auth-unix.log" \
		>"$T/authserver-unix.stderr" 2>&1 </dev/null 3>&- &
	track $!
	mp_server main ''
	mp_server authdown "auth_http 127.0.0.1:$CLOSEDPORT/auth;"
	mp_server authslow 'auth_http_timeout 1s;'
	mp_server authunix "auth_http unix:$T/auth.sock:/mail/auth?x=1;"
	mp_server passerr 'proxy_pass_error_message on;'
	mp_server smallbuf 'imap_client_buffer 1k;'
	mp_server tmo 'timeout 1s;'
	mp_server maxerr 'max_errors 2;'
	proxy_start
}

teardown_file() { mp_cleanup; }
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

GREET='* OK IMAP4 ready\r\n'
IERR='* BAD internal server error\r\n[EOF]'

# internal_error SERVER USER: LOGIN as USER must end in the internal error line and close
internal_error() {
	run wire "$(port "$1")" ">a LOGIN $2 ${2}pass\\r\\n" .
	[ "$output" = "$GREET$IERR" ]
}

@test "auth server not listening: internal error, cause in error_log" {
	internal_error authdown alice
	grep -Eiq 'refused|failed to connect|couldn.t connect' "$(errlog)"
}

@test "auth server slower than auth_http_timeout: internal error after the timeout" {
	run wire -e "$(port authslow)" '>a LOGIN slow slowpass\r\n' .
	[ "${lines[0]}" = "$GREET$IERR" ]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -ge 1 ]
	[ "${elapsed%.*}" -lt 3 ]
	grep -q 'timed out' "$(errlog)"
}

@test "auth server sends a malformed header: internal error" {
	internal_error main garbage
	grep -q 'sent invalid header in response' "$(errlog)"
}

@test "auth server sends OK without Auth-Server: internal error" {
	internal_error main noserver
	grep -q 'did not send server or port' "$(errlog)"
}

@test "auth server sends a host name as Auth-Server: internal error" {
	internal_error main badaddr
	grep -q 'sent invalid server address' "$(errlog)"
}

@test "auth server sends an invalid Auth-Port: internal error" {
	internal_error main badport
	grep -q 'sent invalid server port' "$(errlog)"
}

@test "auth server closes without a reply: internal error" {
	internal_error main closer
}

@test "auth server reply over 1024 bytes: internal error" {
	skip_on_nginx "an auth reply over 1024 bytes sometimes hangs the session"
	internal_error main big
}

@test "auth_http over a unix socket: Host: localhost and the URI verbatim" {
	run wire "$(port authunix)" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == "$GREET"'a OK [CAPABILITY '*'] Logged in\r\n' ]]
	run python3 -c 'import sys; print(open(sys.argv[1], "rb").read().split(b"\r\n")[0:2])' "$T/auth-unix.log"
	[ "$output" = "[b'GET /mail/auth?x=1 HTTP/1.0', b'Host: localhost']" ]
}

@test "backend not listening: internal error, cause in error_log" {
	internal_error main deadbackend
	grep -Eiq 'refused|failed to connect|couldn.t connect' "$(errlog)"
}

@test "backend refuses the login: internal error" {
	internal_error main ghost
	grep -q 'upstream sent invalid response' "$(errlog)"
}

@test "backend refuses the login, proxy_pass_error_message on: the backend's reply" {
	run wire "$(port passerr)" '>a LOGIN ghost ghostpass\r\n' .
	[ "$output" = "$GREET"'a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n[EOF]' ]
}

@test "line longer than imap_client_buffer: tagged BAD and close" {
	long=$(printf 'x%.0s' {1..1500})
	run wire "$(port smallbuf)" ">a NOOP $long\\r\\nb NOOP\\r\\n" .
	[ "$output" = "$GREET"'a BAD invalid command\r\n[EOF]' ]
	grep -q 'client sent too long command' "$(errlog)"
}

@test "line that fits imap_client_buffer is fine" {
	long=$(printf 'x%.0s' {1..900})
	run wire "$(port smallbuf)" ">a NOOP $long\\r\\n" '<a OK completed\r\n'
	[ "$output" = "$GREET"'a OK completed\r\n' ]
}

@test "literal larger than imap_client_buffer: continuation, then BAD and close" {
	long=$(printf 'x%.0s' {1..1500})
	run wire "$(port smallbuf)" '>a LOGIN alice {1500}\r\n' '<+ OK\r\n' ">$long\\r\\n" .
	[ "$output" = "$GREET"'+ OK\r\na BAD invalid command\r\n[EOF]' ]
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
	run wire -e "$(port tmo)" '~0.6' '>a NOOP\r\n' '<a OK completed\r\n' .
	[ "${lines[0]}" = "$GREET"'a OK completed\r\n[EOF]' ]
	elapsed=${lines[1]#elapsed=}
	[ "${elapsed%.*}" -lt 2 ]
}

@test "max_errors 2: two BAD replies, then the connection is closed" {
	run wire "$(port maxerr)" '>a FOO\r\nb BAR\r\nc NOOP\r\n' .
	[ "$output" = "$GREET"'a BAD invalid command\r\nb BAD invalid command\r\n[EOF]' ]
	grep -q 'client sent too many invalid commands' "$(errlog)"
}

@test "max_errors counts only parser errors, not bad arguments" {
	run wire "$(port maxerr)" '>a LOGIN x\r\nb LOGIN y\r\nc AUTHENTICATE FOO\r\nd NOOP\r\n' '<d OK completed\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb BAD invalid command\r\nc BAD invalid command\r\nd OK completed\r\n' ]
}

@test "max_errors defaults to 5" {
	run wire "$(port main)" '>a X\r\nb X\r\nc X\r\nd X\r\ne X\r\nf NOOP\r\n' .
	[ "$output" = "$GREET"'a BAD invalid command\r\nb BAD invalid command\r\nc BAD invalid command\r\nd BAD invalid command\r\ne BAD invalid command\r\n[EOF]' ]
}

@test "invalid line announcing a non-synchronising literal: BAD and close" {
	run wire "$(port main)" '>a FOO {5+}\r\nhello\r\n' .
	[ "$output" = "$GREET"'a BAD invalid command\r\n[EOF]' ]
}

@test "CR not followed by LF is an invalid line" {
	run wire "$(port main)" '>a NOOP\rx\r\n' '<invalid command\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb OK completed\r\n' ]
}

@test "literal length overflow is an invalid command (nginx 1.29.6)" {
	skip_on_nginx "no literal length overflow check before 1.29.6"
	run wire "$(port main)" '>a LOGIN {99999999999999999999999999}\r\n' '<a BAD invalid command\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb OK completed\r\n' ]
}

@test "a literal directly followed by another byte is invalid (nginx 1.29.6)" {
	skip_on_nginx "literal followed by a non-space byte accepted before 1.29.6"
	run wire "$(port main)" '>a LOGIN {5}\r\n' '<+ OK\r\n' '>alice"x" alicepass\r\n' '<a BAD invalid command\r\n' \
		'>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = "$GREET"'+ OK\r\na BAD invalid command\r\nb OK completed\r\n' ]
	run auth_requests
	[ -z "$output" ]
}

@test "error_log: no password of this suite's logins" {
	! grep -nE 'alicepass|ghostpass|slowpass|garbagepass|deadbackendpass' "$(errlog)"
}
