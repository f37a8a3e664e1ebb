#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# wire.py - a raw-wire client for the test suites: it connects, runs a script of steps and
# prints every byte it received on one line, with \r, \n, \\ and other non-printables as
# escapes, so a test can compare the exact bytes:  * OK IMAP4 ready\r\n
#
#   wire.py [-t TIMEOUT] [-e] [-l LINGER] [HOST:]PORT STEP...
#
# Steps (TEXT takes the escapes \r \n \t \\ \xNN):
#   >TEXT    send TEXT
#   <TEXT    read until TEXT has arrived (after the end of the previous match)
#   .        read until the server closes the connection
#   ~SECS    sleep
#   =SECS    read whatever arrives during SECS
#   !EXPR    send the result of the Python expression EXPR (bytes or str); the variables
#            `got` (bytes received so far) and `last` (the last line received, CRLF
#            stripped) are available, plus base64, hmac, hashlib and the helpers b64 and
#            cram(user, password): the answer to the last CRAM-MD5 challenge
# After the last step wire.py reads for LINGER seconds more (default 0.1) so that stray
# bytes show.  "[EOF]" is appended if the server closed the connection, "[TIMEOUT]" if a
# step timed out (TIMEOUT seconds, default 5); a connection reset counts as EOF.  With -e the
# time from connecting to EOF is printed on a second line as "elapsed=SECONDS".

import argparse
import base64
import hashlib
import hmac
import select
import socket
import sys
import time


def unesc(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")


def esc(b):
    out = []
    for c in b:
        if c == 0x0d:
            out.append("\\r")
        elif c == 0x0a:
            out.append("\\n")
        elif c == 0x09:
            out.append("\\t")
        elif c == 0x5c:
            out.append("\\\\")
        elif 0x20 <= c < 0x7f:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


class Conn:
    def __init__(self, addr, timeout):
        host, _, port = addr.rpartition(":")
        self.sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout)
        self.timeout = timeout
        self.got = b""
        self.pos = 0
        self.eof = False
        self.reset = False
        self.t0 = time.monotonic()
        self.t_eof = None

    def recv_some(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
            self.reset = True
        if not chunk:
            self.eof = True
            self.t_eof = time.monotonic()
            return False
        self.got += chunk
        return True

    def until(self, pat):
        deadline = time.monotonic() + self.timeout
        while True:
            i = self.got.find(pat, self.pos)
            if i >= 0:
                self.pos = i + len(pat)
                return True
            if self.eof or time.monotonic() >= deadline:
                return False
            self.recv_some(deadline)

    def to_eof(self):
        deadline = time.monotonic() + self.timeout
        while not self.eof and time.monotonic() < deadline:
            self.recv_some(deadline)
        return self.eof

    def drain(self, secs):
        deadline = time.monotonic() + secs
        while not self.eof and time.monotonic() < deadline:
            self.recv_some(deadline)

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.reset = True


def cram(got, user, password):
    last = [l for l in got.split(b"\r\n") if l.startswith(b"+ ")][-1]
    salt = base64.b64decode(last[2:])
    digest = hmac.new(password.encode(), salt, hashlib.md5).hexdigest()
    return base64.b64encode((user + " " + digest).encode()) + b"\r\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-t", type=float, default=5.0)
    ap.add_argument("-l", type=float, default=0.1)
    ap.add_argument("-e", action="store_true")
    ap.add_argument("addr")
    ap.add_argument("steps", nargs="*")
    a = ap.parse_args()
    try:
        c = Conn(a.addr, a.t)
    except OSError as e:
        print("[CONNECT FAILED: %s]" % e)
        sys.exit(1)
    timed_out = False
    for st in a.steps:
        op, arg = st[:1], st[1:]
        if op == ">":
            c.send(unesc(arg))
        elif op == "<":
            if not c.until(unesc(arg)):
                timed_out = not c.eof
                break
        elif op == ".":
            if not c.to_eof():
                timed_out = True
                break
        elif op == "~":
            time.sleep(float(arg))
        elif op == "=":
            c.drain(float(arg))
        elif op == "!":
            lines = [l for l in c.got.split(b"\r\n") if l]
            env = {"got": c.got, "last": lines[-1] if lines else b"", "base64": base64,
                   "hmac": hmac, "hashlib": hashlib,
                   "b64": lambda s: base64.b64encode(s if isinstance(s, bytes) else s.encode()),
                   "cram": lambda u, p: cram(c.got, u, p)}
            v = eval(arg, env)
            c.send(v if isinstance(v, bytes) else v.encode())
        else:
            sys.exit("wire.py: bad step %r" % st)
    if not timed_out and a.l > 0:
        c.drain(a.l)
    out = esc(c.got)
    if c.eof:
        out += "[EOF]"
    if timed_out:
        out += "[TIMEOUT]"
    print(out)
    if a.e:
        t = (c.t_eof if c.t_eof is not None else time.monotonic()) - c.t0
        print("elapsed=%.2f" % t)


if __name__ == "__main__":
    main()
