#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# authserver_tls.py - tests/authserver.py behind TLS, for `auth_http https://...` tests.
#
#   authserver_tls.py --cert FILE --key FILE  AUTHSERVER-ARGS...
#
# Everything after the two options goes to authserver.py unchanged (--listen HOST:PORT,
# --users, --backend, --log ...).  Each accepted connection is wrapped server-side with
# Python's ssl module; the handshake runs in the connection's own thread (on its first
# read), so a client that fails the handshake (an unknown CA) only ends its own thread.
# Only the Python 3 standard library is used.

import importlib.util
import os
import ssl
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("authserver", os.path.join(here, "..", "authserver.py"))
authserver = importlib.util.module_from_spec(spec)
spec.loader.exec_module(authserver)


def take(name):
    i = sys.argv.index(name)
    v = sys.argv[i + 1]
    del sys.argv[i:i + 2]
    return v


cert, key = take("--cert"), take("--key")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)


class TLSServer(authserver.TCPServer):
    def get_request(self):
        sock, addr = self.socket.accept()
        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        # a refused handshake is what some tests want: one line, no traceback
        print("authserver_tls: %s: %s" % (client_address, sys.exc_info()[1]), file=sys.stderr,
              flush=True)


authserver.TCPServer = TLSServer
authserver.main()
