#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# syslog.bats - error_log syslog:... side by side with Debian's nginx: the same mail{}
# servers, each logging to its own collectors (tests/lib/syslog_sink.py), are served by
# nginx (instance "ref") and by mailproxy (instance "mp"); the same sessions must produce
# the same datagrams, compared field by field by tests/lib/syslog_norm.py (PRI, facility,
# severity, host, tag, and the message with dates, connection numbers and ports
# normalised).  Also: unix: collectors, nohostname, a host name resolved when the
# configuration is read, [::1], the level filter, the relay's and mailproxy-tls's lines,
# and collectors that are gone.  MAILPROXY_TARGET=nginx runs the "mp" half on nginx too.

load lib/common
bats_require_minimum_version 1.5.0
load lib/tls

# sink INST NAME ADDRESS: a collector for instance INST at ADDRESS, its datagrams in
# $T/INST.NAME
sink() {
	python3 "$MP_TESTS/lib/syslog_sink.py" "$3" "$T/$1.$2" </dev/null 3>&- &
	track $!
	for ((i = 0; i < 100; i++)); do
		[ -e "$T/$1.$2" ] && return 0
		sleep 0.05
	done
	echo "collector $3 did not start" >&2
	return 1
}

setup_file() {
	tls_init
	dovecot_start
	authserver_start
	local k p
	for k in ref mp; do
		read -r p4 p6 pn pdead < <(free_ports 4)
		sink "$k" udp "udp:$p4"
		sink "$k" unix "$T/$k.sock"
		sink "$k" udp6 "udp6:$p6"
		sink "$k" name "udp:$pn"
		MP_SERVERS=()
		MP_BODIES=()
		mp_server main "error_log syslog:server=127.0.0.1:$p4 info;"
		# severity= is checked and, for error_log, ignored (nginx: "Severity of error
		# messages is determined by nginx")
		mp_server unix "error_log syslog:server=unix:$T/$k.sock,facility=mail,severity=emerg,tag=Mail_proxy1,nohostname info;"
		mp_server v6 "error_log syslog:server=[::1]:$p6,facility=local0 warn;
			auth_http 127.0.0.1:$CLOSEDPORT/auth;"
		mp_server name "error_log syslog:server=localhost:$pn,tag=byname info;"
		mp_server dead "error_log syslog:server=127.0.0.1:$pdead info;
			error_log syslog:server=unix:$T/nonexistent.sock info;"
		mp_server tls "# listen-ssl
			ssl_certificate $PKI/server.crt;
			ssl_certificate_key $PKI/server.key;
			error_log syslog:server=127.0.0.1:$p4,tag=tls info;"
		tls_proxy_start "$k" "$([ "$k" = ref ] && echo nginx || echo "$MAILPROXY_TARGET")"
	done
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

# lines INST NAME: the datagrams INST's collector NAME received, normalised
lines() { python3 "$MP_TESTS/lib/syslog_norm.py" "$T/$1.$2"; }

# settle INST NAME N: until collector NAME of INST holds at least N datagrams (3 s)
settle() {
	local i
	for ((i = 0; i < 60; i++)); do
		(($(wc -l <"$T/$1.$2") >= $3)) && return 0
		sleep 0.05
	done
	echo "$1.$2 has $(wc -l <"$T/$1.$2") datagrams, not $3:" >&2
	cat "$T/$1.$2" >&2
	return 1
}

# both SERVER STEP...: the wire script against nginx, then mailproxy
both() {
	local s=$1 k
	shift
	for k in ref mp; do
		wire "$(port "$s" "$k")" "$@" >/dev/null
	done
}

# same NAME [head]: collector NAME got the same normalised datagrams from both, in the same
# order; with "head", the same framing and levels (the messages' wording differs)
same() {
	local ref got n cut=cat
	if [ "${2:-}" = head ]; then
		cut="sed -E s/(\|\s\[[a-z]+\]).*/\1/"
	fi
	n=$(wc -l <"$T/ref.$1")
	settle mp "$1" "$n"
	sleep 0.2	# anything mailproxy sends beyond nginx's lines shows too
	ref=$(lines ref "$1" | $cut)
	got=$(lines mp "$1" | $cut)
	echo "nginx:"
	echo "$ref"
	echo "mailproxy:"
	echo "$got"
	[ "$ref" = "$got" ]
	[ "$n" -gt 0 ]
}

@test "syslog over UDP: a failed login, a login, a reset, the same datagrams as nginx" {
	: >"$T/ref.udp"
	: >"$T/mp.udp"
	both main '>a LOGIN alice wrong\r\n' '<a NO' '<\r\n' '>b LOGOUT\r\n' .
	both main '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n' '>b LOGOUT\r\n' .
	for k in ref mp; do
		wire -l 0 "$(port main "$k")" '>a LOGIN alice' '~0.3'
	done
	settle ref udp 7
	same udp
	# the events are there, with nginx's defaults: local7 (23), the host name, tag nginx
	out=$(lines mp udp)
	host=$(hostname | tr A-Z a-z)
	[[ "$out" == *"pri=190 facility=23 severity=6 host=$host tag=nginx | [info] client login failed: \"Invalid login or password\" while in http auth state, client: 127.0.0.1, server: 127.0.0.1:PORT, login: \"alice\""* ]]
	[[ "$out" == *"[info] client logged in, client: 127.0.0.1, server: 127.0.0.1:PORT, login: \"alice\", upstream: 127.0.0.1:PORT"* ]]
	[[ "$out" == *"[info] proxied session done, client: 127.0.0.1, server: 127.0.0.1:PORT, login: \"alice\", upstream: 127.0.0.1:PORT"* ]]
	[[ "$out" == *"[info] recv() failed (104: Connection reset by peer) while in auth state, client: 127.0.0.1, server: 127.0.0.1:PORT"* ]]
}

@test "syslog: the relay's line comes from the relay, mailproxy's byte counts kept" {
	skip_on_nginx "nginx has no relay process"
	: >"$T/mp.udp"
	wire "$(port main mp)" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n' '>b LOGOUT\r\n' .
	settle mp udp 3
	grep -E 'proxied session done \(to upstream: [0-9]+ bytes, to client: [0-9]+ bytes, time: [0-9.]+ s\), client: 127\.0\.0\.1' "$T/mp.udp"
	# the handler's and the relay's pids differ in the message, the session id does not
	sids=$(grep -oE '#0: \*[0-9a-f]+ ' "$T/mp.udp" | sort -u | wc -l)
	[ "$sids" -eq 1 ]
}

@test "syslog unix: target, facility, tag, nohostname, severity= ignored: the same as nginx" {
	: >"$T/ref.unix"
	: >"$T/mp.unix"
	both unix '>a LOGIN alice wrong\r\n' '<a NO' '<\r\n' '>b LOGOUT\r\n' .
	both unix '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n' '>b LOGOUT\r\n' .
	same unix
	out=$(lines mp unix)
	[[ "$out" == *"pri=22 facility=2 severity=6 host=- tag=Mail_proxy1 | [info] client login failed"* ]]
	# nohostname: the tag follows the time stamp
	grep -qE '^<22>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} Mail_proxy1: [0-9/]{10} ' "$T/mp.unix"
}

@test "syslog [::1]: the level filter sends warn and above only, as nginx" {
	: >"$T/ref.udp6"
	: >"$T/mp.udp6"
	both v6 '>a LOGIN alice alicepass\r\n' '<a NO' '<\r\n' '>b LOGOUT\r\n' .
	# nginx 1.22 words the refused auth server "recv() failed": mailproxy names the call
	# and the server (doc/wire.md)
	same udp6 head
	out=$(lines mp udp6)
	[[ "$out" == *"pri=131 facility=16 severity=3 "*"[error] connect() to 127.0.0.1:PORT failed (111: Connection refused) while in http auth state"* ]]
	[[ "$out" != *"[info]"* ]]
}

@test "syslog server=localhost: resolved when the configuration is read" {
	: >"$T/ref.name"
	: >"$T/mp.name"
	both name '>a LOGIN alice wrong\r\n' '<a NO' '<\r\n' '>b LOGOUT\r\n' .
	same name
	grep -q ' byname: ' "$T/mp.name"
}

@test "syslog: mailproxy-tls logs to the server's collector" {
	: >"$T/ref.udp"
	: >"$T/mp.udp"
	# a plaintext client on the TLS port: the handshake fails in mailproxy-tls
	both tls '>a LOGIN alice alicepass\r\n' .
	# OpenSSL's error queue is worded by libtls in mailproxy-tls
	same udp head
	out=$(lines mp udp)
	[[ "$out" == *"tag=tls | [info] SSL_do_handshake() failed ("*"wrong version number) while SSL handshaking, client: 127.0.0.1, server: 127.0.0.1:PORT"* ]]
}

@test "syslog: collectors that are gone cost a session nothing" {
	local start end
	for i in 1 2 3; do
		start=$(date +%s%N)
		run wire "$(port dead mp)" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n' '>b LOGOUT\r\n' .
		end=$(date +%s%N)
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"b OK Logout completed"* ]]
		(((end - start) / 1000000 < 1500))
	done
	# and a collector that stops reading, its queue filled: the session goes on.  (Linux
	# charges a unix datagram to its sender's buffer, so this passes with a blocking
	# socket too: what keeps a session from waiting is SOCK_NONBLOCK and MSG_DONTWAIT.)
	kill -STOP "$(pgrep -f "syslog_sink.py $T/mp.sock")"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(False)
n = 0
try:
    while n < 100000:
        s.sendto(b"filler", sys.argv[1])
        n += 1
except BlockingIOError:
    sys.exit(0)
sys.exit("the collector queue never filled")' "$T/mp.sock"
	start=$(date +%s%N)
	run wire "$(port unix mp)" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n' '>b LOGOUT\r\n' .
	end=$(date +%s%N)
	kill -CONT "$(pgrep -f "syslog_sink.py $T/mp.sock")"
	[ "$status" -eq 0 ]
	(((end - start) / 1000000 < 1500))
}

@test "syslog: bad parameters are refused as nginx refuses them" {
	local c=$T/bad.conf e
	for e in 'syslog:facility=mail' 'syslog:server=127.0.0.1,facility=nope' \
		'syslog:server=127.0.0.1,severity=warning' 'syslog:server=127.0.0.1,tag=a-b' \
		'syslog:server=127.0.0.1,tag=abcdefghijklmnopqrstuvwxyz0123456' \
		'syslog:server=127.0.0.1,server=127.0.0.2' 'syslog:server=127.0.0.1:0' \
		'syslog:server=127.0.0.1,bogus' 'syslog:server=nonexistent.invalid' 'syslog:server=[::1'; do
		printf 'load_module %s;\nevents { }\nerror_log %s;\nmail { server { listen 127.0.0.1:1143; protocol imap; auth_http 127.0.0.1:1/a; } }\n' "$NGINX_MAIL_MODULE" "$e" >"$c"
		run nginx -t -c "$c" -p "$T/" -e "$T/nginx-t.log"
		echo "nginx $e: $output"
		[ "$status" -ne 0 ]
		[ "$MAILPROXY_TARGET" = nginx ] && continue
		run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
		echo "mailproxy $e: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"in $c:3"* ]]
	done
	printf 'load_module %s;\nevents { }\nerror_log syslog:server=127.0.0.1:514,facility=local3,severity=debug,tag=x_1,nohostname debug;\nmail { server { listen 127.0.0.1:1143; protocol imap; auth_http 127.0.0.1:1/a; } }\n' "$NGINX_MAIL_MODULE" >"$c"
	run "$MAILPROXY_BUILD/mailproxy" -t -c "$c"
	[ "$status" -eq 0 ]
}

@test "syslog: no line carries a password" {
	run ! grep -aF -e alicepass -e 'LOGIN alice wrong' "$T"/*.udp "$T"/*.unix "$T"/*.udp6 "$T"/*.name
}
