# SPDX-License-Identifier: ISC
# backend_tls.bash - backends that speak TLS, for tests/backend_tls.bats.  Source after
# common.bash, tls.bash and smtp.bash.
#
#   backend_certs              by the test CA: $PKI/backend.crt, .key (mail.test and
#                              127.0.0.2), $PKI/expired.crt, .key (mail.test, expired)
#   dovecot_tls_start          Dovecot on 127.0.0.2 that authenticates only over TLS
#                              (ssl = required; a peer on its own address would count as
#                              secure, so it listens where the proxy's source is not):
#                              STARTTLS on $DOVECOT_IMAP and STLS on $DOVECOT_POP3, implicit
#                              TLS on $DOVECOT_IMAPS and $DOVECOT_POP3S; $PKI/backend.crt;
#                              $DOVECOT_TLS_EXTRA is added to its configuration
#   postfix_tls_start          postfix_start, then STARTTLS required (smtpd_tls_security_level
#                              encrypt) with the same certificate
#   fake_tls_start             the hostile or broken backends of tests/lib/fake_tls_backend.py
#                              on $FAKE_EXPIRED, $FAKE_NOSTARTTLS, $FAKE_INJECT,
#                              $FAKE_SMTP_NOTLS, $FAKE_NEEDCERT; what they received in
#                              $T/fake_tls.log
#   btls_server NAME 'DIRECTIVES'   mp_server; a NAME starting with pop3_, smtp_ or sieve_
#                              gets that protocol

backend_certs() {
	# a PKI copied from MP_PKI_CACHE (tls_pki) may have them already
	if [ -s "$PKI/backend.crt" ] && [ -s "$PKI/expired.crt" ]; then return 0; fi
	(
		cd "$PKI" || exit 1
		printf '[ backend ]\nbasicConstraints = CA:false\nextendedKeyUsage = serverAuth\n%s\n' \
			'subjectAltName = DNS:mail.test, IP:127.0.0.2' >backend.ext
		for c in backend expired; do
			openssl req -newkey rsa:2048 -nodes -keyout $c.key -out $c.csr \
				-subj /CN=mail.test -config ca.cnf >/dev/null 2>&1 || exit 1
		done
		openssl ca -batch -config ca.cnf -extfile backend.ext -extensions backend \
			-in backend.csr -out backend.crt -notext >/dev/null 2>&1 || exit 1
		openssl ca -batch -config ca.cnf -extfile backend.ext -extensions backend \
			-startdate 20200101000000Z -enddate 20200201000000Z \
			-in expired.csr -out expired.crt -notext >/dev/null 2>&1 || exit 1
		chmod 644 backend.key backend.crt expired.key expired.crt
	) || { echo "no backend certificates" >&2; return 1; }
}

dovecot_tls_start() {
	read -r DOVECOT_IMAPS DOVECOT_POP3S < <(free_ports 2)
	export DOVECOT_IMAPS DOVECOT_POP3S
	dovecot_run 127.0.0.2 "$DOVECOT_IMAPS" "$DOVECOT_POP3S" "ssl = required
ssl_cert = <$PKI/backend.crt
ssl_key = <$PKI/backend.key
ssl_min_protocol = TLSv1.2" "${DOVECOT_TLS_EXTRA:-}"
}

postfix_tls_start() {
	local ehlo
	# in main.cf from the start: a reload, and waiting for its new smtpd, took 2.5 s
	POSTFIX_EXTRA="smtpd_tls_security_level = encrypt
smtpd_tls_cert_file = $PKI/backend.crt
smtpd_tls_key_file = $PKI/backend.key
smtpd_tls_loglevel = 1" postfix_start || return 1
	ehlo=$(wire "$POSTFIX_PORT" '<\r\n' '>EHLO probe\r\n' '<250 ' '>QUIT\r\n')
	[[ "$ehlo" == *STARTTLS* ]] || { echo "postfix offers no STARTTLS: $ehlo" >&2; return 1; }
}

fake_tls_start() {
	read -r FAKE_EXPIRED FAKE_NOSTARTTLS FAKE_INJECT FAKE_SMTP_NOTLS FAKE_NEEDCERT < <(free_ports 5)
	export FAKE_EXPIRED FAKE_NOSTARTTLS FAKE_INJECT FAKE_SMTP_NOTLS FAKE_NEEDCERT
	: >"$T/fake_tls.log"
	python3 "$MP_TESTS/lib/fake_tls_backend.py" "$T/fake_tls.log" "$PKI/expired.crt" "$PKI/expired.key" \
		"expired=$FAKE_EXPIRED" "nostarttls=$FAKE_NOSTARTTLS" "inject=$FAKE_INJECT" \
		"smtpnotls=$FAKE_SMTP_NOTLS" "needcert=$FAKE_NEEDCERT" \
		"$PKI/backend.crt" "$PKI/backend.key" "$PKI/ca.crt" >"$T/fake_tls.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$FAKE_EXPIRED" "$FAKE_NOSTARTTLS" "$FAKE_INJECT" "$FAKE_SMTP_NOTLS" "$FAKE_NEEDCERT"
}

BTLS_POP3=" "
BTLS_SMTP=" "
BTLS_SIEVE=" "
btls_server() {
	case $1 in
	pop3_*) BTLS_POP3+="$1 " ;;
	sieve_*) BTLS_SIEVE+="$1 " ;;
	smtp_*) BTLS_SMTP+="$1 " ;;
	esac
	mp_server "$@"
}

eval "btls_$(declare -f mp_write_conf)"
mp_write_conf() {
	btls_mp_write_conf "$@"
	python3 - "$T/$1/proxy.conf" "$BTLS_POP3" "$BTLS_SMTP" "$BTLS_SIEVE" <<'PY'
import sys
path, pop3, smtp, sieve = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
out, cur = [], None
for line in open(path):
    s = line.strip()
    if s.startswith("server { # "):
        cur = s[len("server { # "):]
    if s == "protocol imap;" and cur in pop3:
        line = line.replace("imap", "pop3")
    if s == "protocol imap;" and cur in smtp:
        line = line.replace("imap", "smtp")
    if s == "protocol imap;" and cur in sieve:
        line = line.replace("imap", "sieve")
    out.append(line)
open(path, "w").write("".join(out))
PY
}
