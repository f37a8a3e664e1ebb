#!/bin/sh
# SPDX-License-Identifier: ISC
# sd-ns.sh - a throw-away, real systemd (PID 1 of its own pid, mount, uts, ipc and cgroup
# namespaces) for socket-activation tests on hosts whose PID 1 is not systemd, or is one we
# must not touch.  It sees only the units in UNITDIR plus empty stand-ins for the targets
# that DefaultDependencies= pulls in, has a private /run, and logs to STATE/console.log.
# Root only.  doc/testing.md#sd-ns explains how it works and why.
#
#   sd-ns.sh start STATE UNITDIR TARGET   boot, start TARGET, return once it is active
#   sd-ns.sh ctl   STATE CMD...           run CMD in its mount and pid namespaces (systemctl)
#   sd-ns.sh net   STATE CMD...           run CMD in its network namespace
#   sd-ns.sh stop  STATE                  kill everything in it and remove its cgroup
#
# Environment: SD_NS_PRIVATE_NET=1 gives it a network namespace of its own (lo only);
# SD_LOG_LEVEL=debug logs more; SD_NS_TIMEOUT (seconds, default 10) bounds the boot.
set -eu
SELF=$(realpath "$0")
cmd=${1:?usage: sd-ns.sh start|ctl|net|stop STATE ...}
STATE=$(realpath -m "${2:?STATE directory}")
shift 2

case $cmd in
start)
	UNITDIR=$(realpath "$1")
	TARGET=$2
	mkdir -p "$STATE/empty" "$STATE/stubs"
	# instances of Accept=yes sockets Require sysinit.target: empty stand-ins will do
	for t in sysinit basic sockets shutdown local-fs network network-online multi-user \
	    paths timers slices; do
		printf '[Unit]\nDescription=stand-in %s.target\n' "$t" >"$STATE/stubs/$t.target"
	done
	if [ -d /sys/fs/cgroup/unified ]; then cgroot=/sys/fs/cgroup/unified; else cgroot=/sys/fs/cgroup; fi
	CG=$cgroot/sd-ns-$$
	mkdir "$CG"
	echo "$CG" >"$STATE/cgroup"
	: >"$STATE/console.log"
	# script(1) gives systemd a pty for /dev/console: it logs only to a terminal
	script -qfec "exec '$SELF' _inner '$STATE' '$UNITDIR' '$TARGET' '$CG'" "$STATE/console.log" \
	    </dev/null >/dev/null 2>&1 &
	S=$!
	deadline=$(($(date +%s) + ${SD_NS_TIMEOUT:-10}))
	while :; do
		if [ -s "$STATE/unshare.pid" ] && P=$(pgrep -P "$(cat "$STATE/unshare.pid")") &&
		    echo "$P" >"$STATE/pid1" &&
		    nsenter -t "$P" -m -p systemctl is-active -q "$TARGET" 2>/dev/null; then
			exit 0
		fi
		st=$(cut -d' ' -f3 "/proc/$S/stat" 2>/dev/null || echo X)
		if [ "$st" = Z ] || [ "$st" = X ] || [ "$(date +%s)" -ge "$deadline" ]; then
			echo "sd-ns: $TARGET is not active; console.log:" >&2
			cat "$STATE/console.log" >&2
			"$SELF" stop "$STATE"
			exit 1
		fi
		sleep 0.02
	done
	;;
_inner)	# under script(1): standard input, output and error are the pty
	UNITDIR=$1 TARGET=$2 CG=$3
	echo $$ >"$CG/cgroup.procs"	# the new cgroup namespace is rooted here
	echo $$ >"$STATE/unshare.pid"
	NET=
	[ "${SD_NS_PRIVATE_NET:-0}" = 1 ] && NET=--net
	exec unshare --mount --uts --ipc --pid --cgroup $NET --fork --kill-child --mount-proc sh -c '
		set -e
		mount -t tmpfs -o mode=755 tmpfs /run	# the host never sees /run/systemd/system
		[ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
		umount -R /sys/fs/cgroup 2>/dev/null || true
		mount -t cgroup2 cgroup2 /sys/fs/cgroup	# rooted at our own sub-cgroup
		mount --bind "$(tty)" /dev/console
		export container=sd-ns SYSTEMD_UNIT_PATH="$1:$2/stubs" \
		    SYSTEMD_GENERATOR_PATH=$2/empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$2/empty
		exec /lib/systemd/systemd --system --unit="$3" --show-status=no \
		    --log-target=console --log-color=no --log-level="${SD_LOG_LEVEL:-info}"
	' sh "$UNITDIR" "$STATE" "$TARGET"
	;;
ctl)
	exec nsenter -t "$(cat "$STATE/pid1")" -m -p "$@"
	;;
net)
	exec nsenter -t "$(cat "$STATE/pid1")" -n "$@"
	;;
stop)
	# unshare --fork ignores SIGTERM; SIGKILL makes --kill-child kill our PID 1, and the
	# kernel then kills the whole pid namespace
	if [ -s "$STATE/unshare.pid" ]; then
		kill -KILL "$(cat "$STATE/unshare.pid")" 2>/dev/null || true
	fi
	CG=$(cat "$STATE/cgroup" 2>/dev/null) || exit 0
	[ -e "$CG/cgroup.kill" ] && { echo 1 >"$CG/cgroup.kill"; } 2>/dev/null || true
	i=0
	while [ -d "$CG" ] && ! find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 500 ] || { echo "sd-ns: cannot remove $CG" >&2; exit 1; }
		sleep 0.01
	done
	rm -f "$STATE/cgroup" "$STATE/unshare.pid"
	;;
*)
	echo "usage: sd-ns.sh start|ctl|net|stop STATE ..." >&2
	exit 2
	;;
esac
