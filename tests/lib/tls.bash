# SPDX-License-Identifier: ISC
# tls.bash - test PKI and TLS helpers for tests/tls.bats.  Source after common.bash.
#
# tls_pki DIR makes, with openssl:
#   ca.crt ca.key             the test CA ("CN=Test CA,O=mailproxy tests")
#   server.crt server.key     CN=mail.test, SAN mail.test, localhost, 127.0.0.1
#   ecserver.crt ecserver.key the same name with an EC P-256 key
#   client.crt client.key     CN=client.test,O=Example\, Inc.  (a comma to escape), by the CA
#   revoked.crt revoked.key   CN=revoked.test by the CA, revoked in crl.pem
#   self.crt self.key         CN=self.test, self-signed
#   other-ca.crt, stranger.crt stranger.key   CN=stranger.test by an unknown CA
#   crl.pem                   the CA's CRL listing revoked.crt
#   enc.key, passwords        server.key encrypted with "secret2" (second line of passwords)
#   ticket.key                48 random bytes for ssl_session_ticket_key
# With MP_PKI_CACHE naming a directory that holds such a PKI (tests/run-suites.sh makes one
# per pass), tls_pki copies it instead: seven RSA keys take seconds, and every TLS suite
# wants them.

# tls_init: mp_init, then the test PKI in $T/pki (exported as PKI): what every TLS suite
# starts with
tls_init() {
	mp_init
	PKI=$T/pki
	export PKI
	tls_pki "$PKI"
}

tls_pki() {
	local d=$1
	if [ -n "${MP_PKI_CACHE:-}" ] && [ -s "$MP_PKI_CACHE/ticket.key" ]; then
		mkdir -p "$d"
		cp -a "$MP_PKI_CACHE/." "$d/"
		return
	fi
	mkdir -p "$d/ca-db"
	(
		set -e
		cd "$d"
		: >ca-db/index.txt
		echo 1000 >ca-db/serial
		cat >ca.cnf <<'EOF'
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
certificate = ca.crt
private_key = ca.key
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server ]
basicConstraints = CA:false
extendedKeyUsage = serverAuth
subjectAltName = DNS:mail.test, DNS:localhost, IP:127.0.0.1
[ client ]
basicConstraints = CA:false
extendedKeyUsage = clientAuth
EOF
		q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; return 1; }; }
		q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
			-subj "/O=mailproxy tests/CN=Test CA" -config ca.cnf -extensions v3_ca
		# leaf certificates: key, CSR, then signed by the CA with the given extensions
		leaf() { # NAME SUBJECT EXT [NEWKEY-OPTIONS...]
			local k=(-newkey rsa:2048)
			if (($# > 3)); then k=("${@:4}"); fi
			q openssl req "${k[@]}" -nodes -keyout "$1.key" -out "$1.csr" \
				-subj "$2" -config ca.cnf
			q openssl ca -batch -config ca.cnf -extensions "$3" -in "$1.csr" -out "$1.crt" -notext
		}
		leaf server "/CN=mail.test" server
		leaf ecserver "/CN=mail.test" server -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
		leaf client "/O=Example, Inc./CN=client.test" client
		leaf revoked "/CN=revoked.test" client
		q openssl ca -batch -config ca.cnf -revoke revoked.crt
		q openssl ca -batch -config ca.cnf -gencrl -out crl.pem
		q openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.crt -days 3650 \
			-subj "/CN=self.test" -config ca.cnf -extensions client
		q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt \
			-days 3650 -subj "/CN=Other CA" -config ca.cnf -extensions v3_ca
		q openssl req -newkey rsa:2048 -nodes -keyout stranger.key -out stranger.csr \
			-subj "/CN=stranger.test" -config ca.cnf
		q openssl x509 -req -in stranger.csr -CA other-ca.crt -CAkey other-ca.key \
			-CAcreateserial -out stranger.crt -days 3650
		printf 'wrong1\nsecret2\n' >passwords
		q openssl pkey -in server.key -aes256 -passout pass:secret2 -out enc.key
		head -c 48 /dev/urandom >ticket.key
		chmod 644 ./*.key ./*.crt
	)
}

# cert_field FILE FIELD: what nginx would send as Auth-SSL-FIELD for the certificate
cert_field() {
	case $2 in
	Subject) openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//' ;;
	Issuer) openssl x509 -in "$1" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//' ;;
	Serial) openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' ;;
	Fingerprint) openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g' |
		tr 'A-F' 'a-f' ;;
	esac
}

# auth_header NAME: the value of header NAME in the last auth request ("" if absent)
auth_header() {
	python3 - "$T/auth.log" "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
reqs = data.split(b"\r\n\r\n")[:-1]
if reqs:
    for line in reqs[-1].split(b"\r\n"):
        k, _, v = line.partition(b": ")
        if k.decode("latin-1").lower() == sys.argv[2].lower():
            sys.stdout.buffer.write(v)
            break
EOF
}

# auth_ssl_headers: the Auth-SSL* header lines of the last auth request, in order
auth_ssl_headers() {
	python3 - "$T/auth.log" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
reqs = data.split(b"\r\n\r\n")[:-1]
if reqs:
    for line in reqs[-1].split(b"\r\n"):
        if line.lower().startswith(b"auth-ssl"):
            print(line.decode("latin-1").split(":")[0])
EOF
}

# s_client PORT [OPTS...]: openssl s_client to 127.0.0.1:PORT trusting the test CA; stdin
# is sent after the handshake; prints only what the server sent (-quiet)
s_client() {
	local p=$1
	shift
	timeout 20 openssl s_client -connect "127.0.0.1:$p" -CAfile "$PKI/ca.crt" -quiet \
		-verify_return_error "$@" 2>"$T/s_client.err"
}

# tls_wire PORT [--cert C --key K] [--starttls] STEP...: like wire, through TLS
# (implicit, or IMAP STARTTLS after the greeting); see tests/lib/tls_wire.py in this file
tls_wire() {
	python3 - "$@" <<'EOF'
import socket, ssl, sys, time, os
args = sys.argv[1:]
port = int(args.pop(0))
cert = key = None
starttls = False
alpn = None
while args and args[0].startswith("--"):
    o = args.pop(0)
    if o == "--cert": cert = args.pop(0)
    elif o == "--key": key = args.pop(0)
    elif o == "--starttls": starttls = True
    elif o == "--alpn": alpn = args.pop(0).split(",")
ctx = ssl.create_default_context(cafile=os.environ["PKI"] + "/ca.crt")
ctx.check_hostname = False
if cert:
    ctx.load_cert_chain(cert, key)
if alpn:
    ctx.set_alpn_protocols(alpn)
def unesc(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")
def esc(b):
    out = ""
    for c in b:
        if c == 13: out += "\\r"
        elif c == 10: out += "\\n"
        elif 32 <= c < 127 and c != 92: out += chr(c)
        else: out += "\\x%02x" % c
    return out
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
out = b""
s = raw
def readuntil(sock, want):
    global out
    buf = b""
    while not buf.endswith(want):
        try:
            d = sock.recv(1)
        except (ConnectionError, ssl.SSLError, socket.timeout) as e:
            d = b""
        if not d:
            out += buf
            return False
        buf += d
    out += buf
    return True
if starttls:
    readuntil(raw, b"\r\n")
    raw.sendall(b"S STARTTLS\r\n")
    readuntil(raw, b"\r\n")
try:
    s = ctx.wrap_socket(raw, server_hostname="mail.test")
except (ssl.SSLError, OSError) as e:
    out += ("[TLS: %s]" % (getattr(e, "reason", None) or e)).encode()
    sys.stdout.write(esc(out))
    sys.exit(0)
for step in args:
    if step.startswith(">"):
        s.sendall(unesc(step[1:]))
    elif step.startswith("<"):
        if not readuntil(s, unesc(step[1:])):
            out += b"[EOF]"
            break
    elif step == "eof":
        while True:
            try:
                d = s.recv(4096)
            except (ConnectionError, ssl.SSLError, socket.timeout):
                d = b""
            if not d:
                break
            out += d
        out += b"[EOF]"
sys.stdout.write(esc(out))
EOF
}

# tls_proxy_start [INST]: proxy_start, with "listen ... ssl" for the servers whose
# directives contain the marker "# listen-ssl"
tls_proxy_start() {
	declare -F __tls_orig_write_conf >/dev/null ||
		eval "__tls_orig_write_conf() $(declare -f mp_write_conf | tail -n +2)"
	mp_write_conf() {
		__tls_orig_write_conf "$@"
		python3 - "$T/$1/proxy.conf" <<'EOF'
import re, sys
p = sys.argv[1]
out, ssl = [], False
lines = open(p).read().split("\n")
# a server block is marked when its body holds the marker; listen lines come first
for i, l in enumerate(lines):
    if re.match(r"\s*server \{", l):
        j, ssl = i + 1, False
        while j < len(lines) and not re.match(r"\s*\}\s*$", lines[j]):
            if "# listen-ssl" in lines[j]:
                ssl = True
            j += 1
    if ssl and re.match(r"\s*listen 127\.0\.0\.1:\d+;", l):
        l = l.replace(";", " ssl;")
    out.append(l)
open(p, "w").write("\n".join(out))
EOF
	}
	proxy_start "$@"
}

# tls_proxy_start_env INST VAR=VALUE...: another mailproxy instance (fd 3 style only) whose
# handler runs with the given environment (systemd-socket-activate passes no other)
tls_proxy_start_env() {
	local inst=$1 dir=$T/$1 a l3=() envs=()
	shift
	for a in "$@"; do envs+=(-E "$a"); done
	mkdir -p "$dir"
	mp_write_conf "$inst"
	echo mailproxy >"$dir/kind"
	: >"$dir/error.log"
	while read -r _ a _; do l3+=(-l "127.0.0.1:$a"); done <"$dir/ports"
	tls_daemon_env "$inst" "${envs[@]}"
	systemd-socket-activate "${l3[@]}" -a "${TLS_ENV[@]}" "${envs[@]}" "$MAILPROXY_BUILD/mailproxy" \
		-c "$dir/proxy.conf" >"$dir/ssa-fd3.log" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen $(awk '{ print $2 }' "$dir/ports") || { cat "$dir"/*.log >&2; return 1; }
}
