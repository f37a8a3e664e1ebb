#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# inetd_client.py PORT [LINE...] - connect to 127.0.0.1:PORT, send each LINE (CRLF added)
# after the previous reply line came, and print every byte the server sent, as Python's
# bytes repr on one line, once it has closed (EOF), or when nothing came for 1.5 s
# (then "TIMEOUT" follows on a second line).  Exit 0 either way; 2 if the connection failed.
import socket
import sys

try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
except OSError as e:
    print("CONNECT FAILED:", e)
    sys.exit(2)
got = b""
lines = [a.encode() + b"\r\n" for a in sys.argv[2:]]
s.settimeout(1.5)
timed_out = False
while True:
    try:
        d = s.recv(65536)
    except socket.timeout:
        if lines:
            s.sendall(lines.pop(0))
            continue
        timed_out = True
        break
    if not d:
        break
    got += d
    if lines and got.endswith(b"\r\n"):
        s.sendall(lines.pop(0))
print(repr(got))
if timed_out:
    print("TIMEOUT")
