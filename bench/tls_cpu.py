#!/usr/bin/env python3
"""tls_cpu.py PORT N: N TLS connections in a row to 127.0.0.1:PORT (handshake, greeting,
close; no certificate check) and the CPU the whole system spent per connection, minus
this client's own (/proc/stat and getrusage): the server side's cost of a TLS connection.
Run it against a quiet machine (BENCH_HOLD=SECONDS bench/run.sh keeps a set-up running)."""
import socket, ssl, sys, time, resource
def cpu_total():
    f = open("/proc/stat").readline().split()[1:]
    v = list(map(int, f))
    return (sum(v) - v[3] - v[4]) / 100.0   # all but idle and iowait, seconds
port, n = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c0 = cpu_total(); r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.monotonic()
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.recv(100)
    s.close()
c1 = cpu_total(); r1 = resource.getrusage(resource.RUSAGE_SELF); t1 = time.monotonic()
me = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("port %d: %.2f ms wall, %.2f ms CPU of the system minus the client per connection" % (port, (t1 - t0) / n * 1000, ((c1 - c0) - me) / n * 1000))
