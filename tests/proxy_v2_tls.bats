#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# proxy_v2_tls.bats - `proxy_protocol v2` to the backend when the client connection is
# TLS (nginx 1.31.4): the header the backend receives carries AUTHORITY (the SNI), ALPN,
# and SSL (client flags, verify result, VERSION / CN / CIPHER sub-TLVs) before the
# CRC32C TLV, which stays last and correct. mailproxy sends no SIG_ALG / KEY_ALG
# sub-TLVs (lib/session/proxy_send.c says why).
# Wire bytes: doc/wire.md#proxy-protocol-send; haproxy's proxy-protocol.txt 2.2 for the
# TLVs.

load lib/common
load lib/pp_record
load lib/tls

setup_file() {
	tls_init
	dovecot_start
	authserver_start
	# the recording backend in front of Dovecot, and an auth server that sends logins there
	pp_recorder_start

	local c="ssl_certificate $PKI/server.crt;
		ssl_certificate_key $PKI/server.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		proxy_protocol v2;
		auth_http 127.0.0.1:$AUTH2PORT/auth;"
	# nginx 1.22 (MAILPROXY_TARGET=nginx) refuses "v2": it came in 1.31.4
	if [ "$MAILPROXY_TARGET" != nginx ]; then
		mp_server v2_tls "# listen-ssl
			$c"
		mp_server v2_verify "# listen-ssl
			$c
			ssl_verify_client optional;
			ssl_client_certificate $PKI/ca.crt;"
		mp_server v2_noca "# listen-ssl
			$c
			ssl_verify_client optional_no_ca;"
		mp_server v2_starttls "starttls on;
			$c"
	fi
	tls_proxy_start
}

teardown_file() { mp_cleanup; }
setup() {
	skip_on_nginx "proxy_protocol v2 is 1.31.4"
	: >"$T/pp.log"
	: >"$T/auth2.log"
}
teardown() { check_sanitizers; }

tls_login() { # PORT [tls_wire OPTIONS...]; after STARTTLS there is no greeting to wait for
	local p=$1 greet='<\r\n'
	shift
	if [[ " $* " == *" --starttls "* ]]; then greet='<'; fi
	run tls_wire "$p" "$@" "$greet" '>a LOGIN alice alicepass\r\n' '<a OK' '<\r\n'
	[[ "$output" == *"a OK "*'Logged in\r\n' ]]
}

# pp_tlvs PORT: the recorded v2 header checked (signature, PROXY over TCP4 from 127.0.0.1
# to PORT, length, CRC32C last and correct) and its TLVs, one per line, the SSL TLV's
# sub-TLVs indented; the cipher shown as CIPHER=<Auth-SSL-Cipher> when they agree
pp_tlvs() {
	python3 - "$T/pp.log" "$1" "$T/auth2.log" <<'EOF'
import struct, sys
lines = open(sys.argv[1]).read().split("\n")
assert len(lines) == 2 and lines[1] == "", lines
b = lines[0].encode().decode("unicode_escape").encode("latin-1")
assert b[:12] == b"\r\n\r\n\0\r\nQUIT\n", b
assert b[12] == 0x21 and b[13] == 0x11, b[12:14]
assert struct.unpack(">H", b[14:16])[0] == len(b) - 16, (len(b), b[14:16])
src, dst, sp, dp = b[16:20], b[20:24], *struct.unpack(">HH", b[24:28])
assert src == dst == bytes([127, 0, 0, 1]) and dp == int(sys.argv[2]), (src, dst, dp)

auth = open(sys.argv[3], "rb").read().split(b"\r\n\r\n")[-2]
cipher = [l.split(b": ", 1)[1] for l in auth.split(b"\r\n") if l.startswith(b"Auth-SSL-Cipher: ")]
assert len(cipher) == 1, auth

def crc32c(data):
    crc = 0xffffffff
    for x in data:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff

def walk(p):
    i, out = 0, []
    while i < len(p):
        assert len(p) - i >= 3, p[i:]
        t, l = p[i], struct.unpack(">H", p[i + 1:i + 3])[0]
        assert len(p) - i - 3 >= l, (t, l, len(p) - i - 3)
        out.append((t, i, p[i + 3:i + 3 + l]))
        i += 3 + l
    return out

names = {1: "ALPN", 2: "AUTHORITY", 3: "CRC32C", 0x20: "SSL"}
subnames = {0x21: "VERSION", 0x22: "CN", 0x23: "CIPHER", 0x24: "SIG_ALG", 0x25: "KEY_ALG"}

def text(name, v):
    if name == "CIPHER":
        return "CIPHER=<Auth-SSL-Cipher>" if v == cipher[0] else "CIPHER=" + v.decode() + "!"
    return name + "=" + v.decode("latin-1")

tlvs = walk(b[28:])
for n, (t, off, v) in enumerate(tlvs):
    name = names.get(t, "0x%02x" % t)
    if t == 3:
        assert n == len(tlvs) - 1 and len(v) == 4, "CRC32C not last"
        at = 28 + off + 3
        ok = crc32c(b[:at] + b"\0\0\0\0" + b[at + 4:]) == struct.unpack(">I", v)[0]
        print("CRC32C " + ("ok" if ok else "BAD"))
    elif t == 0x20:
        assert len(v) >= 5, v
        print("SSL client=0x%02x verify=%d" % (v[0], struct.unpack(">I", v[1:5])[0]))
        for st, _, sv in walk(v[5:]):
            print("  " + text(subnames.get(st, "0x%02x" % st), sv))
    else:
        print(text(name, v))
EOF
}

@test "implicit TLS, SNI and ALPN imap: AUTHORITY, ALPN, SSL VERSION+CIPHER, CRC32C last" {
	tls_login "$(port v2_tls)" --alpn imap
	run pp_tlvs "$(port v2_tls)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "AUTHORITY=mail.test
ALPN=imap
SSL client=0x01 verify=0
  VERSION=TLSv1.3
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}

@test "no ALPN offered: no ALPN TLV, the rest unchanged" {
	tls_login "$(port v2_tls)"
	run pp_tlvs "$(port v2_tls)"
	echo "$output"
	[ "$output" = "AUTHORITY=mail.test
SSL client=0x01 verify=0
  VERSION=TLSv1.3
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}

@test "TLSv1.2 client: VERSION=TLSv1.2" {
	run timeout 20 openssl s_client -connect "127.0.0.1:$(port v2_tls)" -CAfile "$PKI/ca.crt" \
		-quiet -tls1_2 -servername mail.example.org -alpn imap \
		< <(sleep 1; printf 'a LOGIN alice alicepass\r\n'; sleep 1; printf 'b LOGOUT\r\n')
	[[ "$output" == *"a OK "*"Logged in"* ]]
	run pp_tlvs "$(port v2_tls)"
	echo "$output"
	[ "$output" = "AUTHORITY=mail.example.org
ALPN=imap
SSL client=0x01 verify=0
  VERSION=TLSv1.2
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}

@test "ssl_verify_client optional, no certificate: verify 0, no CERT flags, no CN" {
	tls_login "$(port v2_verify)" --alpn imap
	run pp_tlvs "$(port v2_verify)"
	echo "$output"
	[ "$output" = "AUTHORITY=mail.test
ALPN=imap
SSL client=0x01 verify=0
  VERSION=TLSv1.3
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}

@test "a verified client certificate: CERT_CONN+CERT_SESS, verify 0, CN" {
	tls_login "$(port v2_verify)" --alpn imap --cert "$PKI/client.crt" --key "$PKI/client.key"
	run pp_tlvs "$(port v2_verify)"
	echo "$output"
	[ "$output" = "AUTHORITY=mail.test
ALPN=imap
SSL client=0x07 verify=0
  VERSION=TLSv1.3
  CN=client.test
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}

@test "a tolerated verification failure (optional_no_ca, self-signed): verify 18" {
	tls_login "$(port v2_noca)" --alpn imap --cert "$PKI/self.crt" --key "$PKI/self.key"
	run pp_tlvs "$(port v2_noca)"
	echo "$output"
	[ "$output" = "AUTHORITY=mail.test
ALPN=imap
SSL client=0x07 verify=18
  VERSION=TLSv1.3
  CN=self.test
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}

@test "STARTTLS: the TLS TLVs too" {
	tls_login "$(port v2_starttls)" --starttls
	run pp_tlvs "$(port v2_starttls)"
	echo "$output"
	[ "$output" = "AUTHORITY=mail.test
SSL client=0x01 verify=0
  VERSION=TLSv1.3
  CIPHER=<Auth-SSL-Cipher>
CRC32C ok" ]
}
