#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tls_resume.bats - TLS session resumption by session tickets (lib/tls/tlsd_ticket.c), as
# nginx's ssl_session_tickets, ssl_session_ticket_key and ssl_session_timeout define it:
# openssl s_client -sess_out/-sess_in and Python's ssl module (session_reused) over IMAPS
# and STARTTLS, logging in through mailproxy to the Dovecot backend.
# Runs plain (a mailproxy-tls executed per session) and with MP_TLS_DAEMON=1 (every
# session a child of one daemon, tests/run-suites.sh); the instance "other" runs the other
# way, for tickets that cross from one to the other. MAILPROXY_TARGET=nginx runs it against
# nginx, whose workers share a key as the daemon's children do.

load lib/common
load lib/tls

setup_file() {
	tls_init
	head -c 48 /dev/urandom >"$PKI/ticket2.key"
	head -c 80 /dev/urandom >"$PKI/ticket80.key"
	dovecot_start
	authserver_start
	# implicit TLS (or STARTTLS), TLS 1.2 and 1.3, the test certificate unless given
	tserver keyed "ssl_session_ticket_key $PKI/ticket.key;"
	tserver keyed80 "ssl_session_ticket_key $PKI/ticket80.key;"
	TOPEN="starttls on;" tserver starttls "ssl_session_ticket_key $PKI/ticket.key;"
	tserver otherkey "ssl_session_ticket_key $PKI/ticket2.key;"
	# nginx's rotation: the first file encrypts, the others only decrypt
	tserver rotated "ssl_session_ticket_key $PKI/ticket2.key;
		ssl_session_ticket_key $PKI/ticket.key;"
	TCERT=ecserver tserver othercert "ssl_session_ticket_key $PKI/ticket.key;"
	tserver nokey ""
	tserver shortnokey "ssl_session_timeout 3s;"
	tserver off "ssl_session_tickets off;
		ssl_session_ticket_key $PKI/ticket.key;"
	tserver short "ssl_session_timeout 3s;
		ssl_session_ticket_key $PKI/ticket.key;"
	tls_proxy_start
	# the same servers the other way: executed per session if mp has a daemon, else a daemon
	if [ "$(proxy_kind)" = nginx ]; then
		tls_proxy_start other
	elif [ "${MP_TLS_DAEMON:-0}" = 1 ]; then
		tls_proxy_start_env other "MAILPROXY_TLS_SOCKET=$T/nowhere.sock"
	else
		MP_TLS_DAEMON=1 tls_proxy_start other
	fi
}

# tserver NAME DIRECTIVES: a server for these tests ($TOPEN: its first line, implicit TLS
# by default; $TCERT: the certificate's name in $PKI, server by default)
tserver() {
	local cert=${TCERT:-server}
	mp_server "$1" "${TOPEN:-# listen-ssl}
		ssl_certificate $PKI/$cert.crt;
		ssl_certificate_key $PKI/$cert.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		$2"
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

# shared: one key serves every session without a key file (the daemon's children,
# nginx's workers); else each session has a process of its own
shared() { [ "$(proxy_kind)" = nginx ] || [ "${MP_TLS_DAEMON:-0}" = 1 ]; }

# sc PORT VERSION sess_out|sess_in FILE [OPTS...]: s_client that logs out, reading
# the server's replies (and the TLS 1.3 tickets sent before them) until it closes
sc() {
	local p=$1 v=$2 io=$3 f=$4
	shift 4
	# after a pause: nginx 1.22 leaves bytes that came with the handshake's Finished unread
	(sleep 0.3; printf 'a LOGOUT\r\n') | timeout 20 openssl s_client -connect "127.0.0.1:$p" \
		-CAfile "$PKI/ca.crt" -verify_return_error -servername mail.test "-tls1_${v#1.}" \
		"-$io" "$f" -ign_eof "$@" 2>&1
}

# resumed OUTPUT: New or Reused, from s_client's "New, TLSv1.3, Cipher is ..." line
resumed() { grep -oE '^(New|Reused),' <<<"$1" | tr -d ,; }

# ticket_of FILE: "ticket" if the saved session holds a ticket, else "none"
ticket_of() {
	if [ -s "$1" ] && openssl sess_id -in "$1" -noout -text | grep -q 'TLS session ticket:'; then
		echo ticket
	else
		echo none
	fi
}

resume() { python3 "$MP_TESTS/lib/resume.py" "$@"; }

# resumes "REUSED..." [--starttls] PORT...: over TLS 1.3 and then 1.2, one connection to
# each PORT in turn, each offering the last ticket: reused= as listed (True or False), every
# one with a ticket of hint 300 and a login
resumes() {
	local want=($1) v i
	shift
	for v in 1.3 1.2; do
		run resume --tls "$v" "$@"
		echo "$v: $output"
		[ "${#lines[@]}" = "${#want[@]}" ]
		for i in "${!want[@]}"; do
			[ "${lines[i]}" = "reused=${want[i]} ticket=True hint=300 login=OK" ]
		done
	done
}

skip_on_nginx_kind() { [ "$(proxy_kind)" = nginx ] && skip "$1"; return 0; }

# ---- with a key file --------------------------------------------------------------------

@test "s_client, TLS 1.3, ssl_session_ticket_key: the second connection resumes" {
	rm -f "$T/s13"
	run sc "$(port keyed)" 1.3 sess_out "$T/s13"
	[ "$(resumed "$output")" = New ]
	[[ "$output" == *'* BYE'* ]]
	[ "$(ticket_of "$T/s13")" = ticket ]
	run sc "$(port keyed)" 1.3 sess_in "$T/s13"
	echo "$output"
	[ "$(resumed "$output")" = Reused ]
	[[ "$output" == *'* OK IMAP4 ready'* ]]
}

@test "s_client, TLS 1.2, ssl_session_ticket_key: the second connection resumes" {
	rm -f "$T/s12"
	run sc "$(port keyed)" 1.2 sess_out "$T/s12"
	[ "$(resumed "$output")" = New ]
	[ "$(ticket_of "$T/s12")" = ticket ]
	run sc "$(port keyed)" 1.2 sess_in "$T/s12"
	echo "$output"
	[ "$(resumed "$output")" = Reused ]
	[[ "$output" == *'* OK IMAP4 ready'* ]]
}

@test "python IMAPS, TLS 1.3 and 1.2: logged in through to the backend, resumed the second time" {
	resumes "False True True" "$(port keyed)" "$(port keyed)" "$(port keyed)"
}

@test "python IMAP STARTTLS, TLS 1.3 and 1.2: resumed the second time" {
	resumes "False True" --starttls "$(port starttls)" "$(port starttls)"
}

@test "an 80-byte key file (AES-256): resumed, TLS 1.3 and 1.2" {
	resumes "False True" "$(port keyed80)" "$(port keyed80)"
}

@test "a ticket crosses between the daemon's children and an executed mailproxy-tls, both ways" {
	resumes "False True True" "$(port keyed)" "$(port keyed other)" "$(port keyed)"
}

@test "another key file: no resumption, a full handshake and a new ticket" {
	resumes "False False False" "$(port keyed)" "$(port otherkey)" "$(port keyed)"
}

@test "rotation: a second key file still decrypts, and the ticket is renewed with the first" {
	# keyed encrypts with ticket.key; rotated lists ticket2.key first, then ticket.key;
	# otherkey knows ticket2.key only
	local v
	for v in 1.3 1.2; do
		run resume --tls "$v" "$(port keyed)" "$(port rotated)" "$(port otherkey)"
		echo "$v: $output"
		[ "${lines[0]}" = "reused=False ticket=True hint=300 login=OK" ]
		# OpenSSL gives a ticket renewed in a resumed TLS 1.2 handshake no hint (0)
		[[ "${lines[1]}" =~ ^reused=True\ ticket=True\ hint=(300|0)\ login=OK$ ]]
		[[ "${lines[2]}" =~ ^reused=True\ ticket=True\ hint=(300|0)\ login=OK$ ]]
	done
}

@test "one key file, another certificate: a session resumes only at a server like its own" {
	skip_on_nginx_kind "nginx's session ID context also holds its own server's certificate"
	run resume --tls 1.3 "$(port keyed)" "$(port othercert)" "$(port othercert)"
	echo "$output"
	[ "${lines[0]}" = "reused=False ticket=True hint=300 login=OK" ]
	[ "${lines[1]}" = "reused=False ticket=True hint=300 login=OK" ]
	[ "${lines[2]}" = "reused=True ticket=True hint=300 login=OK" ]
}

@test "ssl_session_timeout is the ticket's lifetime: its hint, and no resumption after it" {
	# counted from the session's full handshake: a resumption does not extend it
	local v
	for v in 1.3 1.2; do
		run resume --tls "$v" --sleep 4 "$(port short)" "$(port short)"
		echo "$v: $output"
		[ "${lines[0]}" = "reused=False ticket=True hint=3 login=OK" ]
		[ "${lines[1]}" = "reused=False ticket=True hint=3 login=OK" ]
	done
	run resume --tls 1.3 "$(port short)" "$(port short)"
	[ "${lines[1]}" = "reused=True ticket=True hint=3 login=OK" ]
}

@test "a corrupt ticket (key name, ciphertext, MAC) is a full handshake, never a failure" {
	local part v
	for v in 1.3 1.2; do
		rm -f "$T/c$v"
		run sc "$(port keyed)" "$v" sess_out "$T/c$v"
		[ "$(ticket_of "$T/c$v")" = ticket ]
		for part in name body mac; do
			python3 - "$T/c$v" "$part" "$T/bad" <<'EOF'
import base64, re, subprocess, sys
src, part, dst = sys.argv[1:]
text = subprocess.run(["openssl", "sess_id", "-in", src, "-noout", "-text"],
                      capture_output=True, text=True, check=True).stdout
dump = text.split("TLS session ticket:")[1]
tick = bytes.fromhex("".join(re.findall(r"^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})", dump, re.M)).replace("-", " "))
pem = open(src).read()
der = bytearray(base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----"))))
at = der.find(tick[:32])
assert at > 0 and len(tick) > 80, (at, len(tick))
off = {"name": 3, "body": 40, "mac": len(tick) - 5}[part]
der[at + off] ^= 0x55
b = base64.b64encode(bytes(der)).decode()
open(dst, "w").write("-----BEGIN SSL SESSION PARAMETERS-----\n" +
    "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END SSL SESSION PARAMETERS-----\n")
EOF
			run sc "$(port keyed)" "$v" sess_in "$T/bad"
			echo "$v $part: $output"
			[ "$(resumed "$output")" = New ]
			[[ "$output" == *'* OK IMAP4 ready'* ]]
			[[ "$output" == *'* BYE'* ]]
		done
		# and the unmodified one still resumes
		run sc "$(port keyed)" "$v" sess_in "$T/c$v"
		[ "$(resumed "$output")" = Reused ]
	done
}

# ---- without a key file, and off --------------------------------------------------------

@test "no key file: the daemon's (or nginx's) own key resumes across sessions" {
	shared || skip "a mailproxy-tls executed per session: see the next test"
	local v
	for v in 1.3 1.2; do
		run resume --tls "$v" "$(port nokey)" "$(port nokey)" "$(port nokey)"
		echo "$v: $output"
		[ "${lines[0]}" = "reused=False ticket=True hint=300 login=OK" ]
		[ "${lines[1]}" = "reused=True ticket=True hint=300 login=OK" ]
		[ "${lines[2]}" = "reused=True ticket=True hint=300 login=OK" ]
		rm -f "$T/n$v"
		run sc "$(port nokey)" "$v" sess_out "$T/n$v"
		[ "$(resumed "$output")" = New ]
		run sc "$(port nokey)" "$v" sess_in "$T/n$v"
		[ "$(resumed "$output")" = Reused ]
	done
}

@test "no key file: the daemon's key is replaced after ssl_session_timeout and still decrypts" {
	shared || skip "a mailproxy-tls executed per session issues no ticket without a key file"
	# a session lives ssl_session_timeout (3 s) from its full handshake, resumed or not
	# (OpenSSL's rule); the daemon's key is replaced once 3 s old. The second connection
	# comes 4 s after the first, so the key is new then; the third is a new session whose
	# ticket the fourth offers when that key is 3 s old and has just been replaced
	local p v
	p=$(port shortnokey)
	for v in 1.3 1.2; do
		run resume --tls "$v" "$p" sleep:4.2 "$p" new sleep:1.2 "$p" sleep:1.9 "$p"
		echo "$v: $output"
		[ "${lines[0]}" = "reused=False ticket=True hint=3 login=OK" ]
		[ "${lines[1]}" = "reused=False ticket=True hint=3 login=OK" ]
		[ "${lines[2]}" = "reused=False ticket=True hint=3 login=OK" ]
		[[ "${lines[3]}" =~ ^reused=True\ ticket=True\ hint=(3|0)\ login=OK$ ]]
	done
}

@test "no key file, a process per session: no ticket is issued, every handshake is full" {
	shared && skip "a daemon (or nginx) shares its key: see the test before"
	local v
	for v in 1.3 1.2; do
		run resume --tls "$v" "$(port nokey)" "$(port nokey)"
		echo "$v: $output"
		[ "${lines[0]}" = "reused=False ticket=False hint=0 login=OK" ]
		[ "${lines[1]}" = "reused=False ticket=False hint=0 login=OK" ]
		rm -f "$T/n$v"
		run sc "$(port nokey)" "$v" sess_out "$T/n$v"
		[ "$(resumed "$output")" = New ]
		[ "$(ticket_of "$T/n$v")" = none ]
	done
}

@test "ssl_session_tickets off: no ticket, New both times, even with a key file" {
	local v
	for v in 1.3 1.2; do
		run resume --tls "$v" "$(port off)" "$(port off)"
		echo "$v: $output"
		if [ "$(proxy_kind)" = nginx ] && [ "$v" = 1.3 ]; then
			# nginx 1.22 sends a TLS 1.3 stateful ticket, for a session it never stores
			[[ "${lines[0]}" =~ ^reused=False\ ticket=(True|False) ]]
			[[ "${lines[1]}" =~ ^reused=False\ ticket=(True|False) ]]
		else
			[ "${lines[0]}" = "reused=False ticket=False hint=0 login=OK" ]
			[ "${lines[1]}" = "reused=False ticket=False hint=0 login=OK" ]
			rm -f "$T/o$v"
			run sc "$(port off)" "$v" sess_out "$T/o$v"
			[ "$(resumed "$output")" = New ]
			[ "$(ticket_of "$T/o$v")" = none ]
		fi
		# a session from a server that issues tickets is not taken either
		rm -f "$T/k$v"
		run sc "$(port keyed)" "$v" sess_out "$T/k$v"
		[ "$(ticket_of "$T/k$v")" = ticket ]
		run sc "$(port off)" "$v" sess_in "$T/k$v"
		[ "$(resumed "$output")" = New ]
		[[ "$output" == *'* OK IMAP4 ready'* ]]
	done
}
