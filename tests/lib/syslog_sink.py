#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# syslog_sink.py SOCKET OUT - a syslog collector: bind a datagram socket at SOCKET (a unix
# path, or udp:PORT / udp6:PORT on the loopback) and append every datagram to OUT, one
# line each (a trailing newline dropped, others shown as \n), until killed.  OUT exists
# once the socket is bound.  A stand-in for /dev/log, or for a remote collector.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
if path.startswith("udp:"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(path[4:])))
elif path.startswith("udp6:"):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::1", int(path[5:])))
else:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\n").replace(b"\n", b"\\n") + b"\n")
