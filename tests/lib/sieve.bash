# SPDX-License-Identifier: ISC
# sieve.bash - helpers for tests/sieve.bats.  Source after common.bash.
#
#   sieve_conf                 make every server{} of the suite a ManageSieve server
#                              (common.bash writes "protocol imap;")
#   sieve_dovecot_start        dovecot_start with Dovecot's managesieve on $DOVECOT_SIEVE
#                              (Debian: dovecot-managesieved); scripts under
#                              $T/dovecot/home/USER/sieve, the active one linked from
#                              $T/dovecot/home/USER/.dovecot.sieve
#   sieve_cert                 a self-signed certificate: $T/sieve.crt, $T/sieve.key
#   sieve_connect PORT ARGS... sieve-connect as alice (password on fd 0) without TLS
#                              checks (the test certificate is self-signed)

sieve_conf() {
	eval "$(declare -f mp_write_conf | sed '1s/mp_write_conf/sieve_write_conf_imap/')"
	mp_write_conf() {
		sieve_write_conf_imap "$@"
		sed -i 's/^\([[:space:]]*\)protocol imap;$/\1protocol sieve;/' "$T/$1/proxy.conf"
	}
}

sieve_dovecot_start() {
	[ -x /usr/lib/dovecot/managesieve-login ] ||
		{ echo "no Dovecot managesieve (Debian: dovecot-managesieved; tests/deps.sh)" >&2; return 1; }
	read -r DOVECOT_SIEVE < <(free_ports 1)
	export DOVECOT_SIEVE
	DOVECOT_EXTRA="protocols = \$protocols sieve
service managesieve-login {
  inet_listener sieve {
    address = 127.0.0.1
    port = $DOVECOT_SIEVE
  }
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}"
	dovecot_start
	wait_listen "$DOVECOT_SIEVE"
}

sieve_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/sieve.key" -out "$T/sieve.crt" \
		-days 30 -subj /CN=mail.test >/dev/null 2>&1
}

sieve_connect() {
	local port=$1
	shift
	printf 'alicepass\n' | timeout 20 sieve-connect --server 127.0.0.1 --port "$port" --nosrv \
		--user alice --passwordfd 0 --notlsverify "$@"
}
