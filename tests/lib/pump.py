# SPDX-License-Identifier: ISC
"""pump.py: one direction of a test relay (pp_record.py, xclient_record.py)."""
import socket


def pump(a, b):
    """Copy from A (anything with recv) to socket B until EOF or an error, then pass
    the half-close on."""
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
