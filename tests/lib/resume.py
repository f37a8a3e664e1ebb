#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""resume.py [--tls 1.2|1.3] [--starttls] [--sleep S] STEP...: one IMAP connection to
127.0.0.1:PORT per PORT step, in order, each over TLS (implicit, or after STARTTLS) and
each offering the session the one before it got (S seconds after it); each logs in as
alice through mailproxy to the backend and logs out. The step "new" forgets the session,
"sleep:S" waits S seconds. Prints one line per connection:
  reused=True|False ticket=True|False hint=N login=OK|<what came instead>
(ticket: the session now holds a ticket; hint: its lifetime hint in seconds)."""
import os, socket, ssl, sys, time

args = sys.argv[1:]
ver, starttls, pause = None, False, 0.0
while args and args[0].startswith("--"):
    o = args.pop(0)
    if o == "--tls": ver = args.pop(0)
    elif o == "--starttls": starttls = True
    elif o == "--sleep": pause = float(args.pop(0))
ctx = ssl.create_default_context(cafile=os.environ["PKI"] + "/ca.crt")
ctx.check_hostname = False
if ver:
    v = ssl.TLSVersion.TLSv1_3 if ver == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v

def line(f):
    l = f.readline()
    if not l:
        raise EOFError
    return l.decode("latin-1")

sess = None
for i, port in enumerate(args):
    if port == "new":
        sess = None
        continue
    if port.startswith("sleep:"):
        time.sleep(float(port[6:]))
        continue
    if i and pause:
        time.sleep(pause)
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    if starttls:
        rf = raw.makefile("rb")
        line(rf)
        raw.sendall(b"s STARTTLS\r\n")
        line(rf)
        rf.close()
    s = ctx.wrap_socket(raw, server_hostname="mail.test", session=sess)
    f = s.makefile("rb")
    login = "?"
    try:
        if not starttls:
            line(f)
        s.sendall(b"a LOGIN alice alicepass\r\n")
        r = line(f)
        login = "OK" if r.startswith("a OK") else r.strip()
        s.sendall(b"b LOGOUT\r\n")
        while not line(f).startswith("b "):
            pass
    except (EOFError, OSError) as e:
        login = "[%s]" % (e.__class__.__name__)
    # TLS 1.3 tickets come after the handshake: the replies above were read after them
    reused = s.session_reused
    sess = s.session
    print("reused=%s ticket=%s hint=%s login=%s" % (reused, sess.has_ticket if sess else False,
          sess.ticket_lifetime_hint if sess else 0, login))
    f.close()
    s.close()
