#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# pp_record.py - a backend that records the PROXY protocol header the proxy sends first,
# then forwards everything else to the real backend, both ways.
#
#   pp_record.py LISTEN-PORT BACKEND-PORT LOGFILE
#
# For every connection one line is appended to LOGFILE: the header with wire.py's escapes
# (a v1 line is printable; v2 shows as \x.. bytes), or "none: <first bytes>".

import socket
import sys
import threading

sys.path.insert(0, __import__("os").path.dirname(__file__))
from pump import pump  # noqa: E402
from wire import esc  # noqa: E402

SIG = b"\r\n\r\n\0\r\nQUIT\n"


def read_header(c):
    data = b""
    while True:
        if data.startswith(SIG[:len(data)]) and len(data) >= 16 and data.startswith(SIG):
            need = 16 + (data[14] << 8 | data[15])
            if len(data) >= need:
                return data[:need], data[need:]
        elif data.startswith(b"PROXY ") and b"\r\n" in data:
            i = data.index(b"\r\n") + 2
            return data[:i], data[i:]
        elif len(data) >= 6 and not data.startswith(b"PROXY "[:len(data)]) \
                and not data.startswith(SIG[:len(data)]):
            return None, data
        chunk = c.recv(4096)
        if not chunk:
            return None, data
        data += chunk


def serve(c, backend, log):
    c.settimeout(10)
    hdr, rest = read_header(c)
    with open(log, "a") as f:
        f.write((esc(hdr) if hdr is not None else "none: " + esc(rest[:64])) + "\n")
    b = socket.create_connection(("127.0.0.1", backend))
    if rest:
        b.sendall(rest)
    c.settimeout(None)
    t = threading.Thread(target=pump, args=(b, c), daemon=True)
    t.start()
    pump(c, b)
    t.join()
    c.close()
    b.close()


def main():
    port, backend, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, backend, log), daemon=True).start()


if __name__ == "__main__":
    main()
