#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# systemd.bats - mailproxy under a real systemd.  The units are the ones "mailproxy -T
# systemd" writes from a configuration, next to units/mailproxy@.service as installed;
# systemd 252 runs them as PID 1 of its own namespaces (tests/lib/sd-ns.sh), in the host's
# network namespace so that it reaches the test Dovecot and auth server on loopback.
# Checked: systemd-analyze verify prints nothing; one instance per connection; the socket
# options of the configuration on the listening and on the accepted socket (backlog,
# buffers, keepalive timers, v6only); a full IMAP login over TCP and a unix socket; no
# failed instance afterwards; an IMAPS session served by a child of the TLS daemon that
# mailproxy-tls.socket starts, and a restart of the daemon that leaves a live session alone
# (KillMode=process); systemctl reload (Type=notify, SIGHUP): a certificate replaced on disk
# served to the next client while a session from before goes on, STATUS= with the live
# sessions, sent once a second at most under a burst of sessions, a failed reload that
# keeps the old settings and says why; and that no program links libsystemd.  Every wait
# is bounded (ctl, wait_job): a failure fails the test, never hangs it.  Root only:
# skipped loudly otherwise (MP_NO_SKIP=1 fails).

bats_require_minimum_version 1.5.0
load lib/common
load lib/units
load lib/sd_suite
load lib/tls

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	sd_stage
	read -r P4 P6 P6B PS PA < <(free_ports 5)
	read -r PNAT PPP < <(free_ports 2)	# the per-source bounds: direct, behind a balancer
	PKI=$T/pki
	tls_pki "$PKI"	# world-readable keys: LoadCredential= yields an empty directory
			# under this harness (systemd in namespaces), so it is not used here
	cat >"$S/mailproxy.conf" <<EOF
# systemd.bats: one listen per socket parameter under test
mail {
    server_name mail.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;
    auth_http_timeout 5s;
    server {
        listen 127.0.0.1:$P4 backlog=17 rcvbuf=40000 sndbuf=98304 so_keepalive=5m:30:4;
        protocol imap;
    }
    server {
        listen [::]:$P6 ipv6only=off so_keepalive=on;
        protocol imap;
    }
    server {
        listen [::1]:$P6B;
        listen [::]:$P6B;
        protocol imap;
    }
    server {
        listen unix:$S/imap.sock;
        protocol imap;
    }
    server {
        listen 127.0.0.1:$PNAT;
        protocol imap;
    }
    server {
        listen 127.0.0.1:$PPP proxy_protocol;
        protocol imap;
        set_real_ip_from 127.0.0.1;
    }
    server {
        listen 127.0.0.1:$PS ssl;
        protocol imap;
        ssl_certificate $PKI/server.crt;
        ssl_certificate_key $PKI/server.key;
    }
}
EOF
	chmod 644 "$S/mailproxy.conf"
	build_sockinfo "$S/bin"
	sd_user
	export P4 P6 P6B PS PA PNAT PPP PKI
}

teardown_file() {
	sd_unstage
}

setup() {
	sd_need
}

teardown() {
	sd_stop "$S/stderr.log" "$S/tlsd-stderr.log"
}

# units [sockinfo]: $S/units = the generated units + mailproxy@.service and the TLS
# daemon's mailproxy-tls.socket and .service as installed + test drop-ins (stderr to a
# file: there is no journald; no leak check under ASan, whose ptrace the system call filter
# forbids; the daemon reads the test configuration)
# [+ a drop-in that runs sockinfo instead]
units() {
	rm -rf "$S/units"
	units_copy "$S/units"
	rm -f "$S/units"/mailproxy@*.socket	# the shipped ones listen on the real ports
	rm -f "$S/units"/mailproxy-accept@*.socket	# and so do the high-rate mode's
	"$MAILPROXY_BUILD/mailproxy" -T systemd -c "$S/mailproxy.conf" >"$S/generated" 2>"$S/generated.err"
	"$MP_TESTS/lib/split-units.sh" "$S/units" <"$S/generated"
	printf '[Service]\nStandardError=append:%s/stderr.log\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' \
		"$S" >"$S/units/mailproxy@.service.d/40-test.conf"
	mkdir -p "$S/units/mailproxy-tls.service.d"
	: >"$S/tlsd-stderr.log"
	cat >"$S/units/mailproxy-tls.service.d/40-test.conf" <<EOF
[Service]
ExecStart=
ExecStart=$MAILPROXY_BUILD/mailproxy-tls -D -c $S/mailproxy.conf
StandardError=append:$S/tlsd-stderr.log
Environment=ASAN_OPTIONS=detect_leaks=0
EOF
	if [ "${1:-}" = sockinfo ]; then
		printf '[Service]\nExecStart=\nExecStart=%s/bin/sockinfo\n' "$S" \
			>"$S/units/mailproxy@.service.d/60-sockinfo.conf"
	fi
	units_target "$S/units" systemd.bats
}

# probe HOST PORT: the one line sockinfo writes on the connection
probe() {
	python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(s.makefile("rb").read().decode().strip())
EOF
}

# tls_holders PORT: connect over TLS, read the greeting, and print every process that holds
# the server side of the connection, as "EXE PARENT-COMMAND-LINE" (base names), sorted:
# tests/lib/served_by.py --tls --parent, but PID 1 keeps a copy of an Accept=yes connection
# for the instance's lifetime, and served_by.py names only the first holder
tls_holders() {
	python3 - "$1" <<'EOF'
import os, socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
s.recv(4096)
lport = s.getsockname()[1]
inode = None
with open("/proc/net/tcp") as f:
    for line in list(f)[1:]:
        x = line.split()
        if int(x[1].split(":")[1], 16) == port and int(x[2].split(":")[1], 16) == lport:
            inode = x[9]
out = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if not any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "socket:[%s]" % inode
                   for fd in os.listdir("/proc/%s/fd" % pid)):
            continue
        exe = os.path.basename(os.readlink("/proc/%s/exe" % pid))
        with open("/proc/%s/stat" % pid) as f:
            ppid = f.read().rsplit(")", 1)[1].split()[1]
        with open("/proc/%s/cmdline" % ppid, "rb") as f:
            args = f.read().rstrip(b"\0").split(b"\0")
        out.append(" ".join([exe] + [os.path.basename(a.decode()) for a in args]).replace("\n", " "))
    except OSError:
        continue
print("\n".join(sorted(out)))
s.close()
EOF
}

no_failed_instances() {
	# CollectMode=inactive-or-failed unloads failed instances at once: read the log too
	run ! grep -E 'mailproxy@.*(Failed with result|status=[1-9])' "$S/state/console.log"
	[ -z "$(ctl systemctl --failed --no-legend --plain)" ]
}

@test "-T systemd maps every listen parameter, and names what it cannot map" {
	cat >"$BATS_TEST_TMPDIR/all.conf" <<'EOF'
mail {
    auth_http 127.0.0.1:9/auth;
    server { listen 127.0.0.1:10143 backlog=17 rcvbuf=40000 sndbuf=98304 so_keepalive=5m:30:4 bind; protocol imap; }
    server { listen 10143; listen 127.0.0.2:10143; listen [::]:10143 ipv6only=off; protocol imap; }
    server { listen unix:/run/mp%.sock multipath so_keepalive=off; protocol pop3; }
    server { listen 993 ssl proxy_protocol; protocol imap; ssl_certificate /x.crt; ssl_certificate_key /x.key; }
}
EOF
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T systemd -c "$BATS_TEST_TMPDIR/all.conf"
	echo "$output"
	echo "$stderr"
	[ "$status" = 0 ]
	want=(
		'# /etc/systemd/system/mailproxy@.service.d/50-configuration.conf'
		"ExecStart=$MAILPROXY_BUILD/mailproxy -c $BATS_TEST_TMPDIR/all.conf"
		'# /etc/systemd/system/mailproxy-tls.service.d/50-configuration.conf'
		"ExecStart=$MAILPROXY_BUILD/mailproxy-tls -D -c $BATS_TEST_TMPDIR/all.conf"
		'LoadCredential=x.crt:/x.crt' 'LoadCredential=x.key:/x.key'
		'# /etc/systemd/system/mailproxy@imap-10143.socket'
		'ListenStream=127.0.0.1:10143' 'FreeBind=yes' 'Backlog=17' 'ReceiveBuffer=40000'
		'SendBuffer=98304' 'KeepAlive=yes' 'KeepAliveTimeSec=300' 'KeepAliveIntervalSec=30'
		'KeepAliveProbes=4' 'Accept=yes' 'MaxConnections=1024' 'MaxConnectionsPerSource=256'
		'# /etc/systemd/system/mailproxy@imap-10143-2.socket' 'ListenStream=0.0.0.0:10143'
		'# /etc/systemd/system/mailproxy@imap-10143-3.socket' 'ListenStream=[::]:10143'
		'BindIPv6Only=both' 'ListenStream=/run/mp%%.sock' 'SocketMode=0666'
		'# so_keepalive=off: a unix socket has no keepalive anyway'
		'# /etc/systemd/system/mailproxy@imaps.socket' 'ListenStream=0.0.0.0:993'
		'# ssl: mailproxy does TLS itself, as the configuration says'
		'# proxy_protocol: mailproxy reads the PROXY header itself'
	)
	for w in "${want[@]}"; do
		grep -qxF -- "$w" <<<"$output" || { echo "missing: $w"; return 1; }
	done
	# 127.0.0.2:10143 has no bind: the wildcard socket serves it, as in nginx
	grep -F '# listen 127.0.0.2:10143' <<<"$output" | grep -q 'served by the wildcard socket 0.0.0.0:10143'
	[ "$(grep -c 'ListenStream=127.0.0.2' <<<"$output")" = 0 ]
	# what systemd cannot do is said twice: in the unit and on stderr
	grep -q '^# NOT APPLIED: multipath: ' <<<"$output"
	[[ "$stderr" == *'[warn] "multipath" of "listen unix:/run/mp%.sock" in '*'all.conf:5: '* ]]
	[ "$(grep -c 'NOT APPLIED' <<<"$output")" = "$(grep -c '\[warn\]' <<<"$stderr")" ]
	# the keys go to the TLS daemon only: the handler's drop-in loads none
	[ "$(grep -c '^LoadCredential=' <<<"$output")" = 2 ]
	run awk '/^# \/etc\/systemd\/system\/mailproxy-tls.service.d/ { exit } /^LoadCredential=/' <<<"$output"
	[ -z "$output" ]
	# and the units are valid
	"$MP_TESTS/lib/split-units.sh" "$BATS_TEST_TMPDIR/u" <<<"$output"
	units_copy "$BATS_TEST_TMPDIR/u"
	sd_verify "$BATS_TEST_TMPDIR/u"/*.socket
}

@test "generated units and the installed template pass systemd-analyze verify, silently" {
	units
	[ -s "$S/units/mailproxy@.service.d/50-configuration.conf" ]
	ls "$S/units"
	sd_verify "$S/units"/*.socket "$S/units/mailproxy@.service" "$S/units/mailproxy-tls.service"
	# every listen parameter is mapped: nothing is reported as not applied
	[ ! -s "$S/generated.err" ]
	! grep -q 'NOT APPLIED' "$S/generated"
}

# exposure FILE: systemd-analyze security's overall score of a unit file, as "N.N"
exposure() {
	systemd-analyze security --offline=yes --no-pager "$1" 2>&1 |
		sed -n 's/^.*Overall exposure level for .*: \([0-9.]*\) .*$/\1/p'
}

@test "the shipped template scores 2.8 on systemd-analyze security, and units/README's drop-ins what it says" {
	units_copy "$BATS_TEST_TMPDIR/u"
	t=$BATS_TEST_TMPDIR/u/mailproxy@.service
	run exposure "$t"
	echo "shipped: $output"
	[ "$output" = 2.8 ]
	# the two drop-ins of units/README, appended as a drop-in would apply them
	for kind in leaner tighter; do
		awk -v k="# $kind:" 'index($0, k) == 5 { on = 1; next } on && /^$/ { exit } on { sub(/^    /, ""); print }' \
			"$MP_TESTS/../units/README" >"$BATS_TEST_TMPDIR/$kind.conf"
		[ -s "$BATS_TEST_TMPDIR/$kind.conf" ]
		cat "$t" "$BATS_TEST_TMPDIR/$kind.conf" >"$BATS_TEST_TMPDIR/u/$kind@.service"
		run exposure "$BATS_TEST_TMPDIR/u/$kind@.service"
		echo "$kind: $output"
		said=$(sed -n "s/^    # $kind: .*score \([0-9.]*\).*/\1/p" "$MP_TESTS/../units/README")
		[ "$output" = "$said" ]
	done
}

@test "listening sockets carry the configuration: backlog, buffers, v6only" {
	units
	boot
	run ss -Hltnm "sport = :$P4"
	echo "$output"
	[[ "$output" == *"LISTEN 0      17"* ]]
	[[ "$output" == *"127.0.0.1:$P4"* ]]
	[[ "$output" == *rb80000* ]]	# the kernel doubles SO_RCVBUF
	[[ "$output" == *tb196608* ]]
	ctl systemctl is-active -q "mailproxy@imap-$P4.socket"
	ctl systemctl show -p Accept -p Backlog -p KeepAliveTimeUSec "mailproxy@imap-$P4.socket"
}

@test "accepted connections: one instance each, with the configured options (sockinfo)" {
	units sockinfo
	boot
	run probe 127.0.0.1 "$P4"
	echo "$output"
	[[ "$output" == *"local=127.0.0.1:$P4 "* ]]
	[[ "$output" == *" listening=0 rcvbuf=80000 sndbuf=196608 keepalive=1 keepidle=300 keepintvl=30 keepcnt=4 "* ]]
	[[ "$output" == *"remote_addr=127.0.0.1" ]]
	# the static user mailproxy, which the TLS daemon runs as too
	[[ "$output" == *" uid=$(getent passwd mailproxy | cut -d: -f3) "* ]]
	run probe ::1 "$P6"
	echo "$output"
	[[ "$output" == *" keepalive=1 "* ]]
	[[ "$output" == *" v6only=0 "* ]]
	run probe 127.0.0.1 "$P6"	# dual stack: an IPv4 client on the IPv6 socket
	echo "$output"
	[[ "$output" == *"local=[::ffff:127.0.0.1]:$P6 "* ]]
	run probe ::1 "$P6B"
	echo "$output"
	[[ "$output" == *" keepalive=0 "* ]]
	[[ "$output" == *" v6only=1 "* ]]
	run probe 127.0.0.1 "$P6B"	# ipv6only=on, nginx's default: no IPv4 clients
	[ "$status" != 0 ]
	[[ "$output" == *"Connection refused"* ]]
	[ "$(ctl systemctl show -p NAccepted --value "mailproxy@imap-$P4.socket")" = 1 ]
	[ "$(ctl systemctl show -p NAccepted --value "mailproxy@imap-$P6.socket")" = 2 ]
	grep -c "mailproxy@0-127.0.0.1:$P4-127.0.0.1:[0-9]*.service: Deactivated successfully" \
		"$S/state/console.log"
	no_failed_instances
}

@test "three clients at once are three mailproxy@ instances, then none" {
	units
	boot
	python3 - "$P4" "$S/units" <<'EOF' &
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) for _ in range(3)]
for c in conns:
    assert c.recv(100).startswith(b"* OK"), "no greeting"
time.sleep(2)
for c in conns:
    c.sendall(b"a LOGOUT\r\n")
    c.recv(200)
EOF
	client=$!
	for ((i = 0; i < 100; i++)); do
		n=$(ctl systemctl list-units --no-legend --plain --state=running 'mailproxy@*.service' | wc -l)
		[ "$n" = 3 ] && break
		sleep 0.02
	done
	ctl systemctl list-units --no-legend --plain 'mailproxy@*.service'
	[ "$n" = 3 ]
	[ "$(ctl systemctl show -p NConnections --value "mailproxy@imap-$P4.socket")" = 3 ]
	wait_job "$client"
	for ((i = 0; i < 100; i++)); do
		n=$(ctl systemctl list-units --no-legend --plain 'mailproxy@*.service' | wc -l)
		[ "$n" = 0 ] && break
		sleep 0.02
	done
	[ "$n" = 0 ]
	[ "$(grep -c 'mailproxy@.*Deactivated successfully' "$S/state/console.log")" = 3 ]
	no_failed_instances
}

@test "IMAP login to Dovecot through mailproxy started by systemd (IPv4, IPv6, dual stack, unix socket)" {
	units
	boot
	python3 - "$P4" "$P6" "$S/imap.sock" <<'EOF'
import imaplib, socket, sys

class UnixIMAP(imaplib.IMAP4):
    def open(self, host="", port=0, timeout=None):
        self.host, self.port = host, port
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(host)
        self.file = self.sock.makefile("rb")

for m in (imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10),
          imaplib.IMAP4("::1", int(sys.argv[2]), timeout=10),
          imaplib.IMAP4("127.0.0.1", int(sys.argv[2]), timeout=10),
          UnixIMAP(sys.argv[3])):
    typ, _ = m.login("alice", "alicepass")
    assert typ == "OK", typ
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"2"], (typ, data)
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK" and b"test message 1" in data[0][1], (typ, data)
    m.logout()
print("four logins ok")
EOF
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 'mailproxy@.*Deactivated successfully' "$S/state/console.log")" = 4 ] && break
		sleep 0.02
	done
	grep 'mailproxy@' "$S/state/console.log"
	[ "$(grep -c 'mailproxy@.*Deactivated successfully' "$S/state/console.log")" = 4 ]
	no_failed_instances
}

@test "under mailproxy@.service the handler's Landlock ruleset holds: a file outside it cannot be opened" {
	# The unit has no mount namespace: Landlock keeps the file system (units/README).  A
	# stand-in for the relay (tests/lib/llprobe.c), executed by the handler after the
	# login as the relay would be, opens files in the handler's domain and tells the
	# client what each open returned; a filter in the unit that refused landlock_*(2)
	# would leave the handler without its ruleset, and the file would be read (0).
	units
	mkdir -p "$S/llbin" "$SD_STAGE/secret"
	cp "$MAILPROXY_BUILD/mailproxy" "$S/llbin/"
	[ ! -x "$MAILPROXY_BUILD/mailproxy-full" ] || cp "$MAILPROXY_BUILD/mailproxy-full" "$S/llbin/"
	if command -v musl-gcc >/dev/null; then cc=musl-gcc; else cc=cc; fi
	"$cc" -static -O2 -Wall -Werror -o "$S/llbin/mailproxy-relay" "$MP_TESTS/lib/llprobe.c"
	chmod 755 "$S/llbin" "$SD_STAGE/secret"
	echo "not for the handler" >"$SD_STAGE/secret/key.txt"
	chmod 644 "$SD_STAGE/secret/key.txt"
	cat >"$S/units/mailproxy@.service.d/60-llprobe.conf" <<EOF
[Service]
ExecStart=
ExecStart=$S/llbin/mailproxy -c $S/mailproxy.conf
Environment="LL_PROBE=r:$SD_STAGE/secret/key.txt r:/etc/passwd r:$S/mailproxy.conf c:$S/made.txt"
EOF
	boot
	out=$(wire -t 10 "$P4" '<* OK' '>a LOGIN alice alicepass\r\n' '.' | sed 's/\\r\\n/\n/g')
	echo "$out"
	grep -q '^probe pid ' <<<"$out"
	grep -qx "r:$SD_STAGE/secret/key.txt=13" <<<"$out"
	grep -qx "r:/etc/passwd=0" <<<"$out"
	grep -qx "r:$S/mailproxy.conf=0" <<<"$out"
	grep -Eqx "c:$S/made.txt=(1|13)" <<<"$out"
	[ ! -e "$S/made.txt" ]
	no_failed_instances
}

@test "a client that resets at once leaves no failed instance" {
	units
	boot
	python3 - "$P4" <<'EOF'
import socket, struct, sys
for _ in range(3):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
EOF
	# each reset ends an instance, or none starts: the socket unit logs "getpeername failed"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -cE 'mailproxy@.*(Deactivated successfully|Failed with result|getpeername failed)' "$S/state/console.log")" = 3 ] && break
		sleep 0.02
	done
	grep 'mailproxy@' "$S/state/console.log"
	[ "$(grep -cE 'mailproxy@.*(Deactivated successfully|Failed with result|getpeername failed)' "$S/state/console.log")" = 3 ]
	no_failed_instances
}

@test "IMAPS through the TLS daemon: mailproxy-tls.socket starts it, a child of it serves the session" {
	units
	boot
	ctl systemctl is-active -q mailproxy-tls.socket
	# the handlers' user's alone (root may always connect)
	[ "$(ctl stat -c '%F %a %U:%G' /run/mailproxy/tls.sock)" = "socket 600 mailproxy:mailproxy" ]
	# not started yet: socket activation, on the first TLS session
	run ! ctl systemctl is-active -q mailproxy-tls.service
	run tls_holders "$PS"
	echo "$output"
	[ "${lines[0]}" = "mailproxy-tls mailproxy-tls -D -c mailproxy.conf" ]
	[[ "${lines[1]}" == "systemd "* ]]	# PID 1's copy
	[ "${#lines[@]}" = 2 ]
	ctl systemctl is-active -q mailproxy-tls.service
	pid=$(ctl systemctl show -p MainPID --value mailproxy-tls.service)
	# the static user: the handlers' uid too
	uid=$(getent passwd mailproxy | cut -d: -f3)
	[ "$(ctl awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$uid" ]
	# not dumpable: its /proc files belong to root, not to the uid the handlers share
	[ "$(ctl stat -c %u "/proc/$pid/status")" = 0 ]
	python3 - "$PS" "$PKI/ca.crt" <<'EOF'
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx, timeout=10)
typ, _ = m.login("alice", "alicepass")
assert typ == "OK", typ
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
m.logout()
print("imaps login ok")
EOF
	# the handlers never fell back to a mailproxy-tls of their own
	run ! grep -E 'declined|did not answer' "$S/stderr.log"
	grep 'serving the 1 TLS servers of ' "$S/tlsd-stderr.log"
	no_failed_instances
}

@test "restarting mailproxy-tls.service leaves live TLS sessions alone (KillMode=process)" {
	units
	boot
	python3 - "$PS" "$PKI/ca.crt" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/client.out" 2>&1 <<'EOF' &
import imaplib, os, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx, timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
print("logged in", flush=True)
# until the daemon was restarted (a file, not a fifo: neither side can block forever)
deadline = time.monotonic() + 30
while not os.path.exists(sys.argv[3]):
    if time.monotonic() > deadline:
        sys.exit("no go from the test in 30 s")
    time.sleep(0.02)
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
m.logout()
print("same session after the restart: ok", flush=True)
EOF
	client=$!
	for ((i = 0; i < 250; i++)); do
		grep -q 'logged in' "$BATS_TEST_TMPDIR/client.out" && break
		sleep 0.02
	done
	cat "$BATS_TEST_TMPDIR/client.out"
	grep -q 'logged in' "$BATS_TEST_TMPDIR/client.out"
	old=$(ctl systemctl show -p MainPID --value mailproxy-tls.service)
	[ "$old" -gt 0 ]
	ctl systemctl restart mailproxy-tls.service
	new=$(ctl systemctl show -p MainPID --value mailproxy-tls.service)
	[ "$new" -gt 0 ]
	[ "$new" != "$old" ]
	echo go >"$BATS_TEST_TMPDIR/go"
	wait_job "$client" 40
	cat "$BATS_TEST_TMPDIR/client.out"
	grep -q 'same session after the restart: ok' "$BATS_TEST_TMPDIR/client.out"
	# and the next session is a child of the new daemon
	run tls_holders "$PS"
	echo "$output"
	[ "${lines[0]}" = "mailproxy-tls mailproxy-tls -D -c mailproxy.conf" ]
	[[ "${lines[1]}" == "systemd "* ]]	# PID 1's copy
	[ "${#lines[@]}" = 2 ]
	[ "$(grep -c 'serving the 1 TLS servers of ' "$S/tlsd-stderr.log")" = 2 ]
	no_failed_instances
}

# served_fp PORT: log in over IMAPS (verified against the test CA) and print the SHA-256
# of the certificate the server sent
served_fp() {
	python3 - "$1" "$PKI/ca.crt" <<'EOF'
import hashlib, imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx, timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
print(hashlib.sha256(m.sock.getpeercert(True)).hexdigest())
m.logout()
EOF
}

# file_fp CERT: the SHA-256 of a PEM certificate's DER form
file_fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# serve_cert NAME: the server's ssl_certificate and key become the test PKI's NAME.crt and
# NAME.key (both "server" and "ecserver" are for mail.test, from the same CA)
serve_cert() {
	[ -e "$PKI/orig-server.crt" ] || cp -p "$PKI/server.crt" "$PKI/orig-server.crt"
	[ -e "$PKI/orig-server.key" ] || cp -p "$PKI/server.key" "$PKI/orig-server.key"
	cp "$PKI/$1.crt" "$PKI/server.crt.new"
	cp "$PKI/$1.key" "$PKI/server.key.new"
	mv "$PKI/server.crt.new" "$PKI/server.crt"
	mv "$PKI/server.key.new" "$PKI/server.key"
}

# sd_status_has TEXT: systemctl status of the daemon shows TEXT within 4 s (the daemon
# says a change of its count within a second: lib/tls/tlsd_daemon.c)
sd_status_has() {
	for ((i = 0; i < 200; i++)); do
		ctl systemctl status --no-pager mailproxy-tls.service 2>&1 | grep -qF "$1" && return 0
		sleep 0.02
	done
	ctl systemctl status --no-pager mailproxy-tls.service 2>&1 || true
	return 1
}

@test "systemctl reload: the next TLS client gets the certificate replaced on disk, a live session goes on" {
	serve_cert orig-server
	units
	boot
	old_fp=$(file_fp "$PKI/orig-server.crt")
	new_fp=$(file_fp "$PKI/ecserver.crt")
	[ "$old_fp" != "$new_fp" ]
	python3 - "$PS" "$PKI/ca.crt" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/client.out" 2>&1 <<'EOF' &
import hashlib, imaplib, os, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx, timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
print("logged in", hashlib.sha256(m.sock.getpeercert(True)).hexdigest(), flush=True)
# until the reload is done (a file, not a fifo: a failed test must not leave this blocked)
deadline = time.monotonic() + 30
while not os.path.exists(sys.argv[3]):
    if time.monotonic() > deadline:
        sys.exit("no go from the test in 30 s")
    time.sleep(0.02)
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
m.logout()
print("same session after the reload: ok", flush=True)
EOF
	client=$!
	for ((i = 0; i < 250; i++)); do
		grep -q 'logged in' "$BATS_TEST_TMPDIR/client.out" && break
		sleep 0.02
	done
	cat "$BATS_TEST_TMPDIR/client.out"
	grep -qx "logged in $old_fp" "$BATS_TEST_TMPDIR/client.out"
	pid=$(ctl systemctl show -p MainPID --value mailproxy-tls.service)
	[ "$pid" -gt 0 ]
	# Type=notify: STATUS= shows the live session
	sd_status_has "Status: \"TLS servers: 1, live sessions: 1\""
	# libsystemd is the daemon's: it maps it, the per-session programs do not link it
	ctl grep -q 'libsystemd\.so\.0' "/proc/$pid/maps"
	serve_cert ecserver
	ctl systemctl log-level debug
	ctl systemctl reload mailproxy-tls.service
	# at once, no wait: a connection made after the reload was asked for gets the new
	# certificate
	[ "$(served_fp "$PS")" = "$new_fp" ]
	[ "$(ctl systemctl show -p MainPID --value mailproxy-tls.service)" = "$pid" ]
	grep 'reloaded .*mailproxy.conf: new sessions get its settings, the 1 live ones keep theirs' \
		"$S/tlsd-stderr.log"
	echo go >"$BATS_TEST_TMPDIR/go"
	wait_job "$client" 40
	cat "$BATS_TEST_TMPDIR/client.out"
	grep -q 'same session after the reload: ok' "$BATS_TEST_TMPDIR/client.out"
	sd_status_has "Status: \"TLS servers: 1, live sessions: 0\""
	# systemd heard RELOADING=1 and READY=1 from the daemon (its debug log shows them)
	grep -E 'mailproxy-tls.service: Got notification message from PID [0-9]+ \(RELOADING=1, MONOTONIC_USEC=[0-9]+, STATUS=reloading ' "$S/state/console.log"
	grep -E 'mailproxy-tls.service: Got notification message from PID [0-9]+ \(READY=1, STATUS=TLS servers: 1, live sessions: 1\)' "$S/state/console.log"
	[ "$(ctl systemctl show -p ActiveState --value mailproxy-tls.service)" = active ]
	serve_cert orig-server
	no_failed_instances
}

# status_lines FROM: the STATUS= messages systemd got from the daemon after console.log's
# line FROM (its debug log)
status_lines() {
	tail -n +"$(($1 + 1))" "$S/state/console.log" |
		grep -E 'mailproxy-tls.service: Got notification message from PID [0-9]+ \(STATUS=' || true
}

@test "a burst of TLS sessions is not a STATUS= each: one a second at most, and the last count once idle" {
	units
	boot
	[ -n "$(served_fp "$PS")" ]	# the first TLS client starts the daemon
	sd_status_has "Status: \"TLS servers: 1, live sessions: 0\""
	ctl systemctl log-level debug
	# the last STATUS= (READY=1) over a second old: the burst's first session is said at
	# once, so a count above 0 is said, and the last one (0) must follow; a burst within
	# that second would change nothing that was said
	sleep 1.1
	from=$(wc -l <"$S/state/console.log")
	t0=$(date +%s)
	python3 - "$PS" <<'EOF'
import concurrent.futures, socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def one(_):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10))
    assert s.recv(100).startswith(b"* OK"), "no greeting"
    s.sendall(b"a LOGOUT\r\n")
    try:
        while s.recv(100):
            pass
    except (ssl.SSLError, OSError):
        pass
    s.close()
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    list(ex.map(one, range(40)))
print("40 TLS sessions")
EOF
	t1=$(date +%s)
	# no session was lost between a handler and the daemon (alerts; a decline is a warning,
	# below the default error_log level)
	run ! grep -E 'mailproxy-tls daemon .*(did not answer|answered nonsense)' "$S/stderr.log"
	# the count of the moment follows the burst within a second
	for ((i = 0; i < 250; i++)); do
		status_lines "$from" | tail -n 1 | grep -q 'live sessions: 0)' && break
		sleep 0.02
	done
	status_lines "$from"
	status_lines "$from" | tail -n 1 | grep -q 'live sessions: 0)'
	sd_status_has "Status: \"TLS servers: 1, live sessions: 0\""
	# 40 sessions started and ended: 80 changes of the count, one message a second at most
	# (the burst's whole seconds, one more for a second begun, and the last)
	n=$(status_lines "$from" | wc -l)
	echo "$n STATUS= messages for 40 sessions in $((t1 - t0)) s"
	[ "$n" -ge 1 ]
	[ "$n" -le $((t1 - t0 + 2)) ]
}

@test "a reload that fails keeps the old certificate and configuration, and says why" {
	serve_cert orig-server
	units
	boot
	old_fp=$(file_fp "$PKI/orig-server.crt")
	[ "$(served_fp "$PS")" = "$old_fp" ]
	pid=$(ctl systemctl show -p MainPID --value mailproxy-tls.service)
	# a key that is not the certificate's
	cp "$PKI/ecserver.key" "$PKI/server.key"
	ctl systemctl reload mailproxy-tls.service
	[ "$(served_fp "$PS")" = "$old_fp" ]
	grep -E 'reload failed, the previous settings stay in use: .*private/public key mismatch' "$S/tlsd-stderr.log"
	sd_status_has "the last reload failed, the previous settings stay: "
	[ "$(ctl systemctl show -p MainPID --value mailproxy-tls.service)" = "$pid" ]
	# an unreadable certificate
	cp "$PKI/orig-server.key" "$PKI/server.key"
	mv "$PKI/server.crt" "$PKI/server.crt.away"
	ctl systemctl reload mailproxy-tls.service
	[ "$(served_fp "$PS")" = "$old_fp" ]
	[ "$(grep -c 'reload failed, the previous settings stay in use' "$S/tlsd-stderr.log")" = 2 ]
	mv "$PKI/server.crt.away" "$PKI/server.crt"
	# a configuration with a syntax error: the daemon keeps the one it has, and the
	# handlers, which read the broken file, serve nothing (as for any broken edit)
	cp "$S/mailproxy.conf" "$BATS_TEST_TMPDIR/good.conf"
	echo 'bogus_directive on;' >>"$S/mailproxy.conf"
	ctl systemctl reload mailproxy-tls.service
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 'reload failed, the previous settings stay in use' "$S/tlsd-stderr.log")" = 3 ] && break
		sleep 0.02
	done
	grep 'reload failed, the previous settings stay in use: .*bogus_directive' "$S/tlsd-stderr.log"
	# the reason quotes the file, and a newline in it does not become a variable of its own
	# in the message to systemd (here one that would replace the status line)
	cp "$BATS_TEST_TMPDIR/good.conf" "$S/mailproxy.conf"
	printf '"bogus\nSTATUS=forged" on;\n' >>"$S/mailproxy.conf"
	ctl systemctl reload mailproxy-tls.service
	sd_status_has 'the previous settings stay: unknown directive "bogus?STATUS=forged"'
	cp "$BATS_TEST_TMPDIR/good.conf" "$S/mailproxy.conf"
	# fixed: the next reload takes, and the status line forgets the failure
	ctl systemctl reload mailproxy-tls.service
	[ "$(served_fp "$PS")" = "$old_fp" ]
	sd_status_has "Status: \"TLS servers: 1, live sessions: 0\""
	run ! sd_status_has "reload failed"
	[ "$(ctl systemctl show -p MainPID --value mailproxy-tls.service)" = "$pid" ]
	[ "$(ctl systemctl show -p ActiveState --value mailproxy-tls.service)" = active ]
}

@test "the per-connection programs do not link libsystemd; the daemon loads it" {
	for b in mailproxy mailproxy-relay mailproxy-tls mailproxy-full; do
		[ -e "$MAILPROXY_BUILD/$b" ] || continue
		echo "$b"
		readelf -d "$MAILPROXY_BUILD/$b" | grep NEEDED || true	# none: static
		[ -z "$(readelf -d "$MAILPROXY_BUILD/$b" | grep libsystemd)" ]
		[ -z "$(ldd "$MAILPROXY_BUILD/$b" 2>&1 | grep libsystemd)" ]
	done
	# the only way in: dlopen of libsystemd.so.0, by the daemon
	strings "$MAILPROXY_BUILD/mailproxy-tls" | grep -qx 'libsystemd.so.0'
}

@test "high-rate mode: mailproxy-accept@.service on an Accept=no socket serves logins, holds -s per address, and a killed launcher takes its sessions and comes back" {
	units
	[ -x "$MAILPROXY_BUILD/mailproxy-accept" ] || { echo "no $MAILPROXY_BUILD/mailproxy-accept" >&2; return 1; }
	cat >"$S/accept.conf" <<EOF
mail {
    server_name mail.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;
    server {
        listen 127.0.0.1:$PA;
        protocol imap;
    }
}
EOF
	chmod 644 "$S/accept.conf"
	sed -e "s|^ListenStream=.*|ListenStream=127.0.0.1:$PA|" -e 's/^Accept=yes/Accept=no/' \
		"$MP_TESTS/../units/mailproxy@imap.socket" >"$S/units/mailproxy-accept@hr.socket"
	mkdir -p "$S/units/mailproxy-accept@.service.d"
	: >"$S/accept-stderr.log"
	cat >"$S/units/mailproxy-accept@.service.d/40-test.conf" <<EOF
[Service]
ExecStart=
ExecStart=$MAILPROXY_BUILD/mailproxy-accept -c 8 -s 2 $MAILPROXY_BUILD/mailproxy -c $S/accept.conf
StandardError=append:$S/accept-stderr.log
Environment=ASAN_OPTIONS=detect_leaks=0
EOF
	printf 'Wants=mailproxy-accept@hr.socket\nAfter=mailproxy-accept@hr.socket\n' >>"$S/units/mptest.target"
	boot
	run ! ctl systemctl is-active -q mailproxy-accept@hr.service	# started by the first client
	python3 - "$PA" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
assert m.select("INBOX") == ("OK", [b"2"])
m.logout()
EOF
	# -s 2 counts a session until the launcher reaps it: the logged-out one must be gone
	# before two are held (its exit, slow under load or in a sanitizer build, took a slot)
	for ((i = 0; i < 250; i++)); do
		run ctl pgrep -x 'mailproxy(-relay)?'
		[ "$status" = 1 ] && break
		sleep 0.02
	done
	[ "$status" = 1 ]
	python3 - "$PA" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def greet():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.recv(100)
held = [greet(), greet()]
assert all(g.startswith(b"* OK") for _, g in held), held
third, g = greet()                      # -s 2: closed at once, no greeting
assert g == b"", g
held[0][0].close()
for _ in range(100):                    # the first session's handler exits and is reaped
    time.sleep(0.05)
    s, g = greet()
    if g.startswith(b"* OK"):
        break
else:
    raise SystemExit("no greeting after a held session closed")
print("logins and the per-address limit ok")
EOF
	grep -q 'too many connections from one address (-s)' "$S/accept-stderr.log"
	# a session held while the launcher is killed goes with it
	old=$(ctl systemctl show -p MainPID --value mailproxy-accept@hr.service)
	[ "$old" -gt 1 ]
	coproc HELD { python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
print(s.recv(100).decode().strip(), flush=True)
sys.stdin.readline()
print("after kill: %r" % s.recv(100), flush=True)' "$PA"; }
	read -r -t 30 -u "${HELD[0]}" line || { echo "no greeting in 30 s" >&2; false; }
	[[ "$line" == "* OK"* ]]
	[ "$(ctl pgrep -c -x mailproxy)" -ge 1 ]
	ctl systemctl kill -s KILL --kill-who=main mailproxy-accept@hr.service
	echo >&"${HELD[1]}"
	read -r -t 30 -u "${HELD[0]}" line || { echo "no answer from the held client in 30 s" >&2; false; }
	echo "$line"
	[ "$line" = "after kill: b''" ]
	for ((i = 0; i < 100; i++)); do
		new=$(ctl systemctl show -p MainPID --value mailproxy-accept@hr.service)
		case $new in 0 | "$old") sleep 0.05 ;; *) break ;; esac
	done
	[ "$new" != 0 ]
	[ "$new" != "$old" ]
	run ctl pgrep -x 'mailproxy(-relay)?'
	[ "$status" = 1 ]	# no handler or session left of the killed launcher
	python3 -c '
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
m.logout()' "$PA"
}

# hold PORT N [pp] [SOURCE]: open N connections to PORT from SOURCE (127.0.0.1) at once, each
# first sending a PROXY v2 header from a client of its own (10.1.x.y) with "pp", and read
# what each gets; print how many were greeted and how many closed without a greeting, and
# with HOLD_UNTIL=FILE keep them open until FILE exists (a minute at most)
hold() {
	python3 - "$@" <<'EOF'
import os, socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
pp = len(sys.argv) > 3 and sys.argv[3] == "pp"
src = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(src, 0))
    if pp:
        addrs = socket.inet_aton("10.1.%d.%d" % (i // 250, i % 250 + 1)) + socket.inet_aton("127.0.0.1")
        s.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + struct.pack("!H", 12) + addrs +
                  struct.pack("!HH", 40000 + i, port))
    conns.append(s)
greeted = closed = 0
for s in conns:
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    if got.startswith(b"* OK "):
        greeted += 1
    elif got == b"":
        closed += 1
    else:
        sys.exit("unexpected: %r" % got)
print("greeted=%d closed=%d" % (greeted, closed), flush=True)
until = os.environ.get("HOLD_UNTIL")
for _ in range(600 if until else 0):
    if os.path.exists(until):
        break
    time.sleep(0.1)
EOF
}

@test "per-source bounds: IMAP allows a NAT'd office 256 connections per address; a proxy_protocol socket none" {
	units
	sed -n "/^# \/etc\/systemd\/system\/mailproxy@imap-$PPP.socket/,/^\[Install\]/p" "$S/generated" |
		grep -x 'MaxConnectionsPerSource=1024'
	boot
	[ "$(ctl systemctl show -p MaxConnections --value "mailproxy@imap-$PNAT.socket")" = 1024 ]
	[ "$(ctl systemctl show -p MaxConnectionsPerSource --value "mailproxy@imap-$PNAT.socket")" = 256 ]
	[ "$(ctl systemctl show -p MaxConnections --value "mailproxy@imap-$PPP.socket")" = 1024 ]
	[ "$(ctl systemctl show -p MaxConnectionsPerSource --value "mailproxy@imap-$PPP.socket")" = 1024 ]
}

@test "under systemd: 300 sessions at once from one balancer on a proxy_protocol socket are all served" {
	units
	boot
	run hold "$PPP" 300 pp
	echo "$output"
	grep -E 'Too many|dropping|Failed' "$S/state/console.log" | sort | uniq -c | tail -5
	[ "$output" = "greeted=300 closed=0" ]
}

@test "under systemd: one address holds 256 IMAP sessions at once, the 257th is refused, another address is served" {
	units
	boot
	HOLD_UNTIL=$BATS_TEST_TMPDIR/done hold "$PNAT" 257 >"$BATS_TEST_TMPDIR/office" &
	office=$!
	for ((i = 0; i < 1200; i++)); do
		[ -s "$BATS_TEST_TMPDIR/office" ] && break
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/office"
	grep -E 'Too many|dropping|Failed' "$S/state/console.log" | sed 's/([0-9]*)//' | sort | uniq -c | tail -5
	[ "$(cat "$BATS_TEST_TMPDIR/office")" = "greeted=256 closed=1" ]
	# while the office holds its 256, another address is served
	[ "$(ctl systemctl show -p NConnections --value "mailproxy@imap-$PNAT.socket")" = 256 ]
	run hold "$PNAT" 1 "" 127.0.0.2
	echo "$output"
	[ "$output" = "greeted=1 closed=0" ]
	touch "$BATS_TEST_TMPDIR/done"
	wait_job "$office" 90
}
