#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# haproxy.bats - scale-out: HAProxy (send-proxy-v2, tcp-check of the greetings) in front of
# two mailproxy "hosts", each with its own listeners (127.0.0.2 and 127.0.0.3, the same ports)
# and its own configuration, sharing the auth server, Dovecot and Postfix.  Both
# configurations are the README's ("Scaling out"), read from it, with loopback addresses
# and high ports put in: the balancer sends from 127.0.0.9, clients come from 127.0.0.77.
# Checked: the health checks pass; an IMAP, POP3 and SMTP login through HAProxy shows the
# client's own address at the auth server, in mailproxy's log, at Dovecot and at Postfix;
# both hosts serve; a host whose handler cannot greet is taken out; a stopped host costs
# no login; the balancer's per-client limit (lowered from 256 to 3 here).  Root only
# (Dovecot and Postfix switch users).  About 35 s.

bats_require_minimum_version 1.5.0
load lib/common
load lib/smtp
load lib/units

CLIENT=127.0.0.77	# the client's address; HAProxy's own is 127.0.0.9

# readme_block FIRST-LINE: the indented README block that starts with that line, unindented
readme_block() {
	awk -v first="    $1" '$0 == first { on = 1 } on && /^$/ { exit } on { sub(/^    /, ""); print }' \
		"$MP_TESTS/../README"
}

# host_start NAME ADDR: a mailproxy "host": the README's configuration, its own listeners
host_start() {
	local d=$T/$1
	mkdir -p "$d"
	: >"$d/error.log"
	{
		echo "error_log $d/error.log info;"
		readme_block '# /etc/mailproxy/mailproxy.conf on each host' | sed \
			-e "s/listen 143 /listen $2:$PI /" -e "s/listen 110 /listen $2:$PP /" \
			-e "s/listen 587 /listen $2:$PS /" -e 's/10\.0\.0\.5;/127.0.0.9;/' \
			-e "s/10\.0\.0\.20:9000/127.0.0.1:$AUTHPORT/"
	} >"$d/proxy.conf"
	"$MAILPROXY_BUILD/mailproxy" -t -c "$d/proxy.conf" >/dev/null
	systemd-socket-activate -l "$2:$PI" -l "$2:$PP" -l "$2:$PS" -a -E MAILPROXY_TLS_SOCKET= \
		"$MAILPROXY_BUILD/mailproxy" -c "$d/proxy.conf" >"$d/ssa-fd3.log" 2>&1 </dev/null 3>&- &
	echo $! >"$d/pid"
	track $!
}

host_stop() { # NAME
	local pid
	pid=$(cat "$T/$1/pid")
	pkill -TERM -P "$pid" 2>/dev/null || true
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

haproxy_start() {
	local d=$T/haproxy
	mkdir -p "$d"
	{
		printf 'global\n    log stdout format raw local0 info\n'
		printf '    stats socket %s/admin.sock mode 600 level admin\n' "$d"
		readme_block '# /etc/haproxy/haproxy.cfg, after the global section' | sed \
			-e 's/^    mode tcp$/&\n    source 127.0.0.9/' \
			-e "s/bind :143$/bind 127.0.0.1:$FI/" -e "s/bind :110$/bind 127.0.0.1:$FP/" \
			-e "s/bind :587$/bind 127.0.0.1:$FS/" \
			-e 's/10\.0\.0\.11:/127.0.0.2:/' -e 's/10\.0\.0\.12:/127.0.0.3:/' \
			-e "s/\(127\.0\.0\.[23]\):143/\1:$PI/" -e "s/\(127\.0\.0\.[23]\):110/\1:$PP/" \
			-e "s/\(127\.0\.0\.[23]\):587/\1:$PS/" -e 's/sc0_conn_cur gt 256/sc0_conn_cur gt 3/'
	} >"$d/haproxy.cfg"
	haproxy -c -f "$d/haproxy.cfg" >"$d/check.log" 2>&1 || { cat "$d/check.log" >&2; return 1; }
	haproxy -db -f "$d/haproxy.cfg" >"$d/haproxy.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$FI" "$FP" "$FS"
}

# servers: "BACKEND/SERVER STATUS CHECK-STATUS" for each server, from HAProxy's show stat
servers() {
	python3 - "$T/haproxy/admin.sock" <<'EOF'
import csv, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
for r in rows:
    if r["svname"] not in ("FRONTEND", "BACKEND"):
        print("%s/%s %s %s" % (r["pxname"], r["svname"], r["status"], r["check_status"]))
EOF
}

# wait_servers PATTERN N: until N servers' lines match the extended regular expression
# (30 s at most: a check every 2 s, two to change a server's state)
wait_servers() {
	local n end
	end=$(($(date +%s) + 30))
	while (($(date +%s) < end)); do
		n=$(servers | grep -cE "$1") || true
		[ "$n" = "$2" ] && return 0
		sleep 0.2
	done
	servers >&2
	echo "want $2 servers matching $1, have $n" >&2
	return 1
}

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	command -v haproxy >/dev/null || return 0
	mp_init
	read -r PI PP PS FI FP FS DOVECOT_IMAP_PP DOVECOT_POP3_PP < <(free_ports 8)
	export PI PP PS FI FP FS DOVECOT_IMAP_PP DOVECOT_POP3_PP
	# Dovecot believes the mailproxy hosts' PROXY headers on two more listeners
	dovecot() {
		cat >>"$3" <<EOF
haproxy_trusted_networks = 127.0.0.0/8
service imap-login {
  inet_listener imap_haproxy {
    address = 127.0.0.1
    port = $DOVECOT_IMAP_PP
    haproxy = yes
  }
}
service pop3-login {
  inet_listener pop3_haproxy {
    address = 127.0.0.1
    port = $DOVECOT_POP3_PP
    haproxy = yes
  }
}
EOF
		command dovecot "$@"
	}
	dovecot_start
	unset -f dovecot
	postfix_start
	authserver_start --backend "imap=127.0.0.1:$DOVECOT_IMAP_PP" \
		--backend "pop3=127.0.0.1:$DOVECOT_POP3_PP" --backend "smtp=127.0.0.1:$POSTFIX_PORT"
	host_start mx1 127.0.0.2
	host_start mx2 127.0.0.3
	haproxy_start
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	postfix_stop
	mp_cleanup
}

setup() {
	need_root "Dovecot and Postfix"
	need_cmd haproxy curl
	[ -n "${T:-}" ] || { echo "setup_file did not run" >&2; return 1; }
	wait_servers ' UP L7OK$' 6
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${T:-}" ]; then
		servers >&2
		tail -20 "$T/haproxy/haproxy.log" >&2
	fi
	check_sanitizers
}

# imap_fetch N [FROM]: message N of alice's INBOX through HAProxy, from address FROM
imap_fetch() {
	curl -sS --max-time 10 --interface "${2:-$CLIENT}" -u alice:alicepass \
		"imap://127.0.0.1:$FI/INBOX;MAILINDEX=$1"
}

# logins NAME: the "client logged in" lines of host NAME
logins() { grep 'client logged in' "$T/$1/error.log" || true; }

@test "the README's blocks, unchanged, are valid: after Debian's haproxy.cfg, and for mailproxy -t" {
	{
		cat /etc/haproxy/haproxy.cfg
		readme_block '# /etc/haproxy/haproxy.cfg, after the global section'
	} >"$BATS_TEST_TMPDIR/haproxy.cfg"
	haproxy -c -f "$BATS_TEST_TMPDIR/haproxy.cfg"
	readme_block '# /etc/mailproxy/mailproxy.conf on each host' >"$BATS_TEST_TMPDIR/mailproxy.conf"
	"$MAILPROXY_BUILD/mailproxy" -t -c "$BATS_TEST_TMPDIR/mailproxy.conf"
	# what the suite runs is those blocks: a dozen lines each at least
	[ "$(grep -c . "$T/haproxy/haproxy.cfg")" -gt 40 ]
	[ "$(grep -c . "$T/mx1/proxy.conf")" -gt 8 ]
}

@test "HAProxy's health check of the IMAP, POP3 and SMTP greeting passes on both hosts" {
	run servers
	echo "$output"
	[ "${#lines[@]}" = 6 ]
	for b in imap pop3 submission; do
		for s in mx1 mx2; do
			grep -qx "$b/$s UP L7OK" <<<"$output"
		done
	done
	# each check came with a PROXY v2 header: nothing on either host complains of one
	run ! grep -iE 'PROXY|broken header' "$T/mx1/error.log" "$T/mx2/error.log"
}

@test "IMAP through HAProxy: the message byte for byte; the client's address at the auth server, in the log, at Dovecot" {
	auth_log_clear
	imap_fetch 1 >"$BATS_TEST_TMPDIR/got"
	mp_message 1 | cmp - "$BATS_TEST_TMPDIR/got"
	run auth_last_request
	echo "$output"
	[[ "$output" == *"Auth-Protocol: imap\r\n"* ]]
	[[ "$output" == *"Client-IP: $CLIENT\r\nProxy-Protocol-Addr: $CLIENT\r\n"* ]]
	run cat "$T/mx1/error.log" "$T/mx2/error.log"
	grep -E "client logged in.*client: $CLIENT, " <<<"$output"
	run grep 'imap-login: Info: Login: user=<alice>' "$T/dovecot/dovecot.log"
	echo "$output"
	[[ "${lines[-1]}" == *" rip=$CLIENT, "* ]]
}

@test "POP3 through HAProxy: the message byte for byte; the client's address at Dovecot" {
	curl -sS --max-time 10 --interface "$CLIENT" -u alice:alicepass \
		"pop3://127.0.0.1:$FP/2" >"$BATS_TEST_TMPDIR/got"
	mp_message 2 | cmp - "$BATS_TEST_TMPDIR/got"
	run grep 'pop3-login: Info: Login: user=<alice>' "$T/dovecot/dovecot.log"
	echo "$output"
	[[ "${lines[-1]}" == *" rip=$CLIENT, "* ]]
	run auth_last_request
	[[ "$output" == *"Auth-Protocol: pop3\r\n"*"Client-IP: $CLIENT\r\n"* ]]
}

@test "submission with AUTH through HAProxy: delivered as sent, Postfix names the client" {
	n=$(postfix_messages | wc -l)
	{
		printf 'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: via haproxy\r\n'
		printf 'Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <ha1@example.test>\r\n'
		printf '\r\nscaled out\r\n'
	} >"$BATS_TEST_TMPDIR/msg"
	curl -sS --max-time 10 --interface "$CLIENT" -u alice:alicepass --login-options AUTH=PLAIN \
		--mail-from alice@example.test --mail-rcpt bob@example.test \
		-T "$BATS_TEST_TMPDIR/msg" "smtp://127.0.0.1:$FS"
	postfix_wait_messages $((n + 1))
	got=$(postfix_messages | tail -n 1)
	# Postfix prepends its Received: line and stores LF line ends; the rest is as sent
	sed '1,/^Received: /d; /^\t/d; /^ /d' "$got" | tr -d '\r' >"$BATS_TEST_TMPDIR/body"
	grep -q "\[$CLIENT\]" "$got"
	tr -d '\r' <"$BATS_TEST_TMPDIR/msg" | diff - <(grep -v '^Return-Path:\|^Delivered-To:' "$BATS_TEST_TMPDIR/body")
	grep -E "client=unknown\[$CLIENT\]" "$T/postfix/maillog"
}

@test "both hosts serve: leastconn spreads logins" {
	a=$(logins mx1 | wc -l)
	b=$(logins mx2 | wc -l)
	for i in 1 2 3 4; do
		imap_fetch 1 >/dev/null
	done
	[ "$(logins mx1 | wc -l)" -gt "$a" ]
	[ "$(logins mx2 | wc -l)" -gt "$b" ]
}

@test "a host whose handler cannot greet is taken out although its port accepts; logins go on" {
	cp "$T/mx2/proxy.conf" "$BATS_TEST_TMPDIR/good.conf"
	echo 'broken;' >>"$T/mx2/proxy.conf"
	wait_servers '^[a-z0-9]+/mx2 DOWN ' 3
	ss -Hltn "src 127.0.0.3" | grep -q ":$PI"	# still listening
	a=$(logins mx1 | wc -l)
	for i in 1 2 3; do
		imap_fetch 2 | mp_message 2 | cmp - <(imap_fetch 2)
	done
	[ "$(logins mx1 | wc -l)" = $((a + 6)) ]
	cp "$BATS_TEST_TMPDIR/good.conf" "$T/mx2/proxy.conf"
	wait_servers ' UP L7OK$' 6
}

@test "one host stopped: new logins still succeed, at once and after HAProxy marks it down" {
	host_stop mx1
	b=$(logins mx2 | wc -l)
	# at once: a refused connection is retried on the other host (option redispatch)
	for i in 1 2 3 4; do
		imap_fetch 1 >"$BATS_TEST_TMPDIR/got"
		mp_message 1 | cmp - "$BATS_TEST_TMPDIR/got"
	done
	[ "$(logins mx2 | wc -l)" = $((b + 4)) ]
	wait_servers '^[a-z0-9]+/mx1 DOWN L4CON$' 3
	curl -sS --max-time 10 --interface "$CLIENT" -u alice:alicepass \
		"pop3://127.0.0.1:$FP/1" >"$BATS_TEST_TMPDIR/got"
	mp_message 1 | cmp - "$BATS_TEST_TMPDIR/got"
	[ "$(logins mx2 | wc -l)" = $((b + 5)) ]
	host_start mx1 127.0.0.2
	wait_servers ' UP L7OK$' 6
}

@test "the per-client limit is the balancer's: a client's 4th connection is refused, another client's is not" {
	python3 - "$FI" "$CLIENT" <<'EOF'
import socket, sys
port, client = int(sys.argv[1]), sys.argv[2]
def conn(src):
    # a refused one is closed at once, often before connect() has returned
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(src, 0))
        return s, s.recv(100)
    except ConnectionResetError:
        return None, b""
held = [conn(client) for _ in range(3)]
for s, greeting in held:
    assert greeting.startswith(b"* OK "), greeting
s, greeting = conn(client)
assert greeting == b"", "a 4th connection was served: %r" % greeting
s, greeting = conn("127.0.0.78")
assert greeting.startswith(b"* OK "), greeting
print("3 held, the 4th refused, another client served")
EOF
}
