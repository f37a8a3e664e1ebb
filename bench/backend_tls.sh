#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/backend_tls.sh BUILD_DIR: what TLS to the backend costs.  One Dovecot (implicit TLS
# and plain IMAP, tests/lib/backend_tls.bash), one mailproxy with three servers: plaintext
# on both sides, TLS to the client only, TLS on both sides (proxy_ssl on); then
# bench/backend_tls.py: CPU per login cycle of the proxy's processes and the memory of an
# idle logged-in session.  `make bench` runs it after bench/run.sh (BENCH_ONLY btls);
# BENCH_QUICK=1 does fewer cycles and sessions.
set -u
BUILD=${1:?usage: bench/backend_tls.sh BUILD_DIR}
export MAILPROXY_BUILD=$BUILD
if [ "${BENCH_QUICK:-0}" = 1 ]; then N=50 K=20; else N=300 K=100; fi
# the test suites' set-up: Dovecot, the auth server, the proxy under systemd-socket-activate
source "$(dirname "$0")/../tests/lib/common.bash"
source "$MP_TESTS/lib/tls.bash"
source "$MP_TESTS/lib/backend_tls.bash"
trap 'mp_cleanup 2>/dev/null' EXIT
tls_init
backend_certs
# plaintext logins too (the proxy is a trusted network), and room for the idle sessions
DOVECOT_TLS_EXTRA="login_trusted_networks = 127.0.0.0/8
default_process_limit = 1000
protocol imap {
  mail_max_userip_connections = 10000
}" dovecot_tls_start
authserver_start --route "/plain=127.0.0.2:$DOVECOT_IMAP" --route "/tls=127.0.0.2:$DOVECOT_IMAPS"
a="127.0.0.1:$AUTHPORT" c="ssl_certificate $PKI/server.crt; ssl_certificate_key $PKI/server.key;"
mp_server plain "auth_http $a/plain;"
mp_server client "# listen-ssl
	$c auth_http $a/plain;"
mp_server both "# listen-ssl
	$c auth_http $a/tls; proxy_ssl on; proxy_ssl_trusted_certificate $PKI/ca.crt;"
n0=$(wc -l <"$T/pids")
tls_proxy_start
pids=$(tail -n +$((n0 + 1)) "$T/pids" | head -n 1)	# the fd-3 systemd-socket-activate
echo "== TLS to the backend: CPU per login cycle and memory of an idle session (mailproxy, $N cycles, $K idle sessions) =="
python3 "$(dirname "$0")/backend_tls.py" "$N" "$K" "plaintext both sides=$(port plain)" \
	"TLS to the client only=$(port client):tls" "TLS on both sides=$(port both):tls" -- $pids
