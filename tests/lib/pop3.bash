# SPDX-License-Identifier: ISC
# pop3.bash - helpers for tests/pop3.bats.  Source after common.bash.
#
#   pop3_conf                 make every server{} of the suite a POP3 server
#                             (common.bash writes "protocol imap;")
#   pop3_cert                 a self-signed certificate for starttls servers:
#                             $T/pop3.crt, $T/pop3.key
#   fetch_poplib PORT N [apop|user]
#                             log in as alice with python's poplib and print message N raw
#   apop_digest SALT PASSWORD md5 hex of salt.password, as APOP wants it

pop3_conf() {
	eval "$(declare -f mp_write_conf | sed '1s/mp_write_conf/pop3_write_conf_imap/')"
	mp_write_conf() {
		pop3_write_conf_imap "$@"
		sed -i 's/^\([[:space:]]*\)protocol imap;$/\1protocol pop3;/' "$T/$1/proxy.conf"
	}
}

pop3_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/pop3.key" -out "$T/pop3.crt" \
		-days 30 -subj /CN=mail.test >/dev/null 2>&1
}

fetch_poplib() {
	python3 - "$1" "$2" "${3:-user}" <<'PY'
import poplib, sys
m = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
if sys.argv[3] == "apop":
    m.apop("alice", "alicepass")
else:
    m.user("alice")
    m.pass_("alicepass")
resp, lines, octets = m.retr(int(sys.argv[2]))
assert resp.startswith(b"+OK"), resp
sys.stdout.buffer.write(b"".join(l + b"\r\n" for l in lines))
m.quit()
PY
}

apop_digest() {
	python3 -c 'import hashlib, sys; print(hashlib.md5((sys.argv[1] + sys.argv[2]).encode()).hexdigest())' "$1" "$2"
}

# stls_session PORT PLAIN CMD...: read the greeting, send PLAIN (e.g. "STLS\r\nCAPA\r\n"),
# read "+OK\r\n", start TLS, then send each CMD and read its reply (multi-line for CAPA and
# bare AUTH).  Prints everything received, escaped as wire.py does, with "|TLS|" where the
# handshake happened.
stls_session() {
	python3 - "$@" <<'PY'
import socket, ssl, sys
sys.path.insert(0, __import__("os").environ["MP_TESTS"] + "/lib")
from wire import esc, unesc
port, plain, cmds = int(sys.argv[1]), unesc(sys.argv[2]), sys.argv[3:]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
f = s.makefile("rb")
out = f.readline()
s.sendall(plain)
out += f.readline()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
out += b"|TLS|"
tf = t.makefile("rb")
for c in cmds:
    t.sendall(unesc(c))
    line = tf.readline()
    out += line
    if c.upper().startswith(("CAPA", "AUTH\\R")) and line.startswith(b"+OK"):
        while line not in (b".\r\n", b""):
            line = tf.readline()
            out += line
print(esc(out))
PY
}
