#!/bin/sh
# SPDX-License-Identifier: ISC
# deps.sh - install the Debian 12 packages that building mailproxy and running its tests
# need.  Fast and silent when everything is present; otherwise, as root, one apt-get
# install (services the packages would start are kept stopped); not as root, it prints the
# command to run and exits 1.
#
# openbsd-inetd conflicts with xinetd (both provide inet-superserver) and the suites run
# both: its inetd is unpacked from the package, not installed, into $INETD_DIR, where
# tests/inetd.bats looks for it.  Its libraries are installed as packages.
set -eu

INETD_DIR=/usr/local/lib/mailproxy-tests/openbsd-inetd

PKGS="build-essential musl-tools libcurl4-openssl-dev libtls-dev libssl-dev libc-ares-dev
      bats python3 curl openssl mandoc clang libclang-rt-14-dev libfuzzer-14-dev
      dovecot-imapd dovecot-pop3d nginx libnginx-mod-mail postfix
      dovecot-managesieved sieve-connect
      systemd iproute2 procps xinetd dnsmasq-base
      libbsd0 libevent-2.1-7 libsystemd0 libtirpc3 libwrap0
      haproxy isync fetchmail swaks msmtp neomutt tmux
      debhelper dpkg-dev fakeroot lintian"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: not a Debian system; install the equivalents of:" $PKGS >&2
	exit 1
fi

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
	[ "$st" = installed ] || missing="$missing $p"
done
inetd=
[ -x "$INETD_DIR/usr/sbin/inetd" ] || inetd=openbsd-inetd
[ -z "$missing$inetd" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	[ -z "$missing" ] || echo "deps.sh: missing Debian packages:$missing" >&2
	[ -z "$missing" ] ||
		echo "deps.sh: run as root:  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	[ -z "$inetd" ] || echo "deps.sh: missing $INETD_DIR; run as root:  cd \$(mktemp -d) &&" \
		"apt-get download openbsd-inetd && dpkg-deb -x openbsd-inetd_*.deb $INETD_DIR" >&2
	exit 1
fi

unpack_inetd() {
	dl=$(mktemp -d)
	chown _apt "$dl" 2>/dev/null || true	# apt downloads as _apt where it can
	(cd "$dl" && apt-get download -q openbsd-inetd)
	mkdir -p "$INETD_DIR"
	dpkg-deb -x "$dl"/openbsd-inetd_*.deb "$INETD_DIR"
	rm -rf "$dl"
	echo "deps.sh: openbsd-inetd unpacked in $INETD_DIR"
}
if [ -z "$missing" ]; then
	apt-get update -q
	unpack_inetd
	exit 0
fi

echo "deps.sh: installing:$missing"
# keep postinst scripts from starting nginx or dovecot as system services
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT INT TERM
fi
export DEBIAN_FRONTEND=noninteractive
# postfix asks how to configure itself: the tests run private instances only
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
[ -z "$inetd" ] || unpack_inetd
