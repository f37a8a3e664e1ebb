#!/bin/bash
# SPDX-License-Identifier: ISC
# run-suites.sh BUILD_DIR: every bats suite against the binaries in BUILD_DIR, then one
# closing line "bats (BUILD_DIR): N passed, N failed, N skipped" that counts what ran.
#
# make check runs it twice, on the plain build and on the sanitizer build.  The suites of
# SAN_PLAIN_ONLY run in the plain pass only, each line saying why a sanitizer adds nothing
# to that suite; anything that feeds bytes to our C code runs in both passes, and so do
# the TLS suites run again through a mailproxy-tls daemon (MP_TLS_DAEMON=1): ASan for the
# long-lived daemon's memory, the plain pass for its and its children's system call
# filters, which the sanitizer build does not have.
set -u
build=$1
t=$(dirname "$0")
log=$build/bats.tap
mkdir -p "$build"

SAN_PLAIN_ONLY=(
	"package.bats: builds its own binaries (dpkg-buildpackage on a copy of the tree), not BUILD_DIR's"
	"lint.bats: tests/lint-bats.sh on bats files, no C code runs"
	"layers.bats: tests/layers.sh on lib/'s includes, no C code runs"
)

suites=("$t"/*.bats)
san=
if grep -q __asan_init "$build/mailproxy" 2>/dev/null; then san=1; fi
if [ -n "$san" ]; then
	for entry in "${SAN_PLAIN_ONLY[@]}"; do
		n=${#suites[@]}
		for i in "${!suites[@]}"; do
			if [ "${suites[i]##*/}" = "${entry%%:*}" ]; then unset 'suites[i]'; fi
		done
		# a renamed suite must not leave a stale line that skips nothing unnoticed
		[ "${#suites[@]}" -lt "$n" ] || { echo "run-suites.sh: no suite ${entry%%:*}" >&2; exit 1; }
		echo "run-suites.sh: not in the sanitizer pass: $entry"
	done
fi

# one test PKI for the whole pass, with backend_tls.bash's certificates: every TLS suite
# copies it (tests/lib/tls.bash)
pki=$(mktemp -d "${TMPDIR:-/tmp}/mailproxy-pki.XXXXXX") || exit 1
chmod 755 "$pki"	# copied with its mode: the services of systemd.bats read it
trap 'rm -rf "$pki"' EXIT
# shellcheck source=tests/lib/common.bash source=tests/lib/tls.bash source=tests/lib/backend_tls.bash
if ! (unset MP_PKI_CACHE && . "$t/lib/common.bash" && . "$t/lib/tls.bash" &&
	. "$t/lib/backend_tls.bash" && tls_pki "$pki" && PKI=$pki backend_certs); then
	echo "run-suites.sh: the test PKI could not be made" >&2
	exit 1
fi
export MP_PKI_CACHE=$pki

MAILPROXY_BUILD=$build bats --timing --print-output-on-failure "${suites[@]}" | tee "$log"
rc=${PIPESTATUS[0]}
# the TLS suites once more, every session through a mailproxy-tls daemon (tls_daemon.bats)
MP_TLS_DAEMON=1 MAILPROXY_BUILD=$build bats --timing --print-output-on-failure "$t/tls.bats" \
	"$t/tls_pop3_smtp.bats" "$t/proxy_v2_tls.bats" "$t/tls_resume.bats" "$t/backend_tls.bats" |
	tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
passed=$(( $(grep -cE '^ok [0-9]+' "$log") - skipped ))
failed=$(grep -cE '^not ok [0-9]+' "$log")
echo "bats ($build): $passed passed, $failed failed, $skipped skipped"
[ "$passed" -gt 0 ] || { echo "run-suites.sh: no test ran" >&2; exit 1; }
exit "$rc"
