# SPDX-License-Identifier: ISC
# demo.bash - helpers for tests/demo.sh (make demo).  Source after lib/common.bash, which
# provides the private Dovecot (dovecot_start), the auth server (authserver_start),
# wait_listen, track and mp_cleanup.
#
#   demo_init               like mp_init, with the temporary directory named mailproxy-demo.*
#   demo_port_busy PORT     true if something listens on 127.0.0.1:PORT (or on every address)
#   demo_pki DIR            DIR/ca.pem (a new CA), DIR/server.pem and DIR/server.key
#                           (signed by it, valid for 127.0.0.1 and localhost)
#   demo_postfix_start      a private Postfix on $POSTFIX_PORT that delivers mail for any
#                           address @example.test into the Maildir of $MP_MAILBOX_USER in
#                           the Dovecot started by dovecot_start; log $T/postfix/maillog
#   demo_postfix_stop       stop it (postfix stop), before mp_cleanup

demo_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mailproxy-demo.XXXXXX") || return 1
	chmod 755 "$T"
	: >"$T/pids"
	read -r DOVECOT_IMAP DOVECOT_POP3 AUTHPORT CLOSEDPORT POSTFIX_PORT < <(free_ports 5)
	export T DOVECOT_IMAP DOVECOT_POP3 AUTHPORT CLOSEDPORT POSTFIX_PORT
}

demo_port_busy() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q LISTEN
}

demo_pki() {
	local d=$1
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; return 1; }; }
		printf '%s\n' 'basicConstraints = critical, CA:true' \
			'keyUsage = critical, keyCertSign, cRLSign' \
			'subjectKeyIdentifier = hash' >ca.ext
		printf '%s\n' 'basicConstraints = CA:false' 'extendedKeyUsage = serverAuth' \
			'subjectAltName = IP:127.0.0.1, DNS:localhost' >server.ext
		q openssl req -new -newkey rsa:2048 -nodes -keyout ca.key -out ca.csr \
			-subj "/O=mailproxy demo/CN=mailproxy demo CA"
		q openssl x509 -req -in ca.csr -signkey ca.key -out ca.pem -days 30 -extfile ca.ext
		q openssl req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
			-subj "/CN=localhost"
		q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out server.pem -days 30 -extfile server.ext
		rm -f ./*.csr ./*.ext ca.srl
		chmod 600 ca.key server.key
	)
}

demo_postfix_start() {
	local d=$T/postfix maildir=$T/dovecot/home/$MP_MAILBOX_USER/Maildir uid gid
	# the Maildir belongs to the user Dovecot runs the mailbox as (see dovecot_start)
	uid=$(stat -c %u "$maildir") && gid=$(stat -c %g "$maildir") || return 1
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chown postfix "$d/data"
	cp /etc/postfix/master.cf "$d/conf/master.cf"
	cat >"$d/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = backend.demo.test
smtpd_banner = \$myhostname ESMTP Postfix (demo backend)
mydestination =
mynetworks = 127.0.0.0/8
# mailproxy tells Postfix who the client is (nginx's xclient on)
smtpd_authorized_xclient_hosts = 127.0.0.0/8
maillog_file = $d/maillog
maillog_file_prefixes = $d
# every address @example.test is delivered into $maildir/
virtual_mailbox_domains = example.test
virtual_mailbox_base = $T/dovecot/home
virtual_mailbox_maps = static:$MP_MAILBOX_USER/Maildir/
virtual_minimum_uid = 1
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
alias_maps =
alias_database =
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
EOF
	postconf -c "$d/conf" -M# smtp/inet
	postconf -c "$d/conf" -Me "127.0.0.1:$POSTFIX_PORT/inet = 127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd"
	postconf -c "$d/conf" -F '*/*/chroot = n'
	postfix -c "$d/conf" start-fg >"$d/stderr.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$POSTFIX_PORT" || { cat "$d/stderr.log" "$d/maillog" >&2; return 1; }
}

demo_postfix_stop() {
	if [ -n "${T:-}" ] && [ -d "$T/postfix/conf" ]; then postfix -c "$T/postfix/conf" stop >/dev/null 2>&1 || true; fi
	return 0
}
