#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# auth_https.bats - `auth_http https://...`, a mailproxy extension (nginx refuses the
# scheme): the request goes over TLS through libcurl, loaded only for it; the server's
# certificate is checked against the system store or the file named by CURL_CA_BUNDLE.
# The auth server is tests/authserver.py behind TLS (tests/lib/authserver_tls.py) with a
# certificate for localhost and 127.0.0.1 from the test CA (tests/lib/tls.bash).

load lib/common
load lib/tls
load lib/auth_tls

setup_file() {
	tls_init
	dovecot_start
	authserver_start
	auth_tls_start "$PKI"
	mp_server byname "auth_http https://localhost:$AUTHTLSPORT/auth;"
	mp_server numeric "auth_http https://127.0.0.1:$AUTHTLSPORT/auth;"
	mp_server plain ''
	# the right CA for one instance, a CA that signed nothing of ours for the other
	tls_proxy_start_env mp "CURL_CA_BUNDLE=$PKI/ca.crt"
	tls_proxy_start_env wrongca "CURL_CA_BUNDLE=$PKI/other-ca.crt"
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

tls_log_clear() { : >"$T/auth-tls.log"; }

@test "LOGIN through auth_http https://localhost:PORT/auth reaches Dovecot" {
	tls_log_clear
	run wire "$(port byname)" '>a1 LOGIN alice alicepass\r\n' '<a1 OK' '<\r\n' '>a2 LOGOUT\r\n' .
	[[ "$output" == '* OK IMAP4 ready\r\na1 OK '*'Logged in\r\n'* ]]
	[[ "$output" == *'a2 OK Logout completed'*'\r\n[EOF]' ]]
}

@test "a server that needs libcurl is served by mailproxy-full, the others by the static handler" {
	[ -x "$MAILPROXY_BUILD/mailproxy-full" ] || skip "built without musl: one handler"
	run python3 "$MP_TESTS/lib/served_by.py" "$(port byname)"
	[ "$output" = mailproxy-full ]
	run python3 "$MP_TESTS/lib/served_by.py" "$(port numeric)"
	[ "$output" = mailproxy-full ]
	run python3 "$MP_TESTS/lib/served_by.py" "$(port plain)"
	[ "$output" = mailproxy ]
}

@test "the request over TLS is nginx's request, byte for byte (Host: the host as written)" {
	tls_log_clear
	run wire "$(port byname)" '>a1 LOGIN alice alicepass\r\n' '<a1 OK' '<\r\n' '>a2 LOGOUT\r\n' .
	run auth_tls_requests
	[ "$output" = 'GET /auth HTTP/1.0\r\nHost: localhost\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n' ]
}

@test "the same request as over plain http, but for the Host header" {
	tls_log_clear
	auth_log_clear
	wire "$(port byname)" '>a1 LOGIN bob bobpass\r\n' '<a1 OK' '<\r\n' '>a2 LOGOUT\r\n' . >/dev/null
	wire "$(port plain)" '>a1 LOGIN bob bobpass\r\n' '<a1 OK' '<\r\n' '>a2 LOGOUT\r\n' . >/dev/null
	[ "$(auth_tls_requests | sed 's/Host: localhost/Host: H/')" = "$(auth_last_request | sed 's/Host: 127.0.0.1/Host: H/')" ]
}

@test "https with a numeric host: TLS all the same (never the plain connect), certificate checked against the IP" {
	tls_log_clear
	run wire "$(port numeric)" '>a1 LOGIN alice alicepass\r\n' '<a1 OK' '<\r\n' '>a2 LOGOUT\r\n' .
	[[ "$output" == '* OK IMAP4 ready\r\na1 OK '*'Logged in\r\n'* ]]
	run auth_tls_requests
	[[ "$output" == 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\n'* ]]
}

@test "a wrong CA: internal error for the client, the verify error logged, no request sent" {
	tls_log_clear
	run wire "$(port byname wrongca)" '>a1 LOGIN alice alicepass\r\n' .
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	run grep -c . "$T/auth-tls.log"
	[ "$output" = 0 ]
	for ((i = 0; i < 50; i++)); do
		grep -q 'SSL certificate verify error' "$(errlog wrongca)" && break
		sleep 0.1
	done
	run grep 'SSL certificate verify error' "$(errlog wrongca)"
	[[ "$output" == *"SSL certificate verify error with 127.0.0.1:$AUTHTLSPORT (SSL certificate problem: "*") while in http auth state, auth http server https://localhost:$AUTHTLSPORT/auth"* ]]
}

@test "mailproxy -t: https:// parsed (default port 443), nginx's errors otherwise" {
	local c=$T/https.conf
	printf 'mail { server { listen 127.0.0.1:1143; protocol imap; auth_http %s; } }\n' \
		'https://auth.example/auth' >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
	[ "$status" = 0 ]
	printf 'mail { server { listen 127.0.0.1:1143; protocol imap; auth_http %s; } }\n' \
		'https://auth.example:0/auth' >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
	[ "$status" != 0 ]
	[[ "$output" == *'invalid port in auth_http "auth.example:0/auth"'* ]]
	printf 'mail { server { listen 127.0.0.1:1143; protocol imap; auth_http %s; } }\n' \
		'https://unix:/run/auth.sock' >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
	[ "$status" != 0 ]
	[[ "$output" == *'invalid host in auth_http'* ]]
}
