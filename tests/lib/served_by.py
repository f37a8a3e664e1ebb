#!/usr/bin/env python3
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


def server_inode(lport, rport):
    """The inode of the socket 127.0.0.1:lport <- 127.0.0.1:rport (/proc/net/tcp)."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.split(":")[1], 16) == lport and int(remote.split(":")[1], 16) == rport:
                return inode
    return None


def holder(inode, parent, with_pid=False):
    want = "socket:[%s]" % inode
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
            for fd in fds:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == want:
                    name = os.path.basename(os.readlink("/proc/%s/exe" % pid))
                    if with_pid:
                        name = pid + " " + name
                    if parent:
                        with open("/proc/%s/stat" % pid) as f:
                            ppid = f.read().rsplit(")", 1)[1].split()[1]
                        with open("/proc/%s/cmdline" % ppid, "rb") as f:
                            args = f.read().rstrip(b"\0").split(b"\0")
                        name += " " + " ".join(os.path.basename(a.decode()) for a in args)
                    return name
        except OSError:
            continue
    return None


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
    inode = server_inode(port, lport)
    print(holder(inode, parent, hold > 0) if inode else "no socket", flush=True)
    if hold > 0:
        import time
        time.sleep(hold)
    s.close()


main()
