#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tls_daemon_trust.bats - who may use the mailproxy-tls daemon, and what it leaves to them
# (lib/tls/tlsd_daemon.c, cmd/mailproxy-tls.c). Whoever hands the daemon a socket gets a TLS
# session served with the server's key and reads its plaintext, so the daemon serves only
# its own uid (the handlers' user) and root, checked with SO_PEERCRED whatever the socket's
# mode. Here the daemon and the handlers run as one unprivileged uid ($TLSD_UID, no passwd
# entry needed), like the units' "mailproxy" user, and the socket is left world-writable
# on purpose, as it was, so that only the daemon's own check stands between another local
# user (nobody) and the key. Also: the request's strings are escaped in the log, an idle
# session ends, and the daemon and its children are not dumpable. Root only.

bats_require_minimum_version 1.5.0
load lib/common
load lib/tls
load lib/units

TLSD_UID=4242
SETPRIV=(/usr/bin/setpriv --reuid="$TLSD_UID" --regid="$TLSD_UID" --clear-groups)
AS_NOBODY=(/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups)
PY=/usr/bin/python3	# the system's: other users may not reach another one

setup_file() {
	[ "$MAILPROXY_TARGET" = nginx ] && skip "mailproxy's own design"
	[ "$(id -u)" = 0 ] || return 0
	tls_init
	mp_server implicit "# listen-ssl
		ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/server.key;"
	# the idle limit is the larger of timeout and proxy_timeout, and a second: 3 s
	mp_server idle "timeout 1s;
		proxy_timeout 2s;
		ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/server.key;"
	local dir=$T/mp a l3=() i b
	mkdir -p "$dir"
	# what the other users run, where they can reach it (the tree may be under /root)
	mkdir -p "$T/bin"
	for b in mailproxy mailproxy-relay mailproxy-tls mailproxy-full; do
		[ ! -x "$MAILPROXY_BUILD/$b" ] || cp "$MAILPROXY_BUILD/$b" "$T/bin/"
	done
	cp "$MP_TESTS/lib/tlsd_request.py" "$T/bin/"
	chmod 755 "$T/bin"
	mp_write_conf mp
	awk '/server \{ # implicit$/ { f = 1 } /^    \}$/ { f = 0 }
		f && /listen 127\.0\.0\.1:[0-9]+;$/ { sub(/;$/, " ssl;") } { print }' \
		"$dir/proxy.conf" >"$dir/proxy.conf.new"
	mv "$dir/proxy.conf.new" "$dir/proxy.conf"
	echo mailproxy >"$dir/kind"
	# what the daemon's user must read and write: the key only it (and the test) reads
	chown "$TLSD_UID" "$PKI/server.key"
	chmod 644 "$dir/proxy.conf" "$PKI/ca.crt"
	: >"$dir/error.log"
	chown "$TLSD_UID" "$dir/error.log"
	systemd-socket-activate -l "$dir/tls.sock" -E ASAN_OPTIONS=detect_leaks=0 "${SETPRIV[@]}" \
		"$T/bin/mailproxy-tls" -D -c "$dir/proxy.conf" \
		>"$dir/ssa-tlsd.log" 2>&1 </dev/null 3>&- &
	track $!
	echo $! >"$dir/tlsd.pid"	# without -a it executes the daemon in its own place
	for ((i = 0; i < 100; i++)); do
		[ -S "$dir/tls.sock" ] && break
		sleep 0.05
	done
	chmod 666 "$dir/tls.sock"	# as mailproxy-tls.socket had it: the daemon must hold alone
	# the first connection starts the daemon (systemd-socket-activate then executes it in
	# its own place): a root one that goes at once
	"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.recv(20)' \
		"$dir/tls.sock"
	for ((i = 0; i < 100; i++)); do
		grep -q 'serving the 2 TLS servers' "$dir/ssa-tlsd.log" && break
		sleep 0.05
	done
	# the handlers, as the same uid, pointed at the daemon
	while read -r _ a _; do l3+=(-l "127.0.0.1:$a"); done <"$dir/ports"
	systemd-socket-activate "${l3[@]}" -a -E "MAILPROXY_TLS_SOCKET=$dir/tls.sock" \
		-E ASAN_OPTIONS=detect_leaks=0 "${SETPRIV[@]}" "$T/bin/mailproxy" \
		-c "$dir/proxy.conf" >"$dir/ssa-fd3.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen $(awk '{ print $2 }' "$dir/ports") || { cat "$dir"/*.log >&2; return 1; }
}

teardown_file() { mp_cleanup; }

setup() {
	need_root "running the daemon and its clients as other users"
	[ -x /usr/bin/setpriv ] || loud_skip "no /usr/bin/setpriv"
	[ -x "$PY" ] || loud_skip "no $PY"
}

teardown() { check_sanitizers; }

# ask [AS...] -- ARGS...: tests/lib/tlsd_request.py against the daemon, run as AS
ask() {
	local as=()
	while [ "$1" != -- ]; do as+=("$1"); shift; done
	shift
	"${as[@]}" "$PY" "$T/bin/tlsd_request.py" "$T/mp/tls.sock" "$T/mp/proxy.conf" \
		"$@" "$PKI/ca.crt"
}

daemon_pid() { cat "$T/mp/tlsd.pid"; }

@test "the daemon runs as the unprivileged uid, and reads its key" {
	run awk '/^Uid:/ { print $2, $3 }' "/proc/$(daemon_pid)/status"
	[ "$output" = "$TLSD_UID $TLSD_UID" ]
	grep -q 'serving the 2 TLS servers of ' "$T/mp/ssa-tlsd.log"
}

@test "another local user hands the daemon a socket: refused, logged, and no TLS session" {
	run ask "${AS_NOBODY[@]}" -- 0
	echo "$output"
	[ "${lines[1]}" = "answer: b''" ]	# not even the hello
	[ "${lines[2]}" = "report: none" ]
	[ "${lines[3]}" = "plaintext: none" ]
	[ "${lines[4]}" = "s_client: no certificate" ]
	[ "${lines[5]}" = "s_client read: nothing" ]
	pid=${lines[0]#pid: }
	grep "refused a request from pid $pid uid 65534 gid 65534: only uid $TLSD_UID" "$T/mp/ssa-tlsd.log"
	# one line for the refusal, no session started for it
	[ "$(grep -c "refused a request from pid $pid " "$T/mp/ssa-tlsd.log")" = 1 ]
	run ! grep -q 'SSL_do_handshake' "$T/mp/error.log"
}

@test "the daemon's own uid and root are served: certificate, report and plaintext" {
	local before
	before=$(grep -c 'refused' "$T/mp/ssa-tlsd.log" || true)
	for as in "${SETPRIV[*]}" env; do
		# shellcheck disable=SC2086
		run ask $as -- 0
		echo "$output"
		[ "${lines[1]}" = "answer: b'MPTLS/1 ready\\nY\\n'" ]
		[[ "${lines[2]}" == "report: mptls 1 "* ]]
		[ "${lines[3]}" = "plaintext: client-says-hi" ]
		[ "${lines[4]}" = "s_client: certificate CN = mail.test" ]
		[ "${lines[5]}" = "s_client read: server-says-hi" ]
	done
	[ "$(grep -c 'refused' "$T/mp/ssa-tlsd.log" || true)" = "$before" ]
}

@test "handlers running as the daemon's uid hand it their sessions" {
	run python3 "$MP_TESTS/lib/served_by.py" --tls --parent "$(port implicit)"
	echo "$output"
	[[ "$output" == 'mailproxy-tls mailproxy-tls -D -c '* ]]
	run tls_wire "$(port implicit)" '<\r\n'
	[ "$output" = '* OK IMAP4 ready\r\n' ]
	run ! grep -Eq 'declined|did not greet|did not answer' "$T/mp/error.log"
	[ "$(grep -c 'refused a request' "$T/mp/ssa-tlsd.log")" = 1 ]	# nobody's, above
}

@test "newlines and control bytes in the request's sid, client and local: one escaped log line" {
	: >"$T/mp/error.log"
	run ask -- 0 --garbage --sid $'ab\ncd' \
		--client $'192.0.2.9\n2026/01/01 00:00:00 [emerg] 1#0: *1 forged' \
		--local $'x"y\\z\x01\r\xc3\xa9'
	echo "$output"
	[ "${lines[1]}" = "answer: b'MPTLS/1 ready\\nY\\n'" ]
	for ((i = 0; i < 50; i++)); do
		grep -q 'SSL_do_handshake' "$T/mp/error.log" && break
		sleep 0.1
	done
	cat "$T/mp/error.log"
	[ "$(grep -c 'SSL_do_handshake' "$T/mp/error.log")" = 1 ]
	# every line is a log line of its own, and none is the forged one
	run ! grep -vE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \[[a-z]+\] [0-9]+#0: \*' "$T/mp/error.log"
	run ! grep -q '^2026/01/01 00:00:00 \[emerg\]' "$T/mp/error.log"
	grep -F '#0: *ab\x0acd SSL_do_handshake() failed' "$T/mp/error.log"
	grep -F ', client: 192.0.2.9\x0a2026/01/01 00:00:00 [emerg] 1#0: *1 forged' "$T/mp/error.log"
	grep -F ', server: x\x22y\x5cz\x01\x0d\xc3\xa9' "$T/mp/error.log"
}

@test "an executed mailproxy-tls escapes its -i, -C and -S the same way" {
	: >"$T/mp/error.log"
	run "$MAILPROXY_BUILD/mailproxy-tls" -c "$T/mp/proxy.conf" -s 0 -i $'ab\ncd' \
		-C $'192.0.2.9\nforged' -S $'x\x1b[2J' </dev/null >/dev/null
	cat "$T/mp/error.log"
	[ "$(wc -l <"$T/mp/error.log")" = 1 ]
	grep -F '#0: *ab\x0acd ' "$T/mp/error.log"
	grep -F ', client: 192.0.2.9\x0aforged, server: x\x1b[2J' "$T/mp/error.log"
}

@test "a session where no byte moves ends after the larger of timeout and proxy_timeout, logged" {
	: >"$T/mp/error.log"
	run ask -- 1 --idle
	echo "$output"
	[ "${lines[1]}" = "answer: b'MPTLS/1 ready\\nY\\n'" ]
	[[ "${lines[2]}" == "idle end after "*" s" ]]
	secs=${lines[2]#idle end after }
	secs=${secs% s}
	# 3 s (proxy_timeout 2s, timeout 1s, and a second), counted from the last byte
	python3 -c 'import sys; t = float(sys.argv[1]); sys.exit(not 2.5 <= t <= 6)' "$secs"
	grep -q 'no byte moved either way for 3000 ms: TLS session closed while proxying' "$T/mp/error.log"
}

@test "the daemon and its session children are not dumpable: no same-uid reading of their memory" {
	local pid child client i
	pid=$(daemon_pid)
	# the kernel gives the files in /proc/PID of a non-dumpable process to root
	[ "$(stat -c %u "/proc/$pid/status")" = 0 ]
	run "${SETPRIV[@]}" cat "/proc/$pid/environ"
	[ "$status" != 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run "${SETPRIV[@]}" "$PY" -c 'import sys; open("/proc/%s/mem" % sys.argv[1], "rb")' "$pid"
	[ "$status" != 0 ]
	[[ "$output" == *"PermissionError"* ]]
	# a child, for a live session
	python3 "$MP_TESTS/lib/served_by.py" --tls --hold 5 "$(port implicit)" >"$BATS_TEST_TMPDIR/held" &
	client=$!
	for ((i = 0; i < 50; i++)); do
		[ -s "$BATS_TEST_TMPDIR/held" ] && break
		sleep 0.1
	done
	read -r child _ <"$BATS_TEST_TMPDIR/held"
	[ "$(awk '/^PPid:/ { print $2 }' "/proc/$child/status")" = "$pid" ]
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$child/status")" = "$TLSD_UID" ]
	[ "$(stat -c %u "/proc/$child/status")" = 0 ]
	run "${SETPRIV[@]}" "$PY" -c 'import sys; open("/proc/%s/mem" % sys.argv[1], "rb")' "$child"
	kill "$client" 2>/dev/null || true
	[ "$status" != 0 ]
	[[ "$output" == *"PermissionError"* ]]
}

@test "a daemon run as nobody refuses to start: every unmappable peer would look like it" {
	local ssa rc=0 i
	timeout 20 systemd-socket-activate -l "$BATS_TEST_TMPDIR/nobody.sock" "${AS_NOBODY[@]}" \
		"$T/bin/mailproxy-tls" -D -c "$T/mp/proxy.conf" \
		>"$BATS_TEST_TMPDIR/nobody.log" 2>&1 </dev/null 3>&- &
	ssa=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$BATS_TEST_TMPDIR/nobody.sock" ] && break
		sleep 0.05
	done
	# the first connection starts it
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5); print(s.recv(100))' \
		"$BATS_TEST_TMPDIR/nobody.sock" || true
	wait "$ssa" || rc=$?
	cat "$BATS_TEST_TMPDIR/nobody.log"
	[ "$rc" = 100 ]
	grep -q -- '-D must not run as uid 65534 (nobody)' "$BATS_TEST_TMPDIR/nobody.log"
}

@test "an executed mailproxy-tls whose configuration changed since the handler read it refuses the session" {
	# what the handler passes: the digest of the files it read; any other is a change
	local d=$T/digest
	mkdir -p "$d"
	run "$MAILPROXY_BUILD/mailproxy-tls" -c "$T/mp/proxy.conf" -s 0 -d 0123456789abcdef </dev/null
	[ "$status" = 100 ]
	grep -q 'proxy.conf changed after the handler read it: TLS session refused' "$(errlog)"
}
