#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""served_by.py [--tls] [--parent] PORT: connect to 127.0.0.1:PORT (over TLS with
--tls, no certificate check), read the greeting, and print the executable (its base
name) of the process holding the server side of that connection: which build of the
handler, or which TLS process, a session ended up in. --parent adds the command line
of that process's parent; --hold N keeps the connection open N seconds after printing
(and prints the process id first)."""
import os
import socket
import ssl
import sys

from sockholder import holder


def describe(pid, parent, with_pid):
    name = os.path.basename(os.readlink("/proc/%d/exe" % pid))
    if with_pid:
        name = "%d %s" % (pid, name)
    if parent:
        with open("/proc/%d/stat" % pid) as f:
            ppid = f.read().rsplit(")", 1)[1].split()[1]
        with open("/proc/%s/cmdline" % ppid, "rb") as f:
            args = f.read().rstrip(b"\0").split(b"\0")
        name += " " + " ".join(os.path.basename(a.decode()) for a in args)
    return name


def main():
    args = sys.argv[1:]
    tls = "--tls" in args
    parent = "--parent" in args
    hold = 0
    if "--hold" in args:
        hold = float(args[args.index("--hold") + 1])
        del args[args.index("--hold"):args.index("--hold") + 2]
    port = int([a for a in args if not a.startswith("--")][0])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    lport = s.getsockname()[1]
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.recv(4096)  # the greeting: the handler has chosen its build by now
    pid, _ = holder(port, lport)
    print(describe(pid, parent, hold > 0) if pid else "no socket", flush=True)
    if hold > 0:
        import time
        time.sleep(hold)
    s.close()


main()
