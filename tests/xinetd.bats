#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# xinetd.bats - mailproxy under xinetd, run in the foreground with exactly the service
# blocks "mailproxy -T xinetd" writes (the user changed to nobody), carrying an IMAP login
# to Dovecot; and the inetd.conf and xinetd text of -T for every listen parameter, none
# dropped without a word.  The xinetd run needs root: skipped loudly otherwise.

bats_require_minimum_version 1.5.0
load lib/common
load lib/burst
load lib/units

setup_file() {
	mp_init
	read -r PX PK < <(free_ports 2)
	export PX PK
}

teardown_file() { mp_cleanup; }

all_params_conf() {
	cat >"$T/all.conf" <<'EOF'
mail {
    auth_http 127.0.0.1:9/auth;
    server { listen 127.0.0.1:10143 backlog=17 rcvbuf=40000 sndbuf=98304 so_keepalive=5m:30:4; protocol imap; }
    server { listen 10143; listen 127.0.0.2:10143; listen [::]:10143; protocol imap; }
    server { listen unix:/run/mp.sock multipath; protocol pop3; }
    server { listen 993 ssl proxy_protocol; protocol imap; ssl_certificate /x.crt; ssl_certificate_key /x.key; }
}
EOF
}

@test "-T xinetd: one service per socket, what xinetd lacks said in the block and on stderr" {
	all_params_conf
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T xinetd -c "$T/all.conf"
	echo "$output"
	echo "$stderr"
	[ "$status" = 0 ]
	grep -q '^service mailproxy-imap-10143$' <<<"$output"
	grep -q '^service mailproxy-imap-10143-2$' <<<"$output"
	grep -q '^service mailproxy-imap-10143-3$' <<<"$output"
	grep -q '^service mailproxy-imaps$' <<<"$output"
	grep -qE '^\s+flags += IPv4 KEEPALIVE$' <<<"$output"
	grep -qE '^\s+bind += 127\.0\.0\.1$' <<<"$output"
	grep -qE "^\s+server += $MAILPROXY_BUILD/mailproxy\$" <<<"$output"
	grep -qE "^\s+server_args += -c $T/all.conf\$" <<<"$output"
	[ "$(grep -cE '^\s+bind += 127\.0\.0\.2$' <<<"$output")" = 0 ]	# served by *:10143, as in nginx
	grep -q "^# NOT APPLIED: backlog: " <<<"$output"
	[[ "$stderr" == *"[warn] \"backlog\" of \"listen 127.0.0.1:10143\" in $T/all.conf:3: "* ]]
	# what xinetd lacks for a connection, mailproxy sets on it (the test below)
	for p in rcvbuf sndbuf 'so_keepalive timers'; do
		grep -q "^# $p: set by mailproxy on each connection" <<<"$output"
		[[ "$stderr" != *"\"${p%% *}\" of"* ]]
	done
	[[ "$stderr" == *'[warn] "unix:" of "listen unix:/run/mp.sock"'* ]]
	[[ "$stderr" == *'[warn] "ipv6only" of "listen [::]:10143"'* ]]
	[ "$(grep -c 'NOT APPLIED' <<<"$output")" = "$(grep -c '\[warn\]' <<<"$stderr")" ]
}

# the lines of service NAME's block in OUTPUT
xinetd_block() { awk -v s="service $1" '$0 == s { p = 1 } p { print } p && /^}$/ { exit }' <<<"$2"; }

@test "-T xinetd: every service has instances, per_source and cps; behind proxy_protocol no per_source bound" {
	all_params_conf
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T xinetd -c "$T/all.conf"
	[ "$status" = 0 ]
	for svc in imap-10143 imap-10143-2 imap-10143-3 imaps; do
		block=$(xinetd_block "mailproxy-$svc" "$output")
		echo "$block"
		grep -qE '^\s+instances\s+= 1024$' <<<"$block"
		grep -qE '^\s+cps\s+= 1000 1$' <<<"$block"
	done
	grep -qE '^\s+per_source\s+= 256$' <<<"$(xinetd_block mailproxy-imap-10143 "$output")"
	# every client of a proxy_protocol listen has the balancer's address
	grep -qE '^\s+per_source\s+= UNLIMITED$' <<<"$(xinetd_block mailproxy-imaps "$output")"
}

@test "-T inetd: openbsd-inetd lines, what inetd lacks said in a comment and on stderr" {
	all_params_conf
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T inetd -c "$T/all.conf"
	echo "$output"
	echo "$stderr"
	[ "$status" = 0 ]
	tab=$'\t'
	grep -qxF "127.0.0.1:10143${tab}stream${tab}tcp4${tab}nowait.1000000000${tab}mailproxy${tab}$MAILPROXY_BUILD/mailproxy${tab}mailproxy -c $T/all.conf" <<<"$output"
	grep -qxF "10143${tab}stream${tab}tcp4${tab}nowait.1000000000${tab}mailproxy${tab}$MAILPROXY_BUILD/mailproxy${tab}mailproxy -c $T/all.conf" <<<"$output"
	grep -qxF "10143${tab}stream${tab}tcp6${tab}nowait.1000000000${tab}mailproxy${tab}$MAILPROXY_BUILD/mailproxy${tab}mailproxy -c $T/all.conf" <<<"$output"
	grep -qxF "/run/mp.sock${tab}stream${tab}unix${tab}nowait.1000000000${tab}mailproxy${tab}$MAILPROXY_BUILD/mailproxy${tab}mailproxy -c $T/all.conf" <<<"$output"
	[ "$(grep -c '^127\.0\.0\.2' <<<"$output")" = 0 ]
	grep -q "^# NOT APPLIED: backlog: " <<<"$output"
	[[ "$stderr" == *"[warn] \"backlog\" of \"listen 127.0.0.1:10143\""* ]]
	for p in rcvbuf sndbuf so_keepalive; do
		grep -q "^# $p: set by mailproxy on each connection" <<<"$output"
		[[ "$stderr" != *"\"$p\" of"* ]]
	done
	[[ "$stderr" == *'[warn] "multipath" of "listen unix:/run/mp.sock"'* ]]
	[ "$(grep -c 'NOT APPLIED' <<<"$output")" = "$(grep -c '\[warn\]' <<<"$stderr")" ]
}

@test "inetd style: mailproxy sets the listen line's keepalive and buffers on the connection" {
	local p
	read -r p < <(free_ports 1)
	cat >"$T/opts.conf" <<EOF
mail {
    auth_http 127.0.0.1:9/auth;
    server { listen 127.0.0.1:$p rcvbuf=40000 sndbuf=98304 so_keepalive=5m:30:4; protocol imap; }
}
EOF
	systemd-socket-activate -l "127.0.0.1:$p" -a --inetd "$MAILPROXY_BUILD/mailproxy" -c "$T/opts.conf" \
		>"$T/opts.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$p"
	run python3 "$MP_TESTS/lib/sockopts.py" "$p"
	echo "$output"
	[ "$output" = "keepalive=1 keepidle=300 keepintvl=30 keepcnt=4 rcvbuf=80000 sndbuf=196608" ]
}

@test "-T with an unknown kind is an error" {
	all_params_conf
	run --separate-stderr "$MAILPROXY_BUILD/mailproxy" -T upstart -c "$T/all.conf"
	[ "$status" = 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *'-T takes systemd, inetd, xinetd or systemd-accept, not "upstart"'* ]]
}

@test "xinetd runs the generated service: IMAP login to Dovecot, keepalive on the socket" {
	need_root "xinetd's user= (the generated service runs as an unprivileged user)"
	need_cmd xinetd cc
	dovecot_start
	authserver_start
	mkdir -p "$T/x"
	build_sockinfo "$T/x"
	# xinetd runs the service as nobody, who may not reach a build tree in a private
	# directory (a clone under mktemp -d is mode 700): the service runs copies
	mkdir -m 755 "$T/x/bin"
	for b in mailproxy mailproxy-relay mailproxy-tls; do
		[ ! -x "$MAILPROXY_BUILD/$b" ] || cp "$MAILPROXY_BUILD/$b" "$T/x/bin/"
	done
	: >"$T/x/error.log"
	mkdir -m 1777 "$T/x/asan"
	chmod 666 "$T/x/error.log"	# the service runs as nobody; under inetd stderr is the client
	cat >"$T/x/mailproxy.conf" <<EOF
error_log $T/x/error.log info;
mail {
    server_name mail.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;
    auth_http_timeout 5s;
    server { listen 127.0.0.1:$PX; protocol imap; }
    server { listen 127.0.0.1:$PK so_keepalive=on; protocol imap; }
}
EOF
	chmod 644 "$T/x/mailproxy.conf"
	"$T/x/bin/mailproxy" -T xinetd -c "$T/x/mailproxy.conf" >"$T/x/generated" 2>"$T/x/generated.err"
	[ ! -s "$T/x/generated.err" ]
	{
		printf 'defaults\n{\n\tlog_type = FILE %s/x/services.log\n' "$T"
		printf '\tlog_on_success = PID HOST EXIT\n\tlog_on_failure = HOST\n}\n'
		# the generated blocks as they are, but for the user (and, for the probe, the server)
		# under ASan (build-san): reports to a file, as stderr is the client's socket; no leak
		# check, as in systemd.bats: LeakSanitizer makes the relay exit 1 there, with no report
		sed -e 's/^\(\s*user\s*=\s*\)mailproxy$/\1nobody/' \
		    -e "s|^\(\s*server_args\s*=.*\)\$|\1\n\tenv = ASAN_OPTIONS=detect_leaks=0:log_path=$T/x/asan/report|" \
		    "$T/x/generated" |
			awk -v port="$PK" -v probe="$T/x/sockinfo" '
				/^service / { svc = $2 }
				svc == "mailproxy-imap-" port && $1 == "server" { print "\tserver = " probe; next }
				svc == "mailproxy-imap-" port && $1 == "server_args" { next }
				{ print }'
	} >"$T/x/xinetd.conf"
	cat "$T/x/xinetd.conf"
	xinetd -dontfork -f "$T/x/xinetd.conf" -filelog "$T/x/xinetd.log" >"$T/x/xinetd.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$PX" "$PK" || { cat "$T/x/xinetd.log" "$T/x/xinetd.stderr"; return 1; }

	python3 - "$PX" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
typ, _ = m.login("alice", "alicepass")
assert typ == "OK", typ
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
typ, data = m.fetch("2", "(BODY.PEEK[])")
assert typ == "OK" and b"test message 2" in data[0][1], (typ, data)
m.logout()
EOF
	run python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.makefile("rb").read().decode().strip())' "$PK"
	echo "$output"
	[[ "$output" == *"fd=0 local=127.0.0.1:$PK "* ]]
	[[ "$output" == *" keepalive=1 "* ]]
	[[ "$output" == *" uid=65534 "* ]]
	for ((i = 0; i < 100; i++)); do
		grep -q "EXIT: mailproxy-imap-$PX " "$T/x/services.log" && break
		sleep 0.05
	done
	cat "$T/x/services.log" "$T/x/error.log"
	grep -q "EXIT: mailproxy-imap-$PX status=0" "$T/x/services.log"
	cat "$T"/x/asan/* 2>/dev/null || true
	[ -z "$(ls "$T/x/asan")" ]
	! grep -E 'EXIT: .* status=[1-9]' "$T/x/services.log"
}

@test "xinetd keeps the -T xinetd service through a burst that stops one without cps; a broken configuration sends nothing" {
	need_root "xinetd's user="
	need_cmd xinetd
	local d=$T/burst p q n=300 port failed
	mkdir -p "$d"
	read -r p q < <(free_ports 2)
	printf 'mail {\n    auth_http 127.0.0.1:9/auth;\n    server { listen 127.0.0.1:%s; listen 127.0.0.1:%s; protocol imap; }\n}\n' \
		"$p" "$q" >"$d/mp.conf"
	"$MAILPROXY_BUILD/mailproxy" -T xinetd -c "$d/mp.conf" >"$d/generated" 2>"$d/generated.err"
	[ ! -s "$d/generated.err" ]
	{
		printf 'defaults\n{\n\tlog_type = FILE %s/services.log\n}\n' "$d"
		# root, as the user mailproxy need not exist here; the second service as it would be
		# without cps: xinetd's default, 50 a second, then 10 s stopped
		sed -e 's/^\(\s*user\s*=\s*\)mailproxy$/\1root/' "$d/generated" |
			awk -v q="mailproxy-imap-$q" '/^service / { svc = $2 } svc == q && $1 == "cps" { next } { print }'
	} >"$d/xinetd.conf"
	cat "$d/xinetd.conf"
	[ "$(grep -cE '^\s+cps\s+= 1000 1$' "$d/xinetd.conf")" = 1 ]
	xinetd -dontfork -f "$d/xinetd.conf" -filelog "$d/xinetd.log" >"$d/xinetd.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$p" "$q" || { cat "$d/xinetd.log" "$d/xinetd.stderr"; return 1; }
	for port in "$p" "$q"; do
		failed=$(burst "$port" "$n")
		echo "$n connections to $port: $failed failed"
	done
	burst_stopped "$q" "the service without cps"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$p"
	echo "after the burst, $p: $output"
	[ "${lines[0]}" = "b'* OK IMAP4 ready\\r\\n'" ]
	# xinetd makes the connection fd 2 as well: a broken file must not reach the client
	echo 'mail { server { listen 127.0.0.1:1; } ' >"$d/mp.conf"
	run python3 "$MP_TESTS/lib/inetd_client.py" "$p"
	echo "broken configuration, $p: $output"
	[ "$output" = "b''" ]
}
