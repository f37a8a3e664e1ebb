#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# package.bats - the Debian package (debian/), built as README "Debian package" says:
# dpkg-buildpackage -us -uc -b, once for the suite, from a copy of the tree.  Checked: the
# .deb holds the programs, units, sysusers file, manual pages and configuration in Debian's
# places; lintian reports no error; installed into this system (dpkg -i), it enables and
# starts nothing and makes the user "mailproxy"; its own units, under a real systemd
# (tests/lib/sd-ns.sh), serve an IMAP login and an IMAPS one through the TLS daemon; purged
# there, it stops its sockets and daemon and leaves no file, link or directory behind.  It does not use MAILPROXY_BUILD: the package
# builds its own binaries.  Root only (dpkg): skipped loudly otherwise (MP_NO_SKIP=1 fails).
# It refuses to run where a mailproxy is installed already, package or not: it would
# overwrite it, then purge it.  About 40 s, most of it the package build.

bats_require_minimum_version 1.5.0
load lib/common
load lib/units
load lib/tls

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then return 0; fi
	# PrivateTmp= and ProtectHome= hide /tmp and /root from the services: what they read
	# (the test PKI, their log files) lives here
	PK_STAGE=$(mktemp -d /var/lib/mailproxy-pkgtest.XXXXXX)
	chmod 755 "$PK_STAGE"
	export PK_STAGE
	TMPDIR=$PK_STAGE mp_init
	PK_BUSY=
	if dpkg-query -W -f='${db:Status-Status}' mailproxy 2>/dev/null | grep -qx installed ||
	    [ -e /usr/sbin/mailproxy ] || [ -e /usr/lib/mailproxy ] || [ -e /etc/mailproxy ]; then
		PK_BUSY=1	# each test fails, saying why
		export PK_BUSY
		return 0
	fi
	# the logs directory an earlier suite's units made (systemd.bats runs them as the
	# installed units would), empty: the package's purge must be seen to take its own
	rmdir /var/log/mailproxy 2>/dev/null || true
	PK_MADE_USER=
	getent passwd mailproxy >/dev/null || PK_MADE_USER=1
	export PK_MADE_USER
	# a copy of the tree as git knows it, built where nothing else writes
	mkdir "$T/src"
	if ! (
		set -e
		cd "$MP_TESTS/.."
		git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$T/src"
		cd "$T/src"
		# as a packager builds it: not with make check's SAN=1, BUILD=... (MAKEFLAGS)
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
			DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b
	) >"$T/build.log" 2>&1; then
		echo "dpkg-buildpackage failed: $T/build.log" >"$T/build.failed"
	fi
	dovecot_start
	authserver_start
	read -r PK_IMAP PK_IMAPS < <(free_ports 2)
	export PK_IMAP PK_IMAPS
	tls_pki "$PK_STAGE/pki"
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	if [ -d "$T/sd" ]; then "$MP_TESTS/lib/sd-ns.sh" stop "$T/sd/state" 2>/dev/null || true; fi
	# a test that failed half-way leaves the package installed: take it away
	if [ -z "${PK_BUSY:-}" ] && dpkg-query -W mailproxy >/dev/null 2>&1; then
		dpkg --purge mailproxy >/dev/null 2>&1 || true
	fi
	if [ -n "${PK_MADE_USER:-}" ]; then
		userdel mailproxy 2>/dev/null || true
		groupdel mailproxy 2>/dev/null || true
	fi
	mp_cleanup
	case ${PK_STAGE:-} in /var/lib/mailproxy-pkgtest.*) rm -rf "$PK_STAGE" ;; esac
	return 0
}

setup() {
	need_root "dpkg -i and a real systemd as PID 1 of its own namespaces"
	need_cmd dpkg-buildpackage dh lintian unshare nsenter script
	[ -x /lib/systemd/systemd ] || loud_skip "no /lib/systemd/systemd"
	if [ -n "${PK_BUSY:-}" ]; then
		echo "a mailproxy is installed on this system (package, /usr/sbin/mailproxy," \
			"/usr/lib/mailproxy or /etc/mailproxy): not overwriting it" >&2
		return 1
	fi
	if [ -e "$T/build.failed" ]; then
		tail -n 40 "$T/build.log" >&2
		return 1
	fi
}

teardown() {
	if [ -s "$T/sd/state/pid1" ] && [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		cat "$T/sd/state/console.log" "$PK_STAGE"/*.log >&2 2>/dev/null
	fi
	return 0
}

deb() { echo "$T"/mailproxy_*_"$(dpkg --print-architecture)".deb; }

# dpkg_locked CMD...: CMD, waiting up to 60 s for a dpkg lock that apt elsewhere holds
dpkg_locked() {
	local i
	for ((i = 0; i < 60; i++)); do
		"$@" >"$T/dpkg.out" 2>&1 && return 0
		grep -q 'lock' "$T/dpkg.out" || break
		sleep 1
	done
	cat "$T/dpkg.out" >&2
	return 1
}

@test "dpkg-buildpackage builds mailproxy_*.deb with everything in Debian's places; lintian finds no error" {
	[ -f "$(deb)" ]
	run lintian --fail-on error "$T"/mailproxy_*.changes
	echo "$output"
	[ "$status" = 0 ]
	run ! grep -E '^E: ' <<<"$output"
	dpkg-deb -c "$(deb)" | awk '{ print $6 }' | sed 's|^\./|/|' | sort >"$T/contents"
	for f in /usr/sbin/mailproxy /usr/lib/mailproxy/mailproxy-relay \
	    /usr/lib/mailproxy/mailproxy-tls /usr/lib/mailproxy/mailproxy-full \
	    /lib/systemd/system/mailproxy@.service /lib/systemd/system/mailproxy-tls.service \
	    /lib/systemd/system/mailproxy-tls.socket /lib/systemd/system/mailproxy@imap.socket \
	    /lib/systemd/system/mailproxy@imaps.socket /lib/systemd/system/mailproxy@pop3.socket \
	    /lib/systemd/system/mailproxy@pop3s.socket /lib/systemd/system/mailproxy@smtp.socket \
	    /lib/systemd/system/mailproxy@smtps.socket /lib/systemd/system/mailproxy@submission.socket \
	    /usr/lib/sysusers.d/mailproxy.conf /usr/share/man/man5/mailproxy.conf.5.gz \
	    /usr/share/man/man8/mailproxy.8.gz /usr/share/man/man8/mailproxy-relay.8.gz \
	    /usr/share/man/man8/mailproxy-tls.8.gz /etc/mailproxy/mailproxy.conf \
	    /usr/share/doc/mailproxy/examples/mailproxy.conf /usr/share/doc/mailproxy/copyright; do
		grep -qxF "$f" "$T/contents" || { echo "missing: $f" >&2; return 1; }
	done
	# nothing of make install's /usr/local, and the example is the conffile
	run ! grep -E '^/usr/local|\.example$' "$T/contents"
	[ "$(dpkg-deb -f "$(deb)" Package)" = mailproxy ]
	dpkg-deb --ctrl-tarfile "$(deb)" | tar -xO ./conffiles | grep -qx /etc/mailproxy/mailproxy.conf
	# the units name the installed paths
	dpkg-deb --fsys-tarfile "$(deb)" | tar -xO ./lib/systemd/system/mailproxy-tls.service |
		grep -qx 'ExecStart=/usr/lib/mailproxy/mailproxy-tls -D -c /etc/mailproxy/mailproxy.conf'
}

@test "dpkg -i: the user is made, no unit is enabled or started, the programs run" {
	[ -f "$(deb)" ]
	find /etc/systemd/system -name 'mailproxy*' >"$T/links.before" 2>/dev/null || true
	dpkg_locked dpkg -i "$(deb)"
	dpkg-query -W -f='${db:Status-Status}' mailproxy | grep -qx installed
	getent passwd mailproxy
	# no enablement link appeared: the admin enables sockets
	find /etc/systemd/system -name 'mailproxy*' >"$T/links.after" 2>/dev/null || true
	diff "$T/links.before" "$T/links.after"
	/usr/sbin/mailproxy -v
	# the shipped configuration is the example, and it passes the check
	cmp /etc/mailproxy/mailproxy.conf "$MP_TESTS/../mailproxy.conf.example"
	/usr/sbin/mailproxy -t -c /etc/mailproxy/mailproxy.conf
	# the per-connection programs do not link libsystemd; the TLS daemon loads it
	for b in /usr/sbin/mailproxy /usr/lib/mailproxy/mailproxy-relay /usr/lib/mailproxy/mailproxy-tls \
	    /usr/lib/mailproxy/mailproxy-full; do
		[ -z "$(readelf -d "$b" | grep libsystemd)" ]
	done
}

@test "the package's own units serve IMAP and IMAPS (through the TLS daemon) under systemd" {
	dpkg-query -W -f='${db:Status-Status}' mailproxy | grep -qx installed
	cat >/etc/mailproxy/mailproxy.conf <<EOF
# package.bats
mail {
    server_name mail.test;
    auth_http 127.0.0.1:$AUTHPORT/auth;
    server {
        listen 127.0.0.1:$PK_IMAP;
        protocol imap;
    }
    server {
        listen 127.0.0.1:$PK_IMAPS ssl;
        protocol imap;
        ssl_certificate $PK_STAGE/pki/server.crt;
        ssl_certificate_key $PK_STAGE/pki/server.key;
    }
}
EOF
	/usr/sbin/mailproxy -t
	# the installed units as they are, with test drop-ins: the sockets on test ports, and
	# stderr to files (there is no journald here)
	local u=$T/sd/units
	mkdir -p "$u"
	cp /lib/systemd/system/mailproxy* "$u/"
	mkdir "$u/mailproxy@imap.socket.d" "$u/mailproxy@imaps.socket.d" "$u/mailproxy@.service.d" \
		"$u/mailproxy-tls.service.d"
	printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$PK_IMAP" >"$u/mailproxy@imap.socket.d/test.conf"
	printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$PK_IMAPS" >"$u/mailproxy@imaps.socket.d/test.conf"
	printf '[Service]\nStandardError=append:%s/handler.log\n' "$PK_STAGE" >"$u/mailproxy@.service.d/test.conf"
	printf '[Service]\nStandardError=append:%s/tlsd.log\n' "$PK_STAGE" >"$u/mailproxy-tls.service.d/test.conf"
	printf '[Unit]\nWants=mailproxy@imap.socket mailproxy@imaps.socket mailproxy-tls.socket\n' >"$u/pktest.target"
	"$MP_TESTS/lib/sd-ns.sh" start "$T/sd/state" "$u" pktest.target
	python3 - "$PK_IMAP" "$PK_IMAPS" "$PK_STAGE/pki/ca.crt" <<'EOF'
import imaplib, ssl, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
m.logout()
ctx = ssl.create_default_context(cafile=sys.argv[3])
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[2]), ssl_context=ctx, timeout=10)
assert m.login("alice", "alicepass")[0] == "OK"
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"2"], (typ, data)
m.logout()
print("imap and imaps logins ok")
EOF
	ctl() { "$MP_TESTS/lib/sd-ns.sh" ctl "$T/sd/state" "$@"; }
	# the daemon served the IMAPS session, and reloads as a Type=notify service
	grep 'serving the 1 TLS servers of /etc/mailproxy/mailproxy.conf' "$PK_STAGE/tlsd.log"
	run ! grep -E 'declined|did not answer' "$PK_STAGE/handler.log"
	[ "$(ctl systemctl show -p Type --value mailproxy-tls.service)" = notify ]
	ctl systemctl reload mailproxy-tls.service
	for ((i = 0; i < 100; i++)); do
		grep -q 'reloaded /etc/mailproxy/mailproxy.conf' "$PK_STAGE/tlsd.log" && break
		sleep 0.02
	done
	grep 'reloaded /etc/mailproxy/mailproxy.conf' "$PK_STAGE/tlsd.log"
	# LogsDirectory= made the logs directory that purge must take away
	[ -d /var/log/mailproxy ]
	# systemd stays up for the next test: the package is purged under it
}

@test "dpkg --purge, run where systemd runs: the sockets stop, and nothing is left behind" {
	dpkg-query -W -f='${db:Status-Status}' mailproxy | grep -qx installed
	[ -s "$T/sd/state/pid1" ]
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)' "$PK_IMAP"
	dpkg-query -L mailproxy | sort >"$T/owned"
	# an admin's enablement link (systemctl enable mailproxy@imap.socket) goes too
	local wants=/etc/systemd/system/sockets.target.wants made=
	[ -d "$wants" ] || { mkdir -p "$wants"; made=1; }
	ln -sf /lib/systemd/system/mailproxy@imap.socket "$wants/mailproxy@imap.socket"
	# in systemd's namespaces, where /run/systemd/system exists: prerm stops the units.  A
	# container image's policy-rc.d (Docker's says 101: no service actions) is hidden in a
	# mount namespace of its own, so that dpkg acts as on a host without one
	printf '#!/bin/sh\nexit 0\n' >"$T/policy-rc.d"
	chmod 755 "$T/policy-rc.d"
	dpkg_locked "$MP_TESTS/lib/sd-ns.sh" ctl "$T/sd/state" unshare -m sh -c '
		[ ! -e /usr/sbin/policy-rc.d ] || mount --bind "$1" /usr/sbin/policy-rc.d
		exec dpkg --purge mailproxy' sh "$T/policy-rc.d"
	run ! python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)' "$PK_IMAP"
	run ! "$MP_TESTS/lib/sd-ns.sh" ctl "$T/sd/state" systemctl is-active -q mailproxy-tls.service
	"$MP_TESTS/lib/sd-ns.sh" stop "$T/sd/state"
	if [ -n "$made" ]; then rmdir "$wants" 2>/dev/null || true; fi
	run ! dpkg-query -W mailproxy
	# every file it had is gone, and every directory that was its own
	while read -r f; do
		[ -d "$f" ] && continue		# shared directories (/usr/sbin, /etc, ...)
		if [ -e "$f" ] || [ -L "$f" ]; then echo "left: $f" >&2; return 1; fi
	done <"$T/owned"
	for d in /etc/mailproxy /usr/lib/mailproxy /usr/share/doc/mailproxy /var/log/mailproxy \
	    /var/log/private/mailproxy "$wants/mailproxy@imap.socket"; do
		if [ -e "$d" ] || [ -L "$d" ]; then echo "left: $d" >&2; return 1; fi
	done
	[ -z "$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-helper-masked -name '*mailproxy*' 2>/dev/null)" ]
}
