# SPDX-License-Identifier: ISC
# sd_suite.bash - the set-up of a suite whose mailproxy runs under a real systemd of its
# own (lib/sd-ns.sh, in the host's network namespace, to reach the test Dovecot and auth
# server on loopback): systemd.bats and launcher.bats.  Sourced after lib/common and
# lib/units.  Root only: each suite's setup_file returns early without root, and sd_need
# skips its tests loudly.
#
#   sd_stage            (setup_file) the binaries of $MAILPROXY_BUILD copied to $SD_STAGE
#                       under /var/lib, where MAILPROXY_BUILD then points (the services
#                       have ProtectSystem=strict and PrivateTmp=, and CI may clone the tree
#                       under /tmp); mp_init with $T inside it, dovecot_start,
#                       authserver_start; $S = $T/sd, readable by the services' users
#   sd_user             (setup_file) the static system user mailproxy that the units run
#                       as, as "make install" creates it (PID 1 here reads this host's
#                       /etc/passwd); SD_MADE_USER=1 when this suite made it
#   sd_unstage          (teardown_file) stops the systemd, removes the units' empty
#                       LogsDirectory /var/log/mailproxy, mp_cleanup, $SD_STAGE and the user
#                       if this suite made it
#   sd_need             (setup) root, the commands and /lib/systemd/systemd, or skip loudly
#   sd_stop [FILE...]   (teardown) stop the systemd; after a failed test that booted it,
#                       first show its console log and each FILE
#   boot                start the systemd on $S/units with mptest.target
#   ctl CMD...          CMD in its mount and pid namespaces (systemctl, ps)

sd_stage() {
	local b
	SD_STAGE=$(mktemp -d /var/lib/mailproxy-test.XXXXXX)
	chmod 755 "$SD_STAGE"
	for b in mailproxy mailproxy-relay mailproxy-tls mailproxy-accept; do
		[ ! -x "$MAILPROXY_BUILD/$b" ] || cp "$MAILPROXY_BUILD/$b" "$SD_STAGE/"
	done
	MAILPROXY_BUILD=$SD_STAGE
	export MAILPROXY_BUILD SD_STAGE
	mkdir -p "$SD_STAGE/test-tmp"
	chmod 755 "$SD_STAGE/test-tmp"
	TMPDIR=$SD_STAGE/test-tmp mp_init
	dovecot_start
	authserver_start
	S=$T/sd
	mkdir -p "$S"
	chmod 755 "$S"
	export S
}

sd_user() {
	SD_MADE_USER=
	if ! getent passwd mailproxy >/dev/null; then
		SD_MADE_USER=1
		systemd-sysusers "$MP_TESTS/../units/mailproxy.sysusers"
	fi
	export SD_MADE_USER
}

sd_unstage() {
	[ -n "${T:-}" ] || return 0
	if [ -n "${S:-}" ]; then "$MP_TESTS/lib/sd-ns.sh" stop "$S/state" 2>/dev/null || true; fi
	rmdir /var/log/mailproxy 2>/dev/null || true
	mp_cleanup
	case ${SD_STAGE:-} in /var/lib/mailproxy-test.*) rm -rf "$SD_STAGE" ;; esac
	if [ -n "${SD_MADE_USER:-}" ]; then
		userdel mailproxy 2>/dev/null || true
		groupdel mailproxy 2>/dev/null || true	# userdel may have taken it already
	fi
	return 0
}

sd_need() {
	need_root "a real systemd as PID 1 of its own namespaces"
	need_cmd unshare nsenter script systemd-analyze ss
	[ -x /lib/systemd/systemd ] || loud_skip "no /lib/systemd/systemd"
}

sd_stop() { # [FILE...]
	local f
	[ -n "${S:-}" ] || return 0
	if [ -s "$S/state/pid1" ] && [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		echo "--- console.log" >&2
		cat "$S/state/console.log" >&2
		for f in "$@"; do
			echo "--- ${f##*/}" >&2
			cat "$f" >&2 2>/dev/null
		done
	fi
	"$MP_TESTS/lib/sd-ns.sh" stop "$S/state"
	rm -f "$S/state/pid1"
}

boot() { "$MP_TESTS/lib/sd-ns.sh" start "$S/state" "$S/units" mptest.target; }

# Every wait of these suites is bounded and fails the test with a message: a client that
# hangs, a systemctl that never answers, a job that never ends.  ctl CMD...: CMD in the
# systemd's namespaces, at most 120 s (a restart waits for its job, which the unit's own
# 90 s stop timeout bounds)
ctl() {
	local rc
	if timeout -k 5 120 "$MP_TESTS/lib/sd-ns.sh" ctl "$S/state" "$@"; then return 0; else rc=$?; fi
	if [ "$rc" = 124 ]; then echo "ctl $*: no answer in 120 s" >&2; fi
	return "$rc"
}

# wait_job PID [SECONDS]: the status of this test's background job PID, waited for at
# most SECONDS (30); one still running then is killed, and the test fails saying so
wait_job() {
	local i
	for ((i = 0; i < ${2:-30} * 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "background job $1 still running after ${2:-30} s: killed" >&2
		kill -KILL "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
		return 1
	fi
	wait "$1"
}
