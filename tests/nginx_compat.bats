#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# nginx_compat.bats - side by side with Debian's nginx: the same mail{} configuration is
# served by nginx's own mail proxy (instance "ref") and by mailproxy (instance "mp"); the
# same client byte scripts must get identical replies, and the auth server must receive
# identical requests.  With MAILPROXY_TARGET=nginx both sides are nginx: that checks the
# harness itself.  Cases where nginx 1.22 still has a bug fixed later
# (doc/wire.md#nginx-fixes: literal length overflow, a literal directly followed by
# another byte, stale credentials, XCLIENT xtext) are not compared here; imap_errors.bats
# covers the fixed behaviour.

load lib/common

setup_file() {
	mp_init
	dovecot_start
	authserver_start
	mp_server main 'auth_http_header X-Compat yes;'
	mp_server caps 'imap_capabilities IMAP4rev1 IDLE "X-ONE two";
		imap_auth login external cram-md5;'
	mp_server cram 'imap_auth plain login cram-md5 external;'
	mp_server strict 'max_errors 2; imap_client_buffer 1k;'
	mp_server authdown "auth_http 127.0.0.1:$CLOSEDPORT/auth;"
	proxy_start ref nginx
	proxy_start mp
}

teardown_file() { mp_cleanup; }
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

# norm: hide what legitimately differs between two sessions: CRAM-MD5 salts (random and
# time-based) and Dovecot's command timings
norm() {
	sed -E 's/\+ [A-Za-z0-9+\/]{16,}=*\\r\\n/+ <SALT>\\r\\n/g; s/ \([0-9.+ ]+ secs\)//g'
}

# same SERVER STEP...: run the wire script against nginx and mailproxy, compare the bytes
same() {
	local s=$1 ref got
	shift
	ref=$(wire "$(port "$s" ref)" "$@" | norm)
	got=$(wire "$(port "$s" mp)" "$@" | norm)
	if [ "$ref" != "$got" ]; then
		printf 'script:    %s\nnginx:     %s\nmailproxy: %s\n' "$*" "$ref" "$got"
		return 1
	fi
	[[ "$ref" == '* OK IMAP4 ready\r\n'* ]]
}

# same_auth SERVER STEP...: as same, and compare the auth requests the two sessions caused
same_auth() {
	local s=$1 ref got
	shift
	auth_log_clear
	wire "$(port "$s" ref)" "$@" >/dev/null
	ref=$(auth_requests | sed -E 's/(Auth-Salt: |Auth-Pass: [0-9a-f]{32}\\r\\n)//; s/<[0-9]+\.[0-9]+@/<SALT@/')
	auth_log_clear
	wire "$(port "$s" mp)" "$@" >/dev/null
	got=$(auth_requests | sed -E 's/(Auth-Salt: |Auth-Pass: [0-9a-f]{32}\\r\\n)//; s/<[0-9]+\.[0-9]+@/<SALT@/')
	if [ "$ref" != "$got" ]; then
		printf 'script:    %s\nnginx:     %s\nmailproxy: %s\n' "$*" "$ref" "$got"
		return 1
	fi
	[[ "$ref" == 'GET /auth HTTP/1.0\r\n'* ]]
}

@test "compat: greeting under both activation styles" {
	same main '<\r\n'
	ref=$(wire "$(port main ref)" '<\r\n')
	got=$(wire "$(port main mp inetd)" '<\r\n')
	[ "$ref" = "$got" ]
}

@test "compat: CAPABILITY variants" {
	same main '>a CAPABILITY\r\n' '<a OK completed\r\n'
	same caps '>a CAPABILITY\r\n' '<a OK completed\r\n'
	same cram '>a capability extra args\r\n' '<a OK completed\r\n'
}

@test "compat: NOOP, LOGOUT, case, bare LF, split writes" {
	same main '>a NOOP\r\n' '<a OK completed\r\n' '>b noop x y z\r\n' '<b OK completed\r\n'
	same main '>x LOGOUT\r\n' .
	same main '>x noop\n' '<x OK completed\r\n'
	same main '>a NO' '~0.2' '>OP\r' '~0.1' '>\n' '<a OK completed\r\n'
}

@test "compat: bad commands and bad tags" {
	same main '>a FOO\r\n' '<invalid command\r\n'
	same main '>a*b NOOP\r\n' '<invalid command\r\n'
	same main '>\r\n' '<invalid command\r\n'
	same main '>NOOP\r\n' '<invalid command\r\n'
	same main '> NOOP\r\n' '<completed\r\n'
	same main '>abcdefghijklmnopqrstuvwxyz0123456 NOOP\r\n' '<invalid command\r\n'
	same main '>a NOOP\rx\r\n' '<invalid command\r\n'
	same main '>a STARTTLS\r\n' '<invalid command\r\n'
	same main '>a LOGIN alice\r\n' '<invalid command\r\n' '>b LOGIN "" x\r\n' '<invalid command\r\n'
	same main '>a FOO {5+}\r\nhello\r\n' .
}

@test "compat: pipelining and max_errors" {
	same main '>a NOOP\r\nb CAPABILITY\r\nc FOO\r\nd NOOP\r\ne LOGOUT\r\n' .
	same main '>a X\r\nb X\r\nc X\r\nd X\r\ne X\r\nf NOOP\r\n' .
	same strict '>a X\r\nb X\r\nc NOOP\r\n' .
	same strict '>a LOGIN x\r\nb AUTHENTICATE FOO\r\nc LOGIN y\r\nd NOOP\r\n' '<d OK completed\r\n'
}

@test "compat: overlong line" {
	long=$(printf 'y%.0s' {1..1500})
	same strict ">a NOOP $long\\r\\n" .
}

@test "compat: literal continuation" {
	same main '>a LOGIN {5}\r\n' '<+ OK\r\n' '>alice {9}\r\n' '<+ OK\r\n' '>alicepass\r\n' '<a OK' '<\r\n'
	same main '>a LOGIN {5+}\r\nalice {9+}\r\nalicepass\r\n' '<a OK' '<\r\n'
	same main '>a LOGIN {5}\r\nalice "alicepass"\r\n' '<a OK' '<\r\n'
}

@test "compat: LOGIN failure replies" {
	same main '>a LOGIN alice wrong\r\n' .
	same main '>a LOGIN waiter wrong\r\nb NOOP\r\n' '<b OK completed\r\n' '>c LOGIN waiter waiterpass\r\n' '<c OK' '<\r\n'
	same main '>a LOGIN noserver x\r\n' .
	same main '>a LOGIN garbage x\r\n' .
	same main '>a LOGIN ghost ghostpass\r\n' .
	same authdown '>a LOGIN alice alicepass\r\n' .
}

@test "compat: AUTHENTICATE prompts and invalid steps" {
	same main '>a AUTHENTICATE PLAIN\r\n' '<+ \r\n' '>*\r\n' '<invalid command\r\n'
	same main '>a AUTHENTICATE LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '!b64("alice")+b"\r\n"' '<+ UGFzc3dvcmQ6\r\n' '>#\r\n' '<invalid command\r\n'
	same main '>a AUTHENTICATE LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '>#\r\n' '<invalid command\r\n'
	same main '>a AUTHENTICATE LOGIN YWxpY2U=\r\n' '<+ UGFzc3dvcmQ6\r\n'
	same main '>a AUTHENTICATE\r\n' '<invalid command\r\n' '>b AUTHENTICATE CRAM-MD5\r\n' '<invalid command\r\n' \
		'>c AUTHENTICATE EXTERNAL\r\n' '<invalid command\r\n'
	same cram '>a AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '!cram("alice", "alicepass")' '<a OK' '<\r\n'
	same cram '>a AUTHENTICATE CRAM-MD5 eA==\r\n' '<invalid command\r\n'
	same cram '>a AUTHENTICATE EXTERNAL\r\n' '<+ VXNlcm5hbWU6\r\n' '!b64("alice")+b"\r\n"' '<a OK' '<\r\n'
	same cram '!b"a AUTHENTICATE PLAIN "+b64("\0alice\0wrong")+b"\r\n"' .
}

@test "compat: a successful login relays the same backend replies" {
	same main '>a1 LOGIN alice alicepass\r\n' '<a1 OK' '<\r\n' '>a2 LOGOUT\r\n' .
	same main '>a1 LOGIN alice alicepass\r\na2 LOGOUT\r\n' .
}

@test "compat: identical auth requests for LOGIN" {
	same_auth main '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	same_auth main '>a LOGIN "spacey" "pass word%1"\r\n' '<a OK' '<\r\n'
	same_auth main '>a LOGIN alice wrong\r\n' .
}

@test "compat: identical auth requests for a retry after Auth-Wait" {
	same_auth main '>a LOGIN waiter wrong\r\n' '<a NO' '<\r\n' '>b LOGIN waiter waiterpass\r\n' '<b OK' '<\r\n'
}

@test "compat: identical auth requests for AUTHENTICATE" {
	same_auth cram '!b"a AUTHENTICATE PLAIN "+b64("\0alice\0alicepass")+b"\r\n"' '<a OK' '<\r\n'
	same_auth cram '>a AUTHENTICATE LOGIN\r\n' '<+ VXNlcm5hbWU6\r\n' '!b64("alice")+b"\r\n"' '<+ UGFzc3dvcmQ6\r\n' \
		'!b64("alicepass")+b"\r\n"' '<a OK' '<\r\n'
	same_auth cram '>a AUTHENTICATE CRAM-MD5\r\n' '<+ ' '<\r\n' '!cram("alice", "alicepass")' '<a OK' '<\r\n'
	same_auth cram '>a AUTHENTICATE EXTERNAL\r\n' '<+ VXNlcm5hbWU6\r\n' '!b64("alice")+b"\r\n"' '<a OK' '<\r\n'
}
