#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tls_daemon.bats - mailproxy-tls -D: one socket-activated process that builds every TLS
# server's context once and forks a child per session, which the handler asks over a unix
# socket (lib/tls/tlsd_daemon.c). The TLS suites also run whole through a daemon
# (MP_TLS_DAEMON=1, tests/run-suites.sh: in make check's sanitizer pass); this suite, in
# both passes, checks what only the daemon does:
# who serves a session, the fallback to an executed mailproxy-tls when the daemon read
# another version of the configuration, and requests that are not a handler's.

load lib/common
load lib/tls

setup_file() {
	[ "$MAILPROXY_TARGET" = nginx ] && skip "mailproxy's own design"
	export MP_TLS_DAEMON=1
	tls_init
	dovecot_start
	authserver_start
	mp_server implicit "# listen-ssl
		ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/server.key;"
	mp_server starttls "starttls on;
		ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/server.key;"
	mp_server plain ''
	tls_proxy_start
	# the same servers, their handlers pointed at a socket nobody listens on
	tls_proxy_start_env nodaemon "MAILPROXY_TLS_SOCKET=$T/nowhere.sock"
	# and at a socket whose listener accepts and never says a word (a daemon that
	# cannot start: systemd holds the socket, the connections wait in its backlog)
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64)
held = []
while True:
    held.append(s.accept()[0])' "$T/mute.sock" >/dev/null 2>&1 </dev/null 3>&- &
	track $!
	tls_proxy_start_env mute "MAILPROXY_TLS_SOCKET=$T/mute.sock"
}

teardown_file() { mp_cleanup; }
teardown() { check_sanitizers; }

@test "a TLS session is served by a child of the daemon, not by an executed mailproxy-tls" {
	run python3 "$MP_TESTS/lib/served_by.py" --tls --parent "$(port implicit)"
	echo "$output"
	[[ "$output" == 'mailproxy-tls mailproxy-tls -D -c '* ]]
	run tls_wire "$(port implicit)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK '*'] Logged in\r\n' ]]
	run tls_wire "$(port starttls)" --starttls '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	echo "$output"
	[[ "$output" == *'a OK '*'] Logged in\r\n' ]]
	! grep -q 'declined' "$(errlog)"
}

@test "the daemon read another version of the configuration: declined, the handler starts its own" {
	# touch the configuration the handlers read; the daemon keeps what it read at start
	echo "# edited" >>"$T/mp/proxy.conf"
	run python3 "$MP_TESTS/lib/served_by.py" --tls --parent "$(port implicit)"
	echo "$output"
	[[ "$output" == 'mailproxy-tls systemd-socket-activate '* ]]
	run tls_wire "$(port implicit)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK '* ]]
	grep -q 'the mailproxy-tls daemon at .* declined (the daemon read another version of .*proxy.conf: reload it): starting mailproxy-tls' "$(errlog)"
	sed -i '$d' "$T/mp/proxy.conf"
	run python3 "$MP_TESTS/lib/served_by.py" --tls --parent "$(port implicit)"
	[[ "$output" == 'mailproxy-tls mailproxy-tls -D -c '* ]]
}

@test "requests that are not a handler's are answered N and cost the daemon nothing" {
	run python3 - "$T/mp/tls.sock" <<'PY'
import socket, sys, time
def ask(payload, fds=()):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    if payload is not None:
        socket.send_fds(s, [payload], list(fds)) if fds else s.sendall(payload)
    s.settimeout(5)
    data = b""
    while data.count(b"\n") < 2:
        more = s.recv(300)
        if not more:
            break
        data += more
    s.close()
    assert data.startswith(b"MPTLS/1 ready\n"), data
    return data[14:]
print(ask(b"x" * 10))
print(ask(b"MPTLS/1\0" + b"\0" * 264))
r, w = socket.socketpair()
print(ask(b"MPTLS/1\0" + b"\x07\0\0\0" + b"\0" * 260, (r.fileno(), w.fileno())))
t = time.monotonic()
print(ask(None))
print("silent peer held the daemon %.1f s" % (time.monotonic() - t))
PY
	echo "$output"
	[ "${lines[0]}" = "b'N malformed request\\n'" ]
	[ "${lines[1]}" = "b'N malformed request\\n'" ]
	[[ "${lines[2]}" == "b'N no TLS server 7 in "*"'" ]]
	[ "${lines[3]}" = "b'N malformed request\\n'" ]
	[[ "${lines[4]}" == 'silent peer held the daemon 0.'* ]]
	# and the daemon still serves
	run tls_wire "$(port implicit)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
}

@test "no daemon listening: the handler starts its own mailproxy-tls, silently" {
	run python3 "$MP_TESTS/lib/served_by.py" --tls --parent "$(port implicit nodaemon)"
	echo "$output"
	[[ "$output" == 'mailproxy-tls systemd-socket-activate '* ]]
	run tls_wire "$(port implicit nodaemon)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
	! grep -q 'daemon' "$(errlog nodaemon)"
}

@test "a daemon that accepts but never greets: after a second the handler starts its own, logged" {
	local t0=$SECONDS
	run tls_wire "$(port implicit mute)" '<\r\n' '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == '* OK IMAP4 ready\r\na OK '* ]]
	grep -q 'the mailproxy-tls daemon at .*mute.sock did not greet: starting mailproxy-tls' "$(errlog mute)"
	[ $((SECONDS - t0)) -lt 5 ]
}

@test "a session process killed by a signal is logged by the daemon" {
	python3 "$MP_TESTS/lib/served_by.py" --tls --hold 5 "$(port implicit)" >"$T/held" &
	local client=$! pid i
	for ((i = 0; i < 50; i++)); do
		[ -s "$T/held" ] && break
		sleep 0.1
	done
	read -r pid name <"$T/held"
	[ "$name" = mailproxy-tls ]
	kill -KILL "$pid"	# as the OOM killer would (a SEGV would meet ASan in SAN builds)
	for ((i = 0; i < 50; i++)); do
		grep -q "TLS session process $pid exited on signal 9" "$T/mp/ssa-tlsd.log" && break
		sleep 0.1
	done
	kill "$client" 2>/dev/null || true
	grep -q "TLS session process $pid exited on signal 9" "$T/mp/ssa-tlsd.log"
	# and it still serves
	run tls_wire "$(port implicit)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
}
