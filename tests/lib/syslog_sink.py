#!/usr/bin/env python3
# syslog_sink.py SOCKET OUT - a stand-in for /dev/log: bind a unix datagram socket at
# SOCKET and append every datagram to OUT, one line each (a trailing newline dropped),
# until killed.  OUT exists once the socket is bound.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
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
