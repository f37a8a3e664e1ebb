#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# proxy_protocol.bats - the PROXY protocol in (listen ... proxy_protocol, v1 and v2, with
# set_real_ip_from trusting or not) and out (proxy_protocol on|v2 to the backend), over
# IMAP: what the auth server is told (Client-IP, Proxy-Protocol-*), what the backend
# receives first, and the silent close on a broken or missing header.
# Wire bytes: doc/wire.md#realip, #auth-request, #backend-login, #proxy-protocol.

load lib/common
load lib/pp_record

# servers whose directives hold the marker "# listen-pp" get "listen ... proxy_protocol"
pp_proxy_start() {
	declare -F __pp_orig_write_conf >/dev/null ||
		eval "__pp_orig_write_conf() $(declare -f mp_write_conf | tail -n +2)"
	mp_write_conf() {
		__pp_orig_write_conf "$@"
		python3 - "$T/$1/proxy.conf" <<'EOF'
import re, sys
p = sys.argv[1]
out, pp = [], False
lines = open(p).read().split("\n")
for i, l in enumerate(lines):
    if re.match(r"\s*server \{", l):
        j, pp = i + 1, False
        while j < len(lines) and not re.match(r"\s*\}\s*$", lines[j]):
            if "# listen-pp" in lines[j]:
                pp = True
            j += 1
    if pp and re.match(r"\s*listen 127\.0\.0\.1:\d+;", l):
        l = l.replace(";", " proxy_protocol;")
    out.append(l)
open(p, "w").write("\n".join(out))
EOF
	}
	proxy_start "$@"
}

setup_file() {
	mp_init
	dovecot_start
	authserver_start
	# the recording backend in front of Dovecot, and an auth server that sends logins there
	pp_recorder_start

	mp_server trusted '# listen-pp
		set_real_ip_from 127.0.0.1;'
	mp_server untrusted '# listen-pp
		set_real_ip_from 192.0.2.0/24;
		set_real_ip_from unix:;'
	mp_server norealip '# listen-pp'
	mp_server quick '# listen-pp
		timeout 1s;'
	mp_server out_v1 "proxy_protocol on;
		auth_http 127.0.0.1:$AUTH2PORT/auth;"
	mp_server out_realip "# listen-pp
		set_real_ip_from 127.0.0.0/8;
		proxy_protocol on;
		auth_http 127.0.0.1:$AUTH2PORT/auth;"
	# nginx 1.22 (MAILPROXY_TARGET=nginx) refuses "v2": it came in 1.31.4
	[ "$MAILPROXY_TARGET" = nginx ] || mp_server out_v2 "# listen-pp
		set_real_ip_from 127.0.0.1;
		proxy_protocol v2;
		auth_http 127.0.0.1:$AUTH2PORT/auth;"
	pp_proxy_start
}

teardown_file() { mp_cleanup; }
setup() {
	auth_log_clear
	: >"$T/pp.log"
}
teardown() { check_sanitizers; }

GREET='* OK IMAP4 ready\r\n'
V1='PROXY TCP4 192.0.2.1 198.51.100.7 5555 143\r\n'
REQ_HEAD='GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\n'
PP_HEADERS='Proxy-Protocol-Addr: 192.0.2.1\r\nProxy-Protocol-Port: 5555\r\nProxy-Protocol-Server-Addr: 198.51.100.7\r\nProxy-Protocol-Server-Port: 143\r\n'

login() { # PORT HEADER-STEP
	run wire "$1" "$2" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == "$GREET"'a OK '*'Logged in\r\n' ]]
}

@test "v1 from a trusted peer: Client-IP is the header's source, Proxy-Protocol-* as received" {
	login "$(port trusted)" ">$V1"
	run auth_requests
	[ "$output" = "${REQ_HEAD}Client-IP: 192.0.2.1\r\n${PP_HEADERS}\r\n" ]
	grep -q 'client: 192.0.2.1' "$(errlog)" || grep -q '192.0.2.1' "$(errlog)"
}

@test "v1, inetd style" {
	login "$(port trusted mp inetd)" ">$V1"
	run auth_last_request
	[[ "$output" == *"Client-IP: 192.0.2.1\r\n${PP_HEADERS}\r\n" ]]
}

@test "v1 from an untrusted peer: Client-IP stays, Proxy-Protocol-* are still sent" {
	login "$(port untrusted)" ">$V1"
	run auth_requests
	[ "$output" = "${REQ_HEAD}Client-IP: 127.0.0.1\r\n${PP_HEADERS}\r\n" ]
}

@test "v1 without set_real_ip_from: nothing is believed" {
	login "$(port norealip)" ">$V1"
	run auth_last_request
	[[ "$output" == *"Client-IP: 127.0.0.1\r\n${PP_HEADERS}\r\n" ]]
}

@test "v1 TCP6: the address text is passed on as received" {
	login "$(port trusted)" '>PROXY TCP6 2001:DB8:0::1 ::1 1024 993\r\n'
	run auth_last_request
	[[ "$output" == *'Client-IP: 2001:db8::1\r\nProxy-Protocol-Addr: 2001:DB8:0::1\r\nProxy-Protocol-Port: 1024\r\nProxy-Protocol-Server-Addr: ::1\r\nProxy-Protocol-Server-Port: 993\r\n\r\n' ]]
}

@test "PROXY UNKNOWN: accepted, no Proxy-Protocol-* headers" {
	login "$(port trusted)" '>PROXY UNKNOWN\r\n'
	run auth_requests
	[ "$output" = "${REQ_HEAD}Client-IP: 127.0.0.1\r\n\r\n" ]
}

@test "v2 IPv4 with TLVs from a trusted peer" {
	login "$(port trusted)" '>\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x13\xc0\x00\x02\x01\xc6\x33\x64\x07\x15\xb3\x00\x8f\x04\x00\x04junk'
	run auth_requests
	[ "$output" = "${REQ_HEAD}Client-IP: 192.0.2.1\r\n${PP_HEADERS}\r\n" ]
}

@test "v2 IPv6 from a trusted peer" {
	login "$(port trusted)" '>\r\n\r\n\x00\r\nQUIT\n\x21\x21\x00\x24\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x04\x00\x00\x19'
	run auth_last_request
	[[ "$output" == *'Client-IP: 2001:db8::1\r\nProxy-Protocol-Addr: 2001:db8::1\r\nProxy-Protocol-Port: 1024\r\nProxy-Protocol-Server-Addr: ::1\r\nProxy-Protocol-Server-Port: 25\r\n\r\n' ]]
}

@test "v2 LOCAL: accepted, the connection's own address is used" {
	login "$(port trusted)" '>\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00'
	run auth_requests
	[ "$output" = "${REQ_HEAD}Client-IP: 127.0.0.1\r\n\r\n" ]
}

@test "bytes after the header in the same segment stay for the protocol" {
	# nginx 1.22 greets and then waits for a read event that never comes (the peek used
	# it up): the command sits unread until the client sends more. Deliberately not copied.
	skip_on_nginx "stalls on bytes that came with the header"
	run wire "$(port trusted)" ">${V1}a NOOP\\r\\n" '<a OK' '<\r\n'
	[ "$output" = "${GREET}a OK completed\r\n" ]
}

@test "a broken header closes without a greeting and is logged" {
	run wire "$(port trusted)" '>GET / HTTP/1.0\r\n\r\n' .
	[ "$output" = '[EOF]' ]
	# nginx logs up to the first CR or LF (1.22 logged the whole peek)
	grep -q 'broken header: "GET / HTTP/1.0' "$(errlog)"
}

@test "a v1 header split over two segments is broken (nginx reads it at once)" {
	run wire "$(port trusted)" '>PROXY TCP4 192.0.2.1 ' '~0.3' '>198.51.100.7 5555 143\r\n' .
	[ "$output" = '[EOF]' ]
	grep -q 'broken header: "PROXY TCP4 192.0.2.1 "' "$(errlog)"
}

@test "a bad port, and a v2 header with version 1, close silently" {
	run wire "$(port trusted)" '>PROXY TCP4 192.0.2.1 198.51.100.7 65536 143\r\n' .
	[ "$output" = '[EOF]' ]
	run wire "$(port trusted)" '>\r\n\r\n\x00\r\nQUIT\n\x11\x11\x00\x00' .
	[ "$output" = '[EOF]' ]
	grep -q 'unknown PROXY protocol version: 1' "$(errlog)"
	run auth_requests
	[ -z "$output" ]
}

@test "no header within timeout: closed without a greeting" {
	run wire -e "$(port quick)" .
	[ "${lines[0]}" = '[EOF]' ]
	elapsed=${lines[1]#elapsed=}
	python3 -c "import sys; sys.exit(not 0.9 <= $elapsed < 4)"
}

@test "proxy_protocol on: the backend gets a v1 header with the real addresses first" {
	run wire "$(port out_v1)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == "$GREET"'a OK '*'Logged in\r\n' ]]
	run cat "$T/pp.log"
	[[ "$output" =~ ^'PROXY TCP4 127.0.0.1 127.0.0.1 '[0-9]+' '$(port out_v1)'\r\n'$ ]]
}

@test "proxy_protocol on after realip: the header names the believed client" {
	login "$(port out_realip)" ">$V1"
	run cat "$T/pp.log"
	[ "$output" = "PROXY TCP4 192.0.2.1 127.0.0.1 5555 $(port out_realip)\\r\\n" ]
}

@test "proxy_protocol v2: binary header with a CRC32C TLV" {
	skip_on_nginx "proxy_protocol v2 is 1.31.4"
	login "$(port out_v2)" ">$V1"
	run python3 - "$T/pp.log" "$(port out_v2)" <<'EOF'
import struct, sys
line = open(sys.argv[1]).read().strip()
b = line.encode().decode("unicode_escape").encode("latin-1")
assert b[:12] == b"\r\n\r\n\0\r\nQUIT\n", b
assert b[12] == 0x21 and b[13] == 0x11, b[12:14]
assert struct.unpack(">H", b[14:16])[0] == len(b) - 16 == 12 + 7
src, dst, sp, dp = b[16:20], b[20:24], *struct.unpack(">HH", b[24:28])
assert src == bytes([192, 0, 2, 1]) and dst == bytes([127, 0, 0, 1]), (src, dst)
assert sp == 5555 and dp == int(sys.argv[2]), (sp, dp)
assert b[28:31] == b"\x03\x00\x04"
def crc32c(data):
    crc = 0xffffffff
    for x in data:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff
assert crc32c(b[:31] + b"\0\0\0\0") == struct.unpack(">I", b[31:35])[0]
print("ok")
EOF
	[ "$output" = ok ]
}
