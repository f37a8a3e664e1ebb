#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# xclient_record.py - what the proxy sends to an SMTP backend, and a permissive auth server,
# for tests/smtp_resolver.bats and tests/cve_smtp.bats.  Stdlib only.
#
#   xclient_record.py smtp LISTEN-PORT BACKEND-PORT|- LOGFILE
#       Every byte the proxy sends is appended raw to LOGFILE (connections one after the
#       other, each opened by a line "--- connection\r\n").  With a BACKEND-PORT the bytes
#       are forwarded to that backend (Postfix) and its replies back; with "-" it answers
#       itself: 220, an EHLO list with XCLIENT, 250 to every line, 354 to DATA, 221 to QUIT.
#   xclient_record.py auth LISTEN-PORT BACKEND-PORT LOGFILE
#       An auth_http server that accepts every login (any user name, any bytes) and sends
#       it to 127.0.0.1:BACKEND-PORT; every request's header block is appended raw to
#       LOGFILE.

import socket
import sys
import threading

sys.path.insert(0, __import__("os").path.dirname(__file__))
from pump import pump  # noqa: E402

lock = threading.Lock()


def log(path, data):
    with lock, open(path, "ab") as f:
        f.write(data)


def tee(c, path):
    """a socket-like reader that logs what it reads"""
    class T:
        def recv(self, n):
            d = c.recv(n)
            if d:
                log(path, d)
            return d
    return T()


def serve_smtp(c, backend, path):
    log(path, b"--- connection\r\n")
    src = tee(c, path)
    if backend != "-":
        b = socket.create_connection(("127.0.0.1", int(backend)))
        t = threading.Thread(target=pump, args=(b, c), daemon=True)
        t.start()
        pump(src, b)
        t.join()
        b.close()
        c.close()
        return
    c.sendall(b"220 recorder ESMTP\r\n")
    buf, data = b"", False
    while True:
        try:
            d = src.recv(65536)
        except OSError:
            break
        if not d:
            break
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if data:
                if line == b".\r":
                    data = False
                    c.sendall(b"250 2.0.0 recorded\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                c.sendall(b"250-recorder\r\n250-XCLIENT ADDR LOGIN NAME\r\n250 8BITMIME\r\n")
            elif verb == b"XCLI":
                c.sendall(b"220 recorder ESMTP\r\n")
            elif verb == b"DATA":
                data = True
                c.sendall(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 2.0.0 bye\r\n")
                c.close()
                return
            else:
                c.sendall(b"250 2.0.0 ok\r\n")
    c.close()


def serve_auth(c, backend, path):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        d = c.recv(4096)
        if not d:
            break
        head += d
    log(path, head)
    c.sendall(b"HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\n"
              b"Auth-Port: " + backend.encode() + b"\r\nAuth-Pass: any\r\n\r\n")
    c.close()


def main():
    mode, port, backend, path = sys.argv[1:5]
    fn = {"smtp": serve_smtp, "auth": serve_auth}[mode]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(64)
    while True:
        c, _ = s.accept()
        c.settimeout(30)
        threading.Thread(target=fn, args=(c, backend, path), daemon=True).start()


if __name__ == "__main__":
    main()
