#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fake_tls_backend.py - backends that TLS to the backend must refuse, one per port:
#   expired=PORT     IMAP over implicit TLS with an expired certificate (CERT KEY)
#   nostarttls=PORT  IMAP in clear that answers every command, STARTTLS too, with BAD
#   inject=PORT      IMAP that answers STARTTLS with OK and, in the same write, an
#                    untagged line: a reply injected before the handshake
#   smtpnotls=PORT   SMTP whose EHLO reply lists no STARTTLS
#   needcert=PORT    IMAP over implicit TLS (CERT KEY) that wants a client certificate by
#                    the CA in CAFILE, logs its subject ("needcert: cert CN=...") and
#                    accepts any LOGIN sent as nginx sends it (two literals)
# Every line received goes to LOG, prefixed with the mode, so a test can show that no
# credential ever reached a refused backend; the expired backend logs the SNI it got
# ("SNI None" for none).
#
#   fake_tls_backend.py LOG CERT KEY MODE=PORT... [needcert=PORT NCERT NKEY CAFILE]

import socket
import socketserver
import ssl
import sys
import threading

log, cert, key = sys.argv[1:4]
lock = threading.Lock()


def record(mode, line):
    with lock, open(log, "ab") as f:
        f.write(mode.encode() + b": " + line)


def make(mode):
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            sock = self.request
            if mode == "needcert":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(need[0], need[1])
                ctx.load_verify_locations(need[2])
                ctx.verify_mode = ssl.CERT_REQUIRED
                try:
                    sock = ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    record(mode, b"refused %s\n" % str(getattr(e, "reason", e)).encode())
                    return
                subj = dict(x[0] for x in sock.getpeercert()["subject"])
                record(mode, b"cert CN=%s\n" % subj.get("commonName", "").encode())
            if mode == "expired":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert, key)
                ctx.sni_callback = lambda s, name, c: record(mode, b"SNI %s\n" % str(name).encode())
                try:
                    sock = ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            greeting = b"220 fake ESMTP\r\n" if mode == "smtpnotls" else b"* OK fake ready\r\n"
            tag = b"*"
            try:
                sock.sendall(greeting)
                f = sock.makefile("rb")
                for line in f:
                    record(mode, line)
                    word = line.split(b" ")
                    if mode == "needcert":
                        if line.rstrip().endswith(b"}"):
                            tag = word[0] if b"LOGIN" in line.upper() else tag
                            sock.sendall(b"+ go ahead\r\n")
                        else:
                            sock.sendall(tag + b" OK logged in\r\n")
                        continue
                    if mode == "smtpnotls":
                        if line[:4].upper() == b"EHLO":
                            sock.sendall(b"250-fake\r\n250 PIPELINING\r\n")
                        else:
                            sock.sendall(b"502 5.5.1 no\r\n")
                    elif mode == "inject" and len(word) > 1 and word[1].strip().upper() == b"STARTTLS":
                        sock.sendall(word[0] + b" OK Begin TLS negotiation now\r\n"
                                     b"* OK [CAPABILITY IMAP4rev1] injected\r\n")
                    else:
                        sock.sendall(word[0] + b" BAD not here\r\n")
            except OSError:
                return
    return H


class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


servers = []
args = sys.argv[4:]
need = None
if any(a.startswith("needcert=") for a in args):
    need = args[-3:]
    args = args[:-3]
for arg in args:
    mode, port = arg.split("=")
    srv = S(("127.0.0.1", int(port)), make(mode))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers.append(srv)
threading.Event().wait()
