#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# backend_tls.bats - TLS to the backend (proxy_ssl_*, Auth-Backend-TLS*): a Dovecot that
# authenticates only over TLS, reached over implicit TLS and STARTTLS/STLS, and a Postfix
# that requires STARTTLS; each carries a whole login and a message byte for byte.  Then
# what must be refused, each with the client's internal-error reply and a log line naming
# the cause: a wrong name, an untrusted CA, an expired certificate, a backend without
# STARTTLS, a backend that injects a reply before the handshake.  The auth server choosing
# per user, and -t on every new directive.  mailproxy only: nginx has no TLS to a mail
# backend.  Wire bytes: doc/wire.md#backend-tls.

bats_require_minimum_version 1.5.0
load lib/common
load lib/tls
load lib/smtp
load lib/backend_tls

setup_file() {
	[ "$MAILPROXY_TARGET" = nginx ] && skip "nginx's mail proxy has no TLS to the backend"
	tls_init
	backend_certs
	# ManageSieve too (Debian: dovecot-managesieved), STARTTLS only
	read -r DOVECOT_SIEVE < <(free_ports 1)
	export DOVECOT_SIEVE
	DOVECOT_TLS_EXTRA="protocols = \$protocols sieve
service managesieve-login {
  inet_listener sieve {
    address = 127.0.0.2
    port = $DOVECOT_SIEVE
  }
}
# the proxy is trusted only where it comes in on 127.0.0.5: its ID names the client there
local 127.0.0.5 {
  login_trusted_networks = 127.0.0.0/8
}
service imap-login {
  inet_listener imap_trusted {
    address = 127.0.0.5
    port = $DOVECOT_IMAP
  }
}" dovecot_tls_start
	postfix_tls_start
	fake_tls_start
	authserver_start --route "/imaps=127.0.0.2:$DOVECOT_IMAPS" --route "/imap=127.0.0.2:$DOVECOT_IMAP" \
		--route "/pop3s=127.0.0.2:$DOVECOT_POP3S" --route "/pop3=127.0.0.2:$DOVECOT_POP3" \
		--route "/sieve=127.0.0.2:$DOVECOT_SIEVE" \
		--route "/trusted=127.0.0.5:$DOVECOT_IMAP" \
		--route "/smtp=127.0.0.1:$POSTFIX_PORT" --route "/expired=127.0.0.1:$FAKE_EXPIRED" \
		--route "/nostarttls=127.0.0.1:$FAKE_NOSTARTTLS" --route "/inject=127.0.0.1:$FAKE_INJECT" \
		--route "/smtpnotls=127.0.0.1:$FAKE_SMTP_NOTLS" --route "/needcert=127.0.0.1:$FAKE_NEEDCERT" \
		--reply-header "bob=Auth-Backend-TLS: starttls" --reply-header "bob=Auth-Backend-TLS-Name: mail.test" \
		--reply-header "spacey=Auth-Backend-TLS: maybe" \
		--reply-header "nopass=Auth-Backend-TLS-Name: mail.test\"; x" --reply-header "slow=Auth-Backend-TLS-Verify: yes" \
		--reply-header "waiter=Auth-Backend-TLS: off" --reply-header "waiter=Auth-Port: $DOVECOT_IMAP" --slow 0
	local a="127.0.0.1:$AUTHPORT" ca="proxy_ssl_trusted_certificate $PKI/ca.crt;"
	btls_server imaps "auth_http $a/imaps; proxy_ssl on; $ca"
	btls_server imap_stls "auth_http $a/imap; proxy_ssl starttls; $ca
		proxy_ssl_name mail.test; proxy_ssl_server_name on;"
	btls_server pop3_tls "auth_http $a/pop3s; proxy_ssl on; $ca proxy_ssl_name mail.test;"
	btls_server pop3_stls "auth_http $a/pop3; proxy_ssl starttls; $ca"
	btls_server trusted "auth_http $a/trusted; proxy_ssl starttls; $ca proxy_ssl_name mail.test;
		proxy_client_id on;"
	btls_server sieve_stls "auth_http $a/sieve; proxy_ssl starttls; $ca proxy_ssl_name mail.test;"
	btls_server smtp_stls "auth_http $a/smtp; proxy_ssl starttls; $ca proxy_ssl_name mail.test;"
	btls_server wrongname "auth_http $a/imaps; proxy_ssl on; $ca proxy_ssl_name wrong.test;"
	btls_server untrusted "auth_http $a/imaps; proxy_ssl on;
		proxy_ssl_trusted_certificate $PKI/other-ca.crt;"
	btls_server systemca "auth_http $a/imaps; proxy_ssl on;"
	btls_server noverify "auth_http $a/imaps; proxy_ssl on; proxy_ssl_verify off;
		proxy_ssl_trusted_certificate $PKI/other-ca.crt;"
	btls_server expired "auth_http $a/expired; proxy_ssl on; $ca"
	btls_server sni "auth_http $a/expired; proxy_ssl on; $ca
		proxy_ssl_name mail.test; proxy_ssl_server_name on;"
	btls_server sniaddr "auth_http $a/expired; proxy_ssl on; $ca proxy_ssl_server_name on;"
	btls_server snioff "auth_http $a/expired; proxy_ssl on; $ca proxy_ssl_name mail.test;"
	btls_server nostarttls "auth_http $a/nostarttls; proxy_ssl starttls; $ca"
	btls_server inject "auth_http $a/inject; proxy_ssl starttls; $ca"
	btls_server smtp_notls "auth_http $a/smtpnotls; proxy_ssl starttls; $ca"
	btls_server peruser "auth_http $a/imap; $ca"
	btls_server clientcert "auth_http $a/needcert; proxy_ssl on; $ca proxy_ssl_name mail.test;
		proxy_ssl_certificate $PKI/client.crt; proxy_ssl_certificate_key $PKI/client.key;"
	btls_server nocert "auth_http $a/needcert; proxy_ssl on; $ca proxy_ssl_name mail.test;"
	btls_server both "# listen-ssl
		ssl_certificate $PKI/server.crt; ssl_certificate_key $PKI/server.key;
		auth_http $a/imaps; proxy_ssl on; $ca"
	tls_proxy_start
	# another instance whose system CA directory holds the test CA, by its hashed name
	mkdir -p "$T/certdir"
	cp "$PKI/ca.crt" "$T/certdir/test-ca.pem"
	openssl rehash "$T/certdir"
	tls_proxy_start_env certdir "SSL_CERT_DIR=$T/certdir"
}

teardown_file() {
	postfix_stop
	mp_cleanup
}
teardown() { check_sanitizers; }

# the TLS login lines Dovecot wrote for USER (its log says "TLS" for a TLS session)
dovecot_tls_logins() { grep -c "Login: user=<$1>.*, TLS" "$T/dovecot/dovecot.log" || true; }

imap_login() { # SERVER [USER PASS]: the greeting and the reply to LOGIN, escaped
	wire "$(port "$1")" '<\r\n' ">a LOGIN ${2:-alice} ${3:-alicepass}\r\n" '<\r\n'
}

# ---- what works ---------------------------------------------------------------------

@test "Dovecot refuses a login in clear: the backends below need TLS" {
	run wire "127.0.0.2:$DOVECOT_IMAP" '<\r\n' '>a LOGIN alice alicepass\r\n' '<\r\n'
	[[ "$output" == *'a NO [PRIVACYREQUIRED]'* ]]
}

@test "IMAP, implicit TLS to the backend: curl fetches a message byte for byte" {
	local before
	before=$(dovecot_tls_logins alice)
	curl -sS --max-time 10 -u alice:alicepass "imap://127.0.0.1:$(port imaps)/INBOX;MAILINDEX=1" -o "$T/imaps.out"
	cmp "$T/imaps.out" "$(message_file 1)"
	[ "$(dovecot_tls_logins alice)" -gt "$before" ]
	# inetd style too: stderr is the client there, and no log line may reach it
	curl -sS --max-time 10 -u alice:alicepass "imap://127.0.0.1:$(port imaps mp inetd)/INBOX;MAILINDEX=2" \
		-o "$T/imaps2.out"
	cmp "$T/imaps2.out" "$(message_file 2)"
}

@test "TLS on both sides: two mailproxy-tls around the relay, a message byte for byte" {
	local i
	for i in "" inetd; do
		curl -sS --max-time 10 --cacert "$PKI/ca.crt" -u alice:alicepass \
			"imaps://127.0.0.1:$(port both mp $i)/INBOX;MAILINDEX=1" -o "$T/both.out"
		cmp "$T/both.out" "$(message_file 1)"
	done
}

@test "IMAP, STARTTLS to the backend with SNI: curl fetches a message byte for byte" {
	curl -sS --max-time 10 -u alice:alicepass "imap://127.0.0.1:$(port imap_stls)/INBOX;MAILINDEX=2" \
		-o "$T/stls.out"
	cmp "$T/stls.out" "$(message_file 2)"
}

@test "a Dovecot that accepts only TLS logs the real client of a session (STARTTLS, then ID)" {
	curl -sS --max-time 10 --interface 127.0.0.3 -u alice:alicepass \
		"imap://127.0.0.1:$(port trusted)/INBOX;MAILINDEX=1" -o "$T/trusted.out"
	cmp "$T/trusted.out" "$(message_file 1)"
	run grep 'imap-login: Info: Login: user=<alice>.*rip=127\.0\.0\.3,.*, TLS' "$T/dovecot/dovecot.log"
	echo "$output"
	[ "${#lines[@]}" = 1 ]
}

@test "POP3, implicit TLS to the backend: curl RETR byte for byte" {
	curl -sS --max-time 10 -u alice:alicepass "pop3://127.0.0.1:$(port pop3_tls)/1" -o "$T/pop3s.out"
	cmp "$T/pop3s.out" "$(message_file 1)"
}

@test "POP3, STLS to the backend: curl RETR byte for byte" {
	curl -sS --max-time 10 -u alice:alicepass "pop3://127.0.0.1:$(port pop3_stls)/2" -o "$T/pop3.out"
	cmp "$T/pop3.out" "$(message_file 2)"
}

@test "SMTP, STARTTLS to Postfix: a message sent with curl arrives intact, over TLS" {
	smtp_message 1 >"$T/m1"
	smtp_send_curl "$(port smtp_stls)" bob@example.test alice@example.test "$T/m1" alice alicepass
	postfix_wait_messages 1
	diff <(tr -d '\r' <"$T/m1") <(awk 'f || /^From: Bob/ { f = 1; print }' "$(postfix_messages | tail -n 1)")
	grep -q 'TLS connection established from localhost\[127.0.0.1\]' "$T/postfix/maillog"
	# XCLIENT went inside the TLS session: the message names the client, not the proxy
	grep -q 'client=unknown\[127.0.0.2\], sasl_method=XCLIENT, sasl_username=alice' "$T/postfix/maillog"
}

@test "ManageSieve, STARTTLS to the backend: AUTHENTICATE PLAIN inside TLS" {
	local before
	before=$(grep -c 'managesieve-login: Info: Login: user=<alice>.*, TLS' "$T/dovecot/dovecot.log" || true)
	run wire "127.0.0.2:$DOVECOT_SIEVE" '<OK "' '<\r\n' '>AUTHENTICATE "PLAIN" "AGFsaWNlAGFsaWNlcGFzcw=="\r\n' '<\r\n'
	[[ "$output" == *'\r\nNO (ENCRYPT-NEEDED) '* ]]	# in clear: refused
	run wire "$(port sieve_stls)" '<ready."\r\n' '>AUTHENTICATE "PLAIN" "AGFsaWNlAGFsaWNlcGFzcw=="\r\n' '<\r\n'
	[[ "$output" == *'ready."\r\nOK '* ]]
	[ "$(grep -c 'managesieve-login: Info: Login: user=<alice>.*, TLS' "$T/dovecot/dovecot.log")" -gt "$before" ]
}

@test "proxy_ssl_certificate: the backend gets the client certificate, and without it refuses" {
	: >"$T/fake_tls.log"
	run imap_login clientcert
	[ "$output" = '* OK IMAP4 ready\r\na OK logged in\r\n' ]
	grep -q '^needcert: cert CN=client.test$' "$T/fake_tls.log"
	run imap_login nocert
	[[ "$output" != *'a OK'* ]]
	grep -q '^needcert: refused' "$T/fake_tls.log"
}

@test "the system's CA store: the CA directory, searched by hashed name" {
	run wire "$(port systemca certdir)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<\r\n'
	[[ "$output" == *'a OK '* ]]
}

@test "proxy_ssl_verify off: a backend of an unknown CA is accepted" {
	run imap_login noverify
	[[ "$output" == *'a OK '* ]]
}

# ---- what is refused ----------------------------------------------------------------

# refused SERVER 'LOG LINE': alice's login gets the internal error, the cause is logged (err)
refused() {
	: >"$(errlog)"
	run imap_login "$1"
	for ((i = 0; i < 50; i++)); do
		if grep -qF -- "$2" "$(errlog)"; then break; fi
		sleep 0.1
	done
	echo "$output"
	cat "$(errlog)"
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	grep -F -- "$2" "$(errlog)" | grep -q '^[0-9/: ]* \[error\] .*, login: "alice", upstream: 127\.0\.0\.[12]:[0-9]*$'
}

@test "a backend certificate for another name: refused, the name logged" {
	refused wrongname 'upstream SSL certificate does not match "wrong.test" while SSL handshaking to upstream, client: 127.0.0.1, server: 127.0.0.1:'
}

@test "a backend certificate of an untrusted CA: refused, the reason logged" {
	refused untrusted 'upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream'
	# no proxy_ssl_trusted_certificate: the system's CA store, which knows no test CA
	refused systemca 'upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream'
}

@test "an expired backend certificate: refused, the reason logged" {
	refused expired 'upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream'
	run ! grep -q '^expired: .*\(LOGIN\|alicepass\)' "$T/fake_tls.log"
}

@test "proxy_ssl_server_name: SNI with the name only when on, never an address" {
	: >"$T/fake_tls.log"
	refused sni 'upstream SSL certificate verify error: (10:certificate has expired)'
	# a host name, but proxy_ssl_server_name is off (the default): no SNI
	refused snioff 'upstream SSL certificate verify error: (10:certificate has expired)'
	# on, but the name is the Auth-Server address: no SNI
	refused sniaddr 'upstream SSL certificate verify error: (10:certificate has expired)'
	run cat "$T/fake_tls.log"
	[ "$output" = $'expired: SNI mail.test\nexpired: SNI None\nexpired: SNI None' ]
}

@test "a backend without STARTTLS: refused, the reply logged, no credential sent" {
	refused nostarttls 'upstream does not support STARTTLS: "a BAD not here"'
	run ! grep -q '^nostarttls: .*\(LOGIN\|alicepass\)' "$T/fake_tls.log"
}

@test "a backend that sends bytes behind its STARTTLS reply: refused before the handshake" {
	refused inject 'upstream sent data after its STARTTLS reply: TLS refused'
	grep -q '^inject: a STARTTLS' "$T/fake_tls.log"
	run ! grep -q '^inject: .*\(LOGIN\|alicepass\)' "$T/fake_tls.log"
}

@test "an SMTP backend whose EHLO offers no STARTTLS: refused, 451 to the client" {
	: >"$(errlog)"
	run wire "$(port smtp_notls)" '<\r\n' '>EHLO client\r\n' '<250 ' '>AUTH PLAIN AGFsaWNlAGFsaWNlcGFzcw==\r\n' '<\r\n'
	echo "$output"
	[[ "$output" == *'\r\n451 4.3.2 Internal server error\r\n[EOF]' ]]
	grep -q 'upstream does not offer STARTTLS: "250-fake' "$(errlog)"
	run ! grep -q '^smtpnotls: \(AUTH\|XCLIENT\|MAIL\)' "$T/fake_tls.log"
}

# ---- per user -------------------------------------------------------------------------

@test "the auth reply chooses per user: Auth-Backend-TLS: starttls over proxy_ssl off" {
	# alice follows the configuration (off): Dovecot refuses her login in clear
	: >"$(errlog)"
	run imap_login peruser
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	grep -q 'upstream sent invalid response: ".*a NO \[PRIVACYREQUIRED\]' "$(errlog)"
	# bob's reply says starttls, with the name to check: a TLS login
	local before
	before=$(dovecot_tls_logins bob)
	run imap_login peruser bob bobpass
	[[ "$output" == *'a OK '* ]]
	[ "$(dovecot_tls_logins bob)" -gt "$before" ]
}

@test "the auth reply overrides proxy_ssl on: Auth-Backend-TLS: off talks in clear" {
	# waiter's reply says off (and names the STARTTLS port): a login in clear, which
	# Dovecot refuses
	: >"$(errlog)"
	run imap_login imaps waiter waiterpass
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	grep -q 'upstream sent invalid response: ".*a NO \[PRIVACYREQUIRED\]' "$(errlog)"
}

@test "an invalid Auth-Backend-TLS value: internal error, never a login in clear" {
	: >"$(errlog)"
	run wire "$(port imaps)" '<\r\n' '>a LOGIN spacey "pass word%1"\r\n' '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	grep -q 'sent an invalid Auth-Backend-TLS\* header.*login: "spacey"' "$(errlog)"
	# a name with a quote and a space (it would reach a log line and argv), a verify of "yes"
	run imap_login imaps nopass nopasspass
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	grep -q 'sent an invalid Auth-Backend-TLS\* header.*login: "nopass"' "$(errlog)"
	run imap_login imaps slow slowpass
	[ "$output" = '* OK IMAP4 ready\r\n* BAD internal server error\r\n[EOF]' ]
	grep -q 'sent an invalid Auth-Backend-TLS\* header.*login: "slow"' "$(errlog)"
}

# ---- mailproxy -t ---------------------------------------------------------------------

t_conf() { # DIRECTIVES: mailproxy -t on a server with them
	cat >"$T/t.conf" <<CONF
mail {
    auth_http 127.0.0.1:1/auth;
    server { listen 127.0.0.1:1; protocol imap; $1 }
}
CONF
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$T/t.conf"
	echo "$output"
}

@test "-t: every proxy_ssl_* directive is checked" {
	t_conf "proxy_ssl on; proxy_ssl_verify on; proxy_ssl_trusted_certificate $PKI/ca.crt;
		proxy_ssl_name mail.test; proxy_ssl_server_name on; proxy_ssl_certificate $PKI/client.crt;
		proxy_ssl_certificate_key $PKI/client.key; proxy_ssl_protocols TLSv1.3;
		proxy_ssl_ciphers HIGH; proxy_ssl_verify_depth 2;"
	[ "$status" -eq 0 ]
	t_conf 'proxy_ssl maybe;'
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid value "maybe" in '* ]]
	t_conf 'proxy_ssl_verify yes;'
	[[ "$output" == *'it must be "on" or "off"'* ]]
	t_conf "proxy_ssl_certificate $PKI/client.crt;"
	[[ "$output" == *'no "proxy_ssl_certificate_key" is defined for certificate'* ]]
	t_conf "proxy_ssl_certificate_key $PKI/client.key;"
	[[ "$output" == *'no "proxy_ssl_certificate" is defined for key'* ]]
	t_conf 'proxy_ssl_trusted_certificate /nonexistent/ca.crt;'
	[[ "$output" == *'cannot open "proxy_ssl_trusted_certificate" "/nonexistent/ca.crt"'* ]]
	t_conf 'proxy_ssl_name "bad name";'
	[[ "$output" == *'invalid "proxy_ssl_name" "bad name"'* ]]
	t_conf 'proxy_ssl_protocols SSLv3 TLSv1.2;'
	[[ "$output" == *'"proxy_ssl_protocols" SSLv2/SSLv3 is not supported'* ]]
	t_conf 'proxy_ssl_protocols TLSv9;'
	[[ "$output" == *'invalid value "TLSv9"'* ]]
	t_conf 'proxy_ssl_verify_depth -1;'
	[[ "$output" == *'"proxy_ssl_verify_depth" directive invalid number'* ]]
	t_conf 'proxy_ssl_server_name maybe;'
	[[ "$output" == *'it must be "on" or "off"'* ]]
	t_conf 'proxy_ssl_ciphers;'
	[[ "$output" == *'invalid number of arguments in "proxy_ssl_ciphers"'* ]]
}
