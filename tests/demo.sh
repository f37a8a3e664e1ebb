#!/bin/bash
# demo.sh BUILD_DIR - what `make demo` runs: a private Dovecot with the user demo/demo and
# two messages, the example auth server (tests/authserver.py), and mailproxy under
# systemd-socket-activate on a loopback high port, as systemd would run it.  It prints how
# to connect, shows mailproxy's error log, and runs until Ctrl-C; then it stops everything
# it started and removes its temporary directory.
#
# Environment: DEMO_IMAP_PORT (default 10143).
set -u

BUILD=${1:-}
if [ -z "$BUILD" ] || [ ! -x "$BUILD/mailproxy" ]; then
	echo "usage: $0 BUILD_DIR   (BUILD_DIR holds the built mailproxy; run 'make' first)" >&2
	exit 1
fi
BUILD=$(cd "$BUILD" && pwd)
MAILPROXY_BUILD=$BUILD
MP_USERS='demo:demo'
MP_MAILBOX_USER=demo
. "$(dirname "$0")/lib/common.bash"

IMAP=${DEMO_IMAP_PORT:-10143}
# the ports the other listeners will use once mailproxy serves them
POP3=10110 SMTP=10025 IMAPS=10993 POP3S=10995 SMTPS=10465

if ss -Hltn "sport = :$IMAP" | grep -q LISTEN; then
	echo "demo: port $IMAP on this machine is already in use:" >&2
	ss -Hltnp "sport = :$IMAP" >&2
	echo "demo: stop that program, or choose another port: DEMO_IMAP_PORT=11143 make demo" >&2
	exit 1
fi

for cmd in dovecot systemd-socket-activate python3 ss; do
	command -v "$cmd" >/dev/null || { echo "demo: $cmd is missing; run tests/deps.sh as root" >&2; exit 1; }
done

mp_init
trap 'trap "" INT TERM; echo; echo "demo: stopping"; mp_cleanup; exit 0' INT TERM
trap 'mp_cleanup' EXIT

dovecot_start || { echo "demo: Dovecot did not start" >&2; exit 1; }
authserver_start --wait 3 || { echo "demo: the auth server did not start" >&2; exit 1; }

mkdir -p "$T/demo"
CONF=$T/demo/mailproxy.conf
cat >"$CONF" <<EOF
# mailproxy.conf for the demo: nginx's mail{} configuration, unchanged
error_log $T/demo/error.log info;

mail {
    server_name demo.mailproxy.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;

    server {
        listen 127.0.0.1:$IMAP;
        protocol imap;
        imap_auth plain login cram-md5;
    }
}
EOF
: >"$T/demo/error.log"

"$BUILD/mailproxy" -t -c "$CONF" || { echo "demo: mailproxy rejects $CONF" >&2; exit 1; }

systemd-socket-activate -l "127.0.0.1:$IMAP" -a "$BUILD/mailproxy" -c "$CONF" \
	>"$T/demo/activate.log" 2>&1 </dev/null &
track $!
SSA=$!
wait_listen "$IMAP" || { cat "$T/demo/activate.log" >&2; exit 1; }

cat <<EOF

mailproxy demo is running (temporary directory $T)
  Dovecot (backend)    IMAP 127.0.0.1:$DOVECOT_IMAP, POP3 127.0.0.1:$DOVECOT_POP3; user demo, password demo
  auth server          http://127.0.0.1:$AUTHPORT/auth  ($MP_TESTS/authserver.py, users in $T/users)
  mailproxy IMAP       127.0.0.1:$IMAP  (configuration $CONF)
  not yet served here  POP3 $POP3, SMTP $SMTP, IMAPS $IMAPS, POP3S $POP3S, SMTPS $SMTPS

Try:
  curl imap://127.0.0.1:$IMAP/INBOX -u demo:demo
  curl 'imap://127.0.0.1:$IMAP/INBOX;MAILINDEX=1' -u demo:demo
  python3 -c 'import imaplib; m = imaplib.IMAP4("127.0.0.1", $IMAP); m.login("demo", "demo"); m.select(); print(m.fetch("1", "(BODY[])")[1][0][1].decode()); m.logout()'
  python3 $MP_TESTS/lib/wire.py 127.0.0.1:$IMAP '>a CAPABILITY\r\n' '<a OK completed\r\n'

A wrong password is answered after 3 seconds (Auth-Wait: 3).  mailproxy's error log follows;
press Ctrl-C to stop.

EOF

tail -n +1 -F "$T/demo/error.log" 2>/dev/null &
track $!
wait "$SSA"
echo "demo: systemd-socket-activate exited; see $T/demo/activate.log" >&2
cat "$T/demo/activate.log" >&2
exit 1
