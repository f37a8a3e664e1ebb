#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""tls_cpu.py PORT N [resumed] [PID...]: N TLS connections in a row to 127.0.0.1:PORT
(handshake, greeting, close; no certificate check) and the CPU spent per connection on
the server side. With PIDs, that is the CPU of those processes and of every process below
them, live (utime+stime) or reaped (cutime+cstime), which other load on the machine does
not disturb; without, the whole system's minus this client's own (/proc/stat, getrusage).
With "resumed", a first connection (not counted) gets a session ticket and each of the N
offers it; the line then says how many were resumed.
BENCH_HOLD=SECONDS bench/run.sh keeps a set-up running to try it by hand."""
import os, socket, ssl, sys, time, resource
def cpu_total():
    f = open("/proc/stat").readline().split()[1:]
    v = list(map(int, f))
    return (sum(v) - v[3] - v[4]) / 100.0   # all but idle and iowait, seconds
def tree_cpu(pids):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open("/proc/%s/stat" % d).read()
            except OSError:
                continue
            f = st[st.rindex(")") + 2:].split()
            kids.setdefault(int(f[1]), []).append((int(d), f))
    tck = os.sysconf("SC_CLK_TCK")
    def one(p, f):
        t = sum(int(x) for x in f[11:15]) if f else 0
        return t + sum(one(c, cf) for c, cf in kids.get(p, []))
    tot = 0
    for p in pids:
        try:
            st = open("/proc/%d/stat" % p).read()
        except OSError:
            continue
        tot += one(p, st[st.rindex(")") + 2:].split())
    return tot / tck
args = sys.argv[1:]
port, n = int(args.pop(0)), int(args.pop(0))
resumed = bool(args) and args[0] == "resumed"
if resumed:
    args.pop(0)
pids = [int(a) for a in args]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def one(sess):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), session=sess)
    s.recv(100)     # the greeting: a TLS 1.3 ticket comes before it
    r = (s.session_reused, s.session)
    s.close()
    return r
sess = one(None)[1] if resumed else None
time.sleep(0.3)     # the first connection's processes end and are reaped
reused = 0
c0 = tree_cpu(pids) if pids else cpu_total(); r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.monotonic()
for i in range(n):
    reused += one(sess)[0]
time.sleep(0.3)     # the last ones too
t1 = time.monotonic() - 0.3
c1 = tree_cpu(pids) if pids else cpu_total(); r1 = resource.getrusage(resource.RUSAGE_SELF)
me = 0 if pids else (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("port %d: %.2f ms wall, %.2f ms CPU of %s per connection%s" % (
    port, (t1 - t0) / n * 1000, ((c1 - c0) - me) / n * 1000,
    "the server's processes" if pids else "the system minus the client",
    ", %d of %d resumed" % (reused, n) if resumed else ""))
