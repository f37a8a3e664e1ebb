#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""backend_tls.py N K NAME=PORT[:tls]... -- PID...: per variant, N login cycles in a row
(connect, TLS if :tls, greeting, LOGIN alice, LOGOUT, close) and the CPU they cost the
proxy's processes (PIDs and everything below them, live or reaped: tls_cpu.py's count),
then K sessions logged in and left idle, and the memory they hold: the Pss of every
process below PIDs, per session, after the sessions have been quiet for 2.5 s (the TLS
processes give their buffers back after 1 s).  One line per variant."""
import os, re, socket, ssl, sys, time
def stat_of(p):
    try:
        st = open("/proc/%d/stat" % p).read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()
def children(p):
    try:
        return [int(c) for c in open("/proc/%d/task/%d/children" % (p, p)).read().split()]
    except OSError:
        return []
def below(p):
    out = []
    for c in children(p):
        out += [c] + below(c)
    return out
def tree_cpu(pids):
    tck = os.sysconf("SC_CLK_TCK")
    tot = 0
    for p in pids + [d for p in pids for d in below(p)]:
        f = stat_of(p)
        if f:
            tot += sum(int(x) for x in f[11:15])
    return tot / tck
def pss(p):
    try:
        for line in open("/proc/%d/smaps_rollup" % p):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def readuntil(s, want):
    buf = b""
    while want not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError(buf)
        buf += d
    return buf
def login(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        s = ctx.wrap_socket(s)
    readuntil(s, b"\r\n")
    s.sendall(b"a LOGIN alice alicepass\r\n")
    buf = b""
    while not re.search(rb"(^|\n)a [^\n]*\n", buf):
        d = s.recv(4096)
        if not d:
            raise EOFError(buf)
        buf += d
    if not re.search(rb"(^|\n)a OK", buf):
        raise RuntimeError(buf)
    return s
def cycle(port, tls):
    s = login(port, tls)
    s.sendall(b"b LOGOUT\r\n")
    try:
        while s.recv(4096):
            pass
    except (OSError, ssl.SSLError):
        pass
    s.close()
args = sys.argv[1:]
sep = args.index("--")
n, k = int(args[0]), int(args[1])
variants = [a.split("=") for a in args[2:sep]]
pids = [int(p) for p in args[sep + 1:]]
print("%-34s | %12s | %16s | %s" % ("session", "CPU ms/login", "idle KiB/session", "processes/session"))
for name, spec in variants:
    port, tls = int(spec.split(":")[0]), spec.endswith(":tls")
    cycle(port, tls)    # warm the caches
    time.sleep(0.3)
    c0 = tree_cpu(pids)
    for i in range(n):
        cycle(port, tls)
    time.sleep(0.5)     # the last sessions end and are reaped
    cpu = (tree_cpu(pids) - c0) / n * 1000
    base_procs = sum(len(below(p)) for p in pids)
    base = sum(pss(d) for p in pids for d in below(p))
    held = [login(port, tls) for _ in range(k)]
    time.sleep(2.5)
    procs = sum(len(below(p)) for p in pids) - base_procs
    mem = (sum(pss(d) for p in pids for d in below(p)) - base) / k
    for s in held:
        s.close()
    time.sleep(1)
    print("%-34s | %12.2f | %16.0f | %.1f" % (name, cpu, mem, procs / k), flush=True)
