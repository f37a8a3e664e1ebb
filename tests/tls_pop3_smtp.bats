#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tls_pop3_smtp.bats - TLS for POP3 and SMTP through mailproxy-tls, against the real
# Dovecot and Postfix: implicit TLS (pop3s, smtps) and STLS/STARTTLS with curl, poplib and
# openssl s_client; the plaintext-injection defence (CVE-2014-3556: commands behind
# STARTTLS dropped, HELO/MAIL/RCPT forgotten); "starttls only"; the client-certificate
# error lines; the Auth-SSL-* headers of POP3 and SMTP auth requests.
# Wire bytes: doc/wire.md#auth-request, #pop3, #smtp, #tls.  MAILPROXY_TARGET=nginx runs
# it against nginx.

load lib/common
load lib/smtp
load lib/tls
load lib/tls_more

setup_file() {
	tls_init
	dovecot_start
	postfix_start
	authserver_start --backend "smtp=127.0.0.1:$POSTFIX_PORT"
	echo ':' >>"$T/users" # smtp_auth none asks with an empty Auth-User
	# nginx 1.22's default ssl_protocols lack TLSv1.3: say it, so both agree
	local c="ssl_certificate $PKI/server.crt; ssl_certificate_key $PKI/server.key;
		ssl_protocols TLSv1.2 TLSv1.3;"
	local v="ssl_verify_client on; ssl_client_certificate $PKI/ca.crt;"
	xserver pop3s pop3 ssl "$c"
	xserver pop3tls pop3 '' "starttls on; $c"
	xserver pop3only pop3 '' "starttls only; $c"
	xserver pop3verify pop3 ssl "$c $v"
	xserver pop3stverify pop3 '' "starttls on; $c $v"
	xserver smtps smtp ssl "$c"
	xserver smtptls smtp '' "starttls on; $c"
	xserver smtpnone smtp '' "starttls on; smtp_auth login plain none; $c"
	xserver smtponly smtp '' "starttls only; $c"
	xserver smtpverify smtp ssl "$c $v"
	xserver smtpstverify smtp '' "starttls on; $c $v"
	tls_proxy_start
}

teardown_file() {
	postfix_stop
	mp_cleanup
}
setup() { auth_log_clear; }
teardown() { check_sanitizers; }

PGREET='+OK POP3 ready\r\n'
SGREET='220 mail.test ESMTP ready\r\n'
CAPA='+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n'
B64_ALICE=$(printf '\0alice\0alicepass' | base64)
TLS13='Auth-SSL: on\r\nAuth-SSL-Protocol: TLSv1.3\r\nAuth-SSL-Cipher: TLS_AES_256_GCM_SHA384\r\n'
REQ_POP3='GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: pop3\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n'
REQ_SMTP='GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: alicepass\r\nAuth-Protocol: smtp\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\nClient-Host: [UNAVAILABLE]\r\n'

curl_tls() { # URL-SCHEME PORT PATH [CURL-OPTIONS...]
	local scheme=$1 p=$2 path=$3
	shift 3
	curl -sS --max-time 20 --cacert "$PKI/ca.crt" --resolve "mail.test:$p:127.0.0.1" \
		"$@" "$scheme://mail.test:$p/$path"
}

# the delivered message as Postfix stored it (LF line ends), from our first header on
delivered_tail() { awk 'f || /^From: Bob/ { f = 1; print }' "$1"; }

# ---- POP3, implicit TLS ------------------------------------------------------------------

@test "pop3s: greeting, CAPA without STLS, STLS is an invalid command (openssl s_client)" {
	run s_client "$(port pop3s)" -servername mail.test < <(sleep 1; printf 'CAPA\r\nSTLS\r\nQUIT\r\n')
	[ "$output" = "${PGREET//\\r\\n/$'\r\n'}${CAPA//\\r\\n/$'\r\n'}-ERR invalid command"$'\r\n+OK\r' ]
}

@test "pop3s, inetd style: greeting" {
	run xwire "$(port pop3s mp inetd)" tls '<\r\n'
	[ "$output" = "$PGREET" ]
}

@test "pop3s: curl RETRs both messages from Dovecot byte for byte" {
	curl_tls pop3s "$(port pop3s)" 1 -u alice:alicepass | cmp - "$(message_file 1)"
	curl_tls pop3s "$(port pop3s)" 2 -u alice:alicepass --login-options AUTH=PLAIN |
		cmp - "$(message_file 2)"
}

@test "pop3s: python poplib.POP3_SSL, USER/PASS and RETR byte for byte" {
	python3 - "$(port pop3s)" "$T/poplib.out" <<'PY'
import os, poplib, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ["PKI"] + "/ca.crt")
# the server certificate names 127.0.0.1 too: full verification
m = poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10)
assert m.getwelcome() == b"+OK POP3 ready", m.getwelcome()
m.user("alice")
m.pass_("alicepass")
resp, lines, octets = m.retr(2)
assert resp.startswith(b"+OK"), resp
open(sys.argv[2], "wb").write(b"".join(l + b"\r\n" for l in lines))
m.quit()
PY
	cmp "$T/poplib.out" "$(message_file 2)"
	[ "$(auth_last_request)" = "${REQ_POP3}${TLS13}\r\n" ]
}

# ---- POP3, STLS --------------------------------------------------------------------------

@test "STLS: curl --ssl-reqd pop3:// RETRs byte for byte" {
	curl_tls pop3 "$(port pop3tls)" 1 --ssl-reqd -u alice:alicepass | cmp - "$(message_file 1)"
	run auth_last_request
	[ "$output" = "${REQ_POP3}${TLS13}\r\n" ]
}

@test "STLS: openssl s_client -starttls pop3, then USER/PASS/STAT to Dovecot" {
	run s_client "$(port pop3tls)" -starttls pop3 < <(sleep 1; printf 'CAPA\r\nUSER alice\r\nPASS alicepass\r\nSTAT\r\nQUIT\r\n')
	[[ "$output" == "${CAPA//\\r\\n/$'\r\n'}"$'+OK\r\n+OK Logged in.\r\n+OK 2 '*$'\r\n+OK Logging out.\r' ]]
}

@test "STLS injection: USER and PASS behind STLS in the same packet are never executed" {
	run xwire "$(port pop3tls)" '<\r\n' '>STLS\r\nUSER alice\r\nPASS alicepass\r\n' '<+OK\r\n' tls \
		'>PASS alicepass\r\n' '<\r\n' '>CAPA\r\n' '<\r\n.\r\n'
	# either the injected bytes were dropped (the handshake works) or they reached the
	# TLS layer as garbage (it fails); never commands
	[[ "$output" == "${PGREET}+OK\\r\\n-ERR invalid command\\r\\n${CAPA}" ||
		"$output" == "${PGREET}+OK\\r\\n[TLS: "* ]]
	run auth_requests
	[ -z "$output" ]
}

@test "starttls only (POP3): CAPA has STLS and no USER/SASL, USER refused, login after STLS" {
	run xwire "$(port pop3only)" '>CAPA\r\n' '<.\r\n' '>USER alice\r\n' '<\r\n' '>AUTH PLAIN\r\n' '<\r\n' \
		'>STLS\r\n' '<+OK\r\n' tls '>CAPA\r\n' '<.\r\n' '>USER alice\r\n' '<+OK\r\n' \
		'>PASS alicepass\r\n' '<\r\n'
	[ "$output" = "${PGREET}+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n-ERR invalid command\r\n-ERR invalid command\r\n+OK\r\n${CAPA}+OK\r\n+OK Logged in.\r\n" ]
	run auth_requests
	[ "$output" = "${REQ_POP3}${TLS13}\r\n" ]
}

@test "starttls only (POP3): curl --ssl-reqd RETRs byte for byte" {
	curl_tls pop3 "$(port pop3only)" 2 --ssl-reqd -u alice:alicepass | cmp - "$(message_file 2)"
}

# ---- POP3, client certificates -----------------------------------------------------------

@test "pop3s, ssl_verify_client on, no certificate: -ERR No required SSL certificate" {
	run xwire "$(port pop3verify)" tls .
	[ "$output" = '-ERR No required SSL certificate\r\n[EOF]' ]
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q 'client sent no required SSL certificate while SSL handshaking' "$(errlog)"
	fi
}

@test "POP3 STLS, ssl_verify_client on, no certificate: the -ERR line after the handshake" {
	run xwire "$(port pop3stverify)" '<\r\n' '>STLS\r\n' '<+OK\r\n' tls .
	[ "$output" = "${PGREET}+OK\\r\\n-ERR No required SSL certificate\\r\\n[EOF]" ]
}

@test "pop3s, ssl_verify_client on: an unknown CA's certificate gets -ERR SSL certificate error" {
	run xwire --cert "$PKI/stranger.crt" --key "$PKI/stranger.key" "$(port pop3verify)" tls .
	[ "$output" = '-ERR SSL certificate error\r\n[EOF]' ]
}

@test "pop3s, ssl_verify_client on, good certificate: exact auth request with Auth-SSL-*" {
	run xwire --cert "$PKI/client.crt" --key "$PKI/client.key" "$(port pop3verify)" tls \
		'<\r\n' '>USER alice\r\n' '<+OK\r\n' '>PASS alicepass\r\n' '<\r\n'
	[ "$output" = "${PGREET}+OK\\r\\n+OK Logged in.\\r\\n" ]
	local cert=$PKI/client.crt
	[ "$(auth_last_request)" = "${REQ_POP3}${TLS13}Auth-SSL-Verify: SUCCESS\\r\\nAuth-SSL-Subject: O=Example\\\\, Inc.,CN=client.test\\r\\nAuth-SSL-Issuer: CN=Test CA,O=mailproxy tests\\r\\nAuth-SSL-Serial: $(cert_field "$cert" Serial)\\r\\nAuth-SSL-Fingerprint: $(cert_field "$cert" Fingerprint)\\r\\n\\r\\n" ]
}

# ---- SMTP, implicit TLS ------------------------------------------------------------------

@test "smtps: greeting and EHLO without STARTTLS, STARTTLS invalid (openssl s_client)" {
	run s_client "$(port smtps)" -servername mail.test < <(sleep 1; printf 'EHLO c.test\r\nSTARTTLS\r\nQUIT\r\n')
	[ "$output" = $'220 mail.test ESMTP ready\r\n250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n500 5.5.1 Invalid command\r\n221 2.0.0 Bye\r' ]
}

@test "smtps: curl sends a message that arrives at Postfix byte for byte" {
	local n
	n=$(postfix_messages | wc -l)
	smtp_message 11 >"$T/m11"
	curl_tls smtps "$(port smtps)" client.example -u alice:alicepass --mail-from bob@example.test \
		--mail-rcpt alice@example.test --upload-file "$T/m11"
	postfix_wait_messages $((n + 1))
	diff <(tr -d '\r' <"$T/m11") <(delivered_tail "$(postfix_messages | tail -n 1)")
	[ "$(auth_last_request)" = "${REQ_SMTP}${TLS13}\r\n" ]
	# Postfix learnt the client and the login from XCLIENT
	grep -q 'client=unknown\[127.0.0.1\], sasl_method=XCLIENT, sasl_username=alice' "$T/postfix/maillog"
}

# ---- SMTP, STARTTLS ----------------------------------------------------------------------

@test "STARTTLS: advertised in EHLO, 220 2.0.0 Start TLS, EHLO after TLS without it" {
	run xwire "$(port smtptls)" '<\r\n' '>EHLO c.test\r\n' '<250 STARTTLS\r\n' '>STARTTLS\r\n' '<\r\n' tls \
		'>EHLO c.test\r\n' '<250 AUTH PLAIN LOGIN\r\n' '>STARTTLS\r\n' '<\r\n'
	[ "$output" = "${SGREET}250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n220 2.0.0 Start TLS\r\n250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n500 5.5.1 Invalid command\r\n" ]
}

@test "STARTTLS: curl --ssl-reqd smtp:// sends a message that arrives byte for byte" {
	local n
	n=$(postfix_messages | wc -l)
	smtp_message 12 >"$T/m12"
	curl_tls smtp "$(port smtptls)" client.example --ssl-reqd -u alice:alicepass \
		--mail-from bob@example.test --mail-rcpt alice@example.test --upload-file "$T/m12"
	postfix_wait_messages $((n + 1))
	diff <(tr -d '\r' <"$T/m12") <(delivered_tail "$(postfix_messages | tail -n 1)")
	[ "$(auth_last_request)" = "${REQ_SMTP}${TLS13}\r\n" ]
}

@test "STARTTLS: openssl s_client -starttls smtp, AUTH PLAIN and MAIL to Postfix" {
	run s_client "$(port smtptls)" -starttls smtp < <(sleep 1; printf 'EHLO c.test\r\nAUTH PLAIN %s\r\nMAIL FROM:<bob@example.test>\r\nQUIT\r\n' "$B64_ALICE")
	[ "$output" = $'250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n235 2.0.0 OK\r\n250 2.1.0 Ok\r\n221 2.0.0 Bye\r' ]
}

@test "CVE-2014-3556: commands behind STARTTLS are dropped, HELO/MAIL/RCPT forgotten" {
	run xwire "$(port smtpnone)" '<\r\n' '>EHLO evil.test\r\n' '<250 STARTTLS\r\n' \
		'>MAIL FROM:<evil@evil.test>\r\n' '<250 2.0.0 OK\r\n' \
		'>STARTTLS\r\nRCPT TO:<alice@example.test>\r\nMAIL FROM:<x@evil.test>\r\n' '<220 2.0.0 Start TLS\r\n' \
		tls '>RCPT TO:<alice@example.test>\r\n' '<\r\n' '>MAIL FROM:<bob@example.test>\r\n' '<\r\n' \
		'>RCPT TO:<alice@example.test>\r\n' '<\r\n' '>QUIT\r\n' .
	if [[ "$output" == *'[TLS: '* ]]; then
		# the injected bytes reached the TLS layer as garbage: nothing was executed
		[[ "$output" == "${SGREET}250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n250 2.0.0 OK\r\n220 2.0.0 Start TLS\r\n[TLS: "* ]]
		run auth_requests
		[ -z "$output" ]
	else
		# the MAIL of before TLS is forgotten (503), and the injected RCPT/MAIL never ran:
		# the second MAIL is accepted
		[ "$output" = "${SGREET}250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n250 2.0.0 OK\r\n220 2.0.0 Start TLS\r\n503 5.5.1 Bad sequence of commands\r\n250 2.0.0 OK\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n[EOF]" ]
		# one auth request, with no HELO name and only the MAIL sent inside TLS
		run auth_requests
		[ "$output" = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: none\r\nAuth-User: \r\nAuth-Pass: \r\nAuth-Protocol: smtp\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\nClient-Host: [UNAVAILABLE]\r\nAuth-SMTP-Helo: \r\nAuth-SMTP-From: MAIL FROM:<bob@example.test>\r\nAuth-SMTP-To: RCPT TO:<alice@example.test>\r\n'"${TLS13}"'\r\n' ]
	fi
}

@test "starttls only (SMTP): AUTH refused before TLS, EHLO without AUTH, then with it" {
	run xwire "$(port smtponly)" '<\r\n' '>EHLO c.test\r\n' '<250 STARTTLS\r\n' \
		">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n' '>AUTH LOGIN\r\n' '<\r\n' '>STARTTLS\r\n' '<\r\n' tls \
		'>EHLO c.test\r\n' '<250 AUTH PLAIN LOGIN\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n' \
		'>MAIL FROM:<bob@example.test>\r\n' '<\r\n'
	[ "$output" = "${SGREET}250-mail.test\r\n250 STARTTLS\r\n500 5.5.1 Invalid command\r\n500 5.5.1 Invalid command\r\n220 2.0.0 Start TLS\r\n250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n235 2.0.0 OK\r\n250 2.1.0 Ok\r\n" ]
	run auth_requests
	[ "$output" = "${REQ_SMTP}${TLS13}\r\n" ]
}

# ---- SMTP, client certificates -----------------------------------------------------------

@test "smtps, ssl_verify_client on, no certificate: 421 4.7.1 No required SSL certificate" {
	run xwire "$(port smtpverify)" tls .
	[ "$output" = '421 4.7.1 No required SSL certificate\r\n[EOF]' ]
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q 'client sent no required SSL certificate while SSL handshaking' "$(errlog)"
	fi
}

@test "SMTP STARTTLS, ssl_verify_client on, no certificate: the 421 line after the handshake" {
	run xwire "$(port smtpstverify)" '<\r\n' '>STARTTLS\r\n' '<\r\n' tls .
	[ "$output" = "${SGREET}220 2.0.0 Start TLS\\r\\n421 4.7.1 No required SSL certificate\\r\\n[EOF]" ]
}

@test "smtps, ssl_verify_client on: a self-signed certificate gets 421 4.7.1 SSL certificate error" {
	run xwire --cert "$PKI/self.crt" --key "$PKI/self.key" "$(port smtpverify)" tls .
	[ "$output" = '421 4.7.1 SSL certificate error\r\n[EOF]' ]
}

@test "smtps, ssl_verify_client on, good certificate: exact auth request with Auth-SSL-*" {
	run xwire --cert "$PKI/client.crt" --key "$PKI/client.key" "$(port smtpverify)" tls \
		'<\r\n' ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n'
	[ "$output" = "${SGREET}235 2.0.0 OK\\r\\n" ]
	local cert=$PKI/client.crt
	[ "$(auth_last_request)" = "${REQ_SMTP}${TLS13}Auth-SSL-Verify: SUCCESS\\r\\nAuth-SSL-Subject: O=Example\\\\, Inc.,CN=client.test\\r\\nAuth-SSL-Issuer: CN=Test CA,O=mailproxy tests\\r\\nAuth-SSL-Serial: $(cert_field "$cert" Serial)\\r\\nAuth-SSL-Fingerprint: $(cert_field "$cert" Fingerprint)\\r\\n\\r\\n" ]
}

@test "SMTP STARTTLS with a good certificate: Auth-SSL-Verify SUCCESS after STARTTLS" {
	run xwire --cert "$PKI/client.crt" --key "$PKI/client.key" "$(port smtpstverify)" '<\r\n' \
		'>STARTTLS\r\n' '<\r\n' tls ">AUTH PLAIN $B64_ALICE\\r\\n" '<\r\n'
	[ "$output" = "${SGREET}220 2.0.0 Start TLS\\r\\n235 2.0.0 OK\\r\\n" ]
	[ "$(auth_header Auth-SSL-Verify)" = SUCCESS ]
	[ "$(auth_header Auth-SSL-Fingerprint)" = "$(cert_field "$PKI/client.crt" Fingerprint)" ]
}

@test "error_log: no password of this suite" {
	! grep -naE 'alicepass' "$T"/*/error.log
}
