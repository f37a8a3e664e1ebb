#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""sockopts.py PORT: connect to 127.0.0.1:PORT, read the greeting, and print the
socket options of the server side of that connection, read from the process that
holds it (through a copy of its descriptor: pidfd_getfd, so run as root or as its
owner): keepalive, TCP keepalive timers and buffer sizes, as the kernel reports them
(SO_RCVBUF and SO_SNDBUF read back twice what was set)."""
import ctypes
import os
import socket
import sys

from sockholder import holder

SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
libc = ctypes.CDLL(None, use_errno=True)


port = int(sys.argv[1])
c = socket.create_connection(("127.0.0.1", port), timeout=10)
c.recv(4096)
pid, fd = holder(port, c.getsockname()[1])
pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
dup = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
if pidfd < 0 or dup < 0:
    sys.exit("pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
s = socket.socket(fileno=dup)
opts = [("keepalive", socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        ("keepidle", socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
        ("keepintvl", socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
        ("keepcnt", socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        ("rcvbuf", socket.SOL_SOCKET, socket.SO_RCVBUF),
        ("sndbuf", socket.SOL_SOCKET, socket.SO_SNDBUF)]
print(" ".join("%s=%d" % (n, s.getsockopt(l, o)) for n, l, o in opts))
s.detach()
os.close(dup)
os.close(pidfd)
c.close()
