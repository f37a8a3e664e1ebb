#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# landlock.bats - the handler's Landlock ruleset (lib/sandbox_fs.c, lib/sandbox_conf.c) on
# the real program.  A stand-in for mailproxy-relay (tests/lib/llprobe.c), which the handler
# executes after a login as it would the relay, tries to open files and tells the client
# what each open returned: it runs in the handler's domain, so a file outside the allowed
# set (a directory that neither the system nor the configuration names) must fail with
# EACCES while /etc and the configuration's directory stay readable, and nothing may be
# created.  The same handler under tests/lib/nolandlock.py (landlock_create_ruleset(2)
# answers ENOSYS, as on a kernel without Landlock) reads that file, proving the probe
# could, logs why it has no ruleset, and serves.  Normal and SAN builds alike.

load lib/common

setup_file() {
	mp_init
	dovecot_start
	authserver_start
	mp_server main ''
	mkdir -p "$T/mp" "$T/llbin" "$T/secret"
	mp_write_conf mp
	: >"$T/mp/error.log"
	echo "not for the handler" >"$T/secret/key.txt"
	chmod 644 "$T/secret/key.txt"
	cp "$MAILPROXY_BUILD/mailproxy" "$T/llbin/"
	[ ! -x "$MAILPROXY_BUILD/mailproxy-full" ] || cp "$MAILPROXY_BUILD/mailproxy-full" "$T/llbin/"
	# static and small: the handler's filter must let its start-up through
	if command -v musl-gcc >/dev/null; then cc=musl-gcc; else cc=cc; fi
	"$cc" -static -O2 -Wall -Werror -o "$T/llbin/mailproxy-relay" "$MP_TESTS/lib/llprobe.c"
	read -r PL PN < <(awk '$1 == "main" { print $2, $3 }' "$T/mp/ports")
	# a process outside the handler's domain, listening on an abstract unix socket
	ABSTRACT=mailproxy-landlock-$$
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); s.listen(8)
while True: time.sleep(60)' "$ABSTRACT" </dev/null >/dev/null 2>&1 &
	OUTSIDE=$!
	track "$OUTSIDE"
	probe="r:$T/secret/key.txt r:/etc/passwd r:$T/mp/proxy.conf r:/proc/self/maps"
	probe+=" c:$T/mp/made.txt c:$T/secret/made.txt w:$T/mp/error.log x:wx x:gain"
	probe+=" u:$ABSTRACT k:$OUTSIDE b:0"
	systemd-socket-activate -l "127.0.0.1:$PL" -a -E MAILPROXY_TLS_SOCKET= -E "LL_PROBE=$probe" \
		"$T/llbin/mailproxy" -c "$T/mp/proxy.conf" >"$T/mp/ssa-ll.log" 2>&1 </dev/null 3>&- &
	track $!
	systemd-socket-activate -l "127.0.0.1:$PN" -a -E MAILPROXY_TLS_SOCKET= -E "LL_PROBE=$probe" \
		python3 "$MP_TESTS/lib/nolandlock.py" "$T/llbin/mailproxy" -c "$T/mp/proxy.conf" \
		>"$T/mp/ssa-noll.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$PL" "$PN"
	# the listener is up before a probe asks for it
	for _ in $(seq 50); do grep -q "@$ABSTRACT" /proc/net/unix && break; sleep 0.1; done
	grep -q "@$ABSTRACT" /proc/net/unix
	export PL PN ABSTRACT OUTSIDE
}

teardown_file() { mp_cleanup; }

sanitizer_build() { grep -q __asan_init "$MAILPROXY_BUILD/mailproxy"; }

# login PORT: the probe's lines, one per line, after an IMAP login
login() {
	wire -t 5 "$1" '<* OK' '>a LOGIN alice alicepass\r\n' '.' | sed 's/\\r\\n/\n/g'
}

@test "this kernel has Landlock (else the suite proves nothing)" {
	# the ABI query: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
	run python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(l.syscall(444, None, 0, 1))'
	echo "ABI: $output"
	[ "$status" = 0 ]
	[ "$output" -ge 1 ]
}

@test "in the handler's domain a file outside the allowed set cannot be opened; /etc and the configuration's directory can" {
	out=$(login "$PL")
	echo "$out"
	grep -q '^probe pid ' <<<"$out"
	grep -qx "r:$T/secret/key.txt=13" <<<"$out"
	grep -qx "r:/etc/passwd=0" <<<"$out"
	grep -qx "r:$T/mp/proxy.conf=0" <<<"$out"
	# nothing is made: Landlock (13) or, first, the handler's filter (1)
	grep -Eqx "c:$T/mp/made.txt=(1|13)" <<<"$out"
	grep -Eqx "c:$T/secret/made.txt=(1|13)" <<<"$out"
	[ ! -e "$T/mp/made.txt" ]
	[ ! -e "$T/secret/made.txt" ]
	if sanitizer_build; then
		# no filter there: Landlock alone; the log file stays writable, /proc
		# readable (the sanitizers read it)
		grep -qx "w:$T/mp/error.log=0" <<<"$out"
		grep -qx "r:/proc/self/maps=0" <<<"$out"
	else
		grep -qx "r:/proc/self/maps=13" <<<"$out"
	fi
	run grep -c 'Landlock' "$T/mp/error.log"
	[ "$output" = 0 ]
}

@test "what the handler executes can map no page writable and executable (PR_SET_MDWE), as under MemoryDenyWriteExecute=" {
	# the kernel's own switch (6.3 and later): EACCES for both, in any build
	out=$(login "$PL")
	echo "$out"
	grep -q '^probe pid ' <<<"$out"
	grep -qx "x:wx=13" <<<"$out"
	grep -qx "x:gain=13" <<<"$out"
}

@test "beyond files: no abstract unix socket or process outside the domain is reached, no TCP port bound" {
	# Landlock ABI 6 scopes (EPERM), ABI 4 network rights (EACCES, or the filter's EPERM first)
	run python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(l.syscall(444, None, 0, 1))'
	[ "$output" -ge 6 ]
	out=$(login "$PL")
	echo "$out"
	grep -q '^probe pid ' <<<"$out"
	grep -qx "u:$ABSTRACT=1" <<<"$out"
	grep -qx "k:$OUTSIDE=1" <<<"$out"
	if sanitizer_build; then
		# no filter there: what refuses is Landlock
		grep -qx "b:0=13" <<<"$out"
	else
		grep -Eqx "b:0=(1|13)" <<<"$out"
	fi
	# the same probe without Landlock reaches them (the filter still refuses kill and bind)
	out=$(login "$PN")
	echo "$out"
	grep -qx "u:$ABSTRACT=0" <<<"$out"
	if sanitizer_build; then
		grep -qx "k:$OUTSIDE=0" <<<"$out"
		grep -qx "b:0=0" <<<"$out"
	fi
}

@test "without Landlock (ENOSYS) the handler logs why and serves; the probe then reads the file" {
	: >"$T/mp/error.log"
	out=$(login "$PN")
	echo "$out"
	grep -qx "r:$T/secret/key.txt=0" <<<"$out"
	cat "$T/mp/error.log"
	grep -q '\[warn\] .*Landlock not applied (38: Function not implemented)' "$T/mp/error.log"
	run grep -c '\[alert\]' "$T/mp/error.log"
	[ "$output" = 0 ]
}

@test "no sanitizer report" {
	check_sanitizers
}
