#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""drip.py - a peer that stops reading while the other side writes many small pieces,
for relay_block.bats.

  drip.py backend PORT DIR
      an IMAP backend: greets, accepts any LOGIN (literals too), then serves
      "T DRIP N"     N untagged lines of 32 bytes, each in its own send(), then
                     "T OK DRIP <bytes> <sha256 of the lines>"
      "T SINK NAME"  reads nothing until the file DIR/NAME exists, then reads lines up
                     to "T END" and answers "T OK SINK <bytes> <sha256 of the lines>"
  drip.py client PORT USER PASS MODE [N] DIR
      logs in through the proxy on PORT, then by MODE:
      drip N   asks for N lines and reads none of them
      sink     sends 32-byte lines, each in its own send(), until the proxy takes no more
      urgent   as sink, with an urgent (MSG_OOB) byte after the first line: the proxy
               drops it, as nginx's recv() does, and must go on with the rest
      stall N  as drip, and never reads: prints how long after the stall the proxy logged
               "client timed out" in the file $DRIP_LOG
      Once nothing has moved for a second, it prints the relay's share of one CPU over
      3 s (utime+stime from /proc/PID/stat), then lets the data flow (reads, or creates
      its file in DIR) and checks every byte against the backend's count and digest.  Prints
      key=value lines: relay, stalled_bytes, cpu_percent, bytes, digest (ok or bad);
      for stall: relay, stalled_bytes, timed_out_after.
"""
import fcntl
import hashlib
import os
import re
import socket
import struct
import sys
import termios
import threading
import time

from sockholder import holder

LINE = 32


def line(i):
    return b"* DRIP %08d %s\r\n" % (i, b"x" * (LINE - 16 - 2))


def readline(f):
    s = f.readline()
    if not s:
        raise EOFError
    return s


# ---- backend --------------------------------------------------------------------------

def serve(conn, resumedir):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = conn.makefile("rb")
    conn.sendall(b"* OK drip backend ready\r\n")
    cmd = readline(f)
    tag = cmd.split(b" ", 1)[0]
    while True:  # the proxy's LOGIN, with {N} literals answered by "+ OK"
        m = re.search(rb"\{(\d+)\+?\}\r\n$", cmd)
        if not m:
            break
        if not cmd.endswith(b"+}\r\n"):
            conn.sendall(b"+ OK\r\n")
        f.read(int(m.group(1)))
        cmd = readline(f)
    conn.sendall(tag + b" OK logged in\r\n")
    while True:
        words = readline(f).split()
        if len(words) == 3 and words[1] == b"DRIP":
            h, n = hashlib.sha256(), 0
            for i in range(int(words[2])):
                b = line(i)
                conn.sendall(b)
                h.update(b)
                n += len(b)
            conn.sendall(b"%s OK DRIP %d %s\r\n" % (words[0], n, h.hexdigest().encode()))
        elif len(words) == 3 and words[1] == b"SINK" and re.fullmatch(rb"[a-z0-9.]+", words[2]):
            resume = os.path.join(resumedir, words[2].decode())
            while not os.path.exists(resume):
                time.sleep(0.05)
            h, n, end = hashlib.sha256(), 0, words[0] + b" END\r\n"
            while True:
                b = readline(f)
                if b == end:
                    break
                h.update(b)
                n += len(b)
            conn.sendall(b"%s OK SINK %d %s\r\n" % (words[0], n, h.hexdigest().encode()))
        else:
            conn.sendall(words[0] + b" BAD unknown\r\n" if words else b"* BAD empty\r\n")


def backend(port, resume):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=lambda c=conn: quiet(serve, c, resume), daemon=True).start()


def quiet(fn, conn, resume):
    try:
        fn(conn, resume)
    except (OSError, EOFError):
        pass
    finally:
        conn.close()


# ---- client ---------------------------------------------------------------------------

def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        x = f.read().rsplit(")", 1)[1].split()
    return int(x[11]) + int(x[12])


def inq(s):
    """The bytes waiting in the socket's receive queue."""
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]


def until_still(measure, still=1.0, limit=60):
    """Call measure() until its value has not changed for STILL seconds."""
    last, since, t0 = measure(), time.monotonic(), time.monotonic()
    while time.monotonic() - since < still and time.monotonic() - t0 < limit:
        time.sleep(0.05)
        v = measure()
        if v != last:
            last, since = v, time.monotonic()
    return last


def timed_out(log):
    """The proxy logged the session's end at proxy_timeout."""
    try:
        with open(log, "rb") as f:
            return b"client timed out" in f.read()
    except (OSError, TypeError):
        return False


def client(port, user, pw, mode, arg, resumedir):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    readline(f)
    s.sendall(b"a LOGIN %s %s\r\n" % (user.encode(), pw.encode()))
    while not readline(f).startswith(b"a OK"):
        pass
    pid, _ = holder(port, s.getsockname()[1])
    # the handler replies, then executes the relay: give the exec a moment
    for _ in range(40):
        with open("/proc/%d/comm" % pid) as c:
            comm = c.read().strip()
        if comm != "mailproxy":
            break
        time.sleep(0.05)
    print("relay=%s" % comm)
    h, n = hashlib.sha256(), 0
    if mode in ("drip", "stall"):
        s.sendall(b"b DRIP %d\r\n" % int(arg))

        def measure():
            """The backend writes until everything between it and us is full."""
            return inq(s)
    else:
        resume = os.path.join(resumedir, "resume.%d" % s.getsockname()[1])
        s.sendall(b"b SINK %s\r\n" % os.path.basename(resume).encode())
        s.setblocking(False)
        i, pending = 0, b""
        if mode == "urgent":
            pending = line(0)
            s.sendall(pending)
            s.send(b"!", socket.MSG_OOB)
            h.update(pending)
            n, i, pending = len(pending), 1, b""

        def push():
            """Send lines until the socket takes no more; returns the bytes sent."""
            nonlocal i, n, pending
            try:
                while True:
                    if not pending:
                        pending = line(i)
                        h.update(pending)
                        n += len(pending)
                        i += 1
                    pending = pending[s.send(pending):]
            except BlockingIOError:
                return n - len(pending)
        measure = push
    stalled = until_still(measure)
    print("stalled_bytes=%d" % stalled)
    sys.stdout.flush()
    if mode == "stall":
        t0 = time.monotonic()
        while not timed_out(os.environ.get("DRIP_LOG")) and time.monotonic() - t0 < 30:
            time.sleep(0.05)
        print("timed_out_after=%.1f" % (time.monotonic() - t0))
        return
    for _ in range(5):
        t0, c0 = time.monotonic(), cpu_ticks(pid)
        time.sleep(3)
        c1, t1 = cpu_ticks(pid), time.monotonic()
        # a peer that only paused (a loaded machine) moved bytes meanwhile: again
        if measure() == stalled:
            break
        stalled = until_still(measure)
    print("cpu_percent=%d" % (100 * (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)))
    sys.stdout.flush()
    s.settimeout(30)
    try:
        if mode == "drip":
            while True:
                b = readline(f)
                if b.startswith(b"b "):
                    break
                h.update(b)
                n += len(b)
        else:
            open(resume, "w").close()
            s.sendall(pending + b"b END\r\n")
            b = readline(f)
    except (OSError, EOFError) as e:
        b = repr(e).encode()
    print("bytes=%d" % n)
    m = re.match(rb"b OK \w+ (\d+) ([0-9a-f]{64})\r\n$", b)
    ok = m is not None and int(m.group(1)) == n and m.group(2).decode() == h.hexdigest()
    print("digest=%s" % ("ok" if ok else "bad: " + b.decode(errors="replace").strip()))
    s.close()


def main():
    a = sys.argv[1:]
    if a[:1] == ["backend"] and len(a) == 3:
        backend(int(a[1]), a[2])
    elif a[:1] == ["client"] and len(a) in (6, 7) and a[4] in ("drip", "sink", "urgent", "stall"):
        mode = a[4]
        arg = a[5] if len(a) == 7 else None
        client(int(a[1]), a[2], a[3], mode, arg, a[-1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
