#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# cve.bats - the security history of mail proxies, as tests: plaintext commands injected
# behind STARTTLS (CVE-2011-0411, nginx CVE-2014-3556); CR, LF or NUL in a user name,
# password, SASL blob or HELO reaching an auth_http header (nginx CVE-2025-53859,
# CVE-2026-28753); header injection through the user name; stale credentials after a
# failed attempt (nginx 1.29.1); IMAP tag and literal edge cases (nginx 1.29.6); an auth
# reply naming a backend that is not an IP address.  Wire bytes: doc/wire.md#auth-request
# to #auth-outcome, #imap-grammar, #imap-literals, #starttls, #nginx-fixes.

load lib/common
load lib/faults

setup_file() {
	mp_init
	authserver_start
	fakes_start
	mp_tag
	local fake="auth_http 127.0.0.1:$FAKEAUTH/auth;"
	mp_server main ''
	mp_server fake "$fake"
	mp_server tmo "$fake timeout 1s;"
	proto_server pop3 pop3 "$fake"
	proto_server smtp smtp "$fake smtp_auth login plain;"
	proto_server smtpnone smtp 'smtp_auth login plain none;'
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" \
		-days 30 -subj /CN=mail.test >/dev/null 2>&1
	local tls="starttls on; ssl_certificate $T/tls.crt; ssl_certificate_key $T/tls.key;"
	mp_server imaptls "$fake $tls"
	proto_server pop3tls pop3 "$fake $tls"
	proto_server smtptls smtp "$fake $tls smtp_auth login plain;"
	proxy_start
}

teardown_file() { mp_cleanup; }
setup() {
	auth_log_clear
	: >"$T/fake-auth.log"
}
teardown() { check_sanitizers; }

GREET='* OK IMAP4 ready\r\n'

# ---- commands behind STARTTLS in the same packet ---------------------------------------

# starttls_injection PORT PROTO: send the STARTTLS command and a login in one write, do
# the handshake, then a harmless command; print what came back through TLS
starttls_injection() {
	python3 - "$1" "$2" <<'PY'
import socket, ssl, sys
port, proto = int(sys.argv[1]), sys.argv[2]
cmds = {
    "imap": (b"a STARTTLS\r\nb LOGIN echo1 echo1pass\r\n", b"a OK", b"c NOOP\r\n", b"c "),
    "pop3": (b"STLS\r\nUSER echo1\r\nPASS echo1pass\r\n", b"+OK", b"NOOP\r\n", b"+OK"),
    "smtp": (b"EHLO c.test\r\n", b"250 ", None, None),
}
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
f.readline()
if proto == "smtp":
    s.sendall(b"EHLO c.test\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    s.sendall(b"STARTTLS\r\nAUTH PLAIN AGVjaG8xAGVjaG8xcGFzcw==\r\n")
    want, probe, end = b"220", b"NOOP\r\n", b"250"
else:
    first, want, probe, end = cmds[proto]
    s.sendall(first)
line = f.readline()
assert line.startswith(want), line
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname="mail.test")
t.sendall(probe)
got = b""
while end not in got:
    d = t.recv(4096)
    if not d:
        break
    got += d
print(repr(got))
PY
}

# make always builds mailproxy-tls: without it the STARTTLS cases fail, they are not skipped
tls_required() {
	[ "$(proxy_kind)" = nginx ] || [ -x "$MAILPROXY_BUILD/mailproxy-tls" ] ||
		{ echo "no mailproxy-tls in $MAILPROXY_BUILD" >&2; return 1; }
}

@test "IMAP: a LOGIN in the STARTTLS packet is discarded (CVE-2011-0411)" {
	tls_required
	run starttls_injection "$(port imaptls)" imap
	[ "$status" -eq 0 ]
	[ "$output" = "b'c OK completed\\r\\n'" ]
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 0 ]
}

@test "POP3: USER/PASS in the STLS packet are discarded" {
	tls_required
	run starttls_injection "$(port pop3tls)" pop3
	[ "$status" -eq 0 ]
	[ "$output" = "b'+OK\\r\\n'" ]
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 0 ]
}

@test "SMTP: AUTH in the STARTTLS packet is discarded (nginx CVE-2014-3556)" {
	tls_required
	run starttls_injection "$(port smtptls)" smtp
	[ "$status" -eq 0 ]
	[[ "$output" == "b'250 "* ]]
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 0 ]
}

# ---- CR, LF, NUL and header injection towards auth_http --------------------------------

@test "IMAP: CR LF NUL in a literal user name and password are escaped in Auth-User/Auth-Pass" {
	# "x\r\nAuth-Status: OK\r\nX: \0y" and "p\r\n\0q"
	run wire "$(port fake)" '>a LOGIN {25}\r\n' '<+ OK\r\n' '>x\r\nAuth-Status: OK\r\nX: \x00y {5}\r\n' \
		'<+ OK\r\n' '>p\r\n\x00q\r\n' '<a '
	[[ "$output" == "$GREET"'+ OK\r\n+ OK\r\na NO '* ]]
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 1 ]
	grep -aq 'Auth-User: x%0D%0AAuth-Status:%20OK%0D%0AX:%20%00y' "$T/fake-auth.log"
	grep -aq 'Auth-Pass: p%0D%0A%00q' "$T/fake-auth.log"
	no_leftovers
}

@test "IMAP: a NUL byte in an atom user name never reaches the auth server raw" {
	run wire "$(port fake)" '>a LOGIN al\x00ice pass\r\n' '<\r\n'
	run auth_clean "$T/fake-auth.log"
	[ "$status" -eq 0 ]
}

@test "IMAP: CR LF NUL in an AUTHENTICATE PLAIN blob are escaped" {
	blob=$(printf '\0u\r\nAuth-Status: OK\0p\r\n\0w' | base64 -w0)
	run wire "$(port fake)" ">a AUTHENTICATE PLAIN $blob\\r\\n" '<a '
	[[ "$output" == "$GREET"'a NO '* ]]
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 1 ]
	grep -aq 'Auth-User: u%0D%0AAuth-Status:%20OK' "$T/fake-auth.log"
	grep -aq 'Auth-Pass: p%0D%0A%00w' "$T/fake-auth.log"
}

@test "IMAP: CR LF in an AUTHENTICATE LOGIN user name are escaped" {
	u=$(printf 'u\r\nX-Injected: 1' | base64 -w0)
	run wire "$(port fake)" '>a AUTHENTICATE LOGIN\r\n' '<+ ' ">$u\\r\\n" '<+ ' '>cGFzcw==\r\n' '<a '
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 1 ]
	grep -aq 'Auth-User: u%0D%0AX-Injected:%20' "$T/fake-auth.log"
}

@test "POP3: a NUL in USER and PASS is escaped" {
	run wire "$(port pop3)" '>USER a\x00b\r\n' '<\r\n' '>PASS c\x00d\r\n' '<\r\n'
	run auth_clean "$T/fake-auth.log"
	[ "$status" -eq 0 ]
	if [ "$output" = 1 ]; then
		grep -aq 'Auth-User: a%00b' "$T/fake-auth.log"
		grep -aq 'Auth-Pass: c%00d' "$T/fake-auth.log"
	fi
}

@test "SMTP: CR LF NUL in an AUTH PLAIN blob and a NUL in HELO are escaped" {
	blob=$(printf '\0u\r\nX: 1\0p\0q' | base64 -w0)
	run wire "$(port smtp)" '<220' '>EHLO c\x00.test\r\n' '<\r\n' ">AUTH PLAIN $blob\\r\\n" '<\r\n'
	run auth_clean "$T/fake-auth.log"
	[ "$status" -eq 0 ]
	! grep -aqP '\x00' "$T/fake-auth.log"
}

@test "a user name shaped as header lines is not honoured by the auth server" {
	run wire "$(port fake)" '>a LOGIN {33}\r\n' '<+ OK\r\n' '>echo1\r\nAuth-Pass: echo1pass\r\nX: 1 x\r\n' '<a '
	[[ "$output" == *'a NO '* ]]
	run auth_clean "$T/fake-auth.log"
	[ "$output" = 1 ]
}

# ---- stale credentials ------------------------------------------------------------------

@test "IMAP: a failed LOGIN's password is not reused by a later AUTHENTICATE PLAIN" {
	blob=$(printf '\0waiter\0' | base64 -w0)
	run wire -t 8 "$(port main)" '>a LOGIN waiter wrong\r\n' '<a NO ' '<\r\n' \
		">b AUTHENTICATE PLAIN $blob\\r\\n" '<b '
	run auth_requests
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'\r\nAuth-Pass: wrong\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-User: waiter\r\nAuth-Pass: \r\n'* ]]
}

@test "IMAP: a cancelled AUTHENTICATE LOGIN after a failure sends no stale request" {
	run wire -t 8 "$(port main)" '>a LOGIN waiter wrong\r\n' '<a NO ' '<\r\n' \
		'>b AUTHENTICATE LOGIN\r\n' '<+ ' '>d2FpdGVy\r\n' '<+ ' '>*\r\n' '<\r\n' '>c NOOP\r\n' '<c OK'
	run auth_requests
	[ "${#lines[@]}" -eq 1 ]
}

@test "SMTP smtp_auth none: RCPT TO after a failed AUTH carries no stale credentials" {
	blob=$(printf '\0waiter\0wrong' | base64 -w0)
	run wire -t 8 "$(port smtpnone)" '<220' '>EHLO c.test\r\n' '<250 ' ">AUTH PLAIN $blob\\r\\n" '<535' \
		'<\r\n' '>MAIL FROM:<a@b.test>\r\n' '<250 ' '>RCPT TO:<b@c.test>\r\n' '<\r\n'
	run auth_requests
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'\r\nAuth-Pass: wrong\r\n'* ]]
	[[ "${lines[1]}" == *'\r\nAuth-Method: none\r\nAuth-User: \r\nAuth-Pass: \r\n'* ]]
}

# ---- IMAP tags and literals -------------------------------------------------------------

@test "IMAP: a literal of 2^32 bytes fills the buffer, then BAD and close" {
	# nginx too answers "+ OK" to any literal that fits size_t; the command buffer
	# (imap_client_buffer) is what bounds it
	run wire "$(port fake)" '>a LOGIN {4294967296}\r\n' '<+ OK\r\n' ">$(printf 'z%.0s' {1..5000})" .
	[ "$output" = "$GREET"'+ OK\r\na BAD invalid command\r\n[EOF]' ]
	wait_log 'client sent too long command'
	no_leftovers
}

@test "IMAP: a literal of 2^64 bytes is an invalid command (overflow guard)" {
	run wire "$(port fake)" '>a LOGIN {18446744073709551616}\r\n' '<a BAD invalid command\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = "$GREET"'a BAD invalid command\r\nb OK completed\r\n' ]
}

@test "IMAP: a huge synchronising literal followed by a flood ends in BAD and close" {
	python3 - "$(port fake)" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"a LOGIN {2147483647}\r\n")
try:
    for _ in range(64):
        s.sendall(b"z" * 65536)
except OSError:
    pass
got = s.recv(65536)
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
# the BAD line may be lost to the reset that closing with unread input causes
assert got in (b"+ OK\r\n", b"+ OK\r\na BAD invalid command\r\n"), got
PY
	wait_log 'client sent too long command'
	no_leftovers
}

@test "IMAP: a literal announced and never sent ends at the pre-auth timeout" {
	run wire -e -t 5 "$(port tmo)" '>a LOGIN {5}\r\n' '<+ OK\r\n' .
	[ "${lines[0]}" = "$GREET"'+ OK\r\n[EOF]' ]
	wait_log 'client timed out'
	no_leftovers
}

@test "IMAP: a literal in the tag position is an invalid tag, no continuation" {
	run wire "$(port fake)" '>{5}\r\n' '<\r\n' '>hello\r\n' '<\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = "$GREET"'* BAD invalid command\r\n* BAD invalid command\r\nb OK completed\r\n' ]
}

@test "IMAP: a literal inside a tag is an invalid tag" {
	run wire "$(port fake)" '>a{5}\r\n' '<\r\n' '>b NOOP\r\n' '<b OK completed\r\n'
	[ "$output" = "$GREET"'* BAD invalid command\r\nb OK completed\r\n' ]
}

@test "IMAP: NUL bytes in the tag and the command are invalid, never echoed" {
	run wire "$(port fake)" '>a\x00b NOOP\r\n' '<\r\n' '>c NO\x00OP\r\n' '<\r\n' '>d NOOP\r\n' '<d OK completed\r\n'
	[ "$output" = "$GREET"'* BAD invalid command\r\nc BAD invalid command\r\nd OK completed\r\n' ]
}

@test "IMAP: a 33-character tag is invalid and not echoed" {
	tag=$(printf 'a%.0s' {1..33})
	run wire "$(port fake)" ">$tag NOOP\\r\\n" '<\r\n'
	[ "$output" = "$GREET"'* BAD invalid command\r\n' ]
}

# ---- backend addresses that are not IP addresses ----------------------------------------

@test "Auth-Server values that are not IP addresses: internal error, logged" {
	local i
	for i in 0 1 2 3 4 5 6 7 8; do
		: >"$(errlog)"
		run wire "$(port fake)" ">a LOGIN auth-addr-$i x\\r\\n" .
		[ "$output" = "$GREET"'* BAD internal server error\r\n[EOF]' ] || { echo "value $i: $output"; false; }
		wait_log 'sent invalid server address' || { echo "value $i"; false; }
	done
	no_leftovers
}

@test "POP3 and SMTP: an Auth-Server host name is refused too" {
	run wire "$(port pop3)" '>USER auth-addr-0\r\n' '<+OK' '>PASS x\r\n' .
	[ "$output" = '+OK POP3 ready\r\n+OK\r\n-ERR internal server error\r\n[EOF]' ]
	blob=$(printf '\0auth-addr-6\0x' | base64 -w0)
	run wire "$(port smtp)" '<220' '>EHLO c.test\r\n' '<250 ' ">AUTH PLAIN $blob\\r\\n" .
	[[ "$output" == *'451 4.3.2 Internal server error\r\n[EOF]' ]]
}

@test "error_log: no password of this suite" {
	! grep -naE 'echo1pass|waiterpass|alicepass|p\\r\\n' "$T"/*/error.log
}
