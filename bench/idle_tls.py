#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# idle_tls.py PORT N: the idle part of the benchmark for TLS sessions (the C load
# generator speaks no TLS).  Opens N IMAP sessions over TLS to 127.0.0.1:PORT, 16 at a
# time (handshake, greeting, LOGIN), prints "sessions=N errors=E" and "ready", and
# holds them until stdin closes, as `loadgen idle` does.  Standard library only.
import concurrent.futures
import socket
import ssl
import sys


def login(port, ctx):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                        server_hostname="localhost")
    f = s.makefile("rb")
    if not f.readline().startswith(b"* OK"):
        raise OSError("no greeting")
    s.sendall(b"a LOGIN alice alicepass\r\n")
    while True:
        line = f.readline()
        if not line:
            raise OSError("closed during login")
        if line.startswith(b"a "):
            if not line.startswith(b"a OK"):
                raise OSError("login refused: %r" % line)
            return s, f


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE	# the benchmark's own self-signed certificate
    held, errors = [], 0
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        for fut in [ex.submit(login, port, ctx) for _ in range(n)]:
            try:
                held.append(fut.result())
            except OSError as e:
                errors += 1
                if errors == 1:
                    print("idle_tls: %s" % e, file=sys.stderr)
    print("sessions=%d errors=%d" % (len(held), errors), flush=True)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
