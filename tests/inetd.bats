#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# inetd.bats - mailproxy started inetd style, where the connection is fd 0 and 1 and, as
# inetd and xinetd make it, fd 2 too.  Whatever goes wrong (a broken configuration, a
# missing certificate, a program that cannot be executed), no byte of diagnostics reaches
# the client: the lines go to the local syslog socket (here a stand-in named by
# MAILPROXY_SYSLOG_SOCKET), and fd 2 of the handler and of the relay is never the client,
# so that nothing else written there (libc, a sanitizer report) reaches it either.
# Then openbsd-inetd itself runs the lines "mailproxy -T inetd" writes through a burst of
# connections that would stop a bare "nowait" service for ten minutes.

bats_require_minimum_version 1.5.0
load lib/common
load lib/burst
load lib/units

GREETING="b'* OK IMAP4 ready\\r\\n'"

setup_file() {
	mp_init
	dovecot_start
	authserver_start
}

teardown_file() { mp_cleanup; }

# syslog_start DIR: a stand-in for /dev/log at DIR/log.sock, its datagrams in DIR/syslog
syslog_start() {
	local i
	mkdir -p "$1"
	python3 "$MP_TESTS/lib/syslog_sink.py" "$1/log.sock" "$1/syslog" </dev/null 3>&- &
	track $!
	for ((i = 0; i < 100; i++)); do
		if [[ -S $1/log.sock && -e $1/syslog ]]; then
			return 0
		fi
		sleep 0.05
	done
	echo "no syslog stand-in at $1/log.sock" >&2
	return 1
}

# syslog_wait DIR REGEX: until a line of DIR/syslog matches (2 s at most)
syslog_wait() {
	local i
	for ((i = 0; i < 40; i++)); do
		grep -qE "$2" "$1/syslog" && return 0
		sleep 0.05
	done
	echo "no line matching '$2' in $1/syslog:" >&2
	cat "$1/syslog" >&2
	return 1
}

# inetd_style DIR CONF [BINDIR]: serve 127.0.0.1:$PORT as inetd would, the connection on
# fd 0, 1 and 2 (the sh in between only makes fd 2 the connection); $SSA is the listener
inetd_style() {
	local dir=$1 conf=$2 bin=${3:-$MAILPROXY_BUILD} try
	syslog_start "$dir"
	# a port found free can still be taken before the listener binds it (seen under
	# load, with "Address already in use"): another port then, three times at most
	for try in 1 2 3; do
		read -r PORT < <(free_ports 1)
		systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
			-E "MAILPROXY_SYSLOG_SOCKET=$dir/log.sock" -E MAILPROXY_TLS_SOCKET= \
			sh -c 'exec "$@" 2>&1' sh "$bin/mailproxy" -c "$conf" \
			>"$dir/ssa.log" 2>&1 </dev/null 3>&- &
		SSA=$!
		track $SSA
		if wait_listen "$PORT"; then
			return 0
		fi
		cat "$dir/ssa.log" >&2
		ss -tanp "sport = :$PORT" >&2
	done
	return 1
}

# good_conf FILE PORT [DIRECTIVES]: an IMAP server on 127.0.0.1:PORT, logging at info to
# stderr (which inetd made the client's socket)
good_conf() {
	cat >"$1" <<EOF
error_log stderr info;
mail {
    auth_http 127.0.0.1:$AUTHPORT/auth;
    auth_http_timeout 5s;
    server { listen 127.0.0.1:$2; protocol imap; ${3:-} }
}
EOF
}

# no_byte: the client's transcript ($output of inetd_client.py) is empty and closed
no_byte() {
	echo "client got: $output"
	[ "$status" = 0 ]
	[ "$output" = "b''" ]
}

@test "inetd style, a syntax error: no byte to the client, the error in syslog" {
	local d=$T/syntax
	mkdir -p "$d"
	printf 'mail {\n    server { listen 127.0.0.1:1; protocol imap }\n' >"$d/mp.conf"
	inetd_style "$d" "$d/mp.conf"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$PORT"
	no_byte
	syslog_wait "$d" '^<17>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} mailproxy\[[0-9]+\]: \[alert\] \*[0-9a-f]{8} unexpected "}" in '"$d"'/mp.conf:2$'
}

@test "inetd style, a missing configuration file: no byte to the client, the error in syslog" {
	local d=$T/missing
	mkdir -p "$d"
	inetd_style "$d" "$d/nonexistent.conf"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$PORT"
	no_byte
	syslog_wait "$d" "mailproxy\[[0-9]+\]: \[alert\] .*$d/nonexistent.conf"
}

@test "inetd style, a certificate that cannot be read: no byte to the TLS client, mailproxy-tls's error in syslog" {
	local d=$T/cert
	[ -x "$MAILPROXY_BUILD/mailproxy-tls" ] || { echo "no $MAILPROXY_BUILD/mailproxy-tls" >&2; return 1; }
	mkdir -p "$d"
	: >"$d/empty.crt"
	read -r p < <(free_ports 1)
	syslog_start "$d"
	cat >"$d/mp.conf" <<EOF
mail {
    auth_http 127.0.0.1:$AUTHPORT/auth;
    timeout 3s;
    server { listen 127.0.0.1:$p ssl; protocol imap;
             ssl_certificate $d/unreadable.crt; ssl_certificate_key $d/unreadable.key; }
}
EOF
	# the server's socket is the listen line's own: the certificate error comes after the fork
	systemd-socket-activate -l "127.0.0.1:$p" -a --inetd \
		-E "MAILPROXY_SYSLOG_SOCKET=$d/log.sock" -E MAILPROXY_TLS_SOCKET= \
		sh -c 'exec "$@" 2>&1' sh "$MAILPROXY_BUILD/mailproxy" -c "$d/mp.conf" \
		>"$d/ssa.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$p"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$p"
	no_byte
	syslog_wait "$d" "mailproxy-tls\[[0-9]+\]: \[alert\] .*unreadable\.(crt|key)"
}

@test "inetd style, mailproxy-full missing: no byte to the client, the failed exec in syslog" {
	local d=$T/nofull
	if [ ! -x "$MAILPROXY_BUILD/mailproxy-full" ]; then
		# the SAN build: not a loud_skip, which MP_NO_SKIP=1 turns into a failure
		echo "# SKIPPED: $BATS_TEST_FILENAME: no mailproxy-full in $MAILPROXY_BUILD" >&3
		skip "this build's mailproxy is the full handler itself (no musl): nothing to execute"
	fi
	mkdir -p "$d/bin"
	cp "$MAILPROXY_BUILD/mailproxy" "$d/bin/"
	inetd_style "$d" "$d/mp.conf" "$d/bin"
	# a host name in auth_http needs libcurl's resolver: the lean handler hands over
	good_conf "$d/mp.conf" "$PORT" "auth_http localhost:$AUTHPORT/auth;"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$PORT"
	no_byte
	syslog_wait "$d" "mailproxy\[[0-9]+\]: \[alert\] .*execve\(\) of mailproxy-full failed"
}

@test "inetd style, mailproxy-relay missing: the client sees the IMAP dialogue and nothing else" {
	local d=$T/norelay
	mkdir -p "$d/bin"
	cp "$MAILPROXY_BUILD/mailproxy" "$d/bin/"
	inetd_style "$d" "$d/mp.conf" "$d/bin"
	good_conf "$d/mp.conf" "$PORT"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$PORT" "a LOGIN alice alicepass"
	echo "client got: $output"
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 1 ]	# closed, no TIMEOUT line
	[[ "$output" =~ ^b\'\*\ OK\ IMAP4\ ready\\r\\na\ OK\ [^\\]*\\r\\n\'$ ]]
	syslog_wait "$d" "mailproxy\[[0-9]+\]: \[alert\] .*execv\(\"[^\"]*/mailproxy-relay\"\) failed: No such file"
}

@test "inetd style, a good configuration: exactly the greeting, the log lines in syslog" {
	local d=$T/good
	mkdir -p "$d"
	inetd_style "$d" "$d/mp.conf"
	good_conf "$d/mp.conf" "$PORT"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$PORT"
	echo "client got: $output"
	[ "${lines[0]}" = "$GREETING" ]
	[ "${lines[1]}" = TIMEOUT ]
	syslog_wait "$d" "mailproxy\[[0-9]+\]: \[info\] \*[0-9a-f]{8} client 127\.0\.0\.1:[0-9]+ connected to 127\.0\.0\.1:$PORT"
}

# fd2_of PID: what fd 2 of PID is ("socket:[INODE]", "/dev/null", ...)
fd2_of() { readlink "/proc/$1/fd/2"; }

@test "inetd style: fd 2 of the handler, then of the relay, is the syslog socket, never the client" {
	local d=$T/fds pid i
	mkdir -p "$d"
	inetd_style "$d" "$d/mp.conf"
	good_conf "$d/mp.conf" "$PORT"
	# a client that logs in in two steps, each released by a file the test creates
	python3 - "$PORT" "$d" <<'EOF' &
import os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
def wait(name):
    for _ in range(200):
        if os.path.exists(os.path.join(d, name)):
            return
        time.sleep(0.05)
    sys.exit("no " + name)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
open(os.path.join(d, "greeting"), "wb").write(f.readline())
wait("login")
s.sendall(b"a LOGIN alice alicepass\r\n")
open(os.path.join(d, "ok"), "wb").write(f.readline())
wait("logout")
s.sendall(b"b LOGOUT\r\n")
open(os.path.join(d, "rest"), "wb").write(f.read())
EOF
	local client=$!
	track $client
	for ((i = 0; i < 100; i++)); do [ -s "$d/greeting" ] && break; sleep 0.05; done
	pid=$(pgrep -P "$SSA" | head -n 1)
	[ -n "$pid" ]
	echo "handler $pid: 0 -> $(readlink "/proc/$pid/fd/0"), 2 -> $(fd2_of "$pid")"
	[[ "$(readlink "/proc/$pid/exe")" == */mailproxy ]]
	[[ "$(fd2_of "$pid")" == socket:* ]]
	[ "$(fd2_of "$pid")" != "$(readlink "/proc/$pid/fd/0")" ]
	[ "$(fd2_of "$pid")" != "$(readlink "/proc/$pid/fd/1")" ]
	touch "$d/login"
	for ((i = 0; i < 100; i++)); do
		[[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */mailproxy-relay ]] && break
		sleep 0.05
	done
	echo "relay $pid: 0 -> $(readlink "/proc/$pid/fd/0"), 2 -> $(fd2_of "$pid")"
	[[ "$(readlink "/proc/$pid/exe")" == */mailproxy-relay ]]
	[[ "$(fd2_of "$pid")" == socket:* ]]
	[ "$(fd2_of "$pid")" != "$(readlink "/proc/$pid/fd/0")" ]
	touch "$d/logout"
	wait "$client"
	cat "$d/greeting" "$d/ok" "$d/rest"
	[ "$(cat "$d/greeting")" = $'* OK IMAP4 ready\r' ]
	[[ "$(cat "$d/ok")" == "a OK "* ]]
	# Dovecot's goodbye, then the tagged reply: nothing of the log in between
	run grep -c . "$d/rest"
	[ "$output" = 2 ]
	grep -q '^\* BYE ' "$d/rest"
	grep -q '^b OK ' "$d/rest"
	syslog_wait "$d" "mailproxy-relay\[$pid\]: \[info\] \*[0-9a-f]{8} proxied session done"
}

INETD=${MP_INETD:-/usr/local/lib/mailproxy-tests/openbsd-inetd/usr/sbin/inetd}

# obsd_inetd DIR CONF: run openbsd-inetd in the foreground on the lines "mailproxy -T
# inetd" writes for CONF (as root: the user mailproxy need not exist here), in DIR/inetd.conf
obsd_inetd() {
	need_root "openbsd-inetd's user field"
	[ -x "$INETD" ] || { echo "no $INETD: tests/deps.sh unpacks it" >&2; return 1; }
	"$MAILPROXY_BUILD/mailproxy" -T inetd -c "$2" >"$1/generated" 2>"$1/generated.err"
	[ ! -s "$1/generated.err" ] || { cat "$1/generated.err" >&2; return 1; }
	awk -F '\t' -v OFS='\t' '!/^#/ && NF == 7 { $5 = "root" } { print }' "$1/generated" >"$1/inetd.conf"
}

@test "openbsd-inetd, a broken configuration: the -T inetd service sends the client nothing" {
	local d=$T/obsd-broken p
	mkdir -p "$d"
	read -r p < <(free_ports 1)
	good_conf "$d/mp.conf" "$p"
	obsd_inetd "$d" "$d/mp.conf"
	cat "$d/inetd.conf"
	"$INETD" -i "$d/inetd.conf" >"$d/inetd.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$p"
	echo 'mail { server { listen 127.0.0.1:1; } ' >"$d/mp.conf"	# broken now
	run python3 "$MP_TESTS/lib/inetd_client.py" "$p"
	no_byte
}

@test "openbsd-inetd keeps the -T inetd service through a burst that stops a bare nowait one" {
	local d=$T/obsd-burst p q n=400
	mkdir -p "$d"
	read -r p q < <(free_ports 2)
	good_conf "$d/mp.conf" "$p" "listen 127.0.0.1:$q;"
	obsd_inetd "$d" "$d/mp.conf"
	# the second listen's line as it was before: bare "nowait", inetd's 256 a minute
	sed -i "s|^\(127\.0\.0\.1:$q\tstream\ttcp4\t\)nowait\.[0-9]*\t|\1nowait\t|" "$d/inetd.conf"
	cat "$d/inetd.conf"
	grep -qP "^127\.0\.0\.1:$p\tstream\ttcp4\tnowait\.1000000000\troot\t" "$d/inetd.conf"
	grep -qP "^127\.0\.0\.1:$q\tstream\ttcp4\tnowait\troot\t" "$d/inetd.conf"
	"$INETD" -i "$d/inetd.conf" >"$d/inetd.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$p" "$q"
	run burst "$p" "$n"
	echo "$n connections to $p: $output failed"
	[ "$output" = 0 ]
	run burst "$q" "$n"
	echo "$n connections to $q: $output failed"
	# the burst is enough: inetd stopped the bare nowait service
	burst_stopped "$q" "the bare nowait service"
	# and the generated one still serves
	run python3 "$MP_TESTS/lib/inetd_client.py" "$p"
	echo "after the burst, $p: $output"
	[ "${lines[0]}" = "$GREETING" ]
}
