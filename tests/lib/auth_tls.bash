# SPDX-License-Identifier: ISC
# auth_tls.bash - the auth server behind TLS, for tests/auth_https.bats.  Source after
# common.bash and tls.bash (tls_pki makes the certificates; server.crt is for localhost
# and 127.0.0.1, signed by ca.crt; other-ca.crt is a CA that signed nothing of ours).
#
#   auth_tls_start PKI_DIR [ARGS]   tests/authserver.py over TLS on $AUTHTLSPORT, with the
#                                   same users and backends as authserver_start and its
#                                   raw request log in $T/auth-tls.log

auth_tls_start() {
	local pki=$1
	shift
	read -r AUTHTLSPORT < <(free_ports 1)
	export AUTHTLSPORT
	[ -s "$T/users" ] || printf '%s\n' "$MP_USERS" >"$T/users"
	: >"$T/auth-tls.log"
	python3 "$MP_TESTS/lib/authserver_tls.py" --cert "$pki/server.crt" --key "$pki/server.key" \
		--listen "127.0.0.1:$AUTHTLSPORT" --users "$T/users" \
		--backend "imap=127.0.0.1:$DOVECOT_IMAP" --backend "pop3=127.0.0.1:$DOVECOT_POP3" \
		--log "$T/auth-tls.log" "$@" >"$T/authserver-tls.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$AUTHTLSPORT"
}

# auth_tls_requests: every request the TLS auth server received, escaped as wire.py does
auth_tls_requests() {
	python3 - "$T/auth-tls.log" <<'PY'
import os, sys
sys.path.insert(0, os.environ["MP_TESTS"] + "/lib")
from wire import esc
data = open(sys.argv[1], "rb").read()
for req in data.split(b"\r\n\r\n")[:-1]:
    print(esc(req + b"\r\n\r\n"))
PY
}
