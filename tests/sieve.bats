#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sieve.bats - ManageSieve (RFC 5804) through the proxy: the greeting and CAPABILITY
# (sieve_capabilities, sieve_auth, starttls), NOOP, LOGOUT, STARTTLS, AUTHENTICATE PLAIN and
# LOGIN with quoted strings and literals, "*" to cancel, the auth request, auth failures,
# bad commands, literals and lines over the bounds, max_errors, the timeout, a backend
# without PLAIN; and sieve-connect uploading, listing and activating a script on Dovecot's
# managesieve through mailproxy, in clear and after STARTTLS.  mailproxy -t and -T too.

load lib/common
load lib/sieve
load lib/tls

setup_file() {
	mp_init
	sieve_conf
	sieve_cert
	sieve_dovecot_start
	authserver_start --backend "sieve=127.0.0.1:$DOVECOT_SIEVE"
	# a backend whose SASL list lacks PLAIN, behind an auth server of its own
	read -r NOPLAIN AUTH2 < <(free_ports 2)
	export NOPLAIN AUTH2
	python3 - "$NOPLAIN" >"$T/noplain.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    c.sendall(b'"IMPLEMENTATION" "fake"\r\n"SASL" "LOGIN PLAINX"\r\n"VERSION" "1.0"\r\nOK "hi"\r\n')
    c.settimeout(2)
    try:
        print(repr(c.recv(4096)), flush=True)
    except OSError:
        pass
    c.close()
PY
	track $!
	python3 "$MP_TESTS/authserver.py" --listen "127.0.0.1:$AUTH2" --users "$T/users" \
		--backend "sieve=127.0.0.1:$NOPLAIN" --log "$T/auth2.log" >"$T/auth2.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$NOPLAIN" "$AUTH2"
	mp_server main ''
	mp_server caps 'sieve_auth login plain; sieve_capabilities "IMPLEMENTATION mailproxy"
		"SIEVE fileinto vacation" "VERSION 1.0" "MAXREDIRECTS 5" UNAUTHENTICATE;'
	mp_server nover 'sieve_capabilities "IMPLEMENTATION x";'
	mp_server stls "starttls on; ssl_certificate $T/sieve.crt; ssl_certificate_key $T/sieve.key;"
	mp_server stlsonly "starttls only; ssl_certificate $T/sieve.crt; ssl_certificate_key $T/sieve.key;"
	mp_server maxerr 'max_errors 2;'
	mp_server tmo 'timeout 1s;'
	mp_server small 'sieve_client_buffer 256;'
	mp_server noplain "auth_http 127.0.0.1:$AUTH2/auth;"
	mp_server passerr 'proxy_pass_error_message on;'
	mp_server dbg "error_log $T/sieve-debug.log debug; sieve_auth plain login;"
	mp_server oauth 'sieve_auth plain xoauth2 oauthbearer;'
	mp_server implicit "# listen-ssl
		ssl_certificate $T/sieve.crt; ssl_certificate_key $T/sieve.key;"
	tls_proxy_start
}

teardown_file() { mp_cleanup; }
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

SIEVE_CAPS='"SIEVE" "fileinto reject envelope encoded-character vacation subaddress comparator-i;ascii-numeric relational regex imap4flags copy include variables body enotify environment mailbox date index ihave duplicate mime foreverypart extracttext"\r\n"NOTIFY" "mailto"\r\n'
CAPS='"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n'$SIEVE_CAPS'"SASL" "PLAIN"\r\n"VERSION" "1.0"\r\n'
GREET=$CAPS'OK "ManageSieve ready."\r\n'
PLAIN=AGFsaWNlAGFsaWNlcGFzcw==	# base64 of NUL alice NUL alicepass
INV='NO "Invalid command."\r\n'

@test "harness: Dovecot's managesieve answers directly" {
	run wire "$DOVECOT_SIEVE" '<OK "' '<\r\n'
	[[ "$output" == '"IMPLEMENTATION" "Dovecot'*'"SASL" "PLAIN LOGIN"\r\n"VERSION" "1.0"\r\nOK "'*'"\r\n' ]]
}

@test "greeting: the capabilities of Dovecot's managesieve-login, fd 3 and inetd style" {
	run wire "$(port main)" '<ready."\r\n'
	[ "$output" = "$GREET" ]
	run wire "$(port main mp inetd)" '<ready."\r\n'
	[ "$output" = "$GREET" ]
}

@test "CAPABILITY: sieve_capabilities and sieve_auth; SASL and STARTTLS go before VERSION" {
	run wire "$(port caps)" '<ready."\r\n' '>capability\r\n' '<completed."\r\n'
	want='"IMPLEMENTATION" "mailproxy"\r\n"SIEVE" "fileinto vacation"\r\n"SASL" "PLAIN LOGIN"\r\n"VERSION" "1.0"\r\n"MAXREDIRECTS" "5"\r\n"UNAUTHENTICATE"\r\n'
	[ "$output" = "${want}OK \"ManageSieve ready.\"\\r\\n${want}OK \"Capability completed.\"\\r\\n" ]
	run wire "$(port nover)" '<ready."\r\n'
	[ "$output" = '"IMPLEMENTATION" "x"\r\n"SASL" "PLAIN"\r\nOK "ManageSieve ready."\r\n' ]
}

@test "NOOP, NOOP with a tag (quoted, or a literal when it must be), LOGOUT" {
	run wire "$(port main)" '<ready."\r\n' '>NOOP\r\nnoop "a\\"b\\\\c"\r\nNOOP {4+}\r\nx\r\ny\r\n' \
		'<"Done"\r\n' '<"Done"\r\n' '>LOGOUT\r\n' '.'
	[ "$output" = "${GREET}"'OK "NOOP completed."\r\nOK (TAG "a\\"b\\\\c") "Done"\r\nOK (TAG {4}\r\nx\r\ny) "Done"\r\nOK "Logout completed."\r\n[EOF]' ]
}

@test "sieve-connect logs in through mailproxy, uploads, lists and activates a script on Dovecot" {
	local home=$T/dovecot/home/alice
	printf 'require "fileinto";\nif header :contains "subject" "mp-test" { fileinto "INBOX"; }\n' >"$T/mp.sieve"
	run sieve_connect "$(port main)" --clearchan --upload --localsieve "$T/mp.sieve" --remotesieve mptest
	[ "$status" -eq 0 ]
	cmp "$T/mp.sieve" "$home/sieve/mptest.sieve"
	run sieve_connect "$(port main)" --clearchan --list
	[ "$status" -eq 0 ]
	[ "$output" = '"mptest"' ]
	run sieve_connect "$(port main)" --clearchan --activate --remotesieve mptest
	[ "$status" -eq 0 ]
	[ "$(readlink "$home/.dovecot.sieve")" = sieve/mptest.sieve ]
	run sieve_connect "$(port main)" --clearchan --list
	[ "$output" = '"mptest" ACTIVE' ]
	run auth_last_request
	[[ "$output" == *'Auth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: sieve\r\n'* ]]
	grep -q 'client logged in, .*login: "alice", upstream: 127.0.0.1:'"$DOVECOT_SIEVE" "$(errlog)"
}

@test "STARTTLS: the capabilities again, without STARTTLS; sieve-connect over it" {
	run python3 - "$(port stls)" <<'PY'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
def upto(f, end):
    out = b""
    while not out.endswith(end):
        line = f.readline()
        if not line:
            break
        out += line
    return out
out = upto(f, b'ready."\r\n')
s.sendall(b"STARTTLS\r\nLOGOUT\r\n")          # LOGOUT is dropped unread
out += upto(f, b'now."\r\n')
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["managesieve"])     # RFC 7301's registry names it so
t = ctx.wrap_socket(s)
g = t.makefile("rb")
out += b"|TLS " + t.selected_alpn_protocol().encode() + b"|" + upto(g, b'successful."\r\n')
t.sendall(b'AUTHENTICATE "PLAIN" "AGFsaWNlAGFsaWNlcGFzcw=="\r\n')
out += upto(g, b"\r\n")
sys.stdout.write(out.decode().replace("\r\n", "\\r\\n"))
PY
	[ "$status" -eq 0 ]
	[ "$output" = "${CAPS%'"VERSION" "1.0"\r\n'}"'"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "ManageSieve ready."\r\nOK "Begin TLS negotiation now."\r\n|TLS managesieve|'"${GREET%'OK "ManageSieve ready."\r\n'}"'OK "TLS negotiation successful."\r\nOK "Logged in."\r\n' ]
	printf 'keep;\n' >"$T/tls.sieve"
	run sieve_connect "$(port stls)" --upload --localsieve "$T/tls.sieve" --remotesieve overtls
	[ "$status" -eq 0 ]
	cmp "$T/tls.sieve" "$T/dovecot/home/alice/sieve/overtls.sieve"
	grep -q 'Auth-SSL-Protocol: TLSv1.3' "$T/auth.log"
}

@test "listen ... ssl: TLS first, ALPN managesieve or none; another protocol's ALPN refused" {
	run python3 - "$(port implicit)" "$PLAIN" <<'PY'
import socket, ssl, sys
def session(alpn):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols([alpn])
    try:
        t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
    except ssl.SSLError as e:
        return "refused: %s" % (e.reason or e)
    f = t.makefile("rb")
    out = b""
    while not out.endswith(b'ready."\r\n'):
        out += f.readline()
    t.sendall(b'AUTHENTICATE "PLAIN" "' + sys.argv[2].encode() + b'"\r\n')
    out += f.readline()
    return "%s %s" % (t.selected_alpn_protocol(), out.decode().split("\r\n")[-2])
for a in ("managesieve", None, "imap"):
    print(session(a))
PY
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'managesieve OK "Logged in."' ]
	[ "${lines[1]}" = 'None OK "Logged in."' ]
	[[ "${lines[2]}" == 'refused: '*'no application protocol'* ]]
	grep -q 'Auth-Protocol: sieve' "$T/auth.log"
	grep -q 'Auth-SSL: on' "$T/auth.log"
}

@test "starttls only: an empty SASL list and no login before TLS" {
	run wire "$(port stlsonly)" '<ready."\r\n' ">AUTHENTICATE \"PLAIN\" \"$PLAIN\"\r\n" '<\r\n'
	[ "$output" = "${CAPS%'"SASL" "PLAIN"\r\n"VERSION" "1.0"\r\n'}"'"SASL" ""\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "ManageSieve ready."\r\n'"$INV" ]
	[ ! -s "$T/auth.log" ]
}

@test "AUTHENTICATE PLAIN: initial response as a literal, pipelined commands go to the backend" {
	run wire "$(port main)" '<ready."\r\n' ">AUTHENTICATE \"PLAIN\" {24+}\r\n$PLAIN\r\nLISTSCRIPTS\r\n" \
		'<Logged in."\r\n' '<OK "Listscripts completed."\r\n'
	[[ "$output" == "${GREET}"'OK "Logged in."\r\n'*'OK "Listscripts completed."\r\n' ]]
}

@test "AUTHENTICATE PLAIN: the empty challenge, the response as a quoted string or a literal" {
	run wire "$(port main)" '<ready."\r\n' '>Authenticate "plain"\r\n' '<""\r\n' ">\"$PLAIN\"\r\n" \
		'<Logged in."\r\n' '>LOGOUT\r\n' '.'
	[ "$output" = "${GREET}"'""\r\nOK "Logged in."\r\nOK "Logout completed."\r\n[EOF]' ]
	run wire "$(port main)" '<ready."\r\n' '>AUTHENTICATE {5+}\r\nPLAIN\r\n' '<""\r\n' ">{24+}\r\n$PLAIN\r\n" \
		'<Logged in."\r\n'
	[ "$output" = "${GREET}"'""\r\nOK "Logged in."\r\n' ]
}

@test "AUTHENTICATE LOGIN with sieve_auth login; refused where it is not advertised" {
	run wire "$(port caps)" '<ready."\r\n' '>AUTHENTICATE "LOGIN"\r\n' '<"VXNlcm5hbWU6"\r\n' \
		'>"YWxpY2U="\r\n' '<"UGFzc3dvcmQ6"\r\n' '>{12+}\r\nYWxpY2VwYXNz\r\n' '<Logged in."\r\n'
	[[ "$output" == *'OK "ManageSieve ready."\r\n"VXNlcm5hbWU6"\r\n"UGFzc3dvcmQ6"\r\nOK "Logged in."\r\n' ]]
	run auth_last_request
	[[ "$output" == *'Auth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: sieve\r\n'* ]]
	auth_log_clear
	run wire "$(port main)" '<ready."\r\n' '>AUTHENTICATE "LOGIN" "YWxpY2U="\r\n' '<\r\n' \
		'>AUTHENTICATE "CRAM-MD5"\r\n' '<\r\n'
	[ "$output" = "${GREET}"'NO "Unsupported authentication mechanism."\r\nNO "Unsupported authentication mechanism."\r\n' ]
	[ ! -s "$T/auth.log" ]
}

@test "AUTHENTICATE: \"*\" cancels; nothing reaches the auth server" {
	run wire "$(port caps)" '<ready."\r\n' '>AUTHENTICATE "LOGIN"\r\n' '<"VXNlcm5hbWU6"\r\n' \
		'>"YWxpY2U="\r\n' '<"UGFzc3dvcmQ6"\r\n' '>"*"\r\n' '<\r\n' '>NOOP\r\n' '<\r\n'
	[[ "$output" == *'"UGFzc3dvcmQ6"\r\nNO "Authentication cancelled."\r\nOK "NOOP completed."\r\n' ]]
	[ ! -s "$T/auth.log" ]
}

@test "AUTHENTICATE: an atom for a string, a bad base64, an empty response are refused" {
	run wire "$(port main)" '<ready."\r\n' ">AUTHENTICATE PLAIN \"$PLAIN\"\r\n" '<\r\n' \
		'>AUTHENTICATE "PLAIN" "!!!"\r\n' '<\r\n' '>AUTHENTICATE "PLAIN"\r\n' '<""\r\n' '>\r\n' '<\r\n' \
		'>AUTHENTICATE "PLAIN"\r\n' '<""\r\n' ">$PLAIN\r\n" '<\r\n'
	[ "$output" = "${GREET}${INV}${INV}"'""\r\n'"$INV"'""\r\n'"$INV" ]
	[ ! -s "$T/auth.log" ]
}

@test "a refused login: NO with the auth server's text, then close; with Auth-Wait the session goes on" {
	run wire "$(port main)" '<ready."\r\n' '>AUTHENTICATE "PLAIN" "AGFsaWNlAHdyb25n"\r\n' '.'
	[ "$output" = "${GREET}"'NO "Invalid login or password"\r\n[EOF]' ]
	grep -q 'client login failed: "Invalid login or password"' "$(errlog)"
	# the auth server sends Auth-Wait: 1 for the users wait*
	run wire "$(port main)" '<ready."\r\n' '>AUTHENTICATE "PLAIN" "AHdhaXRlcgB3cm9uZw=="\r\n' '<\r\n' \
		'>AUTHENTICATE "PLAIN" "AHdhaXRlcgB3YWl0ZXJwYXNz"\r\n' '<Logged in."\r\n'
	[ "$output" = "${GREET}"'NO "Invalid login or password"\r\nOK "Logged in."\r\n' ]
}

@test "bad commands: NO and counted; the last one before max_errors is BYE" {
	run wire "$(port maxerr)" '<ready."\r\n' '>PUTSCRIPT "x" {8+}\r\nLOGOUT\r\n\r\n' '<\r\n' \
		'>NOOP\r\n' '<\r\n' '>CAPABILITY x\r\n' '<\r\n' '>bad(\r\n' '.'
	[ "$output" = "${GREET}${INV}"'OK "NOOP completed."\r\n'"${INV}"'BYE "Too many invalid commands."\r\n[EOF]' ]
}

@test "a line over sieve_client_buffer: BYE and close" {
	run wire "$(port small)" '<ready."\r\n' ">NOOP \"$(printf 'x%.0s' {1..300})\"\r\n" '.'
	[ "$output" = "${GREET}"'BYE "Line too long."\r\n[EOF]' ]
	grep -q 'client sent too long command' "$(errlog)"
}

@test "a literal longer than the buffer, or behind a bad line: BYE at once" {
	run wire "$(port small)" '<ready."\r\n' '>NOOP {257+}\r\n' '.'
	[ "$output" = "${GREET}"'BYE "Invalid or too long literal."\r\n[EOF]' ]
	run wire "$(port main)" '<ready."\r\n' '>NOOP {99999999999999999999999+}\r\n' '.'
	[ "$output" = "${GREET}"'BYE "Invalid or too long literal."\r\n[EOF]' ]
	# the bytes after an invalid line's literal are never taken for commands
	run wire "$(port main)" '<ready."\r\n' '>NOOP "a" "b" "c" {8+}\r\nLOGOUT\r\n' '.'
	[ "$output" = "${GREET}"'BYE "Invalid or too long literal."\r\n[EOF]' ]
}

@test "timeout: a silent client is closed" {
	run wire -e "$(port tmo)" '<ready."\r\n' '.'
	[ "${lines[0]}" = "${GREET}[EOF]" ]
	[[ "${lines[1]}" =~ ^elapsed=(1\.|2\.0) ]]
}

@test "a backend without SASL PLAIN: BYE, logged, and no password sent" {
	run wire "$(port noplain)" '<ready."\r\n' ">AUTHENTICATE \"PLAIN\" \"$PLAIN\"\r\n" '.'
	[ "$output" = "${GREET}"'BYE "Internal server error."\r\n[EOF]' ]
	grep -q 'upstream does not offer SASL PLAIN' "$(errlog)"
	sleep 0.3
	[ "$(cat "$T/noplain.log")" = "b''" ]
}

@test "a backend that refuses the login: BYE, or its own NO with proxy_pass_error_message" {
	# "ghost" is known to the auth server, not to Dovecot
	run wire "$(port main)" '<ready."\r\n' '>AUTHENTICATE "PLAIN" "AGdob3N0AGdob3N0cGFzcw=="\r\n' '.'
	[ "$output" = "${GREET}"'BYE "Internal server error."\r\n[EOF]' ]
	grep -q 'upstream sent invalid response: "NO ' "$(errlog)"
	run wire "$(port passerr)" '<ready."\r\n' '>AUTHENTICATE "PLAIN" "AGdob3N0AGdob3N0cGFzcw=="\r\n' '.'
	[[ "$output" == "${GREET}"'NO "'*'"\r\n[EOF]' ]]
}

@test "error_log debug: commands shown, the SASL responses and the backend's credentials not" {
	run wire "$(port dbg)" '<ready."\r\n' '>NOOP "t1"\r\n' '<\r\n' ">AUTHENTICATE \"PLAIN\" \"$PLAIN\"\r\n" \
		'<Logged in."\r\n'
	[[ "$output" == *'OK "Logged in."\r\n' ]]
	run wire "$(port dbg)" '<ready."\r\n' '>AUTHENTICATE "LOGIN"\r\n' '<\r\n' '>"YWxpY2U="\r\n' '<\r\n' \
		'>{12+}\r\nYWxpY2VwYXNz\r\n' '<Logged in."\r\n'
	[[ "$output" == *'OK "Logged in."\r\n' ]]
	d=$T/sieve-debug.log
	grep -q 'sieve command: "NOOP" "t1"' "$d"
	grep -q 'sieve command: "AUTHENTICATE" "PLAIN" (1 argument hidden)' "$d"
	grep -q 'sieve command: "AUTHENTICATE" "LOGIN" while' "$d"
	[ "$(grep -c 'sieve SASL response (hidden)' "$d")" -eq 2 ]
	grep -q 'AUTHENTICATE \\x22PLAIN\\x22 \\x22' "$d"
	run grep -c -e "$PLAIN" -e alicepass -e YWxpY2VwYXNz "$d"
	[ "$output" = 0 ]
}

@test "mailproxy -t: sieve directives; SASL, STARTTLS and quotes refused in sieve_capabilities" {
	local c=$T/t.conf
	printf 'mail { auth_http 127.0.0.1:1/a; server { listen 127.0.0.1:4190; sieve_auth plain login;\n sieve_client_buffer 8k; sieve_capabilities "IMPLEMENTATION x" "VERSION 1.0"; } }\n' >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
	[ "$status" -eq 0 ]
	for bad in '"SASL PLAIN"' 'starttls' "'SIEVE a\"b'" '" x"'; do
		printf 'mail { auth_http 127.0.0.1:1/a; server { listen 127.0.0.1:4190;\nsieve_capabilities %s; } }\n' "$bad" >"$c"
		run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
		[ "$status" -eq 1 ]
		[[ "$output" == *'in "sieve_capabilities" directive'*" in $c:2"* ]]
	done
	printf 'mail { auth_http 127.0.0.1:1/a; server { listen 127.0.0.1:4190;\nsieve_auth cram-md5; } }\n' >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid value \"cram-md5\" in $c:2"* ]]
}

@test "mailproxy -T systemd and -T inetd: port 4190 is the sieve unit" {
	local c=$T/t.conf
	printf 'mail { auth_http 127.0.0.1:1/a; server { listen 4190; } server { listen 127.0.0.1:14190; protocol sieve; } }\n' >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -T systemd -c "$c"
	[ "$status" -eq 0 ]
	[[ "$output" == *'mailproxy@sieve.socket'*'Description=mailproxy sieve socket'*'ListenStream=0.0.0.0:4190'* ]]
	[[ "$output" == *'mailproxy@sieve-14190.socket'*'ListenStream=127.0.0.1:14190'* ]]
	run "$MAILPROXY_BUILD/mailproxy" -T inetd -c "$c"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n4190\tstream\ttcp4\tnowait.'* ]]
}

# ---- bearer tokens (XOAUTH2, OAUTHBEARER: RFC 7628) ------------------------------------------

# token USER PASSWORD: an access token from the auth server's token endpoint
token() {
	curl -sSf --max-time 5 "http://127.0.0.1:$AUTHPORT/token?user=$1&password=$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

@test "XOAUTH2 and OAUTHBEARER with sieve_auth: advertised, a token logs in to Dovecot" {
	local tok msg
	tok=$(token alice alicepass)
	run wire "$(port oauth)" '<ready."\r\n' \
		">AUTHENTICATE \"XOAUTH2\" \"$(printf 'user=alice\001auth=Bearer %s\001\001' "$tok" | base64 -w0)\"\r\n" \
		'<Logged in."\r\n'
	[[ "$output" == *'"SASL" "PLAIN XOAUTH2 OAUTHBEARER"\r\n'*'OK "Logged in."\r\n' ]]
	run auth_last_request
	[[ "$output" == *"Auth-Method: xoauth2\r\nAuth-User: alice\r\nAuth-Pass: $tok\r\nAuth-Protocol: sieve\r\n"* ]]
	# OAUTHBEARER, its message as a literal after the empty challenge
	msg=$(printf 'n,a=alice,\001auth=Bearer %s\001\001' "$tok" | base64 -w0)
	run wire "$(port oauth)" '<ready."\r\n' '>AUTHENTICATE "OAUTHBEARER"\r\n' '<""\r\n' \
		">{${#msg}+}\r\n$msg\r\n" '<Logged in."\r\n'
	[[ "$output" == *'OK "ManageSieve ready."\r\n""\r\nOK "Logged in."\r\n' ]]
}

@test "a refused token: the Auth-Error-SASL challenge as a string, the next line ignored, NO, close" {
	local err want
	err=$(printf '{"status": "invalid_token", "schemes": "bearer", "scope": "mail"}' | base64 -w0)
	run wire "$(port oauth)" '<ready."\r\n' \
		">AUTHENTICATE \"XOAUTH2\" \"$(printf 'user=alice\001auth=Bearer forged\001\001' | base64 -w0)\"\r\n" \
		"<\"$err\"\r\n" '>"AQ=="\r\n' .
	echo "$output"
	want='OK "ManageSieve ready."\r\n"'$err'"\r\nNO "Invalid login or password"\r\n[EOF]'
	[[ "$output" == *"$want" ]]
	# not configured: not offered, so refused as Dovecot refuses it
	run wire "$(port main)" '<ready."\r\n' '>AUTHENTICATE "XOAUTH2" "eA=="\r\n' '<\r\n'
	echo "$output"
	[ "$output" = "$GREET"'NO "Unsupported authentication mechanism."\r\n' ]
}
