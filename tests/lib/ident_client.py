#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# ident_client.py - one IMAP or POP3 login from a chosen source address, for
# tests/ident.bats: what the backend learns of the client is checked in its log.
#
#   ident_client.py [--src IP] [--pp TEXT] [--id ARGS] imap|pop3 PORT USER PASS
#
# --src binds the client to IP (any 127.x address works on Linux); --pp sends TEXT first
# (a PROXY v1 line, wire.py escapes); --id sends "i ID ARGS" before the IMAP LOGIN.
# Prints "port=<the client's own port>", then every reply, wire.py-escaped, one per line.

import argparse
import socket
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from wire import esc, unesc  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--src", default="127.0.0.1")
ap.add_argument("--pp")
ap.add_argument("--id")
ap.add_argument("proto", choices=("imap", "pop3"))
ap.add_argument("port", type=int)
ap.add_argument("user")
ap.add_argument("password")
a = ap.parse_args()

s = socket.create_connection(("127.0.0.1", a.port), timeout=10, source_address=(a.src, 0))
print("port=%d" % s.getsockname()[1])
f = s.makefile("rb")
if a.pp:
    s.sendall(unesc(a.pp))


def line():
    ln = f.readline()
    print(esc(ln))
    return ln


def until(tag):
    while True:
        ln = line()
        if not ln or ln.startswith(tag):
            return ln


line()
if a.proto == "imap":
    if a.id:
        s.sendall(b"i ID " + a.id.encode() + b"\r\n")
        until(b"i ")
    s.sendall(b'l LOGIN "%s" "%s"\r\n' % (a.user.encode(), a.password.encode()))
    if until(b"l ").startswith(b"l OK"):
        s.sendall(b"o LOGOUT\r\n")
        until(b"o ")
else:
    s.sendall(b"USER %s\r\n" % a.user.encode())
    line()
    s.sendall(b"PASS %s\r\n" % a.password.encode())
    if line().startswith(b"+OK"):
        s.sendall(b"QUIT\r\n")
        line()
s.close()
