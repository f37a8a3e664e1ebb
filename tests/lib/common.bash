# SPDX-License-Identifier: ISC
# common.bash - shared set-up for the bats suites: a private Dovecot, the auth server, the
# proxy under test (mailproxy under systemd-socket-activate, or nginx's own mail proxy),
# and the raw-wire client.  Sourced by every tests/*.bats file.
#
# Environment:
#   MAILPROXY_BUILD   directory with mailproxy and mailproxy-relay (default: ../build)
#   MAILPROXY_TARGET  "mailproxy" (default) or "nginx": run the suites against Debian's
#                     nginx instead, to check that the tests themselves are right
#   MP_KEEP=1         keep the suite's temporary directory (its path is printed)
#   MP_TLS_DAEMON=1   TLS through a mailproxy-tls -D daemon (socket-activated on a unix
#                     socket) instead of a mailproxy-tls executed per session
#
# A suite's setup_file does, in order:
#   mp_init                      temp dir $T, ports for Dovecot and the auth server
#   dovecot_start                IMAP on $DOVECOT_IMAP, POP3 on $DOVECOT_POP3 (and the
#                                lines of $DOVECOT_EXTRA at the end of its configuration)
#   authserver_start [ARGS]      auth_http server on $AUTHPORT, log in $T/auth.log
#   mp_server NAME 'DIRECTIVES'  one mail server{} block per configuration variant
#   proxy_start [INST [KIND]]    write $T/INST/proxy.conf and start the proxy
# and its teardown_file calls mp_cleanup.  Tests reach server NAME on "$(port NAME)" (fd 3,
# LISTEN_FDS style) or "$(port NAME mp inetd)" (fd 0/1, inetd style).

MP_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${MAILPROXY_BUILD:=$(cd "$MP_TESTS/.." && pwd)/build}"
: "${MAILPROXY_TARGET:=mailproxy}"
export MP_TESTS MAILPROXY_BUILD MAILPROXY_TARGET
export PYTHONDONTWRITEBYTECODE=1
NGINX_MAIL_MODULE=/usr/lib/nginx/modules/ngx_mail_module.so

# the users known to both Dovecot and the auth server (user:password); the first one is
# what the auth server's "authuser" hook logs in as, and MP_MAILBOX_USER has the messages
: "${MP_MAILBOX_USER:=alice}"
: "${MP_USERS:=alice:alicepass
bob:bobpass
spacey:pass word%1
waiter:waiterpass
authuser:authuserpass
statuswait:statuswaitpass
slow:slowpass
noserver:noserverpass
badaddr:badaddrpass
badport:badportpass
garbage:garbagepass
errcode:errcodepass
nopass:nopasspass
closer:closerpass
big:bigpass}"

# free_ports N: print N distinct loopback TCP ports that are free right now.  They come
# from below the kernel's ephemeral range (ip_local_port_range): a port from inside it can
# be taken, between this check and the listener's bind, by the local end of any outgoing
# connection (or its TIME_WAIT), which a burst test makes by the hundred.  A random start
# keeps parallel suites apart; each port is checked by binding it.
free_ports() {
	python3 - "$1" <<'EOF'
import random, socket, sys
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
low = 10000 if lo > 20000 else 1024
ports, socks = [], []
while len(ports) < int(sys.argv[1]):
    p = random.randrange(low, lo)
    if p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    socks.append(s)
    ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

# wait_listen PORT...: until each port has a listener (without connecting to it)
wait_listen() {
	local p i
	for p in "$@"; do
		for ((i = 0; i < 200; i++)); do
			ss -Hltn "sport = :$p" 2>/dev/null | grep -q LISTEN && break
			sleep 0.05
		done
		if ((i == 200)); then
			echo "nothing listens on port $p" >&2
			return 1
		fi
	done
}

# track PID: remember a background process so that mp_cleanup stops it
track() { echo "$1" >>"$T/pids"; }
# track_master PID: the same for a master process that stops its own children when told
# to: Dovecot's master, whose children killed under it first keep it up for seconds more.
# The pid is the master's own (its pid file): the job may be a shell around it
# (haproxy.bats), which mp_cleanup still stops with its children.
track_master() {
	track "$1"
	echo "$1" >>"$T/masters"
}

mp_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mailproxy-test.XXXXXX")
	chmod 755 "$T"
	: >"$T/pids"
	read -r DOVECOT_IMAP DOVECOT_POP3 AUTHPORT CLOSEDPORT < <(free_ports 4)
	export T DOVECOT_IMAP DOVECOT_POP3 AUTHPORT CLOSEDPORT
	MP_SERVERS=()
	MP_BODIES=()
	MP_MAIL_EXTRA=""
}

# ---- Dovecot -------------------------------------------------------------------------

# The known messages, with CRLF line ends, so FETCH BODY[] returns these exact bytes.
mp_message() { # N
	printf 'From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\n'
	printf 'Subject: test message %s\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n' "$1"
	printf 'Message-ID: <msg%s@example.test>\r\n\r\n' "$1"
	printf 'This is message number %s.\r\nIt has two lines.\r\n' "$1"
}

# dovecot_run ADDR IMAPS POP3S SETTINGS EXTRA: the private Dovecot in $T/dovecot for the
# users of MP_USERS, the known messages in MP_MAILBOX_USER's mailbox: IMAP on $DOVECOT_IMAP
# and POP3 on $DOVECOT_POP3 at ADDR, implicit TLS on the ports IMAPS and POP3S (0: none);
# the lines SETTINGS (its TLS policy) after the basics, EXTRA (the suite's) at the end.
# Returns once it listens and its auth process answers.
dovecot_run() {
	local addr=$1 imaps=$2 pop3s=$3 settings=$4 extra=$5 d=$T/dovecot u p mailuid=dovecot
	local imaps_at="port = 0" pop3s_at="port = 0" ports=("$DOVECOT_IMAP" "$DOVECOT_POP3")
	if ((imaps)); then
		imaps_at="address = $addr
    port = $imaps
    ssl = yes"
		ports+=("$imaps")
	fi
	if ((pop3s)); then
		pop3s_at="address = $addr
    port = $pop3s
    ssl = yes"
		ports+=("$pop3s")
	fi
	mkdir -p "$d/run" "$d/state" "$d/home"
	id dovecot >/dev/null 2>&1 || mailuid=nobody
	while IFS=: read -r u p; do
		printf '%s:{PLAIN}%s\n' "$u" "$p"
	done <<<"$MP_USERS" >"$d/passwd"
	mkdir -p "$d/home/$MP_MAILBOX_USER/Maildir/"{cur,new,tmp}
	mp_message 1 >"$(message_file 1)"
	mp_message 2 >"$(message_file 2)"
	chown -R "$mailuid:" "$d/home"
	cat >"$d/dovecot.conf" <<EOF
base_dir = $d/run
state_dir = $d/state
instance_name = mailproxy-test-$$
log_path = $d/dovecot.log
protocols = imap pop3
listen = $addr
$settings
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = static
  args = uid=$mailuid gid=$(id -gn $mailuid) home=$d/home/%u
}
service imap-login {
  service_count = 0
  process_min_avail = 1
  inet_listener imap {
    address = $addr
    port = $DOVECOT_IMAP
  }
  inet_listener imaps {
    $imaps_at
  }
}
service pop3-login {
  service_count = 0
  process_min_avail = 1
  inet_listener pop3 {
    address = $addr
    port = $DOVECOT_POP3
  }
  inet_listener pop3s {
    $pop3s_at
  }
}
$extra
EOF
	dovecot -F -c "$d/dovecot.conf" >"$d/stderr.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "${ports[@]}" || { cat "$d/stderr.log" "$d/dovecot.log" >&2; return 1; }
	track_master "$(cat "$d/run/master.pid")"
	# until its auth process is up, Dovecot greets with "* OK Waiting for authentication
	# process to respond..", which a proxy would take for the greeting
	python3 - "$addr" "$DOVECOT_IMAP" <<'PY' || { cat "$d/dovecot.log" >&2; return 1; }
import socket, sys, time
for _ in range(100):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    line = s.makefile("rb").readline()
    s.close()
    if line.startswith(b"* OK [CAPABILITY"):
        sys.exit(0)
    time.sleep(0.1)
sys.exit("Dovecot is not ready: %r" % line)
PY
}

# Dovecot on 127.0.0.1 without TLS, plaintext logins allowed
dovecot_start() {
	dovecot_run 127.0.0.1 0 0 "ssl = no
disable_plaintext_auth = no" "${DOVECOT_EXTRA:-}"
}

# the file holding known message N in the mailbox of MP_MAILBOX_USER
message_file() { echo "$T/dovecot/home/$MP_MAILBOX_USER/Maildir/cur/170000000$1.M$1P1.mptest:2,S"; }

# ---- auth server ---------------------------------------------------------------------

authserver_start() {
	# "ghost" is known to the auth server but not to Dovecot: the backend login fails
	printf '%s\nghost:ghostpass\ndeadbackend:deadbackendpass\n' "$MP_USERS" >"$T/users"
	: >"$T/auth.log"
	python3 "$MP_TESTS/authserver.py" --listen "127.0.0.1:$AUTHPORT" --users "$T/users" \
		--backend "imap=127.0.0.1:$DOVECOT_IMAP" --backend "pop3=127.0.0.1:$DOVECOT_POP3" \
		--backend "dead=127.0.0.1:$CLOSEDPORT" \
		--log "$T/auth.log" "$@" >"$T/authserver.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$AUTHPORT"
}

# auth_requests: every request the auth server received, one per line, escaped as wire.py does
auth_requests() {
	python3 - "$T/auth.log" <<'EOF'
import sys
sys.path.insert(0, __import__("os").environ["MP_TESTS"] + "/lib")
from wire import esc
data = open(sys.argv[1], "rb").read()
for req in data.split(b"\r\n\r\n")[:-1]:
    print(esc(req + b"\r\n\r\n"))
EOF
}
auth_last_request() { auth_requests | tail -n 1; }
auth_log_clear() { : >"$T/auth.log"; }

# ---- the proxy -----------------------------------------------------------------------

# mp_server NAME 'DIRECTIVES': a server{} block; listen lines are added by proxy_start
mp_server() {
	MP_SERVERS+=("$1")
	MP_BODIES+=("$2")
}

# port NAME [INST [inetd]]: the port of server NAME of proxy instance INST (default mp)
port() {
	local inst=${2:-mp} col=2
	if [ "${3:-}" = inetd ]; then col=3; fi
	awk -v n="$1" -v c="$col" '$1 == n { print $c; f = 1 } END { exit !f }' "$T/$inst/ports" ||
		{ echo "no server $1 in $inst" >&2; return 1; }
}

errlog() { echo "$T/${1:-mp}/error.log"; }

mp_write_conf() { # INST
	local dir=$T/$1 i n=${#MP_SERVERS[@]} ports
	read -r -a ports < <(free_ports $((2 * n)))
	: >"$dir/ports"
	{
		echo "# generated by tests/lib/common.bash; nginx main-context lines are ignored by mailproxy"
		echo "load_module $NGINX_MAIL_MODULE;"
		echo "user root;"
		echo "worker_processes 1;"
		echo "pid $dir/nginx.pid;"
		echo "error_log $dir/error.log info;"
		echo "events { worker_connections 256; }"
		echo "mail {"
		echo "    server_name mail.test;"
		echo "    auth_http 127.0.0.1:$AUTHPORT/auth;"
		echo "    auth_http_timeout 5s;"
		if [ -n "$MP_MAIL_EXTRA" ]; then echo "$MP_MAIL_EXTRA"; fi
		for ((i = 0; i < n; i++)); do
			echo "${MP_SERVERS[i]} ${ports[2 * i]} ${ports[2 * i + 1]}" >>"$dir/ports"
			echo "    server { # ${MP_SERVERS[i]}"
			echo "        listen 127.0.0.1:${ports[2 * i]};"
			echo "        listen 127.0.0.1:${ports[2 * i + 1]};"
			echo "        protocol imap;"
			echo "${MP_BODIES[i]}" | sed 's/^[[:space:]]*/        /; /^[[:space:]]*$/d'
			echo "    }"
		done
		echo "}"
	} >"$dir/proxy.conf"
}

# proxy_start [INST [KIND]]: KIND mailproxy (default, or $MAILPROXY_TARGET) or nginx
proxy_start() {
	local inst=${1:-mp} kind=${2:-$MAILPROXY_TARGET} dir=$T/${1:-mp} p l3=() li=()
	mkdir -p "$dir"
	mp_write_conf "$inst"
	echo "$kind" >"$dir/kind"
	: >"$dir/error.log"
	if [ "$kind" = nginx ]; then
		nginx -c "$dir/proxy.conf" -p "$dir/" -e "$dir/nginx-startup.log" -g 'daemon off;' \
			>"$dir/stderr.log" 2>&1 </dev/null 3>&- &
		track $!
	else
		[ -x "$MAILPROXY_BUILD/mailproxy" ] || { echo "no $MAILPROXY_BUILD/mailproxy" >&2; return 1; }
		tls_daemon_env "$inst"
		while read -r _ a b; do
			l3+=(-l "127.0.0.1:$a")
			li+=(-l "127.0.0.1:$b")
		done <"$dir/ports"
		systemd-socket-activate "${l3[@]}" -a "${TLS_ENV[@]}" "$MAILPROXY_BUILD/mailproxy" -c "$dir/proxy.conf" \
			>"$dir/ssa-fd3.log" 2>&1 </dev/null 3>&- &
		track $!
		systemd-socket-activate "${li[@]}" -a --inetd "${TLS_ENV[@]}" "$MAILPROXY_BUILD/mailproxy" -c "$dir/proxy.conf" \
			>"$dir/ssa-inetd.log" 2>&1 </dev/null 3>&- &
		track $!
	fi
	wait_listen $(awk '{ print $2, $3 }' "$dir/ports") ||
		{ cat "$dir"/*.log >&2; return 1; }
}

proxy_kind() { cat "$T/${1:-mp}/kind"; }

# tls_daemon_env INST [-E VAR=VALUE...]: the environment option for INST's handlers
# (TLS_ENV): with MP_TLS_DAEMON=1, start INST's mailproxy-tls daemon (with the given
# environment too) and point the handlers at it; otherwise keep them
# from asking any daemon (one installed on this machine reads another configuration)
tls_daemon_env() {
	local dir=$T/$1 i
	shift
	TLS_ENV=(-E "MAILPROXY_TLS_SOCKET=")
	[ "${MP_TLS_DAEMON:-0}" = 1 ] || return 0
	systemd-socket-activate -l "$dir/tls.sock" "$@" "$MAILPROXY_BUILD/mailproxy-tls" -D -c "$dir/proxy.conf" \
		>"$dir/ssa-tlsd.log" 2>&1 </dev/null 3>&- &
	track $!
	for ((i = 0; i < 100; i++)); do
		[ -S "$dir/tls.sock" ] && break
		sleep 0.05
	done
	# without the socket the handlers would quietly run a mailproxy-tls of their own
	[ -S "$dir/tls.sock" ] || { cat "$dir/ssa-tlsd.log" >&2; echo "no $dir/tls.sock" >&2; return 1; }
	TLS_ENV=(-E "MAILPROXY_TLS_SOCKET=$dir/tls.sock")
}

# skip_on_nginx REASON: for behaviour where mailproxy deliberately follows current nginx
# (doc/wire.md#nginx-fixes) and Debian's nginx 1.22 still has the old bug
skip_on_nginx() {
	[ "$(proxy_kind "${2:-mp}")" = nginx ] && skip "nginx 1.22: $1"
	return 0
}

# check_sanitizers: fail if a mailproxy run printed an ASan/UBSan report
check_sanitizers() {
	local f
	for f in "$T"/*/ssa-*.log; do
		[ -e "$f" ] || continue
		if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$f"; then
			echo "sanitizer report in $f:" >&2
			cat "$f" >&2
			return 1
		fi
	done
}

# ---- clients -------------------------------------------------------------------------

# wire PORT STEP...: see tests/lib/wire.py
wire() { python3 "$MP_TESTS/lib/wire.py" "$@"; }

# ---- teardown ------------------------------------------------------------------------

mp_cleanup() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	local pid i alive
	if [ -s "$T/pids" ]; then
		for pid in $(tac "$T/pids"); do
			grep -qx "$pid" "$T/masters" 2>/dev/null || pkill -TERM -P "$pid" 2>/dev/null
			kill -TERM "$pid" 2>/dev/null
		done
		for ((i = 0; i < 50; i++)); do
			alive=
			for pid in $(cat "$T/pids"); do
				if kill -0 "$pid" 2>/dev/null; then alive=1; fi
			done
			[ -z "$alive" ] && break
			sleep 0.05
		done
		for pid in $(cat "$T/pids"); do
			pkill -KILL -P "$pid" 2>/dev/null
			kill -KILL "$pid" 2>/dev/null
		done
	fi
	if [ "${MP_KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&3
	else
		rm -rf "$T"
	fi
}
