#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# passwords.bats - no password reaches a log, at any level, in any failure path.  The suite
# runs its own sessions with error_log at debug level through every failure path it can
# reach (wrong password, auth server down/garbage/closing/huge/slow, backend closing or
# silent, bad base64, too long lines, max_errors, clients vanishing in the middle of AUTH,
# POP3, SMTP) and then greps everything the proxy wrote (error logs, the debug log and the
# stderr of systemd-socket-activate) for each password in clear, in base64 and URL-escaped.
# Every other suite ends with its own "error_log: no password" test for its logins.

bats_require_minimum_version 1.5.0
load lib/common
load lib/faults

setup_file() {
	mp_init
	authserver_start
	fakes_start
	mp_tag
	# the same lines go to a syslog collector at debug too
	python3 "$MP_TESTS/lib/syslog_sink.py" "$T/dbg.sock" "$T/debug.syslog" </dev/null 3>&- &
	track $!
	local dbg="error_log $T/debug.log debug; error_log syslog:server=unix:$T/dbg.sock debug;" fake="auth_http 127.0.0.1:$FAKEAUTH/auth;"
	mp_server main "$dbg auth_http_timeout 1s; imap_auth plain login cram-md5;"
	mp_server fake "$dbg $fake timeout 2s; imap_auth plain login cram-md5;"
	mp_server authdown "$dbg auth_http 127.0.0.1:$CLOSEDPORT/auth;"
	mp_server maxerr "$dbg $fake max_errors 2;"
	mp_server smallbuf "$dbg $fake imap_client_buffer 1k;"
	proto_server pop3 pop3 "$dbg $fake pop3_auth plain apop cram-md5;"
	proto_server smtp smtp "$dbg $fake smtp_auth login plain cram-md5;"
	proxy_start
}

teardown_file() { mp_cleanup; }

# every secret of this suite contains "S3cr3t"; the users known to authserver.py keep theirs
SECRET=S3cr3t
b64() { printf '%b' "$1" | base64 -w0; }

@test "sessions through every failure path, error_log at debug" {
	local f m
	f=$(port fake)
	m=$(port main)
	# wrong passwords, LOGIN, quoted, literal, AUTHENTICATE PLAIN and LOGIN
	wire "$f" ">a LOGIN echo1 ${SECRET}-1\\r\\n" .
	wire "$f" ">a LOGIN \"echo1\" \"${SECRET} 2\"\\r\\n" .
	wire "$f" '>a LOGIN echo1 {10}\r\n' '<+ OK' ">${SECRET}-3\\r\\n" .
	wire "$f" ">a AUTHENTICATE PLAIN $(b64 "\\0echo1\\0${SECRET}-4")\\r\\n" .
	wire "$f" '>a AUTHENTICATE LOGIN\r\n' '<+ ' ">$(b64 echo1)\\r\\n" '<+ ' ">$(b64 "${SECRET}-5")\\r\\n" .
	# invalid base64 and structure around a password
	wire "$f" ">a AUTHENTICATE PLAIN $(b64 "echo1${SECRET}-6")\\r\\n" '<a ' '>b LOGOUT\r\n' .
	wire "$f" ">a AUTHENTICATE PLAIN $(b64 "\\0echo1\\0${SECRET}-7")!!\\r\\n" '<a ' '>b LOGOUT\r\n' .
	wire "$f" '>a AUTHENTICATE LOGIN\r\n' '<+ ' ">$(b64 echo1)\\r\\n" '<+ ' ">${SECRET}-8!\\r\\n" '<\r\n' '>b LOGOUT\r\n' .
	wire "$f" '>a AUTHENTICATE CRAM-MD5\r\n' '<+ ' ">$(b64 "echo1 ${SECRET}-9")\\r\\n" '<\r\n' '>b LOGOUT\r\n' .
	# the auth server: down, garbage, closing, huge, slow (timeout), hanging
	wire "$(port authdown)" ">a LOGIN alice ${SECRET}-10\\r\\n" .
	wire "$m" '>a LOGIN garbage garbagepass\r\n' .
	wire "$m" '>a LOGIN closer closerpass\r\n' .
	wire "$m" '>a LOGIN big bigpass\r\n' .
	wire -t 4 "$m" '>a LOGIN slow slowpass\r\n' .
	wire "$f" ">a LOGIN auth-midreply ${SECRET}-11\\r\\n" .
	wire "$f" ">a LOGIN auth-huge ${SECRET}-12\\r\\n" .
	wire "$f" ">a LOGIN auth-addr-0 ${SECRET}-13\\r\\n" .
	# backends: closing during the login, never greeting, unreachable
	wire "$f" '>a LOGIN closelogin1 closelogin1pass\r\n' .
	wire -t 4 "$f" '>a LOGIN silent1 silent1pass\r\n' .
	wire "$m" '>a LOGIN deadbackend deadbackendpass\r\n' .
	# parser errors: too long lines and max_errors with the password on the line
	wire "$(port smallbuf)" ">a LOGIN echo1 ${SECRET}-14$(printf 'x%.0s' {1..1100})\\r\\n" .
	wire "$(port maxerr)" ">a LOGON echo1 ${SECRET}-15\\r\\nb LOGON echo1 ${SECRET}-16\\r\\n" .
	wire "$f" ">a LOGIN echo1 ${SECRET}-17 extra args\\r\\n" '<a ' '>b LOGOUT\r\n' .
	# the client vanishing in the middle of a login
	wire -l 0 "$f" ">a LOGIN echo1 {10}\\r\\n" '<+ OK' ">${SECRET}"
	wire -l 0 "$f" '>a AUTHENTICATE LOGIN\r\n' '<+ ' ">$(b64 echo1)\\r\\n" '<+ ' ">$(b64 "${SECRET}-18")"
	# a good login, so the relay and its log line are covered too
	wire "$f" '>a LOGIN echo1 echo1pass\r\n' '<a OK' '<\r\n' ">x ${SECRET}-19 in the relay\\r\\n" '<relay\r\n'
	# POP3 and SMTP
	local p s
	p=$(port pop3)
	s=$(port smtp)
	wire "$p" '>USER echo1\r\n' '<+OK' ">PASS ${SECRET}-20\\r\\n" .
	wire "$p" ">AUTH PLAIN $(b64 "\\0echo1\\0${SECRET}-21")\\r\\n" .
	wire "$p" ">APOP echo1 ${SECRET}-22-0123456789abcdef0123\\r\\n" .
	wire "$p" ">PASS ${SECRET}-23\\r\\n" '<\r\n' '>QUIT\r\n' .
	wire "$s" '<220' '>EHLO c.test\r\n' '<250 ' ">AUTH PLAIN $(b64 "\\0echo1\\0${SECRET}-24")\\r\\n" .
	wire "$s" '<220' '>EHLO c.test\r\n' '<250 ' '>AUTH LOGIN\r\n' '<334 ' ">$(b64 echo1)\\r\\n" '<334 ' \
		">$(b64 "${SECRET}-25")\\r\\n" .
	wire "$s" '<220' '>EHLO c.test\r\n' '<250 ' ">AUTH LOGIN $(b64 echo1)\\r\\n" '<334 ' ">${SECRET}-26!\\r\\n" '<\r\n' '>QUIT\r\n' .
	no_leftovers 10
	# the debug log must have seen these sessions at all
	[ -s "$T/debug.log" ]
	grep -q '\[debug\]\|\[info\]' "$T/debug.log"
}

@test "the debug lines are there: commands, states, the auth request, the backend dialogue" {
	local d=$T/debug.log
	# once in the file, once as a datagram
	grep -q 'imap command: "a LOGIN" "echo1" (1 argument hidden) while in auth state' "$d"
	grep -q 'imap command: "a LOGIN" "echo1" (1 argument hidden) while in auth state' "$T/debug.syslog"
	grep -q 'imap command: "a AUTHENTICATE" "PLAIN" (1 argument hidden)' "$d"
	grep -q 'imap SASL response (hidden)' "$d"
	grep -q 'pop3 command: "USER" "echo1"' "$d"
	grep -q 'pop3 command: "PASS" (1 argument hidden)' "$d"
	grep -q 'pop3 command: "APOP" "echo1" (1 argument hidden)' "$d"
	grep -q 'smtp command: "EHLO" "c.test"' "$d"
	grep -q 'smtp command: "AUTH" "LOGIN"' "$d"
	grep -q 'smtp SASL response (hidden)' "$d"
	grep -q 'mail state: in http auth state' "$d"
	grep -q 'mail state: connecting to upstream' "$d"
	grep -q 'upstream prematurely closed connection while reading response from upstream' "$d"
	grep -q 'auth http request: "Auth-User: echo1" while in http auth state' "$d"
	grep -q 'auth http request: "Auth-Pass: (hidden)"' "$d"
	grep -q 'auth http server replied OK, upstream 127.0.0.1:' "$d"
	grep -q 'upstream sent: "\* OK ' "$d"
	grep -q 'sent to upstream: "a LOGIN {5}\\x0d\\x0a"' "$d"
	grep -q 'sent to upstream: "" and 11 bytes (hidden)' "$d"
	# a hostile byte in a command is escaped, the line stays one line
	run ! grep -a $'\r' "$d"
}

@test "no password, in clear, base64 or URL-escaped, in any log the proxy wrote" {
	local files=("$T/debug.log" "$T/debug.syslog" "$T"/mp/*.log) pats=("$SECRET") p i
	for p in garbagepass closerpass bigpass slowpass closelogin1pass silent1pass deadbackendpass echo1pass; do
		pats+=("$p")
	done
	# base64 forms: the secrets appear at several offsets inside a SASL blob, so look for
	# the encodings of "S3cr3t" at the three alignments
	for i in "" "x" "xx"; do
		pats+=("$(printf '%s' "$i$SECRET" | base64 -w0 | cut -c$(((${#i} + 1) / 3 * 4 + 1))-$(((${#i} + 6) / 3 * 4 - 1)))")
	done
	pats+=("S3cr3t%20" "S3cr3t%2D")
	echo "files: ${files[*]}"
	echo "patterns: ${pats[*]}"
	for p in "${pats[@]}"; do
		run ! grep -naF -- "$p" "${files[@]}"
	done
}
