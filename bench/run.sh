#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/run.sh BUILD_DIR: nginx's mail proxy, mailproxy and the floor side by side on
# loopback, in one interleaved run; prints the tables and the ratios.  `make bench` runs it.
#   BENCH_QUICK=1   shorter runs, one round (under 2 minutes)
#   BENCH_KEEP=1    keep the work directory (configs, logs, raw results)
#   BENCH_ONLY="cycles greet auth stream idle btls"   a subset of the parts
#   BENCH_HOLD=SECONDS   after the set-up, print the ports and wait (for perf or strace)
#   BENCH_STREAM_MIB=N   MiB each way per stream (64): more for a finer CPU count
# The whole run is bounded: a watchdog ends it after BENCH_LIMIT seconds (600, quick 120).
set -u
BUILD=${1:?usage: bench/run.sh BUILD_DIR}
BENCH=$BUILD/bench
QUICK=${BENCH_QUICK:-0}
# btls (bench/backend_tls.sh, about 90 s) only in full runs, unless named
ONLY=${BENCH_ONLY:-cycles greet auth stream idle$([ "$QUICK" = 1 ] || echo " btls")}
MAILMOD=/usr/lib/nginx/modules/ngx_mail_module.so
if [ "$QUICK" = 1 ]; then DUR=1; ROUNDS=1; SROUNDS=1; IDLE_NS="100 1000"; IDLE_TLS_NS=100; LIMIT=${BENCH_LIMIT:-120}
else DUR=3; ROUNDS=2; SROUNDS=3; IDLE_NS="100 1000"; IDLE_TLS_NS="100 1000"; LIMIT=${BENCH_LIMIT:-600}; fi
START=$SECONDS
STREAM_BYTES=$((${BENCH_STREAM_MIB:-64} << 20))

for f in "$BUILD/mailproxy" "$BUILD/mailproxy-relay" "$BUILD/mailproxy-tls" "$BENCH/loadgen" "$BENCH/backend" "$BENCH/floor"; do
	[ -x "$f" ] || { echo "bench: missing $f (run make bench)" >&2; exit 1; }
done
command -v nginx >/dev/null && [ -e "$MAILMOD" ] ||
	{ echo "bench: needs nginx and libnginx-mod-mail: apt-get install nginx libnginx-mod-mail" >&2; exit 1; }
command -v systemd-socket-activate >/dev/null ||
	{ echo "bench: needs systemd-socket-activate (package systemd)" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/mailproxy-bench.XXXXXX")
chmod 755 "$W"
PIDS=()
WATCHDOG=
cleanup() {
	local p
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
trap 'echo "bench: stopped by the watchdog after $LIMIT s (BENCH_LIMIT)" >&2; exit 2' USR1
# the watchdog: USR1 to this script when the time is up (the trap runs once the current
# client returns), and 5 s later TERM to the script's children, so that a client stuck
# in a wait ends too. Its own sleep dies with it (cleanup sends TERM), and it holds
# none of the script's output, so a pipe from `make bench` closes at the script's exit.
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep "$LIMIT" & s=$!; wait "$s"
	kill -USR1 $$
	sleep 5 & s=$!; wait "$s"
	pkill -TERM -P $$
) >/dev/null 2>&1 </dev/null &
WATCHDOG=$!

ulimit -n "$(ulimit -Hn)" 2>/dev/null

# ---- ports and processes ---------------------------------------------------------------
read -r BI BP BS AUTH NI NP NS N256 MI MP MS M256 FG FRI FRP FRS NT MT AUTHS MAN MAS MTD < <(python3 - <<'PY'
import socket
s = [socket.socket() for _ in range(22)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
PY
)

wait_listen() {
	local p i
	for p in "$@"; do
		for ((i = 0; i < 200; i++)); do
			ss -Hltn "sport = :$p" 2>/dev/null | grep -q LISTEN && break
			sleep 0.05
		done
		((i < 200)) || { echo "bench: nothing listens on $p" >&2; exit 1; }
	done
}

# the one certificate: the TLS servers of both proxies and the https auth server; mailproxy
# trusts it for the auth request through CURL_CA_BUNDLE
mkdir -p "$W/pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/pki/key.pem" -out "$W/pki/cert.pem" \
	-days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	>/dev/null 2>&1 || { echo "bench: openssl req failed" >&2; exit 1; }
head -c 80 /dev/urandom >"$W/pki/ticket.key"

# mail_block IMAP POP3 SMTP IMAP256 IMAPTLS [EXTRA]: the one mail{} block both proxies
# run, EXTRA being more server blocks (mailproxy's auth_http variants)
mail_block() {
	cat <<EOF2
mail {
    server_name bench.test;
    auth_http 127.0.0.1:$AUTH/auth;
    proxy_pass_error_message on;
    imap_auth plain login;
    pop3_auth plain;
    smtp_auth plain login;
    server { listen 127.0.0.1:$1; protocol imap; }
    server { listen 127.0.0.1:$2; protocol pop3; }
    server { listen 127.0.0.1:$3; protocol smtp; }
    server { listen 127.0.0.1:$4; protocol imap; proxy_buffer 256k; imap_client_buffer 256k; }
    server { listen 127.0.0.1:$5 ssl; protocol imap; ssl_session_ticket_key $W/pki/ticket.key;
             ssl_certificate $W/pki/cert.pem; ssl_certificate_key $W/pki/key.pem; }
${6:-}
}
EOF2
}

main_block() { # DIR
	cat <<EOF2
load_module $MAILMOD;
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $1/nginx.pid;
error_log $1/error.log error;
events { worker_connections 8192; }
EOF2
}

mkdir -p "$W/auth" "$W/nginx" "$W/mp"
{
	main_block "$W/auth" | grep -v load_module
	cat <<EOF2
http {
    access_log off;
    map \$http_auth_protocol \$be_port { imap $BI; pop3 $BP; smtp $BS; default $BI; }
    server {
        listen 127.0.0.1:$AUTH;
        listen 127.0.0.1:$AUTHS ssl;
        ssl_certificate $W/pki/cert.pem;
        ssl_certificate_key $W/pki/key.pem;
        location /auth {
            add_header Auth-Status OK;
            add_header Auth-Server 127.0.0.1;
            add_header Auth-Port \$be_port;
            return 204;
        }
    }
}
EOF2
} >"$W/auth/nginx.conf"
{ main_block "$W/nginx"; mail_block "$NI" "$NP" "$NS" "$N256" "$NT"; } >"$W/nginx/nginx.conf"
# mailproxy only: the same IMAP server asking the auth server by name (libcurl) and over
# https (libcurl + TLS), beside $MI which asks it by address (no libcurl)
# and an IMAP server with listen ... ssl served by the mailproxy-tls daemon (-D) instead
# of a mailproxy-tls executed per session
{ main_block "$W/mp"; mail_block "$MI" "$MP" "$MS" "$M256" "$MT" \
	"    server { listen 127.0.0.1:$MAN; protocol imap; auth_http localhost:$AUTH/auth; }
    server { listen 127.0.0.1:$MAS; protocol imap; auth_http https://localhost:$AUTHS/auth; }
    server { listen 127.0.0.1:$MTD ssl; protocol imap;
             ssl_certificate $W/pki/cert.pem; ssl_certificate_key $W/pki/key.pem; }"
} >"$W/mp/mailproxy.conf"

start() { # NAME CMD...: in the background, output in $W/NAME.log
	local name=$1
	shift
	"$@" >"$W/$name.log" 2>&1 </dev/null &
	PIDS+=($!)
	eval "PID_$name=$!"
}
start backend "$BENCH/backend" -i "$BI" -p "$BP" -s "$BS"
start auth nginx -c "$W/auth/nginx.conf" -p "$W/auth/" -e "$W/auth/startup.log" -g 'daemon off;'
start nginx nginx -c "$W/nginx/nginx.conf" -p "$W/nginx/" -e "$W/nginx/startup.log" -g 'daemon off;'
start mailproxy systemd-socket-activate -a -l "127.0.0.1:$MI" -l "127.0.0.1:$MP" -l "127.0.0.1:$MS" \
	-l "127.0.0.1:$M256" -l "127.0.0.1:$MT" -l "127.0.0.1:$MAN" -l "127.0.0.1:$MAS" \
	-E "CURL_CA_BUNDLE=$W/pki/cert.pem" -E MAILPROXY_TLS_SOCKET= "$BUILD/mailproxy" -c "$W/mp/mailproxy.conf"
start mailproxytlsd systemd-socket-activate -a -l "127.0.0.1:$MTD" \
	-E "MAILPROXY_TLS_SOCKET=$W/tls.sock" "$BUILD/mailproxy" -c "$W/mp/mailproxy.conf"
start tlsd systemd-socket-activate -l "$W/tls.sock" "$BUILD/mailproxy-tls" -D -c "$W/mp/mailproxy.conf"
start floorgreet systemd-socket-activate -a -l "127.0.0.1:$FG" "$BENCH/floor" greet
start floorimap systemd-socket-activate -a -l "127.0.0.1:$FRI" "$BENCH/floor" relay "$BI"
start floorpop3 systemd-socket-activate -a -l "127.0.0.1:$FRP" "$BENCH/floor" relay "$BP"
start floorsmtp systemd-socket-activate -a -l "127.0.0.1:$FRS" "$BENCH/floor" relay "$BS"
wait_listen "$BI" "$BP" "$BS" "$AUTH" "$AUTHS" "$NI" "$NP" "$NS" "$N256" "$NT" "$MI" "$MP" "$MS" "$M256" "$MT" \
	"$MAN" "$MAS" "$MTD" "$FG" "$FRI" "$FRP" "$FRS"
"$BUILD/mailproxy" -t -c "$W/mp/mailproxy.conf" 2>"$W/mp/test.log" ||
	{ cat "$W/mp/test.log" >&2; exit 1; }
sleep 0.3

LG=$BENCH/loadgen
R=$W/results.txt
if [ -n "${BENCH_HOLD:-}" ]; then
	echo "ports: backend imap $BI, nginx imap $NI imap256 $N256, mailproxy imap $MI pop3 $MP" \
		"smtp $MS imap256 $M256 imaps $MT, floor relay imap $FRI, auth $AUTH; holding $BENCH_HOLD s"
	sleep "$BENCH_HOLD"
	exit 0
fi
: >"$R"
kv() { # KEY LINE: the value of KEY=... in LINE
	local k=$1 l=$2
	sed -n "s/.*\b$k=\([^ ]*\).*/\1/p" <<<"$l"
}

# the port and CPU tree of TARGET for PROTO
target_port() { # TARGET PROTO
	case "$1:$2" in
	nginx:imap) echo "$NI" ;; nginx:pop3) echo "$NP" ;; nginx:smtp) echo "$NS" ;;
	nginx256:*) echo "$N256" ;;
	mailproxy:imap) echo "$MI" ;; mailproxy:pop3) echo "$MP" ;; mailproxy:smtp) echo "$MS" ;;
	mailproxy256:*) echo "$M256" ;;
	floor:imap) echo "$FRI" ;; floor:pop3) echo "$FRP" ;; floor:smtp) echo "$FRS" ;;
	floorgreet:*) echo "$FG" ;;
	direct:imap) echo "$BI" ;; direct:pop3) echo "$BP" ;; direct:smtp) echo "$BS" ;;
	esac
}
target_pid() { # TARGET
	case "$1" in
	nginx*) echo "$PID_nginx" ;; mailproxy*) echo "$PID_mailproxy" ;;
	floorgreet) echo "$PID_floorgreet" ;; floor) echo "$PID_floorimap $PID_floorpop3 $PID_floorsmtp" ;;
	direct) echo "$PID_backend" ;;
	esac
}
mflags() { local p; for p in $(target_pid "$1"); do printf -- '-m %s ' "$p"; done; }

# mean over rounds of field F for rows matching a prefix
mean() { # PREFIX FIELD
	awk -v p="$1" -v f="$2" 'index($0, p) == 1 { for (i = 1; i <= NF; i++) if ($i ~ "^" f "=") { split($i, a, "="); s += a[2]; n++ } }
		END { if (n) printf "%.4g", s / n; else printf "nan" }' "$R"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else printf "-" }'; }

echo "mailproxy benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), $(nginx -v 2>&1)"
echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full), $DUR s per cycles run, $ROUNDS round(s), work dir $W"

# ---- login cycles ------------------------------------------------------------------------
if [[ " $ONLY " == *" cycles "* ]]; then
	for proto in imap pop3 smtp; do
		for c in 1 16 64; do
			for ((r = 0; r < ROUNDS; r++)); do
				for t in nginx mailproxy floor; do
					# shellcheck disable=SC2046
					line=$("$LG" cycles -P "$proto" -p "$(target_port $t $proto)" -c "$c" -d "$DUR" $(mflags $t) 2>"$W/lg.err")
					echo "cycles $proto c=$c $t $line" >>"$R"
					[ "$(kv errors "$line")" = 0 ] || echo "bench: $t $proto c=$c: $(head -c 300 "$W/lg.err") $line" >&2
				done
			done
		done
	done
	echo
	echo "== login cycles (connect, greeting, login, auth_http, backend login, logout, close) =="
	printf '%-5s %4s | %-24s | %-24s | %-24s | %s\n' proto conc "nginx cyc/s  cpu ms/cyc" "mailproxy cyc/s  ms/cyc" "floor cyc/s  ms/cyc" "mp/nginx rate cpu  mp/floor rate cpu"
	for proto in imap pop3 smtp; do
		for c in 1 16 64; do
			nr=$(mean "cycles $proto c=$c nginx " rate); nc=$(mean "cycles $proto c=$c nginx " cpu_per_cycle_ms)
			mr=$(mean "cycles $proto c=$c mailproxy " rate); mc=$(mean "cycles $proto c=$c mailproxy " cpu_per_cycle_ms)
			fr=$(mean "cycles $proto c=$c floor " rate); fc=$(mean "cycles $proto c=$c floor " cpu_per_cycle_ms)
			printf '%-5s %4s | %8s %12s    | %8s %12s    | %8s %12s    | %5s %5s   %5s %5s\n' "$proto" "$c" \
				"$nr" "$nc" "$mr" "$mc" "$fr" "$fc" "$(ratio "$mr" "$nr")" "$(ratio "$mc" "$nc")" \
				"$(ratio "$mr" "$fr")" "$(ratio "$mc" "$fc")"
		done
	done
	echo
	echo "== connect-to-greeting latency during the IMAP login cycles (ms) =="
	printf '%4s | %-17s | %-17s | %-17s | %s\n' conc "nginx p50 p99" "mailproxy p50 p99" "floor p50 p99" "mp/floor p50"
	for c in 1 16 64; do
		printf '%4s | %8s %8s | %8s %8s | %8s %8s | %s\n' "$c" \
			"$(mean "cycles imap c=$c nginx " greet_p50_ms)" "$(mean "cycles imap c=$c nginx " greet_p99_ms)" \
			"$(mean "cycles imap c=$c mailproxy " greet_p50_ms)" "$(mean "cycles imap c=$c mailproxy " greet_p99_ms)" \
			"$(mean "cycles imap c=$c floor " greet_p50_ms)" "$(mean "cycles imap c=$c floor " greet_p99_ms)" \
			"$(ratio "$(mean "cycles imap c=$c mailproxy " greet_p50_ms)" "$(mean "cycles imap c=$c floor " greet_p50_ms)")"
	done
fi

# ---- greeting only ---------------------------------------------------------------------
if [[ " $ONLY " == *" greet "* ]]; then
	for c in 1 16; do
		for ((r = 0; r < ROUNDS; r++)); do
			for t in nginx mailproxy floorgreet; do
				# shellcheck disable=SC2046
				line=$("$LG" cycles -g -P imap -p "$(target_port $t imap)" -c "$c" -d "$DUR" $(mflags $t) 2>"$W/lg.err")
				echo "greet c=$c $t $line" >>"$R"
			done
		done
	done
	echo
	echo "== greeting only: connect, read the greeting, close (floor = static greeter) =="
	printf '%4s | %-30s | %-30s | %-30s | %s\n' conc "nginx conn/s p50 cpu-ms" "mailproxy conn/s p50 cpu-ms" "floor conn/s p50 cpu-ms" "mp/floor p50 cpu"
	for c in 1 16; do
		row=""
		for t in nginx mailproxy floorgreet; do
			row+=$(printf '%8s %7s %9s      | ' "$(mean "greet c=$c $t " rate)" "$(mean "greet c=$c $t " greet_p50_ms)" "$(mean "greet c=$c $t " cpu_per_cycle_ms)")
		done
		printf '%4s | %s%5s %5s\n' "$c" "$row" \
			"$(ratio "$(mean "greet c=$c mailproxy " greet_p50_ms)" "$(mean "greet c=$c floorgreet " greet_p50_ms)")" \
			"$(ratio "$(mean "greet c=$c mailproxy " cpu_per_cycle_ms)" "$(mean "greet c=$c floorgreet " cpu_per_cycle_ms)")"
	done
fi

# ---- the auth request: by address (native), by name (libcurl), over https (libcurl+TLS) ---
if [[ " $ONLY " == *" auth "* ]]; then
	for c in 1 16; do
		for ((r = 0; r < ROUNDS; r++)); do
			for a in addr:$MI name:$MAN https:$MAS; do
				line=$("$LG" cycles -P imap -p "${a#*:}" -c "$c" -d "$DUR" -m "$PID_mailproxy" 2>"$W/lg.err")
				echo "auth c=$c ${a%%:*} $line" >>"$R"
				[ "$(kv errors "$line")" = 0 ] || echo "bench: auth ${a%%:*} c=$c: $(head -c 300 "$W/lg.err") $line" >&2
			done
		done
	done
	echo
	echo "== mailproxy IMAP login cycles by auth_http form: 127.0.0.1:P (no libcurl), localhost:P (libcurl), https://localhost:P (libcurl + TLS) =="
	printf '%4s | %-22s | %-22s | %-22s | %s\n' conc "address cyc/s ms/cyc" "name cyc/s ms/cyc" "https cyc/s ms/cyc" "name-addr https-addr (ms/cyc)"
	for c in 1 16; do
		row=""
		for a in addr name https; do
			row+=$(printf '%8s %11s   | ' "$(mean "auth c=$c $a " rate)" "$(mean "auth c=$c $a " cpu_per_cycle_ms)")
		done
		printf '%4s | %s%s\n' "$c" "$row" "$(awk -v a="$(mean "auth c=$c addr " cpu_per_cycle_ms)" \
			-v n="$(mean "auth c=$c name " cpu_per_cycle_ms)" -v h="$(mean "auth c=$c https " cpu_per_cycle_ms)" \
			'BEGIN { printf "%+.3f %+.3f", n - a, h - a }')"
	done
fi

# ---- relay throughput ------------------------------------------------------------------
if [[ " $ONLY " == *" stream "* ]]; then
	STARGETS="direct nginx nginx256 mailproxy mailproxy256 floor"
	for n in 1 4; do
		for ((r = 0; r < SROUNDS; r++)); do
			for t in $STARGETS; do
				line=$("$LG" stream -p "$(target_port $t imap)" -n "$n" -b "$STREAM_BYTES" $(mflags $t) 2>"$W/lg.err")
				# the proxy's CPU per GiB moved: steadier than GiB/s on a shared machine
				line+=" cpu_ms_per_gib=$(awk -v c="$(kv cpu_ms "$line")" -v n="$n" -v b="$STREAM_BYTES" \
					'BEGIN { if (c != "") printf "%.0f", c / (2 * n * b / 2^30) }')"
				echo "stream n=$n $t $line" >>"$R"
				[ "$(kv errors "$line")" = 0 ] || echo "bench: stream $t n=$n: $(head -c 300 "$W/lg.err") $line" >&2
			done
		done
	done
	echo
	echo "== relay throughput, $((STREAM_BYTES >> 20)) MiB each way per stream, both directions at once (GiB/s, both directions summed) =="
	printf '%7s |' streams
	for t in $STARGETS; do printf ' %12s' "$t"; done
	printf ' | %s\n' "mp/nginx mp/nginx256 mp/floor mp/direct"
	for n in 1 4; do
		printf '%7s |' "$n"
		for t in $STARGETS; do printf ' %12s' "$(mean "stream n=$n $t " gibps)"; done
		m=$(mean "stream n=$n mailproxy " gibps)
		printf ' | %8s %10s %8s %9s\n' "$(ratio "$m" "$(mean "stream n=$n nginx " gibps)")" \
			"$(ratio "$(mean "stream n=$n mailproxy256 " gibps)" "$(mean "stream n=$n nginx256 " gibps)")" \
			"$(ratio "$m" "$(mean "stream n=$n floor " gibps)")" "$(ratio "$m" "$(mean "stream n=$n direct " gibps)")"
	done
	echo "(mailproxy256 / nginx256: both with proxy_buffer and imap_client_buffer 256k)"
	echo
	echo "== relay CPU, ms per GiB moved (the proxy's processes; direct: the backend's) =="
	printf '%7s |' streams
	for t in $STARGETS; do printf ' %12s' "$t"; done
	printf ' | %s\n' "mp/nginx mp/nginx256"
	for n in 1 4; do
		printf '%7s |' "$n"
		for t in $STARGETS; do printf ' %12s' "$(mean "stream n=$n $t " cpu_ms_per_gib)"; done
		printf ' | %8s %10s\n' "$(ratio "$(mean "stream n=$n mailproxy " cpu_ms_per_gib)" "$(mean "stream n=$n nginx " cpu_ms_per_gib)")" \
			"$(ratio "$(mean "stream n=$n mailproxy256 " cpu_ms_per_gib)" "$(mean "stream n=$n nginx256 " cpu_ms_per_gib)")"
	done
fi

# ---- memory per idle session -------------------------------------------------------------
pss_kib() { # PID...: summed Pss of these processes
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
children() { cat "/proc/$1/task/$1/children" 2>/dev/null; }
descendants() { local c; for c in $(children "$1"); do echo "$c"; descendants "$c"; done; }
tree_pss_deep() { # PID...: Pss of them and all their descendants
	local p all=()
	for p in "$@"; do all+=("$p" $(descendants "$p")); done
	pss_kib "${all[@]}"
}
tree_pss() { # PID: Pss of its children (systemd-socket-activate) or of itself and its children (nginx)
	pss_kib "$1" $(children "$1")
}
used_kib() { awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo; }

if [[ " $ONLY " == *" idle "* ]]; then
	echo
	echo "== memory per idle authenticated IMAP session (KiB) =="
	echo "pss = Pss (smaps_rollup) of the proxy's processes, delta per session; sys = MemTotal-MemAvailable delta per session (pages, page tables, kernel stacks, sockets)"
	printf '%8s | %-20s | %-20s | %-20s | %s\n' sessions "nginx pss sys" "mailproxy pss sys" "floor pss sys" "mp/nginx mp/floor (pss)"
	for n in $IDLE_NS; do
		declare -A PSS=() SYS=()
		for t in nginx mailproxy floor; do
			pid=$PID_nginx
			[ "$t" = mailproxy ] && pid=$PID_mailproxy
			[ "$t" = floor ] && pid=$PID_floorimap
			sleep 0.3
			p0=$(tree_pss "$pid"); u0=$(used_kib)
			coproc IDLE { "$LG" idle -P imap -p "$(target_port $t imap)" -n "$n" 2>"$W/lg.err"; }
			ok=
			while read -r -u "${IDLE[0]}" l; do
				[ "$l" = ready ] && { ok=1; break; }
				echo "idle $n $t $l" >>"$R"
			done
			sleep 0.5
			p1=$(tree_pss "$pid"); u1=$(used_kib)
			eval "exec ${IDLE[1]}>&-"
			wait "$IDLE_PID" 2>/dev/null
			[ -n "$ok" ] || echo "bench: idle $t n=$n did not get ready: $(cat "$W/lg.err")" >&2
			PSS[$t]=$(( (p1 - p0) / n )); SYS[$t]=$(( (u1 - u0) / n ))
			echo "idle n=$n $t pss_kib=${PSS[$t]} sys_kib=${SYS[$t]}" >>"$R"
			# wait for the sessions to end before the next target
			for ((i = 0; i < 100; i++)); do
				[ -z "$(children "$PID_mailproxy")$(children "$PID_floorimap")" ] && break
				sleep 0.1
			done
		done
		printf '%8s | %8s %10s  | %8s %10s  | %8s %10s  | %5s %5s\n' "$n" "${PSS[nginx]}" "${SYS[nginx]}" \
			"${PSS[mailproxy]}" "${SYS[mailproxy]}" "${PSS[floor]}" "${SYS[floor]}" \
			"$(ratio "${PSS[mailproxy]}" "${PSS[nginx]}")" "$(ratio "${PSS[mailproxy]}" "${PSS[floor]}")"
	done

	echo
	echo "== memory per idle authenticated IMAP session over TLS (KiB; mailproxy: mailproxy-tls + relay; tlsd: through mailproxy-tls -D) =="
	printf '%8s | %-20s | %-20s | %-20s | %s\n' sessions "nginx pss sys" "mailproxy pss sys" "mp+tlsd pss sys" "mp/nginx mp+tlsd/nginx (pss)"
	# the daemon starts at its first request: start it before anything is measured
	python3 -c 'import socket, ssl, sys
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)); s.recv(100)' "$MTD" ||
		echo "bench: the mailproxy-tls daemon did not serve" >&2
	for n in $IDLE_TLS_NS; do
		declare -A PSS=() SYS=()
		for t in nginx mailproxy tlsd; do
			pid=$PID_nginx port=$NT
			[ "$t" = mailproxy ] && { pid=$PID_mailproxy; port=$MT; }
			[ "$t" = tlsd ] && { pid="$PID_mailproxytlsd $PID_tlsd"; port=$MTD; }
			sleep 0.3
			p0=$(tree_pss_deep $pid); u0=$(used_kib)
			coproc IDLE { python3 "$(dirname "$0")/idle_tls.py" "$port" "$n" 2>"$W/lg.err"; }
			ok=
			while read -r -u "${IDLE[0]}" l; do
				[ "$l" = ready ] && { ok=1; break; }
				echo "idletls $n $t $l" >>"$R"
			done
			sleep 0.5
			# the handler forks: mailproxy-tls is the parent, the handler (then the relay)
			# its child (tls_start.c); count the whole tree below systemd-socket-activate,
			# and for tlsd the daemon's tree too (its children serve the sessions)
			p1=$(tree_pss_deep $pid); u1=$(used_kib)
			eval "exec ${IDLE[1]}>&-"
			wait "$IDLE_PID" 2>/dev/null
			[ -n "$ok" ] || echo "bench: idle TLS $t n=$n did not get ready: $(cat "$W/lg.err")" >&2
			PSS[$t]=$(( (p1 - p0) / n )); SYS[$t]=$(( (u1 - u0) / n ))
			echo "idletls n=$n $t pss_kib=${PSS[$t]} sys_kib=${SYS[$t]}" >>"$R"
			for ((i = 0; i < 100; i++)); do
				[ -z "$(children "$PID_mailproxy")$(children "$PID_mailproxytlsd")$(children "$PID_tlsd")" ] && break
				sleep 0.1
			done
		done
		printf '%8s | %8s %10s  | %8s %10s  | %8s %10s  | %5s %5s\n' "$n" "${PSS[nginx]}" "${SYS[nginx]}" \
			"${PSS[mailproxy]}" "${SYS[mailproxy]}" "${PSS[tlsd]}" "${SYS[tlsd]}" \
			"$(ratio "${PSS[mailproxy]}" "${PSS[nginx]}")" "$(ratio "${PSS[tlsd]}" "${PSS[nginx]}")"
	done

	echo
	echo "== CPU per TLS connection, full and resumed handshake (ms of the proxy's processes: TLS, handler, its exit; RSA-2048, TLS 1.3) =="
	printf '%-28s | %8s | %8s | %s\n' server full resumed "resumed/full"
	nconn=$([ "$QUICK" = 1 ] && echo 100 || echo 300)
	for t in nginx mailproxy tlsd; do
		port=$NT label="nginx (ticket key file)" pid=$PID_nginx
		[ "$t" = mailproxy ] && { port=$MT; label="mailproxy-tls (key file)"; pid=$PID_mailproxy; }
		[ "$t" = tlsd ] && { port=$MTD; label="mailproxy-tls -D (own key)"; pid="$PID_mailproxytlsd $PID_tlsd"; }
		# shellcheck disable=SC2086 # pid is one or two PIDs
		full=$(python3 "$(dirname "$0")/tls_cpu.py" "$port" "$nconn" $pid)
		# shellcheck disable=SC2086
		res=$(python3 "$(dirname "$0")/tls_cpu.py" "$port" "$nconn" resumed $pid)
		echo "tlscpu $t full: $full" >>"$R"
		echo "tlscpu $t resumed: $res" >>"$R"
		f=$(sed -n 's/.*wall, \([0-9.]*\) ms CPU.*/\1/p' <<<"$full")
		r=$(sed -n 's/.*wall, \([0-9.]*\) ms CPU.*/\1/p' <<<"$res")
		[[ "$res" == *", $nconn of $nconn resumed" ]] || echo "bench: $t resumed only: $res" >&2
		printf '%-28s | %8s | %8s | %s\n' "$label" "$f" "$r" "$(ratio "$r" "$f")"
	done
fi
# TLS to the backend: its own set-up with a real Dovecot (bench/backend_tls.sh)
if [[ " $ONLY " == *" btls "* ]]; then
	echo
	BENCH_QUICK=$QUICK "$(dirname "$0")/backend_tls.sh" "$BUILD" >"$W/btls.txt" ||
		echo "bench: bench/backend_tls.sh failed" >&2
	cat "$W/btls.txt"
	cat "$W/btls.txt" >>"$R"
fi
echo "run time: $((SECONDS - START)) s (bound: $LIMIT s)"
echo
echo "raw results: $R$([ "${BENCH_KEEP:-0}" = 1 ] || echo ' (removed at exit; BENCH_KEEP=1 keeps it)')"
