#!/bin/bash
# SPDX-License-Identifier: ISC
# demo.sh BUILD_DIR - what `make demo` runs.  On loopback only, it starts:
#   - a private Dovecot (IMAP and POP3 backend) with the user demo/demo and two messages,
#   - a private Postfix (SMTP backend) that delivers mail for any address @example.test
#     into demo's mailbox, so that mail sent through the proxy can be read back,
#   - the example auth server (tests/authserver.py),
#   - a test CA and a server certificate for 127.0.0.1 and localhost,
#   - mailproxy for IMAP, POP3 and SMTP submission (with STARTTLS) and IMAPS, POP3S, SMTPS
#     (implicit TLS), one systemd-socket-activate per port, as systemd would run
#     mailproxy@.service for each mailproxy@NAME.socket; one configuration serves them all.
# It prints how to connect, shows mailproxy's error log, and runs until Ctrl-C; then it
# stops everything it started and removes its temporary directory.
#
# Ports: DEMO_PORT_BASE (default 10000) plus the well-known port, or one by one:
#   DEMO_IMAP_PORT  (10143)   DEMO_IMAPS_PORT (10993)   DEMO_POP3_PORT (10110)
#   DEMO_POP3S_PORT (10995)   DEMO_SMTP_PORT  (10587)   DEMO_SMTPS_PORT (10465)
set -u

BUILD=${1:-}
if [ -z "$BUILD" ] || [ ! -x "$BUILD/mailproxy" ]; then
	echo "usage: $0 BUILD_DIR   (BUILD_DIR holds the built mailproxy; run 'make' first)" >&2
	exit 1
fi
BUILD=$(cd "$BUILD" && pwd)
# read by lib/common.bash: the build to run, Dovecot's only user, who has the messages
# shellcheck disable=SC2034
MAILPROXY_BUILD=$BUILD MP_USERS='demo:demo' MP_MAILBOX_USER=demo
LIB=$(cd "$(dirname "$0")/lib" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.bash
. "$LIB/common.bash"
# shellcheck source-path=SCRIPTDIR source=lib/demo.bash
. "$LIB/demo.bash"

for cmd in dovecot postfix postconf systemd-socket-activate python3 openssl curl ss; do
	command -v "$cmd" >/dev/null ||
		{ echo "demo: $cmd is missing; install the packages with tests/deps.sh (as root)" >&2; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
	echo "demo: run it as root: Dovecot and Postfix switch to their own users" >&2
	exit 1
fi

# ---- ports -----------------------------------------------------------------------------

BASE=${DEMO_PORT_BASE:-10000}
IMAP=${DEMO_IMAP_PORT:-$((BASE + 143))}
IMAPS=${DEMO_IMAPS_PORT:-$((BASE + 993))}
POP3=${DEMO_POP3_PORT:-$((BASE + 110))}
POP3S=${DEMO_POP3S_PORT:-$((BASE + 995))}
SMTP=${DEMO_SMTP_PORT:-$((BASE + 587))}
SMTPS=${DEMO_SMTPS_PORT:-$((BASE + 465))}

busy=
for v in IMAP IMAPS POP3 POP3S SMTP SMTPS; do
	p=${!v}
	if demo_port_busy "$p"; then
		echo "demo: port $p (for $v) is already in use:" >&2
		ss -Hltnp "sport = :$p" >&2
		busy=1
	fi
done
if [ -n "$busy" ]; then
	cat >&2 <<EOF
demo: stop that program, or choose other ports, all at once or one by one:
  DEMO_PORT_BASE=20000 make demo        (IMAP 20143, IMAPS 20993, POP3 20110, ...)
  DEMO_IMAP_PORT=11143 make demo        (also DEMO_IMAPS_PORT, DEMO_POP3_PORT,
                                         DEMO_POP3S_PORT, DEMO_SMTP_PORT, DEMO_SMTPS_PORT)
EOF
	exit 1
fi

# ---- backends --------------------------------------------------------------------------

demo_init || exit 1
# shellcheck disable=SC2317  # called from the traps
stop() {
	trap '' INT TERM
	demo_postfix_stop
	mp_cleanup
}
trap 'echo; echo "demo: stopping"; stop; echo "demo: stopped, $T removed"; exit 0' INT TERM
trap stop EXIT

D=$T/demo
PKI=$T/pki
mkdir -p "$D"
echo "demo: starting Dovecot, Postfix and the auth server in $T ..."
dovecot_start || { echo "demo: Dovecot did not start" >&2; exit 1; }
demo_postfix_start || { echo "demo: Postfix did not start" >&2; exit 1; }
authserver_start --wait 3 --backend "smtp=127.0.0.1:$POSTFIX_PORT" ||
	{ echo "demo: the auth server did not start" >&2; exit 1; }
demo_pki "$PKI" || { echo "demo: could not make the certificates" >&2; exit 1; }

# ---- mailproxy -------------------------------------------------------------------------

CONF=$D/mailproxy.conf
cat >"$CONF" <<EOF
# mailproxy.conf for the demo: an nginx mail{} configuration, unchanged
error_log $D/error.log info;

mail {
    server_name demo.mailproxy.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;

    ssl_certificate     $PKI/server.pem;
    ssl_certificate_key $PKI/server.key;

    imap_auth plain login cram-md5;
    pop3_auth plain apop cram-md5;
    smtp_auth plain login cram-md5;
    proxy_pass_error_message on;

    server { listen 127.0.0.1:$IMAP;      protocol imap; starttls on; }
    server { listen 127.0.0.1:$IMAPS ssl; protocol imap; }
    server { listen 127.0.0.1:$POP3;      protocol pop3; starttls on; }
    server { listen 127.0.0.1:$POP3S ssl; protocol pop3; }
    server { listen 127.0.0.1:$SMTP;      protocol smtp; starttls on; }
    server { listen 127.0.0.1:$SMTPS ssl; protocol smtp; }
}
EOF
: >"$D/error.log"
"$BUILD/mailproxy" -t -c "$CONF" >"$D/check.log" 2>&1 ||
	{ cat "$D/check.log" >&2; echo "demo: mailproxy rejects $CONF" >&2; exit 1; }

# the TLS daemon, like mailproxy-tls.socket: the handlers hand it their TLS sessions
systemd-socket-activate -l "$D/tls.sock" "$BUILD/mailproxy-tls" -D -c "$CONF" \
	>"$D/activate-tls.log" 2>&1 </dev/null &
track $!
# one listener per port, like one mailproxy@NAME.socket unit each
for p in $IMAP $IMAPS $POP3 $POP3S $SMTP $SMTPS; do
	systemd-socket-activate -l "127.0.0.1:$p" -a -E "MAILPROXY_TLS_SOCKET=$D/tls.sock" \
		"$BUILD/mailproxy" -c "$CONF" >"$D/activate-$p.log" 2>&1 </dev/null &
	track $!
done
wait_listen "$IMAP" "$IMAPS" "$POP3" "$POP3S" "$SMTP" "$SMTPS" ||
	{ cat "$D"/activate-*.log >&2; exit 1; }

# a message to send through the proxy
printf '%s\r\n' 'From: Demo <demo@example.test>' 'To: Demo <demo@example.test>' \
	'Subject: hello through mailproxy' '' 'Sent with curl through mailproxy and Postfix.' \
	>"$D/hello.eml"

CA=$PKI/ca.pem
cat <<EOF

mailproxy demo is running; temporary directory $T
  user demo, password demo; mail for any address @example.test lands in demo's INBOX

  mailproxy   IMAP  127.0.0.1:$IMAP (STARTTLS)    IMAPS 127.0.0.1:$IMAPS
              POP3  127.0.0.1:$POP3 (STLS)        POP3S 127.0.0.1:$POP3S
              SMTP  127.0.0.1:$SMTP (submission, STARTTLS)  SMTPS 127.0.0.1:$SMTPS
              configuration $CONF
  backends    Dovecot IMAP 127.0.0.1:$DOVECOT_IMAP, POP3 127.0.0.1:$DOVECOT_POP3
              Postfix SMTP 127.0.0.1:$POSTFIX_PORT (log $T/postfix/maillog)
  auth server http://127.0.0.1:$AUTHPORT/auth  ($MP_TESTS/authserver.py)
  TLS         CA certificate $CA

IMAP:
  curl imap://127.0.0.1:$IMAP/INBOX -u demo:demo
  curl 'imap://127.0.0.1:$IMAP/INBOX;MAILINDEX=1' -u demo:demo
  curl 'imap://127.0.0.1:$IMAP/INBOX?ALL' -u demo:demo
  curl --ssl-reqd --cacert $CA 'imap://127.0.0.1:$IMAP/INBOX;MAILINDEX=1' -u demo:demo
  curl --cacert $CA 'imaps://127.0.0.1:$IMAPS/INBOX;MAILINDEX=1' -u demo:demo
  openssl s_client -quiet -crlf -CAfile $CA -connect 127.0.0.1:$IMAP -starttls imap
      (then type:  a LOGIN demo demo   b SELECT INBOX   c FETCH 1 BODY[]   d LOGOUT)

POP3:
  curl pop3://127.0.0.1:$POP3/ -u demo:demo
  curl pop3://127.0.0.1:$POP3/1 -u demo:demo
  curl --cacert $CA pop3s://127.0.0.1:$POP3S/1 -u demo:demo
  openssl s_client -quiet -crlf -CAfile $CA -connect 127.0.0.1:$POP3 -starttls pop3
      (then type:  USER demo   PASS demo   LIST   RETR 1   QUIT)

SMTP (send, then read it back with IMAP or POP3):
  curl smtp://127.0.0.1:$SMTP --mail-from demo@example.test --mail-rcpt demo@example.test --upload-file $D/hello.eml -u demo:demo
  curl --cacert $CA smtps://127.0.0.1:$SMTPS --mail-from demo@example.test --mail-rcpt demo@example.test --upload-file $D/hello.eml -u demo:demo
  curl 'imap://127.0.0.1:$IMAP/INBOX?SUBJECT%20hello' -u demo:demo     # the messages sent
  curl 'imap://127.0.0.1:$IMAP/INBOX;MAILINDEX=3' -u demo:demo     # the first one sent
  curl pop3://127.0.0.1:$POP3/3 -u demo:demo
  openssl s_client -quiet -crlf -CAfile $CA -connect 127.0.0.1:$SMTP -starttls smtp

Python:
  python3 -c 'import imaplib; m = imaplib.IMAP4("127.0.0.1", $IMAP); m.login("demo", "demo"); m.select(); print(m.fetch("1", "(BODY[])")[1][0][1].decode()); m.logout()'
  python3 -c 'import imaplib, ssl; m = imaplib.IMAP4_SSL("127.0.0.1", $IMAPS, ssl_context=ssl.create_default_context(cafile="$CA")); m.login("demo", "demo"); print(m.select()); m.logout()'
  python3 -c 'import poplib; p = poplib.POP3("127.0.0.1", $POP3); p.user("demo"); p.pass_("demo"); print(p.stat()); p.quit()'
  python3 -c 'import poplib, ssl; p = poplib.POP3_SSL("127.0.0.1", $POP3S, context=ssl.create_default_context(cafile="$CA")); p.user("demo"); p.pass_("demo"); print(p.stat()); p.quit()'
  python3 -c 'import smtplib, ssl; s = smtplib.SMTP("127.0.0.1", $SMTP); s.starttls(context=ssl.create_default_context(cafile="$CA")); s.login("demo", "demo"); s.sendmail("demo@example.test", ["demo@example.test"], "Subject: hello from python\r\n\r\nHi.\r\n"); s.quit()'

A wrong password is answered after 3 seconds (Auth-Wait: 3 from the auth server):
  curl imap://127.0.0.1:$IMAP/INBOX -u demo:wrong

mailproxy's error log follows; press Ctrl-C to stop.

EOF

tail -n +1 -F "$D/error.log" 2>/dev/null &
track $!
# until Ctrl-C (the trap above), or until a listener dies
mapfile -t pids <"$T/pids"
wait -n "${pids[@]}"
echo "demo: a process it started has exited; its logs:" >&2
tail -n 20 "$D"/activate-*.log "$T/authserver.stderr" "$T/dovecot/dovecot.log" "$T/postfix/maillog" >&2
exit 1
