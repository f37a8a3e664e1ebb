#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# launcher.bats - the high-rate mode: socket units with Accept=no hand their listening
# sockets to mailproxy-accept@.service, whose mailproxy-accept starts the unchanged handler
# per connection.  Under a real systemd 252 (PID 1 of its own namespaces, lib/sd-ns.sh,
# in the host's network namespace, to reach the test Dovecot and auth server): the units
# "mailproxy -T systemd-accept" writes verify silently and carry the bounds of the
# Accept=yes units; IMAP logins work and no unit is made per connection; the bound per
# source holds while another source gets in, and a flood from one source is logged in two
# lines; the total bound holds, and a reaped session frees its slot; a killed launcher
# leaves no session behind, is restarted, and serves again.  Without systemd: a launcher
# killed alone takes its sessions with it (PR_SET_PDEATHSIG), its seccomp filter is on
# before the first accept and its sessions start under it (a call outside it fails with
# EPERM), one whose filter cannot go on does not serve, and one that is not handed
# listening sockets refuses to start.  Root only for systemd: skipped loudly otherwise
# (MP_NO_SKIP=1 fails).

bats_require_minimum_version 1.5.0
load lib/common
load lib/units
load lib/sd_suite
load lib/launcher

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	sd_stage
	read -r P < <(free_ports 1)
	cat >"$S/mailproxy.conf" <<EOF
# launcher.bats
mail {
    server_name mail.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;
    auth_http_timeout 5s;
    server {
        listen 127.0.0.1:$P backlog=1024;
        protocol imap;
    }
}
EOF
	chmod 644 "$S/mailproxy.conf"
	sd_user
	export P
}

teardown_file() {
	sd_unstage
}

setup() {
	sd_need
	[ -x "$MAILPROXY_BUILD/mailproxy-accept" ] || { echo "no mailproxy-accept in $MAILPROXY_BUILD" >&2; return 1; }
	: >"$S/stderr.log"
	UNIT=mailproxy-accept@imap-$P
}

teardown() {
	[ -n "${S:-}" ] || return 0
	local f
	for f in "$BATS_TEST_TMPDIR"/*; do touch "$f.go"; done	# let held clients go
	sd_stop "$S/stderr.log"
}

# login: one IMAP login, SELECT and LOGOUT through the launcher
login() {
	python3 - "$P" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
typ, _ = m.login("alice", "alicepass")
assert typ == "OK", typ
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
m.logout()
print("login ok")
EOF
}

# wait_lines FILE N: until FILE has N lines (5 s)
wait_lines() {
	local i
	for ((i = 0; i < 250; i++)); do
		if [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; then return 0; fi
		sleep 0.02
	done
	echo "$1 has not $2 lines:" >&2
	cat "$1" >&2 2>/dev/null
	return 1
}

# sessions: the pids of the live handlers and relays in the systemd's namespace (not a
# zombie that PID 1 has yet to reap: it holds neither the connection nor memory)
sessions() {
	ctl ps -eo pid=,stat=,comm= | awk '$2 !~ /^Z/ && ($3 == "mailproxy" || $3 == "mailproxy-relay") { print $1 }'
}

@test "-T systemd-accept: Accept=no sockets, and each launcher bounded as the Accept=yes socket" {
	cat >"$BATS_TEST_TMPDIR/all.conf" <<'EOF'
mail {
    auth_http 127.0.0.1:9/auth;
    server { listen 127.0.0.1:10143 backlog=17 rcvbuf=40000; protocol imap; }
    server { listen 10025; listen [::]:10025 ipv6only=on; protocol smtp; }
    server { listen 10110; protocol pop3; }
}
EOF
	"$MAILPROXY_BUILD/mailproxy" -T systemd -c "$BATS_TEST_TMPDIR/all.conf" >"$BATS_TEST_TMPDIR/yes"
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T systemd-accept -c "$BATS_TEST_TMPDIR/all.conf"
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$stderr" ]
	run ! grep -E '^Accept=yes|^MaxConnections|mailproxy@\.service' <<<"$output"
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T systemd-accept -c "$BATS_TEST_TMPDIR/all.conf"
	"$MP_TESTS/lib/split-units.sh" "$BATS_TEST_TMPDIR/no" <<<"$output"
	"$MP_TESTS/lib/split-units.sh" "$BATS_TEST_TMPDIR/yes.d" <"$BATS_TEST_TMPDIR/yes"
	n=0
	for y in "$BATS_TEST_TMPDIR"/yes.d/mailproxy@*.socket; do
		name=${y##*/mailproxy@}
		name=${name%.socket}
		s=$BATS_TEST_TMPDIR/no/mailproxy-accept@$name.socket
		d=$BATS_TEST_TMPDIR/no/mailproxy-accept@$name.service.d/50-configuration.conf
		# the same sockets and parameters; Accept= and the bounds aside
		a=$(sed -n '/^\[Socket\]/,/^\[Install\]/p' "$y" | grep -E '^[A-Za-z]+=' |
			grep -vE '^(Accept|MaxConnections|MaxConnectionsPerSource|TriggerLimitIntervalSec)=')
		b=$(sed -n '/^\[Socket\]/,/^\[Install\]/p' "$s" | grep -E '^[A-Za-z]+=' | grep -v '^Accept=')
		echo "$a"
		[ "$a" = "$b" ]
		grep -q '^ListenStream=' <<<"$b"
		grep -qx 'Accept=no' "$s"
		# the bounds: -c is MaxConnections=, -s MaxConnectionsPerSource=
		max=$(sed -n 's/^MaxConnections=//p' "$y")
		per=$(sed -n 's/^MaxConnectionsPerSource=//p' "$y")
		grep -qx "ExecStart=$MAILPROXY_BUILD/mailproxy-accept -c $max -s $per $MAILPROXY_BUILD/mailproxy -c $BATS_TEST_TMPDIR/all.conf" "$d"
		n=$((n + 1))
	done
	[ "$n" = 4 ]
	grep -qx 'Backlog=17' "$BATS_TEST_TMPDIR/no/mailproxy-accept@imap-10143.socket"
	grep -q -- '-c 512 -s 16 ' "$BATS_TEST_TMPDIR/no/mailproxy-accept@smtp-10025.service.d/50-configuration.conf"
	# valid next to the installed template
	units_copy "$BATS_TEST_TMPDIR/no"
	rm -f "$BATS_TEST_TMPDIR/no"/mailproxy@*.socket "$BATS_TEST_TMPDIR/no/mailproxy-accept@imap.socket"
	sd_verify "$BATS_TEST_TMPDIR/no"/mailproxy-accept@*.socket
}

@test "IMAP logins through the launcher; no unit per connection" {
	la_units "$S/units" "$S/mailproxy.conf" "$MAILPROXY_BUILD"
	sd_verify "$S/units/$UNIT.socket"
	boot
	ctl systemctl is-active -q "$UNIT.socket"
	run ! ctl systemctl is-active -q "$UNIT.service"	# socket-activated: not yet
	login
	login
	ctl systemctl is-active -q "$UNIT.service"
	# a held session is the launcher's child, in the launcher's unit
	la_hold "$P" 1 127.0.0.1 "$BATS_TEST_TMPDIR/h" &
	wait_lines "$BATS_TEST_TMPDIR/h" 1
	[[ "$(cat "$BATS_TEST_TMPDIR/h")" == "* OK"* ]]
	main=$(ctl systemctl show -p MainPID --value "$UNIT.service")
	[ "$main" -gt 1 ]
	run sessions
	[ "${#lines[@]}" = 1 ]
	pid=${lines[0]}
	[ "$(ctl ps -o ppid= -p "$pid" | tr -d ' ')" = "$main" ]
	[ "$(ctl readlink "/proc/$main/exe")" = "$MAILPROXY_BUILD/mailproxy-accept" ]
	run ctl cat "/proc/$pid/cgroup"
	echo "$output"
	[[ "$output" == *"/$UNIT.service" ]]
	# and runs as the unit's user, with the unit's sandbox
	[ "$(ctl awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$(getent passwd mailproxy | cut -d: -f3)" ]
	[ "$(ctl awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status")" = 1 ]
	[ "$(ctl awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" = 2 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
	[ -z "$(ctl systemctl list-units --no-legend --plain 'mailproxy@*')" ]
	run ! grep 'mailproxy@' "$S/state/console.log"
	[ -z "$(ctl systemctl --failed --no-legend --plain)" ]
	grep -q 'serving 1 sockets with ' "$S/stderr.log"
	run ! grep -E 'exited with status|killed by signal' "$S/stderr.log"
}

@test "the bound per source: the N+1-th connection is closed, another source gets in; a flood is two log lines" {
	la_units "$S/units" "$S/mailproxy.conf" "$MAILPROXY_BUILD" 8 3
	boot
	la_hold "$P" 3 127.0.0.1 "$BATS_TEST_TMPDIR/a" &
	wait_lines "$BATS_TEST_TMPDIR/a" 3
	[ "$(grep -c '^\* OK' "$BATS_TEST_TMPDIR/a")" = 3 ]
	# a flood from the same source: every one closed at once, unserved
	run la_hold "$P" 200 127.0.0.1
	[ "${#lines[@]}" = 200 ]
	[ "$(grep -cx closed <<<"$output")" = 200 ]
	# while another source logs in
	python3 - "$P" <<'EOF'
import imaplib, socket, sys
class From2(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, ("127.0.0.2", 0))
m = From2("127.0.0.1", int(sys.argv[1]), timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
m.logout()
EOF
	# the first refusal logged, the rest summed up once they stop for a second
	for ((i = 0; i < 150; i++)); do
		grep -q 'more connections closed at once' "$S/stderr.log" && break
		sleep 0.02
	done
	grep -E 'closing|closed at once' "$S/stderr.log"
	[ "$(grep -c 'too many connections from one address (-s): 3 at once, closing 127.0.0.1:' "$S/stderr.log")" = 1 ]
	grep -q '199 more connections closed at once in [0-9.]* s: 0 over -c, 199 over -s, 0 for want of a process' "$S/stderr.log"
	[ "$(grep -cE 'closing|closed at once' "$S/stderr.log")" = 2 ]
	touch "$BATS_TEST_TMPDIR/a.go"
	wait
}

@test "the total bound: the connection beyond it is closed whatever its source; a reaped session frees its slot" {
	la_units "$S/units" "$S/mailproxy.conf" "$MAILPROXY_BUILD" 4 2
	boot
	la_hold "$P" 2 127.0.0.1 "$BATS_TEST_TMPDIR/a" &
	wait_lines "$BATS_TEST_TMPDIR/a" 2
	la_hold "$P" 2 127.0.0.2 "$BATS_TEST_TMPDIR/b" &
	wait_lines "$BATS_TEST_TMPDIR/b" 2
	[ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -c '^\* OK')" = 4 ]
	run la_hold "$P" 1 127.0.0.3
	[ "$output" = closed ]
	grep -q 'too many connections (-c): 4 at once, closing 127.0.0.3:' "$S/stderr.log"
	# one source leaves: its slots are free again
	touch "$BATS_TEST_TMPDIR/a.go"
	for ((i = 0; i < 250; i++)); do
		run sessions
		[ "${#lines[@]}" = 2 ] && break
		sleep 0.02
	done
	run la_hold "$P" 1 127.0.0.3
	[[ "$output" == "* OK"* ]]
	touch "$BATS_TEST_TMPDIR/b.go"
	wait
}

@test "a killed launcher leaves no session behind, is restarted, and serves again" {
	la_units "$S/units" "$S/mailproxy.conf" "$MAILPROXY_BUILD"
	boot
	# a logged-in session (the relay by then) and one waiting for its login
	python3 - "$P" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/client.out" 2>&1 <<'EOF' &
import imaplib, os, socket, sys, time
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
assert s.recv(100).startswith(b"* OK")
print("held", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
try:
    m.select("INBOX")
    print("relay still there")
except Exception as e:
    print("relay gone:", type(e).__name__)
print("pre-auth:", s.recv(100) or b"closed")
EOF
	client=$!
	for ((i = 0; i < 250; i++)); do
		grep -q held "$BATS_TEST_TMPDIR/client.out" && break
		sleep 0.02
	done
	grep -q held "$BATS_TEST_TMPDIR/client.out"
	run sessions
	[ "${#lines[@]}" = 2 ]
	ctl pgrep -x mailproxy-relay
	old=$(ctl systemctl show -p MainPID --value "$UNIT.service")
	[ "$old" -gt 1 ]
	# the launcher alone: its sessions must go by its death (PR_SET_PDEATHSIG) or the
	# unit's stop (KillMode=control-group), not by this kill (the default is every process)
	ctl systemctl kill -s KILL --kill-who=main "$UNIT.service"
	for ((i = 0; i < 250; i++)); do
		new=$(ctl systemctl show -p MainPID --value "$UNIT.service")
		if [ "$new" -gt 1 ] && [ "$new" != "$old" ]; then break; fi
		sleep 0.02
	done
	[ "$new" != "$old" ]
	ctl systemctl is-active -q "$UNIT.service"
	for ((i = 0; i < 250; i++)); do
		run sessions
		[ -z "$output" ] && break
		sleep 0.02
	done
	[ -z "$output" ]
	touch "$BATS_TEST_TMPDIR/go"
	wait "$client"
	cat "$BATS_TEST_TMPDIR/client.out"
	grep -qx 'relay gone: .*' "$BATS_TEST_TMPDIR/client.out"
	grep -qx "pre-auth: b'closed'" "$BATS_TEST_TMPDIR/client.out"
	grep -q "$UNIT.service: Main process exited, code=killed, status=9/KILL" "$S/state/console.log"
	grep -q "$UNIT.service: Scheduled restart job" "$S/state/console.log"
	login
}

@test "without systemd: a launcher killed alone takes its sessions with it (PR_SET_PDEATHSIG)" {
	read -r port < <(free_ports 1)
	cat >"$BATS_TEST_TMPDIR/h.sh" <<'EOF'
#!/bin/sh
echo "session $$" >&3
exec sleep 60
EOF
	chmod +x "$BATS_TEST_TMPDIR/h.sh"
	systemd-socket-activate -l "127.0.0.1:$port" "$MAILPROXY_BUILD/mailproxy-accept" -c 4 -s 4 \
		"$BATS_TEST_TMPDIR/h.sh" 2>"$BATS_TEST_TMPDIR/ssa.log" &
	ssa=$!
	wait_listen "$port" || { cat "$BATS_TEST_TMPDIR/ssa.log"; false; }
	la_hold "$port" 2 127.0.0.1 "$BATS_TEST_TMPDIR/a" &
	wait_lines "$BATS_TEST_TMPDIR/a" 2
	cat "$BATS_TEST_TMPDIR/a"
	[ "$(grep -c '^session ' "$BATS_TEST_TMPDIR/a")" = 2 ]
	# systemd-socket-activate executed the launcher: same pid
	[ "$(readlink "/proc/$ssa/exe")" = "$MAILPROXY_BUILD/mailproxy-accept" ]
	s1=$(awk 'NR == 1 { print $2 }' "$BATS_TEST_TMPDIR/a")
	s2=$(awk 'NR == 2 { print $2 }' "$BATS_TEST_TMPDIR/a")
	[ "$s1" -gt 1 ]
	[ "$s2" -gt 1 ]
	[ "$(awk '{ print $4 }' "/proc/$s1/stat")" = "$ssa" ]
	kill -KILL "$ssa"
	wait "$ssa" || true
	for ((i = 0; i < 100; i++)); do
		if [ ! -e "/proc/$s1" ] && [ ! -e "/proc/$s2" ]; then break; fi
		sleep 0.02
	done
	[ ! -e "/proc/$s1" ]
	[ ! -e "/proc/$s2" ]
	touch "$BATS_TEST_TMPDIR/a.go"
	wait
}

@test "without systemd: out of descriptors, the launcher pauses and logs once, then serves the backlog" {
	read -r port < <(free_ports 1)
	printf '#!/bin/sh\necho "session $$" >&3\n' >"$BATS_TEST_TMPDIR/h.sh"
	chmod +x "$BATS_TEST_TMPDIR/h.sh"
	systemd-socket-activate -l "127.0.0.1:$port" "$MAILPROXY_BUILD/mailproxy-accept" -c 4 -s 4 \
		"$BATS_TEST_TMPDIR/h.sh" 2>"$BATS_TEST_TMPDIR/ssa.log" &
	ssa=$!
	wait_listen "$port" || { cat "$BATS_TEST_TMPDIR/ssa.log"; false; }
	for ((i = 0; i < 100; i++)); do
		if grep -q 'serving 1 sockets' "$BATS_TEST_TMPDIR/ssa.log"; then break; fi
		sleep 0.02
	done
	[ "$ssa" -gt 1 ]
	# fds 0-2, the socket and the signalfd: no room for a connection
	prlimit --pid "$ssa" --nofile=5:
	la_hold "$port" 3 127.0.0.1 "$BATS_TEST_TMPDIR/a" &
	sleep 1
	t0=$(awk '{ print $14 + $15 }' "/proc/$ssa/stat")
	sleep 1
	t1=$(awk '{ print $14 + $15 }' "/proc/$ssa/stat")
	echo "CPU ticks in a second out of descriptors: $((t1 - t0))"
	[ $((t1 - t0)) -lt 30 ]	# a spinning loop takes all of the second (100)
	cat "$BATS_TEST_TMPDIR/ssa.log"
	[ "$(grep -c 'accept4() failed (24: ' "$BATS_TEST_TMPDIR/ssa.log")" = 1 ]
	prlimit --pid "$ssa" --nofile=1024:
	wait_lines "$BATS_TEST_TMPDIR/a" 3
	cat "$BATS_TEST_TMPDIR/a"
	[ "$(grep -c '^session ' "$BATS_TEST_TMPDIR/a")" = 3 ]
	for ((i = 0; i < 150; i++)); do
		if grep -q 'accept(2) failures' "$BATS_TEST_TMPDIR/ssa.log"; then break; fi
		sleep 0.02
	done
	grep -E 'more connections closed at once in [0-9.]+ s: 0 over -c, 0 over -s, 0 for want of a process; [1-9][0-9]* accept\(2\) failures' "$BATS_TEST_TMPDIR/ssa.log"
	kill "$ssa"
	touch "$BATS_TEST_TMPDIR/a.go"
	wait
}

@test "without systemd: the launcher's filter is on before the first accept, its sessions inherit it; no filter, no service" {
	read -r port port2 < <(free_ports 2)
	# a session that says its seccomp mode and tries a call outside the list (bind)
	cat >"$BATS_TEST_TMPDIR/h.py" <<'EOF'
#!/usr/bin/python3 -I
import os, socket
with open("/proc/self/status") as f:
    mode = [l.split()[1] for l in f if l.startswith("Seccomp:")][0]
try:
    socket.socket().bind(("127.0.0.1", 0))
    bind = "ok"
except OSError as e:
    bind = "errno %d" % e.errno
os.write(3, ("seccomp %s bind %s\n" % (mode, bind)).encode())
EOF
	chmod +x "$BATS_TEST_TMPDIR/h.py"
	systemd-socket-activate -l "127.0.0.1:$port" "$MAILPROXY_BUILD/mailproxy-accept" \
		"$BATS_TEST_TMPDIR/h.py" 2>"$BATS_TEST_TMPDIR/ssa.log" &
	ssa=$!
	wait_listen "$port" || { cat "$BATS_TEST_TMPDIR/ssa.log"; false; }
	run la_hold "$port" 1
	echo "$output"
	cat "$BATS_TEST_TMPDIR/ssa.log"
	if grep -q __asan_init "$MAILPROXY_BUILD/mailproxy-accept"; then
		# by design (lib/base/sandbox.c): a sanitizer build has no filter
		grep -q 'system call filter: off (sanitizer build)$' "$BATS_TEST_TMPDIR/ssa.log"
		[ "$output" = "seccomp 0 bind ok" ]
	else
		grep -q 'system call filter: seccomp$' "$BATS_TEST_TMPDIR/ssa.log"
		[ "$(awk '/^Seccomp:/ { print $2 }' "/proc/$ssa/status")" = 2 ]
		[ "$output" = "seccomp 2 bind errno 1" ]
	fi
	kill "$ssa"
	wait "$ssa" || true
	# a launcher that cannot install its filter (a parent's refuses seccomp(2), as a
	# unit's SystemCallFilter= could) says so and exits before it accepts anything
	systemd-socket-activate -l "127.0.0.1:$port2" python3 "$MP_TESTS/lib/noseccomp.py" \
		"$MAILPROXY_BUILD/mailproxy-accept" "$BATS_TEST_TMPDIR/h.py" \
		2>"$BATS_TEST_TMPDIR/ssa2.log" &
	ssa=$!
	wait_listen "$port2" || { cat "$BATS_TEST_TMPDIR/ssa2.log"; false; }
	run la_hold "$port2" 1
	echo "$output"
	cat "$BATS_TEST_TMPDIR/ssa2.log"
	if grep -q __asan_init "$MAILPROXY_BUILD/mailproxy-accept"; then
		[ "$output" = "seccomp 2 bind ok" ]	# the parent's filter only
		kill "$ssa"
	else
		# the listening socket closed with the connection in its backlog
		[[ "$output" == closed || "$output" == "ConnectionResetError(104, "* ]]
		grep -q '\[emerg\] .*seccomp filter not installed (13: Permission denied)' \
			"$BATS_TEST_TMPDIR/ssa2.log"
		run ! grep -q 'serving 1 sockets' "$BATS_TEST_TMPDIR/ssa2.log"
	fi
	wait "$ssa" || true
}

@test "mailproxy-accept refuses to start without listening sockets, or with a relative program" {
	run "$MAILPROXY_BUILD/mailproxy-accept" /bin/true
	echo "$output"
	[ "$status" = 111 ]
	[[ "$output" == *"0 sockets passed: start mailproxy-accept from a socket unit with Accept=no"* ]]
	run "$MAILPROXY_BUILD/mailproxy-accept" -c 4 true
	[ "$status" = 100 ]
	[[ "$output" == *usage:* ]]
	for bad in "-c 0" "-c 65537" "-c 12x" "-s -1" "-s 65537"; do
		run "$MAILPROXY_BUILD/mailproxy-accept" $bad /bin/true
		echo "$bad: $output"
		[ "$status" = 100 ]
	done
	# a connected socket is not a listening one
	read -r port < <(free_ports 1)
	systemd-socket-activate -a -l "127.0.0.1:$port" "$MAILPROXY_BUILD/mailproxy-accept" /bin/true \
		2>"$BATS_TEST_TMPDIR/ssa.log" &
	ssa=$!
	wait_listen "$port" || { cat "$BATS_TEST_TMPDIR/ssa.log"; false; }
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).recv(1)' "$port" || true
	kill "$ssa"
	wait "$ssa" || true
	cat "$BATS_TEST_TMPDIR/ssa.log"
	grep -q 'fd 3 is not a listening stream socket' "$BATS_TEST_TMPDIR/ssa.log"
}
