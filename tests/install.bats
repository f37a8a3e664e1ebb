#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# install.bats - "make install DESTDIR=... PREFIX=/usr" lays out the binaries, the units
# with the installed paths in them, the man pages and the example configuration, and
# systemd-analyze verify --root finds nothing to say about the installed units.
# MP_INSTALL_MAKEFLAGS adds make arguments.

load lib/common
load lib/units

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup_file() {
	mp_init
	STAGE=$T/stage
	export STAGE
	# the programs under test, installed from a copy: objects compile the installation
	# paths in, so PREFIX=/usr would rebuild MAILPROXY_BUILD for /usr under the suites
	# that follow (and without make check's SAN=1, which MAKEFLAGS passes, unsanitized);
	# PROGS= builds nothing, MUSL_CC= when the build has no musl handler
	local b=$T/build p musl=()
	stat -c '%n %s %Y' "$MAILPROXY_BUILD"/mailproxy* "$MAILPROXY_BUILD"/paths.stamp >"$T/build.before"
	mkdir "$b"
	for p in mailproxy mailproxy-relay mailproxy-accept mailproxy-tls mailproxy-full; do
		[ ! -e "$MAILPROXY_BUILD/$p" ] || cp -p "$MAILPROXY_BUILD/$p" "$b/" || return 1
	done
	[ -e "$b/mailproxy-full" ] || musl=(MUSL_CC=)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/usr BUILD="$b" PROGS= "${musl[@]}" \
		${MP_INSTALL_MAKEFLAGS:-} >"$T/install.log" 2>&1 || { cat "$T/install.log" >&2; return 1; }
}

teardown_file() { mp_cleanup; }

@test "the tree: binaries, units, man pages, example configuration" {
	find "$STAGE" -type f -printf '%P\n' | sort
	[ -x "$STAGE/usr/sbin/mailproxy" ]
	[ -x "$STAGE/usr/lib/mailproxy/mailproxy-relay" ]
	[ -x "$STAGE/usr/lib/mailproxy/mailproxy-tls" ]
	# the static handler's fuller build, when there is one (musl builds)
	[ ! -x "$MAILPROXY_BUILD/mailproxy-full" ] || [ -x "$STAGE/usr/lib/mailproxy/mailproxy-full" ]
	[ -f "$STAGE/usr/share/man/man8/mailproxy.8" ]
	[ -f "$STAGE/usr/share/man/man8/mailproxy-relay.8" ]
	[ -f "$STAGE/usr/share/man/man8/mailproxy-tls.8" ]
	[ -f "$STAGE/usr/share/man/man5/mailproxy.conf.5" ]
	[ -f "$STAGE/etc/mailproxy/mailproxy.conf.example" ]
	[ -f "$STAGE/usr/lib/systemd/system/mailproxy@.service" ]
	[ -f "$STAGE/usr/lib/systemd/system/mailproxy-tls.service" ]
	[ -f "$STAGE/usr/lib/systemd/system/mailproxy-tls.socket" ]
	for s in imap imaps pop3 pop3s smtp smtps submission sieve; do
		[ -f "$STAGE/usr/lib/systemd/system/mailproxy@$s.socket" ]
	done
	# the high-rate mode: its launcher, its template and its IMAP socket
	[ -x "$STAGE/usr/lib/mailproxy/mailproxy-accept" ]
	[ -f "$STAGE/usr/lib/systemd/system/mailproxy-accept@.service" ]
	[ -f "$STAGE/usr/lib/systemd/system/mailproxy-accept@imap.socket" ]
	for u in mailproxy@.service mailproxy-tls.service mailproxy-tls.socket; do
		[ "$(stat -c %a "$STAGE/usr/lib/systemd/system/$u")" = 644 ]
	done
	[ "$(stat -c %a "$STAGE/usr/lib/sysusers.d/mailproxy.conf")" = 644 ]
}

@test "make install left the build under test alone: no program or paths stamp rewritten" {
	stat -c '%n %s %Y' "$MAILPROXY_BUILD"/mailproxy* "$MAILPROXY_BUILD"/paths.stamp >"$T/build.after"
	diff "$T/build.before" "$T/build.after"
}

@test "sysusers.d: the user mailproxy that the units run as and that owns the TLS daemon's socket" {
	need_cmd systemd-sysusers
	# into the stage only (DESTDIR): make install left the running system alone
	mkdir -p "$STAGE/etc"
	systemd-sysusers --root="$STAGE"
	run grep '^mailproxy:' "$STAGE/etc/passwd"
	echo "$output"
	[[ "$output" == mailproxy:x:*:*:'mailproxy mail proxy':/:/usr/sbin/nologin ]]
	grep -q '^mailproxy:' "$STAGE/etc/group"
	# the units name that user, and the socket is the user's alone (root may always connect)
	u=$STAGE/usr/lib/systemd/system
	grep -qx 'User=mailproxy' "$u/mailproxy@.service"
	grep -qx 'User=mailproxy' "$u/mailproxy-tls.service"
	grep -qx 'SocketUser=mailproxy' "$u/mailproxy-tls.socket"
	grep -qx 'SocketGroup=mailproxy' "$u/mailproxy-tls.socket"
	grep -qx 'SocketMode=0600' "$u/mailproxy-tls.socket"
	# keys are loaded into the TLS daemon only: the handler's unit names no credential
	run grep -c '^#\?LoadCredential=' "$u/mailproxy@.service"
	[ "$output" = 0 ]
	grep -q '^#LoadCredential=mail.key:' "$u/mailproxy-tls.service"
}

@test "the installed units name the installed paths" {
	run grep -h '^ExecStart=' "$STAGE/usr/lib/systemd/system/mailproxy@.service"
	[ "$output" = "ExecStart=/usr/sbin/mailproxy -c /etc/mailproxy/mailproxy.conf" ]
	# the TLS daemon: installed in libexec, reading the same configuration
	run grep -h '^ExecStart=' "$STAGE/usr/lib/systemd/system/mailproxy-tls.service"
	[ "$output" = "ExecStart=/usr/lib/mailproxy/mailproxy-tls -D -c /etc/mailproxy/mailproxy.conf" ]
	# where the handler looks for the daemon (lib/wire/tlsd_req.h)
	grep -qx 'ListenStream=/run/mailproxy/tls.sock' "$STAGE/usr/lib/systemd/system/mailproxy-tls.socket"
	! grep -r '@[A-Z]*@' "$STAGE/usr/lib/systemd/system"
}

@test "systemd-analyze verify --root: every installed unit, nothing printed" {
	need_cmd systemd-analyze unshare
	[ "$(id -u)" = 0 ] || loud_skip "a private /run for systemd-analyze needs root"
	# the targets the units depend on, as any installed system has them
	mkdir -p "$STAGE/etc/systemd/system"
	for t in sysinit basic sockets shutdown local-fs network network-online multi-user \
	    paths timers slices; do
		printf '[Unit]\nDescription=stand-in\n' >"$STAGE/etc/systemd/system/$t.target"
	done
	# and the system's own commands they run (ExecReload=/bin/kill)
	install -D /bin/kill "$STAGE/bin/kill"
	units=()
	for f in "$STAGE"/usr/lib/systemd/system/*; do
		units+=("/usr/lib/systemd/system/${f##*/}")
	done
	sd_verify --root="$STAGE" "${units[@]}"
}

@test "the example configuration passes mailproxy -t" {
	run "$STAGE/usr/sbin/mailproxy" -t -c "$STAGE/etc/mailproxy/mailproxy.conf.example"
	echo "$output"
	[ "$status" = 0 ]
}

@test "the installed mailproxy(8) and mailproxy.conf(5) render" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	mandoc -Tutf8 "$STAGE/usr/share/man/man8/mailproxy.8" | grep -q 'T systemd'
	mandoc -Tutf8 "$STAGE/usr/share/man/man5/mailproxy.conf.5" | grep -q 'auth_http'
}
