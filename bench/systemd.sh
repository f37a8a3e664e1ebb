#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/systemd.sh BUILD_DIR: what a connection costs as users run mailproxy, the whole
# launcher counted.  IMAP login cycles (bench/loadgen) through mailproxy under a real
# systemd 252 as PID 1 of its own namespaces (tests/lib/sd-ns.sh, with journald), once with
# units/mailproxy@.service and mailproxy@imap.socket as installed (only the port and the
# paths changed) and once with a bare template (ExecStart= alone); beside it, in the same
# interleaved run, mailproxy under systemd-socket-activate, xinetd, openbsd-inetd and
# tcpserver where they are installed, and nginx's mail proxy.  Every contender runs in a
# cgroup of its own; the CPU counted is the cgroup's usage_usec (cpu.stat) over the run:
# for systemd that is PID 1, journald and every instance, for the others the launcher and
# everything it started.  The backend and the auth server are outside all of them.
# Root only.  `make bench-systemd` runs it.
#   BENCH_QUICK=1   1 s per point, one round;  BENCH_KEEP=1   keep the work directory
#   BENCH_SD_CONC="1 16"   the concurrencies (16)
#   BENCH_SD_DUR=S BENCH_SD_ROUNDS=N   seconds per point (3) and rounds (2)
#   BENCH_SD_ONLY="nginx ssa xinetd obsdinetd tcpserver sd sdbare sdaccept"   a subset (all)
#   BENCH_SD_ALT="FILE..."   more rows: these service templates, under the same systemd
#   BENCH_SD_DIRECTIVES=1    more rows: the bare template plus one sandbox line of the
#                            shipped unit each, to see what each line costs (=FILE:
#                            the lines of that template instead)
#   BENCH_OBSD_INETD=PATH    openbsd-inetd's inetd, where apt installed xinetd instead
set -u
BUILD=$(realpath "${1:?usage: bench/systemd.sh BUILD_DIR}")
TOP=$(cd "$(dirname "$0")/.." && pwd)
QUICK=${BENCH_QUICK:-0}
MAILMOD=/usr/lib/nginx/modules/ngx_mail_module.so
if [ "$QUICK" = 1 ]; then DUR=1; ROUNDS=1; else DUR=3; ROUNDS=2; fi
DUR=${BENCH_SD_DUR:-$DUR}
ROUNDS=${BENCH_SD_ROUNDS:-$ROUNDS}
CONCS=${BENCH_SD_CONC:-16}
LIMIT=${BENCH_LIMIT:-600}

[ "$(id -u)" = 0 ] || { echo "bench-systemd: needs root (a systemd as PID 1 of its own namespaces)" >&2; exit 1; }
for f in mailproxy mailproxy-relay mailproxy-accept bench/loadgen bench/backend; do
	[ -x "$BUILD/$f" ] || { echo "bench-systemd: missing $BUILD/$f (make bench-systemd builds it)" >&2; exit 1; }
done
for c in nginx systemd-socket-activate unshare nsenter script; do
	command -v "$c" >/dev/null || { echo "bench-systemd: needs $c" >&2; exit 1; }
done
[ -e "$MAILMOD" ] || { echo "bench-systemd: needs libnginx-mod-mail" >&2; exit 1; }
if [ -d /sys/fs/cgroup/unified ]; then CGROOT=/sys/fs/cgroup/unified; else CGROOT=/sys/fs/cgroup; fi

# Outside /tmp: the shipped unit has PrivateTmp= and ProtectSystem=strict.
W=$(mktemp -d /var/lib/mailproxy-bench.XXXXXX)
chmod 755 "$W"
PIDS=()
CGS=()
cleanup() {
	local p c
	[ -n "${WATCHDOG:-}" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	[ -d "$W/state" ] && "$TOP/tests/lib/sd-ns.sh" stop "$W/state" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for c in "${CGS[@]}"; do
		[ -e "$c/cgroup.kill" ] && echo 1 >"$c/cgroup.kill" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$c" 2>/dev/null && break; sleep 0.05; done
	done
	if [ -n "${MADE_USER:-}" ]; then
		userdel mailproxy 2>/dev/null
		groupdel mailproxy 2>/dev/null
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-systemd: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
trap 'echo "bench-systemd: stopped by the watchdog after $LIMIT s" >&2; exit 2' USR1
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep "$LIMIT" & s=$!; wait "$s"
	kill -USR1 $$
) >/dev/null 2>&1 </dev/null &
WATCHDOG=$!
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# N free loopback ports, distinct
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
PY
}
read -r BI AUTH NGX SSA XI OI TS < <(free_ports 7)

wait_listen() {
	local p i
	for p in "$@"; do
		for ((i = 0; i < 200; i++)); do
			ss -Hltn "sport = :$p" 2>/dev/null | grep -q LISTEN && break
			sleep 0.05
		done
		((i < 200)) || { echo "bench-systemd: nothing listens on $p" >&2; exit 1; }
	done
}

# cg_run NAME CMD...: CMD in the background, in a cgroup of its own, output in $W/NAME.log
cg_run() {
	local name=$1 cg=$CGROOT/mpbench-$$-$1
	shift
	mkdir "$cg" || exit 1
	CGS+=("$cg")
	eval "CG_$name=$cg"
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@" >"$W/$name.log" 2>&1 </dev/null &
	PIDS+=($!)
}
cg_usec() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }

# the static user the units run as, as "make install" makes it; removed at the end if
# this run made it
MADE_USER=
if ! getent passwd mailproxy >/dev/null; then
	MADE_USER=1
	systemd-sysusers "$TOP/units/mailproxy.sysusers" >/dev/null ||
		{ echo "bench-systemd: cannot create the user mailproxy" >&2; exit 1; }
fi
mkdir -p "$W/bin" "$W/etc/mailproxy" "$W/auth" "$W/nginx" "$W/units"
cp "$BUILD/mailproxy" "$BUILD/mailproxy-relay" "$BUILD/mailproxy-accept" "$W/bin/"
[ -x "$BUILD/mailproxy-full" ] && cp "$BUILD/mailproxy-full" "$W/bin/"

cat >"$W/auth/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $W/auth/nginx.pid;
error_log $W/auth/error.log error;
events { worker_connections 8192; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$AUTH;
        location /auth {
            add_header Auth-Status OK;
            add_header Auth-Server 127.0.0.1;
            add_header Auth-Port $BI;
            return 204;
        }
    }
}
EOF
servers() { local p; for p in "$@"; do echo "    server { listen 127.0.0.1:$p; protocol imap; }"; done; }
mail_block() {
	echo "mail {"
	echo "    server_name bench.test;"
	echo "    auth_http 127.0.0.1:$AUTH/auth;"
	servers "$@"
	echo "}"
}
{
	printf 'load_module %s;\nuser root;\nworker_processes 1;\nworker_rlimit_nofile 20000;\n' "$MAILMOD"
	printf 'pid %s/nginx/nginx.pid;\nerror_log %s/nginx/error.log error;\n' "$W" "$W"
	printf 'events { worker_connections 8192; }\n'
	mail_block "$NGX"
} >"$W/nginx/nginx.conf"
CONF=$W/etc/mailproxy/mailproxy.conf
ONLY=${BENCH_SD_ONLY:-ssa sd sdbare sdaccept xinetd obsdinetd tcpserver nginx}
has() { [[ " $ONLY " == *" $1 "* ]]; }

# The systemd rows: each a template NAME@.service with NAME@bench.socket, a copy of
# mailproxy@imap.socket on a port of its own.  mailproxy@.service is the shipped unit as
# "make install" writes it (only the paths differ); bare@.service has ExecStart= alone.
declare -A LABEL PORT
SDROWS=()
sd_template() { # NAME LABEL: the unit on stdin (not a pipe: this shell keeps the rows)
	local port
	port=$(free_ports 1)
	cat >"$W/units/$1@.service"
	sed -e "s|^ListenStream=.*|ListenStream=127.0.0.1:$port|" "$TOP/units/mailproxy@imap.socket" \
		>"$W/units/$1@bench.socket"
	LABEL[$1]=$2
	PORT[$1]=$port
	SDROWS+=("$1")
}
bare() { printf '[Service]\nExecStart=%s/bin/mailproxy -c %s\n' "$W" "$CONF"; }
if has sd; then
	sd_template mailproxy "systemd 252, units as shipped" < <(sed -e "s|@BINDIR@|$W/bin|g" \
		-e "s|@SYSCONFDIR@|$W/etc|g" "$TOP/units/mailproxy@.service")
fi
has sdbare && sd_template bare "systemd 252, bare template" < <(bare)
# the high-rate mode: mailproxy-accept@.service as shipped, on an Accept=no socket
if has sdaccept; then
	sd_template accept "systemd 252, mailproxy-accept (Accept=no)" < <(sed \
		-e "s|@BINDIR@|$W/bin|g" -e "s|@LIBEXECDIR@|$W/bin|g" -e "s|@SYSCONFDIR@|$W/etc|g" \
		"$TOP/units/mailproxy-accept@.service")
	sed -i 's/^Accept=yes/Accept=no/' "$W/units/accept@bench.socket"
fi
i=0
for f in ${BENCH_SD_ALT:-}; do
	i=$((i + 1))
	sd_template "alt$i" "systemd 252, ${f##*/}" < <(sed -e "s|@BINDIR@|$W/bin|g" \
		-e "s|@SYSCONFDIR@|$W/etc|g" "$f")
done
DIRS=${BENCH_SD_DIRECTIVES:-0}
[ "$DIRS" = 1 ] && DIRS=$TOP/units/mailproxy@.service
if [ "$DIRS" != 0 ]; then
	# every setting from DynamicUser= or User= to TasksMax=; User= and Group= with DynamicUser=,
	# SystemCallFilter= lines with SystemCallErrorNumber= (alone, a filtered call kills)
	i=0
	while IFS= read -r d; do
		i=$((i + 1))
		sd_template "d$i" "bare + $d" < <(bare; printf '%s\n' "$d" | tr '|' '\n')
	done < <(awk '/^(DynamicUser|User)=/ { on = 1 } on && /^[A-Z][A-Za-z]*=/ {
			if ($0 ~ /^(User|Group)=/) { du = du "|" $0; next }
			if ($0 ~ /^DynamicUser=/) { du = $0; next }
			if ($0 ~ /^SystemCallFilter=/) { sc = sc "|" $0; next }
			if ($0 ~ /^SystemCallErrorNumber=/) { sc = sc "|" $0; next }
			print } /^TasksMax=/ { on = 0 } END { sub(/^\|/, "", du); if (du != "") print du; if (sc != "") print substr(sc, 2) }' "$DIRS")
fi

ports=()
for n in "${SDROWS[@]}"; do ports+=("${PORT[$n]}"); done
mail_block "$SSA" "$XI" "$OI" "$TS" "${ports[@]}" >"$CONF"
chmod -R a+rX "$W"
"$W/bin/mailproxy" -t -c "$CONF" 2>"$W/conftest.log" || { cat "$W/conftest.log" >&2; exit 1; }
for u in systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket; do
	ln -s "/lib/systemd/system/$u" "$W/units/$u"
done
{
	echo "[Unit]"
	echo "Description=bench-systemd"
	printf 'Wants=systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket'
	for n in "${SDROWS[@]}"; do printf ' %s@bench.socket' "$n"; done
	printf '\nAfter=systemd-journald.socket systemd-journald-dev-log.socket'
	for n in "${SDROWS[@]}"; do printf ' %s@bench.socket' "$n"; done
	echo
} >"$W/units/bench.target"

TARGETS=()
cg_run backend "$BUILD/bench/backend" -i "$BI" -p 0 -s 0
cg_run auth nginx -c "$W/auth/nginx.conf" -p "$W/auth/" -e "$W/auth/startup.log" -g 'daemon off;'
wait_listen "$BI" "$AUTH"
if has nginx; then
	cg_run nginx nginx -c "$W/nginx/nginx.conf" -p "$W/nginx/" -e "$W/nginx/startup.log" -g 'daemon off;'
	TARGETS+=("nginx:$NGX")
fi
if has ssa; then
	cg_run ssa systemd-socket-activate -a -l "127.0.0.1:$SSA" "$W/bin/mailproxy" -c "$CONF"
	TARGETS+=("ssa:$SSA")
fi
if has xinetd && command -v xinetd >/dev/null; then
	cat >"$W/xinetd.conf" <<EOF
defaults
{
    instances = UNLIMITED
    cps = 100000 1
    log_type = FILE $W/xinetd-svc.log
    log_on_success =
    log_on_failure =
}
service mailproxy-bench
{
    type = UNLISTED
    socket_type = stream
    protocol = tcp
    wait = no
    user = root
    bind = 127.0.0.1
    port = $XI
    server = $W/bin/mailproxy
    server_args = -c $CONF
}
EOF
	cg_run xinetd xinetd -dontfork -f "$W/xinetd.conf" -filelog "$W/xinetd-main.log"
	TARGETS+=("xinetd:$XI")
elif has xinetd; then
	echo "bench-systemd: no xinetd (apt-get install xinetd): its row is left out" >&2
fi
# tests/deps.sh unpacks openbsd-inetd there (it conflicts with xinetd as a package)
OBSD=${BENCH_OBSD_INETD:-$(command -v inetd 2>/dev/null)}
[ -n "$OBSD" ] || OBSD=/usr/local/lib/mailproxy-tests/openbsd-inetd/usr/sbin/inetd
if has obsdinetd && [ -x "$OBSD" ] && "$OBSD" -h 2>&1 | grep -q -- '-R rate'; then
	printf '127.0.0.1:%s\tstream\ttcp4\tnowait.100000\troot\t%s\tmailproxy -c %s\n' \
		"$OI" "$W/bin/mailproxy" "$CONF" >"$W/obsd-inetd.conf"
	# it writes /run/inetd.pid whatever it is told: a /run of its own
	cg_run obsdinetd unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec "$0" -i -R 1000000 "$1"' \
		"$OBSD" "$W/obsd-inetd.conf"
	TARGETS+=("obsdinetd:$OI")
elif has obsdinetd; then
	echo "bench-systemd: no openbsd-inetd (BENCH_OBSD_INETD=PATH to its inetd): its row is left out" >&2
fi
if has tcpserver && command -v tcpserver >/dev/null; then
	cg_run tcpserver tcpserver -H -R -l 0 -c 100000 127.0.0.1 "$TS" "$W/bin/mailproxy" -c "$CONF"
	TARGETS+=("tcpserver:$TS")
elif has tcpserver; then
	echo "bench-systemd: no tcpserver (apt-get install ucspi-tcp): its row is left out" >&2
fi
if [ ${#SDROWS[@]} -gt 0 ]; then
	"$TOP/tests/lib/sd-ns.sh" start "$W/state" "$W/units" bench.target ||
		{ echo "bench-systemd: the namespaced systemd did not start" >&2; exit 1; }
	# journald counts: the shipped unit logs there (StandardError=journal)
	"$TOP/tests/lib/sd-ns.sh" ctl "$W/state" systemctl is-active -q systemd-journald.service ||
		{ echo "bench-systemd: journald is not running in the namespaced systemd" >&2; exit 1; }
	for n in "${SDROWS[@]}"; do
		eval "CG_$n=\$(cat \"\$W/state/cgroup\")"
		TARGETS+=("$n:${PORT[$n]}")
	done
fi
for t in "${TARGETS[@]}"; do wait_listen "${t#*:}"; done
sleep 0.3

LG=$BUILD/bench/loadgen
R=$W/results.txt
: >"$R"
kv() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
label() {
	case $1 in
	nginx) echo "nginx mail proxy (1 worker)" ;;
	ssa) echo "systemd-socket-activate -a" ;;
	xinetd) echo "xinetd" ;;
	obsdinetd) echo "openbsd-inetd" ;;
	tcpserver) echo "tcpserver (ucspi-tcp)" ;;
	*) echo "${LABEL[$1]}" ;;
	esac
}

echo "mailproxy under its launchers: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), $(systemctl --version 2>/dev/null | head -1)"
echo "IMAP login cycles, $DUR s per point, $ROUNDS round(s), interleaved; CPU = the contender's cgroup"
for c in $CONCS; do
	for ((r = 0; r < ROUNDS; r++)); do
		for t in "${TARGETS[@]}"; do
			name=${t%%:*}
			cg=CG_$name
			u0=$(cg_usec "${!cg}")
			line=$("$LG" cycles -P imap -p "${t#*:}" -c "$c" -d "$DUR" 2>"$W/lg.err")
			u1=$(cg_usec "${!cg}")
			n=$(kv cycles "$line")
			cpu=$(awk -v a="$u0" -v b="$u1" -v n="$n" 'BEGIN { if (n > 0) printf "%.3f", (b - a) / n / 1000; else print "nan" }')
			echo "c=$c $name $line cg_ms=$cpu" >>"$R"
			[ "$(kv errors "$line")" = 0 ] || echo "bench-systemd: $name c=$c: $(head -c 300 "$W/lg.err") $line" >&2
			# let the last instances go before the next contender's run
			sleep 0.5
		done
	done
done

mean() { # PREFIX FIELD
	awk -v p="$1" -v f="$2" 'index($0, p) == 1 { for (i = 1; i <= NF; i++) if ($i ~ "^" f "=") { split($i, a, "="); s += a[2]; n++ } }
		END { if (n) printf "%.4g", s / n; else printf "nan" }' "$R"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else printf "-" }'; }
for c in $CONCS; do
	echo
	echo "== concurrency $c =="
	printf '%-40s %9s %9s %9s %11s | %s\n' "" "logins/s" "p50 ms" "p99 ms" "CPU ms/login" "CPU vs ssa  vs bare"
	sc=$(mean "c=$c ssa " cg_ms)
	bc=$(mean "c=$c bare " cg_ms)
	for t in "${TARGETS[@]}"; do
		name=${t%%:*}
		m=$(mean "c=$c $name " cg_ms)
		printf '%-40s %9s %9s %9s %11s | %6s %8s\n' "$(label "$name")" "$(mean "c=$c $name " rate)" \
			"$(mean "c=$c $name " greet_p50_ms)" "$(mean "c=$c $name " greet_p99_ms)" "$m" \
			"$(ratio "$m" "$sc")" "$(ratio "$m" "$bc")"
	done
done
if [ ${#SDROWS[@]} -gt 0 ]; then
	echo
	echo "systemd-analyze security, inside that systemd:"
	for n in "${SDROWS[@]}"; do
		[[ $n == d* ]] && continue
		printf '%-40s %s\n' "${LABEL[$n]}" "$("$TOP/tests/lib/sd-ns.sh" ctl "$W/state" \
			systemd-analyze security --no-pager "$n@bench.service" 2>&1 | tail -1)"
	done
fi
