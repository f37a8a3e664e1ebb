# SPDX-License-Identifier: ISC
# tls_more.bash - helpers for tests/tls_pop3_smtp.bats, tests/smtp_resolver.bats and
# tests/cve_smtp.bats.  Load after lib/common (and after lib/smtp when it is used).
#
#   xserver NAME PROTO 'LISTEN-OPTIONS' 'DIRECTIVES'
#                   like mp_server, for a server of protocol PROTO (imap, pop3, smtp)
#                   whose two listen lines get LISTEN-OPTIONS ("ssl", "proxy_protocol")
#   xwire [--cert C --key K] PORT STEP...
#                   like wire (tests/lib/wire.py: >TEXT, <TEXT, ., ~SECS), plus the step
#                   "tls": start TLS here (first step: implicit TLS; later: after a
#                   STARTTLS/STLS reply), trusting $PKI/ca.crt.  A failed handshake
#                   prints "[TLS: reason]" and ends the script.
#   xrec_start      tests/lib/xclient_record.py: $XREC_PORT records the proxy's bytes to
#                   Postfix ($POSTFIX_PORT) in $T/xrec.log, $XFAKE_PORT records them in
#                   $T/xfake.log and answers itself, $XAUTH_PORT accepts any login and
#                   sends it to $XFAKE_PORT (requests in $T/xauth.log)
#   xrec_lines FILE the recorded bytes, one line per line sent, escaped as wire.py does

XSERVERS=" "

xserver() {
	XSERVERS+="$1=$2=${3// /,} "
	mp_server "$1" "$4"
}

eval "xsrv_$(declare -f mp_write_conf)"
mp_write_conf() {
	xsrv_mp_write_conf "$@"
	python3 - "$T/$1/proxy.conf" "$XSERVERS" <<'EOF'
import re, sys
path, spec = sys.argv[1], {}
for item in sys.argv[2].split():
    name, proto, opts = item.split("=", 2)
    spec[name] = (proto, opts.replace(",", " "))
out, cur = [], None
for line in open(path):
    s = line.strip()
    if s.startswith("server { # "):
        cur = s[len("server { # "):]
    if cur in spec:
        proto, opts = spec[cur]
        if s == "protocol imap;":
            line = line.replace("imap", proto)
        elif opts and re.match(r"listen 127\.0\.0\.1:\d+;$", s):
            line = line.replace(";", " " + opts + ";")
    out.append(line)
open(path, "w").write("".join(out))
EOF
}

xwire() {
	python3 - "$@" <<'EOF'
import os, socket, ssl, sys, time
sys.path.insert(0, os.environ["MP_TESTS"] + "/lib")
from wire import esc, unesc
args = sys.argv[1:]
cert = key = None
while args[0].startswith("--"):
    o = args.pop(0)
    if o == "--cert": cert = args.pop(0)
    elif o == "--key": key = args.pop(0)
port = int(args.pop(0))
ctx = ssl.create_default_context(cafile=os.environ["PKI"] + "/ca.crt")
ctx.check_hostname = False
if cert:
    ctx.load_cert_chain(cert, key)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
got, pos, eof, tout = b"", 0, False, False
def recv():
    global got, eof
    try:
        d = s.recv(1)
    except (ConnectionError, ssl.SSLError):
        d = b""
    except socket.timeout:
        return None
    if not d:
        eof = True
    got += d
    return d
for st in args:
    op, arg = st[:1], st[1:]
    if st == "tls":
        try:
            s = ctx.wrap_socket(s, server_hostname="mail.test")
        except (ssl.SSLError, OSError) as e:
            got += ("[TLS: %s]" % (getattr(e, "reason", None) or e)).encode()
            break
    elif op == ">":
        try:
            s.sendall(unesc(arg))
        except OSError:
            pass
    elif op == "<":
        want = unesc(arg)
        while got.find(want, pos) < 0 and not eof:
            if recv() is None:
                tout = True
                break
        if got.find(want, pos) < 0:
            break
        pos = got.find(want, pos) + len(want)
    elif op == ".":
        while not eof:
            if recv() is None:
                tout = True
                break
    elif op == "~":
        time.sleep(float(arg))
s.settimeout(0.1)
while not eof and not tout:
    if recv() is None:
        break
print(esc(got) + ("[EOF]" if eof else "") + ("[TIMEOUT]" if tout else ""))
EOF
}

xrec_start() {
	read -r XREC_PORT XFAKE_PORT XAUTH_PORT < <(free_ports 3)
	export XREC_PORT XFAKE_PORT XAUTH_PORT
	: >"$T/xrec.log"
	: >"$T/xfake.log"
	: >"$T/xauth.log"
	local x="$MP_TESTS/lib/xclient_record.py"
	if [ -n "${POSTFIX_PORT:-}" ]; then
		python3 "$x" smtp "$XREC_PORT" "$POSTFIX_PORT" "$T/xrec.log" >"$T/xrec.stderr" 2>&1 </dev/null 3>&- &
		track $!
	fi
	python3 "$x" smtp "$XFAKE_PORT" - "$T/xfake.log" >"$T/xfake.stderr" 2>&1 </dev/null 3>&- &
	track $!
	python3 "$x" auth "$XAUTH_PORT" "$XFAKE_PORT" "$T/xauth.log" >"$T/xauth.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen ${POSTFIX_PORT:+"$XREC_PORT"} "$XFAKE_PORT" "$XAUTH_PORT"
}

xrec_lines() {
	python3 - "$1" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["MP_TESTS"] + "/lib")
from wire import esc
data = open(sys.argv[1], "rb").read()
for l in data.split(b"\r\n")[:-1]:
    print(esc(l))
if not data.endswith(b"\r\n") and data:
    print(esc(data.split(b"\r\n")[-1]) + "[no CRLF]")
EOF
}
