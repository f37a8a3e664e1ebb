#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""tlsd_request.py SOCK CONF SERVER CAFILE [--sid S] [--client C] [--local L] [--idle|--garbage]:
what a local user can try against a mailproxy-tls daemon (lib/wire/tlsd_req.h): accept a TCP
connection of its own, hand the daemon that socket and one end of a socketpair, as a
handler does, and see whether a TLS session comes back. The configuration digest is
computed here from CONF, as anyone who can read the file can (FNV-1a over each file's
name and bytes, lib/conf/conf_parse.c; CONF must have no include).

On the TCP side an openssl s_client connects and says "client-says-hi"; on the socketpair
this script reads the handshake report and that plaintext, and answers "server-says-hi".
Prints, one per line:
  answer: <the daemon's hello and answer, or what came instead>
  report: <the report's first line, or none>
  plaintext: <what the client sent, as read on the socketpair, or none>
  s_client: certificate <subject> | no certificate
  s_client read: server-says-hi | nothing
With --idle, after the report nothing moves: prints "idle end after N.N s" when the
daemon's child closes the socketpair (or "idle: still open after N s"). With --garbage
the TCP client sends a line that is not TLS and closes (the child logs a failed
handshake, with the request's strings in its log context). The strings go into the
request as the bytes of the arguments. First line: "pid: N", this process."""
import os
import socket
import subprocess
import sys
import time

IDLE_WAIT = 12.0


def digest(path):
    h = 14695981039346656037
    data = open(path, "rb").read()
    for b in path.encode() + b"\0" + data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def field(s, n):
    b = os.fsencode(s)[: n - 1]
    return b + b"\0" * (n - len(b))


def request(server, dig, sid, client, local):
    return (field("MPTLS/1", 8) + server.to_bytes(4, "little") + (0).to_bytes(4, "little")
            + dig.to_bytes(8, "little") + field(sid, 24) + field(client, 64) + field(local, 160))


def read_until(sock, want, limit, deadline):
    """Bytes from SOCK until WANT lines came, EOF, LIMIT bytes or DEADLINE."""
    data = b""
    while data.count(b"\n") < want and len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            more = sock.recv(limit - len(data))
        except (socket.timeout, OSError):
            break
        if not more:
            break
        data += more
    return data


def main():
    args = sys.argv[1:]
    opts = {"--sid": "abcd1234", "--client": "192.0.2.7", "--local": "127.0.0.1:993"}
    idle = "--idle" in args
    garbage = "--garbage" in args
    args = [a for a in args if a not in ("--idle", "--garbage")]
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = args[i + 1]
            del args[i:i + 2]
    path, conf, server, cafile = args[0], args[1], int(args[2]), args[3]

    print("pid: %d" % os.getpid(), flush=True)
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(1)
    port = lsn.getsockname()[1]
    if garbage:
        cl = subprocess.Popen(["python3", "-c", "import socket, sys, time\n"
                               "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                               "s.sendall(b'this is not TLS\\r\\n' * 8); time.sleep(1)",
                               str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    else:
        cl = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                               "-CAfile", cafile, "-servername", "mail.test", "-ign_eof"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    acc, _ = lsn.accept()
    lsn.close()
    ours, theirs = socket.socketpair()

    d = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    d.connect(path)
    got = read_until(d, 1, 300, time.monotonic() + 3)
    if got == b"MPTLS/1 ready\n":
        socket.send_fds(d, [request(server, digest(conf), opts["--sid"], opts["--client"],
                                    opts["--local"])], [acc.fileno(), theirs.fileno()])
        got += read_until(d, 1, 300, time.monotonic() + 5)
    d.close()
    print("answer: %r" % got)
    acc.close()		# the daemon's child has its own copies, if it took them
    theirs.close()

    report = plain = b""
    served = got.endswith(b"Y\n")
    if served and garbage:
        read_until(ours, 1, 100, time.monotonic() + 5)	# EOF once the child gave up
    elif served:
        cl.stdin.write(b"client-says-hi\n")
        cl.stdin.flush()
        deadline = time.monotonic() + 10
        hdr = read_until(ours, 1, 14, deadline)
        if len(hdr) == 14 and hdr.startswith(b"mptls 1 "):
            n = int(hdr[8:13])
            ours.settimeout(10)
            body = b""
            while len(body) < n:
                more = ours.recv(n - len(body))
                if not more:
                    break
                body += more
            report = hdr.rstrip(b"\n")
        if idle:
            # the client's line is plaintext too: take it, then let nothing move
            plain = read_until(ours, 1, 100, time.monotonic() + 5)
            t0 = time.monotonic()
            ours.settimeout(IDLE_WAIT)
            try:
                end = ours.recv(100)
            except socket.timeout:
                end = None
            if end == b"":
                print("idle end after %.1f s" % (time.monotonic() - t0))
            else:
                print("idle: still open after %.0f s (%r)" % (IDLE_WAIT, end))
        else:
            plain = read_until(ours, 1, 100, time.monotonic() + 5)
            ours.sendall(b"server-says-hi\n")
            time.sleep(0.3)
    ours.close()
    try:
        out, _ = cl.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        cl.kill()
        out, _ = cl.communicate()
    print("report: %s" % (report.decode() if report else "none"))
    print("plaintext: %s" % (plain.decode(errors="replace").strip() if plain else "none"))
    subj = [l for l in out.decode(errors="replace").splitlines() if l.startswith("subject=")]
    if b"-----BEGIN CERTIFICATE-----" in out and subj:
        print("s_client: certificate %s" % subj[0][len("subject="):])
    else:
        print("s_client: no certificate")
    print("s_client read: %s" % ("server-says-hi" if b"server-says-hi" in out else "nothing"))
    sys.stdout.flush()
    if os.environ.get("TLSD_REQUEST_DEBUG"):
        sys.stderr.write(out.decode(errors="replace"))


if __name__ == "__main__":
    main()
