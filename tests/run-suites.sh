#!/bin/bash
# SPDX-License-Identifier: ISC
# run-suites.sh BUILD_DIR: every bats suite against the binaries in BUILD_DIR, the TLS
# suites again through a mailproxy-tls daemon, then one closing line
# "bats (BUILD_DIR): N passed, N failed, N skipped" that counts what ran.
set -u
build=$1
log=$build/bats.tap
mkdir -p "$build"
MAILPROXY_BUILD=$build bats --print-output-on-failure "$(dirname "$0")"/*.bats | tee "$log"
rc=${PIPESTATUS[0]}
# the TLS suites once more, every session through a mailproxy-tls daemon (tls_daemon.bats)
t=$(dirname "$0")
MP_TLS_DAEMON=1 MAILPROXY_BUILD=$build bats --print-output-on-failure "$t/tls.bats" \
	"$t/tls_pop3_smtp.bats" "$t/proxy_v2_tls.bats" "$t/tls_resume.bats" "$t/backend_tls.bats" | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
passed=$(( $(grep -cE '^ok [0-9]+' "$log") - skipped ))
failed=$(grep -cE '^not ok [0-9]+' "$log")
echo "bats ($build): $passed passed, $failed failed, $skipped skipped"
[ "$passed" -gt 0 ] || { echo "run-suites.sh: no test ran" >&2; exit 1; }
exit "$rc"
