#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# clients.bats - the mail programs people use, through mailproxy, each checked by what
# its user would see: mbsync (isync) pulls alice's INBOX into a Maildir over IMAP and
# IMAPS; fetchmail fetches it over POP3, POP3 with STLS and POP3S; swaks and msmtp submit over SMTP with
# STARTTLS and AUTH, and the message arrives; neomutt, under tmux, opens the INBOX and a
# message, read back from the screen.  Messages are compared byte for byte (less the
# trace header a program adds, and with LF line ends where the program stores them so).
# Root only (Dovecot and Postfix switch users).  About 20 s.

bats_require_minimum_version 1.5.0
load lib/common
load lib/smtp
load lib/tls
load lib/units

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	mp_init
	dovecot_start
	postfix_start
	authserver_start --backend "smtp=127.0.0.1:$POSTFIX_PORT"
	PKI=$T/pki
	tls_pki "$PKI"
	read -r P_IMAP P_IMAPS P_POP3 P_POP3S P_POP3T P_SUB < <(free_ports 6)
	export PKI P_IMAP P_IMAPS P_POP3 P_POP3S P_POP3T P_SUB
	local d=$T/mp
	mkdir -p "$d"
	cat >"$d/proxy.conf" <<EOF
error_log $d/error.log info;
mail {
    server_name mail.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;
    ssl_certificate $PKI/server.crt;
    ssl_certificate_key $PKI/server.key;
    server { listen 127.0.0.1:$P_IMAP; protocol imap; }
    server { listen 127.0.0.1:$P_IMAPS ssl; protocol imap; }
    server { listen 127.0.0.1:$P_POP3; protocol pop3; }
    server { listen 127.0.0.1:$P_POP3S ssl; protocol pop3; }
    server { listen 127.0.0.1:$P_POP3T; protocol pop3; starttls on; }
    server {
        listen 127.0.0.1:$P_SUB;
        protocol smtp;
        starttls only;
        smtp_auth login plain;
    }
}
EOF
	tls_daemon_env mp
	systemd-socket-activate -l "127.0.0.1:$P_IMAP" -l "127.0.0.1:$P_IMAPS" -l "127.0.0.1:$P_POP3" \
		-l "127.0.0.1:$P_POP3S" -l "127.0.0.1:$P_POP3T" -l "127.0.0.1:$P_SUB" -a "${TLS_ENV[@]}" \
		"$MAILPROXY_BUILD/mailproxy" -c "$d/proxy.conf" >"$d/ssa-fd3.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$P_IMAP" "$P_IMAPS" "$P_POP3" "$P_POP3S" "$P_POP3T" "$P_SUB"
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	postfix_stop
	mp_cleanup
}

setup() {
	need_root "Dovecot and Postfix"
	[ -n "${T:-}" ] || { echo "setup_file did not run" >&2; return 1; }
	H=$BATS_TEST_TMPDIR/home
	mkdir -p "$H"
}

teardown() {
	# a neomutt left running (a failed test) must not keep the tmux server, and bats, alive
	if [ -S "${H:-}/tmux.sock" ]; then tmux -S "$H/tmux.sock" kill-server 2>/dev/null || true; fi
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${T:-}" ]; then
		tail -5 "$T/mp/error.log" >&2
	fi
	check_sanitizers
}

# lf: the input with CR LF line ends made LF
lf() { tr -d '\r'; }

# same_message N FILE: FILE holds known message N, as sent (CR LF) or stored (LF)
same_message() {
	if ! mp_message "$1" | cmp - "$2" && ! mp_message "$1" | lf | cmp - "$2"; then
		echo "message $1 differs:" >&2
		mp_message "$1" | lf | diff - <(lf <"$2") >&2
		return 1
	fi
}

# drop_trace FILE: FILE without its first header (the Received: a program adds)
drop_trace() { awk 'NR == 1 { next } !body && /^[ \t]/ { next } { body = 1; print }' "$1"; }

# mbsync_pull SSLTYPE PORT: alice's INBOX into $H/mail/INBOX
mbsync_pull() {
	mkdir -p "$H/mail"
	cat >"$H/mbsyncrc" <<EOF
IMAPAccount proxy
Host localhost
Port $2
User alice
Pass alicepass
SSLType $1
CertificateFile $PKI/ca.crt
AuthMechs LOGIN PLAIN

IMAPStore far
Account proxy

MaildirStore near
Path $H/mail/
Inbox $H/mail/INBOX
SubFolders Verbatim

Channel inbox
Far :far:INBOX
Near :near:INBOX
Create Near
Sync Pull
SyncState *
EOF
	HOME=$H timeout 30 mbsync -c "$H/mbsyncrc" inbox
}

# check_maildir: the two known messages in $H/mail/INBOX, each in the file mbsync named
# after its server UID
check_maildir() {
	local f n
	run ls "$H/mail/INBOX/new" "$H/mail/INBOX/cur"
	echo "$output"
	for n in 1 2; do
		f=$(grep -l "^Subject: test message $n" "$H"/mail/INBOX/*/* | head -n 1)
		[ -n "$f" ]
		[[ "$f" == *",U=$n"* ]]
		# mbsync marks what it stores with an X-TUID: line at the end of the header
		grep -q '^X-TUID: ' "$f"
		grep -v '^X-TUID: ' "$f" >"$H/stored"
		same_message "$n" "$H/stored"
	done
	[ "$(find "$H/mail/INBOX" -type f -path '*/[nc][eu][wr]/*' | wc -l)" = 2 ]
}

@test "mbsync pulls the INBOX over IMAP: both messages, byte for byte, in the Maildir" {
	run mbsync_pull None "$P_IMAP"
	echo "$output"
	[ "$status" = 0 ]
	check_maildir
	# a second run finds nothing new
	run mbsync_pull None "$P_IMAP"
	echo "$output"
	[ "$status" = 0 ]
	check_maildir
}

@test "mbsync pulls the INBOX over IMAPS, checking the certificate" {
	run mbsync_pull IMAPS "$P_IMAPS"
	echo "$output"
	[ "$status" = 0 ]
	check_maildir
	grep -q "client logged in.*server: 127.0.0.1:$P_IMAPS" "$T/mp/error.log"
}

# fetchmail_run PORT [TLS-OPTIONS]: both messages into $H/out/1, 2, ..., left on the server;
# without options, no TLS (fetchmail would try STLS, and give up where there is none)
fetchmail_run() {
	local tls=${2:-"sslproto ''"}
	mkdir -p "$H/out"
	cat >"$H/save" <<EOF
#!/bin/sh
n=\$(ls "$H/out" | wc -l)
exec cat >"$H/out/\$((n + 1))"
EOF
	chmod 755 "$H/save"
	cat >"$H/fetchmailrc" <<EOF
set no syslog
poll 127.0.0.1 service $1 protocol pop3 auth password
    user "alice" password "alicepass" is "root" here
    keep fetchall no rewrite mda "$H/save" $tls
EOF
	chmod 600 "$H/fetchmailrc"
	HOME=$H timeout 30 fetchmail -v -f "$H/fetchmailrc" --nodetach --pidfile "$H/fetchmail.pid"
}

check_fetched() {
	local n
	for n in 1 2; do
		grep -q "^Subject: test message $n" "$H/out/$n"
		head -n 1 "$H/out/$n" | grep -q '^Received: from 127\.0\.0\.1'
		drop_trace "$H/out/$n" >"$H/out/$n.body"
		same_message "$n" "$H/out/$n.body"
	done
	[ ! -e "$H/out/3" ]
}

@test "fetchmail over POP3: both messages, byte for byte under fetchmail's Received:, kept on the server" {
	run fetchmail_run "$P_POP3"
	echo "$output"
	[ "$status" = 0 ]
	check_fetched
	curl -sS --max-time 10 -u alice:alicepass "pop3://127.0.0.1:$P_POP3/" >"$H/list"
	[ "$(wc -l <"$H/list")" = 2 ]
}

@test "fetchmail over POP3S, checking the certificate" {
	run fetchmail_run "$P_POP3S" "ssl sslcertck sslcertfile \"$PKI/ca.crt\" sslcommonname mail.test"
	echo "$output"
	[ "$status" = 0 ]
	check_fetched
	grep -q "client logged in.*server: 127.0.0.1:$P_POP3S" "$T/mp/error.log"
}

@test "fetchmail over POP3 with its default STLS, checking the certificate" {
	run fetchmail_run "$P_POP3T" "sslcertck sslcertfile \"$PKI/ca.crt\" sslcommonname mail.test"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *'POP3> STLS'* ]]
	check_fetched
	grep -q "client logged in.*server: 127.0.0.1:$P_POP3T" "$T/mp/error.log"
}

# outgoing TAG: a message to bob, CR LF line ends
outgoing() {
	printf 'From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n'
	printf 'Subject: sent with %s\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n' "$1"
	printf 'Message-ID: <%s@example.test>\r\n\r\nHello Bob,\r\n.dot-stuffed line\r\n\r\nAlice\r\n' "$1"
}

# check_delivered TAG: the newest message Postfix delivered is the one sent, after the
# Received: line Postfix adds (and its own Return-Path and Delivered-To above it)
check_delivered() {
	local got
	got=$(postfix_messages | tail -n 1)
	sed '1,/^Received: /d' "$got" | awk '!body && /^[ \t]/ { next } { body = 1; print }' >"$H/delivered"
	outgoing "$1" | lf | diff - "$H/delivered"
	grep -q "^Return-Path: <alice@example.test>" "$got"
	# mailproxy named the login to Postfix (XCLIENT), for every message delivered so far
	[ "$(grep -c 'sasl_method=XCLIENT, sasl_username=alice$' "$T/postfix/maillog")" = \
		"$(postfix_messages | wc -l)" ]
}

@test "swaks submits with STARTTLS and AUTH PLAIN; the message arrives as sent" {
	n=$(postfix_messages | wc -l)
	# as a user writes it, but without the last line end: swaks adds CR LF before the "."
	outgoing swaks | lf | head -c -1 >"$H/msg"
	run timeout 30 swaks --server 127.0.0.1 --port "$P_SUB" --tls --tls-verify --tls-ca-path "$PKI/ca.crt" \
		--auth PLAIN --auth-user alice --auth-password alicepass \
		--from alice@example.test --to bob@example.test --data "@$H/msg"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *'<-  220 2.0.0 Start TLS'* ]]
	[[ "$output" == *'~> AUTH PLAIN '* ]]
	[[ "$output" == *'<~  235 '* ]]
	postfix_wait_messages $((n + 1))
	check_delivered swaks
}

@test "msmtp submits with STARTTLS and AUTH; the message arrives as sent" {
	n=$(postfix_messages | wc -l)
	cat >"$H/msmtprc" <<EOF
account proxy
host 127.0.0.1
port $P_SUB
tls on
tls_starttls on
tls_trust_file $PKI/ca.crt
auth plain
user alice
password alicepass
from alice@example.test
logfile $H/msmtp.log
EOF
	chmod 600 "$H/msmtprc"
	outgoing msmtp | HOME=$H timeout 30 msmtp -C "$H/msmtprc" -a proxy bob@example.test
	cat "$H/msmtp.log"
	grep -q 'exitcode=EX_OK' "$H/msmtp.log"
	postfix_wait_messages $((n + 1))
	check_delivered msmtp
}

# screen: what neomutt shows now
screen() { tmux -S "$H/tmux.sock" capture-pane -p -t mutt; }

# wait_screen TEXT: until the screen shows TEXT (10 s at most)
wait_screen() {
	local i
	for ((i = 0; i < 100; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "the screen never showed: $1" >&2
	screen >&2
	return 1
}

@test "neomutt under tmux opens the INBOX over IMAPS and shows a message" {
	need_cmd neomutt tmux
	cat >"$H/muttrc" <<EOF
set folder = "imaps://alice@127.0.0.1:$P_IMAPS/"
set imap_pass = "alicepass"
set spoolfile = "+INBOX"
set ssl_ca_certificates_file = "$PKI/ca.crt"
set certificate_file = "$H/certificates"
set header_cache = ""
set message_cachedir = ""
set sort = date
set date_format = "%Y-%m-%d"
set index_format = "%4C %D %-12.12n %s"
set pager_index_lines = 0
set pager_stop = yes
set help = no
set mail_check_stats = no
set imap_check_subscribed = no
EOF
	HOME=$H TERM=xterm tmux -S "$H/tmux.sock" -f /dev/null new-session -d -s mutt -x 100 -y 20 \
		"neomutt -n -F '$H/muttrc' 2>'$H/neomutt.err'" 3>&-
	wait_screen 'test message 2'
	screen
	# the index: both messages, oldest first, from Bob, with their dates and subjects
	run screen
	grep -E '^ +1 2023-11-14 Bob +test message 1 *$' <<<"$output"
	grep -E '^ +2 2023-11-14 Bob +test message 2 *$' <<<"$output"
	grep -F 'INBOX' <<<"$output"
	# jump to the first one and open it: its headers and its two lines of text
	tmux -S "$H/tmux.sock" send-keys -t mutt 1 Enter
	sleep 0.2
	tmux -S "$H/tmux.sock" send-keys -t mutt Enter
	wait_screen 'This is message number 1.'
	run screen
	echo "$output"
	grep -xF 'Subject: test message 1' <<<"$output"
	grep -xF 'This is message number 1.' <<<"$output"
	grep -xF 'It has two lines.' <<<"$output"
	tmux -S "$H/tmux.sock" send-keys -t mutt q q
	for ((i = 0; i < 50; i++)); do
		tmux -S "$H/tmux.sock" has-session -t mutt 2>/dev/null || break
		sleep 0.1
	done
	run ! tmux -S "$H/tmux.sock" has-session -t mutt
	grep -q "client logged in.*server: 127.0.0.1:$P_IMAPS" "$T/mp/error.log"
}
