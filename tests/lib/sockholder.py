# SPDX-License-Identifier: ISC
"""sockholder.py: which process holds the server side of a loopback TCP
connection (for served_by.py and sockopts.py)."""
import os


def holder(lport, rport):
    """(pid, fd) of the process holding the socket 127.0.0.1:lport <- 127.0.0.1:rport,
    found through its inode in /proc/net/tcp; (None, None) if there is none."""
    want = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            x = line.split()
            if int(x[1].split(":")[1], 16) == lport and int(x[2].split(":")[1], 16) == rport:
                want = "socket:[%s]" % x[9]
                break
    for pid in filter(str.isdigit, os.listdir("/proc") if want else []):
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == want:
                    return int(pid), int(fd)
        except OSError:
            continue
    return None, None
