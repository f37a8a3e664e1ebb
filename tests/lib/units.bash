# SPDX-License-Identifier: ISC
# units.bash - helpers for the suites that run mailproxy under real service managers
# (systemd.bats, xinetd.bats, install.bats).  Sourced after lib/common.
#
#   need_root WHAT           skip, loudly, unless root (fail instead when MP_NO_SKIP=1)
#   need_cmd CMD...          the same for missing commands
#   units_subst SRC DST BINDIR SYSCONFDIR
#                            copy units/ as "make install" does, with the paths filled in
#   units_copy DST [BIN]     units_subst for /etc, the binaries (and @LIBEXECDIR@) in BIN,
#                            default $MAILPROXY_BUILD
#   units_target DIR DESC    DIR/mptest.target, which wants every socket unit in DIR
#   build_sockinfo DIR       compile tests/lib/sockinfo.c into DIR/sockinfo
#   sd_verify FILE...        systemd-analyze verify: rc 0 and nothing printed, or fail

# A skipped root-only test hides a regression: say so on the terminal, not only in TAP,
# and let CI (MP_NO_SKIP=1) turn it into a failure.
loud_skip() {
	echo "# SKIPPED: $BATS_TEST_FILENAME: $*" >&3
	if [ "${MP_NO_SKIP:-0}" = 1 ]; then
		echo "MP_NO_SKIP=1 and: $*" >&2
		return 1
	fi
	skip "$*"
}

need_root() {
	[ "$(id -u)" = 0 ] || loud_skip "$1 needs root"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || loud_skip "$c is not installed"
	done
}

units_subst() { # SRC DST BINDIR SYSCONFDIR
	local f
	mkdir -p "$2"
	for f in "$1"/*; do
		sed -e "s|@BINDIR@|$3|g" -e "s|@SYSCONFDIR@|$4|g" "$f" >"$2/${f##*/}"
	done
}

units_copy() { # DST [BIN]
	local bin=${2:-$MAILPROXY_BUILD}
	units_subst "$MP_TESTS/../units" "$1" "$bin" /etc
	find "$1" -maxdepth 1 -type f -exec sed -i "s|@LIBEXECDIR@|$bin|g" {} +
}

units_target() { # DIR DESC
	local f
	{
		echo "[Unit]"
		echo "Description=$2"
		for f in "$1"/*.socket; do
			echo "Wants=${f##*/}"
			echo "After=${f##*/}"
		done
	} >"$1/mptest.target"
}

build_sockinfo() { # DIR
	mkdir -p "$1"
	cc -O2 -Wall -Wextra -Werror -o "$1/sockinfo" "$MP_TESTS/lib/sockinfo.c"
}

sd_verify() { # FILE...: the exit code alone says too little (see socket-activation.md 3)
	local out rc=0
	# a private /run: verify would touch /run/systemd/systemd-units-load on the host
	out=$(unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec systemd-analyze verify --man=no "$@"' \
		sh "$@" 2>&1) || rc=$?
	if [ "$rc" != 0 ] || [ -n "$out" ]; then
		echo "systemd-analyze verify (rc $rc):" >&2
		echo "$out" >&2
		return 1
	fi
}
