#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tls.bats - TLS through mailproxy-tls: implicit TLS and STARTTLS for IMAP (curl, openssl
# s_client, Python's ssl), the STARTTLS injection defence, handshake timeout, a plaintext
# client on a TLS port, ALPN, encrypted keys, systemd credentials, and client
# certificates with the exact Auth-SSL-* headers the auth server receives.
# Wire bytes: doc/wire.md#starttls, #auth-request, #tls.  MAILPROXY_TARGET=nginx runs it
# against nginx.

load lib/common
load lib/tls

setup_file() {
	tls_init
	mkdir -p "$T/creds"
	cp "$PKI/server.crt" "$T/creds/cred-server.crt"
	cp "$PKI/server.key" "$T/creds/cred-server.key"
	dovecot_start
	authserver_start
	local c="ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/server.key;"
	# nginx 1.22's default ssl_protocols lack TLSv1.3: say it, so both agree
	mp_server implicit "# listen-ssl
		$c
		ssl_protocols TLSv1.2 TLSv1.3;"
	mp_server starttls "starttls on;
		$c"
	mp_server only "starttls only;
		$c"
	mp_server verify_on "# listen-ssl
		$c
		ssl_verify_client on;
		ssl_client_certificate $PKI/ca.crt;
		auth_http_pass_client_cert on;"
	mp_server verify_opt "# listen-ssl
		$c
		ssl_verify_client optional;
		ssl_verify_depth 2;
		ssl_client_certificate $PKI/ca.crt;
		ssl_crl $PKI/crl.pem;"
	mp_server verify_noca "# listen-ssl
		$c
		ssl_verify_client optional_no_ca;"
	mp_server starttls_verify "starttls on;
		$c
		ssl_verify_client on;
		ssl_client_certificate $PKI/ca.crt;"
	mp_server short "# listen-ssl
		$c
		timeout 2s;"
	mp_server encrypted "# listen-ssl
		ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/enc.key;
		ssl_password_file $PKI/passwords;
		ssl_protocols TLSv1.2;
		ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;"
	tls_proxy_start
	if [ "$(proxy_kind)" = mailproxy ]; then
		# only the credential copies exist: LoadCredential=cred-server.key:/nonexistent/...
		mp_server credentials "# listen-ssl
			ssl_certificate /nonexistent/cred-server.crt;
			ssl_certificate_key /nonexistent/cred-server.key;"
		tls_proxy_start_env creds "CREDENTIALS_DIRECTORY=$T/creds"
	fi
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

skip_on_nginx_kind() { [ "$(proxy_kind)" = nginx ] && skip "$1"; return 0; }

# ---- implicit TLS ------------------------------------------------------------------

@test "implicit TLS: greeting and CAPABILITY without STARTTLS, over openssl s_client" {
	# after the greeting: nginx leaves bytes that came with the handshake's Finished unread
	run s_client "$(port implicit)" -servername mail.test < <(sleep 1; printf 'a CAPABILITY\r\nb LOGOUT\r\n')
	[ "$output" = $'* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\na OK completed\r\n* BYE\r\nb OK completed\r' ]
}

@test "implicit TLS, inetd style: greeting" {
	run tls_wire "$(port implicit mp inetd)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
}

@test "implicit TLS: curl imaps:// logs in to Dovecot and FETCHes byte for byte" {
	mp_message 1 >"$T/want1"
	curl -sS --max-time 20 --cacert "$PKI/ca.crt" --resolve "mail.test:$(port implicit):127.0.0.1" \
		-u alice:alicepass "imaps://mail.test:$(port implicit)/INBOX;UID=1" -o "$T/got1"
	cmp "$T/want1" "$T/got1"
}

@test "implicit TLS: full session with LOGOUT ends with the backend's BYE and a clean close" {
	run tls_wire "$(port implicit)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n' \
		'>b SELECT INBOX\r\n' '<b OK' '<\r\n' '>c FETCH 2 BODY.PEEK[]\r\n' '<c OK' '<\r\n' \
		'>d LOGOUT\r\n' eof
	[[ "$output" == *'This is message number 2.\r\nIt has two lines.\r\n)\r\nc OK'* ]]
	[[ "$output" == *'* BYE '*'d OK '*'[EOF]' ]]
}

@test "implicit TLS: Auth-SSL headers without client certificates" {
	auth_log_clear
	run tls_wire "$(port implicit)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == *'a OK'* ]]
	[ "$(auth_header Auth-SSL)" = on ]
	[ "$(auth_header Auth-SSL-Protocol)" = TLSv1.3 ]
	[ "$(auth_header Auth-SSL-Cipher)" = TLS_AES_256_GCM_SHA384 ]
	[ "$(auth_ssl_headers | tr '\n' ' ')" = 'Auth-SSL Auth-SSL-Protocol Auth-SSL-Cipher ' ]
}

@test "TLSv1.2 only, a chosen cipher, an encrypted key with ssl_password_file" {
	auth_log_clear
	run tls_wire "$(port encrypted)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK'* ]]
	[ "$(auth_header Auth-SSL-Protocol)" = TLSv1.2 ]
	[ "$(auth_header Auth-SSL-Cipher)" = ECDHE-RSA-AES128-GCM-SHA256 ]
}

@test "keys from \$CREDENTIALS_DIRECTORY (systemd LoadCredential=)" {
	skip_on_nginx_kind "systemd credentials are mailproxy's"
	run tls_wire "$(port credentials creds)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
}

@test "ALPN: imap is selected; a client offering only h2 gets a fatal alert" {
	run tls_wire "$(port implicit)" --alpn h2,imap '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
	run tls_wire "$(port implicit)" --alpn h2 '<\r\n'
	[[ "$output" == '[TLS: '*'alert no application protocol'* ]]
}

# ---- failures ------------------------------------------------------------------------

@test "a plaintext client on a TLS port: no IMAP bytes, closed, logged" {
	run wire "$(port implicit)" '>a CAPABILITY\r\n' .
	[[ "$output" == *'[EOF]' ]]
	[[ "$output" != *'IMAP4'* ]]
	[[ "$output" != *'CAPABILITY'* ]]
	if [ "$(proxy_kind)" = mailproxy ]; then
		# the TLS process logs as it exits, which may come just after the client saw EOF
		for _ in $(seq 50); do
			grep -q 'SSL_do_handshake() failed (.*wrong version number) while SSL handshaking' \
			    "$(errlog)" && break
			sleep 0.1
		done
		grep -q 'SSL_do_handshake() failed (.*wrong version number) while SSL handshaking' "$(errlog)"
	fi
}

@test "a handshake that never completes ends after timeout" {
	local start=$SECONDS
	run python3 - "$(port short)" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01\x02\x00\x01")	# the start of a ClientHello, never finished
s.settimeout(15)
print(repr(s.recv(100)))
EOF
	[ "$output" = "b''" ]
	((SECONDS - start >= 1 && SECONDS - start <= 6))
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q 'client timed out .* while SSL handshaking' "$(errlog)"
	fi
}

@test "a client that leaves during the handshake leaves no process behind" {
	python3 - "$(port implicit)" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01\x02\x00\x01")	# half a ClientHello, then gone
s.close()
EOF
	if [ "$(proxy_kind)" = mailproxy ]; then
		# the handler and mailproxy-tls of every session carry this suite's config path
		# (not a timeout: the session's `timeout` here is the default 60 s)
		for _ in $(seq 50); do
			pgrep -f "^(mailproxy-tls|\S*/mailproxy) .*$T" >/dev/null || break
			sleep 0.1
		done
		! pgrep -af "^(mailproxy-tls|\S*/mailproxy) .*$T"
	fi
}

# ---- STARTTLS ------------------------------------------------------------------------

@test "STARTTLS: advertised, then OK completed, then no STARTTLS after the handshake" {
	run tls_wire "$(port starttls)" --starttls '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\nS OK completed\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\na OK completed\r\n' ]
	run wire "$(port starttls)" '>a CAPABILITY\r\n' '<a OK completed\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN STARTTLS\r\na OK completed\r\n' ]
}

@test "STARTTLS: curl --ssl-reqd logs in to Dovecot and FETCHes byte for byte" {
	mp_message 2 >"$T/want2"
	curl -sS --max-time 20 --ssl-reqd --cacert "$PKI/ca.crt" \
		--resolve "mail.test:$(port starttls):127.0.0.1" \
		-u alice:alicepass "imap://mail.test:$(port starttls)/INBOX;UID=2" -o "$T/got2"
	cmp "$T/want2" "$T/got2"
}

@test "STARTTLS: openssl s_client -starttls imap" {
	run s_client "$(port starttls)" -starttls imap < <(sleep 1; printf 'a NOOP\r\nb LOGOUT\r\n')
	[ "$output" = $'a OK completed\r\n* BYE\r\nb OK completed\r' ]
}

@test "STARTTLS injection: commands behind STARTTLS in the same packet are never executed" {
	run python3 - "$(port starttls)" <<'EOF'
import os, socket, ssl, sys
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = raw.makefile("rb")
out = f.readline()
raw.sendall(b"S STARTTLS\r\nX CAPABILITY\r\nY LOGIN alice alicepass\r\n")
out += f.readline()
ctx = ssl.create_default_context(cafile=os.environ["PKI"] + "/ca.crt")
ctx.check_hostname = False
try:
    s = ctx.wrap_socket(raw, server_hostname="mail.test")
    s.sendall(b"Z NOOP\r\n")
    while not out.endswith(b"Z OK completed\r\n"):
        d = s.recv(1)
        if not d:
            break
        out += d
except (ssl.SSLError, OSError) as e:
    out += b"[handshake refused]"
sys.stdout.write(repr(out))
EOF
	# either the injected bytes were read and dropped (the handshake works) or they
	# reached the TLS layer as garbage (it fails); they are never commands
	[[ "$output" == "b'* OK IMAP4 ready\\r\\nS OK completed\\r\\nZ OK completed\\r\\n'" ||
	   "$output" == "b'* OK IMAP4 ready\\r\\nS OK completed\\r\\n[handshake refused]'" ]]
}

@test "starttls only: LOGIN refused before TLS, LOGINDISABLED advertised, login after STARTTLS" {
	run wire "$(port only)" '>a CAPABILITY\r\n' '<a OK completed\r\n' '>b LOGIN alice alicepass\r\n' '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS STARTTLS LOGINDISABLED\r\na OK completed\r\nb BAD invalid command\r\n' ]
	run tls_wire "$(port only)" --starttls '>b LOGIN alice alicepass\r\n' '<b OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\nS OK completed\r\nb OK '* ]]
}

@test "STARTTLS is an invalid command on an implicit TLS port" {
	run tls_wire "$(port implicit)" '<\r\n' '>a STARTTLS\r\n' '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\na BAD invalid command\r\n' ]
}

# ---- client certificates --------------------------------------------------------------

# the PEM escaped as nginx sends it in Auth-SSL-Cert (control bytes, space and % as %XX)
escaped_pem() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
sys.stdout.write("".join("%%%02X" % c if c < 0x21 or c == 0x25 else chr(c) for c in d))' "$1"
}

@test "ssl_verify_client on, no certificate: the BYE line after the handshake" {
	run tls_wire "$(port verify_on)" eof
	[ "$output" = '* BYE No required SSL certificate\r\n[EOF]' ]
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q 'client sent no required SSL certificate while SSL handshaking' "$(errlog)"
	fi
}

@test "ssl_verify_client on, STARTTLS, no certificate: the BYE line" {
	run tls_wire "$(port starttls_verify)" --starttls eof
	[ "$output" = '* OK IMAP4 ready\r\nS OK completed\r\n* BYE No required SSL certificate\r\n[EOF]' ]
}

@test "ssl_verify_client on, good certificate: exact Auth-SSL-* headers with the PEM" {
	auth_log_clear
	run tls_wire "$(port verify_on)" --cert "$PKI/client.crt" --key "$PKI/client.key" \
		'<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK'* ]]
	[ "$(auth_ssl_headers | tr '\n' ' ')" = 'Auth-SSL Auth-SSL-Protocol Auth-SSL-Cipher Auth-SSL-Verify Auth-SSL-Subject Auth-SSL-Issuer Auth-SSL-Serial Auth-SSL-Fingerprint Auth-SSL-Cert ' ]
	[ "$(auth_header Auth-SSL-Verify)" = SUCCESS ]
	[ "$(auth_header Auth-SSL-Subject)" = 'O=Example\, Inc.,CN=client.test' ]
	[ "$(auth_header Auth-SSL-Subject)" = "$(cert_field "$PKI/client.crt" Subject)" ]
	[ "$(auth_header Auth-SSL-Issuer)" = 'CN=Test CA,O=mailproxy tests' ]
	[ "$(auth_header Auth-SSL-Serial)" = "$(cert_field "$PKI/client.crt" Serial)" ]
	[ "$(auth_header Auth-SSL-Fingerprint)" = "$(cert_field "$PKI/client.crt" Fingerprint)" ]
	[ "$(auth_header Auth-SSL-Cert)" = "$(escaped_pem "$PKI/client.crt")" ]
}

@test "ssl_verify_client optional, no certificate: Verify NONE and nothing else" {
	auth_log_clear
	run tls_wire "$(port verify_opt)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK'* ]]
	[ "$(auth_ssl_headers | tr '\n' ' ')" = 'Auth-SSL Auth-SSL-Protocol Auth-SSL-Cipher Auth-SSL-Verify ' ]
	[ "$(auth_header Auth-SSL-Verify)" = NONE ]
}

@test "ssl_verify_client optional, good certificate, no pass_client_cert: no Auth-SSL-Cert" {
	auth_log_clear
	run tls_wire "$(port verify_opt)" --cert "$PKI/client.crt" --key "$PKI/client.key" \
		'<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK'* ]]
	[ "$(auth_ssl_headers | tr '\n' ' ')" = 'Auth-SSL Auth-SSL-Protocol Auth-SSL-Cipher Auth-SSL-Verify Auth-SSL-Subject Auth-SSL-Issuer Auth-SSL-Serial Auth-SSL-Fingerprint ' ]
	[ "$(auth_header Auth-SSL-Verify)" = SUCCESS ]
}

@test "ssl_verify_client optional: an unknown CA's certificate gets the certificate error line" {
	run tls_wire "$(port verify_opt)" --cert "$PKI/stranger.crt" --key "$PKI/stranger.key" eof
	[ "$output" = '* BYE SSL certificate error\r\n[EOF]' ]
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q 'client SSL certificate verify error: (2[01]:unable to .*) while SSL handshaking' "$(errlog)"
	fi
}

@test "ssl_verify_client optional with ssl_crl: a revoked certificate is refused" {
	run tls_wire "$(port verify_opt)" --cert "$PKI/revoked.crt" --key "$PKI/revoked.key" eof
	[ "$output" = '* BYE SSL certificate error\r\n[EOF]' ]
	if [ "$(proxy_kind)" = mailproxy ]; then
		grep -q 'client SSL certificate verify error: (23:certificate revoked)' "$(errlog)"
	fi
}

@test "ssl_verify_client optional_no_ca: a self-signed certificate passes as FAILED:reason" {
	auth_log_clear
	run tls_wire "$(port verify_noca)" --cert "$PKI/self.crt" --key "$PKI/self.key" \
		'<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK'* ]]
	[ "$(auth_header Auth-SSL-Verify)" = 'FAILED:self-signed certificate' ]
	[ "$(auth_header Auth-SSL-Subject)" = CN=self.test ]
	[ "$(auth_header Auth-SSL-Issuer)" = CN=self.test ]
	[ "$(auth_header Auth-SSL-Serial)" = "$(cert_field "$PKI/self.crt" Serial)" ]
	[ "$(auth_header Auth-SSL-Fingerprint)" = "$(cert_field "$PKI/self.crt" Fingerprint)" ]
}

@test "ssl_verify_client optional_no_ca: without the CA, a CA-signed chain is a tolerated failure" {
	auth_log_clear
	run tls_wire "$(port verify_noca)" --cert "$PKI/client.crt" --key "$PKI/client.key" \
		'<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK'* ]]
	# the client sends its chain up to the root, which nothing here trusts
	[ "$(auth_header Auth-SSL-Verify)" = 'FAILED:self-signed certificate in certificate chain' ]
	[ "$(auth_header Auth-SSL-Subject)" = 'O=Example\, Inc.,CN=client.test' ]
}

# ---- configuration check -------------------------------------------------------------

@test "mailproxy -t refuses what libtls cannot express" {
	skip_on_nginx_kind "nginx supports ssl_conf_command"
	cat >"$T/bad-tls.conf" <<EOF
mail {
    auth_http 127.0.0.1:9/auth;
    server {
        listen 127.0.0.1:1993 ssl;
        protocol imap;
        ssl_certificate $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
        ssl_conf_command Options -SessionTicket;
    }
}
EOF
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$T/bad-tls.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"ssl_conf_command" is not supported by libtls in '"$T/bad-tls.conf"':3'* ]]
}
