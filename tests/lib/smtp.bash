# SPDX-License-Identifier: ISC
# smtp.bash - SMTP backends for the bats suites: a private Postfix instance (real smtpd
# with XCLIENT and Maildir delivery, its log in a file) and a scripted fake backend (for
# proxy_smtp_auth: it accepts any AUTH and logs what it got).  Load it after lib/common.
#
#   postfix_start          Postfix on $POSTFIX_PORT; mail for *@example.test lands in
#                          $T/postfix/mail/box/new/, the log is $T/postfix/maillog;
#                          the lines of $POSTFIX_EXTRA end its main.cf
#   fake_smtp_start        the fake backend on $FAKE_PORT, its input in $T/fake_smtp.log
#   authserver2_start      a second auth server on $AUTH2PORT that sends SMTP logins
#                          to the fake backend (log $T/auth2.log)
#   smtp_server NAME 'DIRECTIVES'   like mp_server, for a "protocol smtp" server
#
# mp_write_conf from common.bash writes "protocol imap;" into every server; it is
# wrapped here so that servers declared with smtp_server get "protocol smtp;".

SMTP_SERVERS=" "

smtp_server() {
	SMTP_SERVERS+="$1 "
	mp_server "$@"
}

eval "common_$(declare -f mp_write_conf)"
mp_write_conf() {
	common_mp_write_conf "$@"
	local f=$T/$1/proxy.conf
	python3 - "$f" "$SMTP_SERVERS" <<'EOF'
import sys
path, names = sys.argv[1], sys.argv[2].split()
out, cur = [], None
for line in open(path):
    s = line.strip()
    if s.startswith("server { # "):
        cur = s[len("server { # "):]
    if s == "protocol imap;" and cur in names:
        line = line.replace("protocol imap;", "protocol smtp;")
    out.append(line)
open(path, "w").write("".join(out))
EOF
}

postfix_start() {
	local d=$T/postfix
	read -r POSTFIX_PORT < <(free_ports 1)
	export POSTFIX_PORT
	mkdir -p "$d/conf" "$d/queue" "$d/data" "$d/mail"
	chown postfix "$d/data"
	chown nobody "$d/mail"
	cp /etc/postfix/master.cf "$d/conf/master.cf"
	cat >"$d/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = backend.test
smtpd_banner = \$myhostname ESMTP backend
mydestination =
mynetworks = 127.0.0.0/8
smtpd_authorized_xclient_hosts = 127.0.0.0/8
maillog_file = $d/maillog
maillog_file_prefixes = $d
virtual_mailbox_domains = example.test
virtual_mailbox_base = $d/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
alias_maps =
alias_database =
smtpd_recipient_restrictions = check_recipient_access inline:{ { nobody@example.test = REJECT No such user here } },
    permit_mynetworks, reject_unauth_destination
${POSTFIX_EXTRA:-}
EOF
	postconf -c "$d/conf" -M# smtp/inet
	postconf -c "$d/conf" -Me "127.0.0.1:$POSTFIX_PORT/inet = 127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd"
	postconf -c "$d/conf" -F '*/*/chroot = n'
	postfix -c "$d/conf" start-fg >"$d/stderr.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$POSTFIX_PORT" || { cat "$d/stderr.log" "$d/maillog" >&2; return 1; }
}

postfix_stop() {
	if [ -d "$T/postfix/conf" ]; then postfix -c "$T/postfix/conf" stop >/dev/null 2>&1 || true; fi
	return 0
}

# postfix_messages: the delivered messages, oldest first
postfix_messages() { ls -1tr "$T"/postfix/mail/box/new/* 2>/dev/null; }

# postfix_wait_messages N: until N messages have been delivered
postfix_wait_messages() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(postfix_messages | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "postfix delivered $(postfix_messages | wc -l) messages, want $1" >&2
	tail -20 "$T/postfix/maillog" >&2
	return 1
}

# fake_smtp_start: a scripted SMTP backend on $FAKE_PORT that answers 220, 250 to
# HELO/EHLO/MAIL/RCPT/XCLIENT/RSET/NOOP, 235 to AUTH (any credentials), 354 to DATA and
# 221 to QUIT, and logs every line it receives to $T/fake_smtp.log (smtp-sink answers AUTH
# with 250, which nginx and mailproxy rightly refuse).
fake_smtp_start() {
	read -r FAKE_PORT < <(free_ports 1)
	export FAKE_PORT
	: >"$T/fake_smtp.log"
	python3 - "$FAKE_PORT" "$T/fake_smtp.log" >"$T/fake_smtp.stderr" 2>&1 </dev/null 3>&- <<'PYEOF' &
import socketserver, sys
port, log = int(sys.argv[1]), sys.argv[2]
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 fake ESMTP\r\n")
        data = False
        for line in self.rfile:
            with open(log, "ab") as f:
                f.write(line)
            if data:
                if line == b".\r\n":
                    data = False
                    self.wfile.write(b"250 2.0.0 queued\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-fake\r\n250-XCLIENT ADDR LOGIN NAME\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                self.wfile.write(b"235 2.7.0 Authentication successful\r\n")
            elif verb == b"DATA":
                data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 2.0.0 fake closing\r\n")
                return
            else:
                self.wfile.write(b"250 2.0.0 fake ok\r\n")
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("127.0.0.1", port), H).serve_forever()
PYEOF
	track $!
	wait_listen "$FAKE_PORT"
}

authserver2_start() {
	read -r AUTH2PORT < <(free_ports 1)
	export AUTH2PORT
	: >"$T/auth2.log"
	python3 "$MP_TESTS/authserver.py" --listen "127.0.0.1:$AUTH2PORT" --users "$T/users" \
		--backend "smtp=127.0.0.1:$FAKE_PORT" --log "$T/auth2.log" \
		>"$T/authserver2.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$AUTH2PORT"
}

# The client connects from 127.0.0.2, so that the backend can only have that address
# from XCLIENT (the proxy itself talks to it from 127.0.0.1).
smtp_send_smtplib() { # PORT FROM TO FILE [USER PASS]
	python3 - "$@" <<'EOF'
import smtplib, sys
port, frm, to, path = sys.argv[1:5]
s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="client.example", timeout=10,
                 source_address=("127.0.0.2", 0))
s.ehlo()
if len(sys.argv) > 6:
    s.login(sys.argv[5], sys.argv[6])
s.sendmail(frm, [to], open(path, "rb").read())
s.quit()
EOF
}

smtp_send_curl() { # PORT FROM TO FILE USER PASS
	curl -sS --max-time 10 --interface 127.0.0.2 "smtp://127.0.0.1:$1/client.example" \
		--mail-from "$2" --mail-rcpt "$3" \
		--upload-file "$4" --user "$5:$6"
}

# smtp_message N: a test message with CRLF line ends
smtp_message() {
	printf 'From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\n'
	printf 'Subject: smtp test %s\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n' "$1"
	printf 'Message-ID: <smtp%s@example.test>\r\n\r\n' "$1"
	printf 'Message number %s.\r\n.A line that starts with a dot.\r\nTrailing spaces   \r\n' "$1"
}
