#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# dns_evil.py - a tiny DNS responder (stdlib only) for the answers dnsmasq will not give:
# PTR names with CR, LF, spaces and other junk, empty and unusable answers, SERVFAIL,
# silence, and CNAMEs in front of the records.  UDP only (answers are small).
#
#   dns_evil.py PORT [servfail|empty]
#
# With a second argument every query gets that answer instead: SERVFAIL, or NOERROR with
# no records (a broken resolver, for the tests of several `resolver` servers).
#
# Reverse names for 192.0.2.N (N.2.0.192.in-addr.arpa, PTR):
#   66  "evil\r\nX-Injected: yes.example.test" (one label with CR LF, ':' and ' ')
#   67  "a b.example.test"                      (a space)
#   68  the root name (empty)
#   69  zero-length RDATA
#   70  only a CNAME
#   71  SERVFAIL
#   72  no reply at all (the client times out)
#   73  "fwd-cname.example.test", whose A answer is a CNAME then 192.0.2.73
#   74  a CNAME, then the PTR "ok74.example.test" (A 192.0.2.74)
#   75  "servfail.example.test", whose A and AAAA lookups get SERVFAIL
#   76  "evil%0d%0a.example.test" written with a NUL byte inside a label
# Every other name: NXDOMAIN.

import socket
import struct
import sys


def labels(*parts):
    out = b""
    for p in parts:
        out += bytes([len(p)]) + p
    return out + b"\0"


def name(text):
    return labels(*[p.encode() for p in text.split(".") if p])


def rr(owner, rtype, rdata, ttl=60):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


QPTR = b"\xc0\x0c"  # a pointer to the question's name
A, CNAME, PTR, AAAA = 1, 5, 12, 28


def answer(qname, qtype):
    """(rcode, [answer records]) or None for silence."""
    q = qname.lower()
    rev = {}
    for n in range(66, 77):
        rev["%d.2.0.192.in-addr.arpa" % n] = n
    if qtype == PTR and q in rev:
        n = rev[q]
        if n == 66:
            return 0, [rr(QPTR, PTR, labels(b"evil\r\nX-Injected: yes", b"example", b"test"))]
        if n == 67:
            return 0, [rr(QPTR, PTR, labels(b"a b", b"example", b"test"))]
        if n == 68:
            return 0, [rr(QPTR, PTR, b"\0")]
        if n == 69:
            return 0, [rr(QPTR, PTR, b"")]
        if n == 70:
            return 0, [rr(QPTR, CNAME, name("70.alias.example.test"))]
        if n == 71:
            return 2, []
        if n == 72:
            return None
        if n == 73:
            return 0, [rr(QPTR, PTR, name("fwd-cname.example.test"))]
        if n == 74:
            target = name("74.alias.example.test")
            return 0, [rr(QPTR, CNAME, target), rr(target, PTR, name("ok74.example.test"))]
        if n == 75:
            return 0, [rr(QPTR, PTR, name("servfail.example.test"))]
        if n == 76:
            return 0, [rr(QPTR, PTR, labels(b"evil\0\r\n", b"example", b"test"))]
    if q == "fwd-cname.example.test" and qtype == A:
        target = name("real.example.test")
        return 0, [rr(QPTR, CNAME, target), rr(target, A, bytes([192, 0, 2, 73]))]
    if q == "fwd-cname.example.test":
        return 0, []
    if q == "ok74.example.test" and qtype == A:
        return 0, [rr(QPTR, A, bytes([192, 0, 2, 74]))]
    if q == "ok74.example.test":
        return 0, []
    if q == "servfail.example.test":
        return 2, []
    return 3, []


def parse_question(msg):
    i, parts = 12, []
    while True:
        n = msg[i]
        i += 1
        if n == 0:
            break
        parts.append(msg[i:i + n].decode("latin-1"))
        i += n
    qtype, qclass = struct.unpack(">HH", msg[i:i + 4])
    return ".".join(parts), qtype, msg[12:i + 4]


def main():
    port = int(sys.argv[1])
    mode = sys.argv[2] if len(sys.argv) > 2 else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            qid, flags, qd = struct.unpack(">HHH", msg[:6])
            qname, qtype, question = parse_question(msg)
        except (IndexError, struct.error):
            continue
        res = {"servfail": (2, []), "empty": (0, [])}.get(mode) or answer(qname, qtype)
        if res is None:
            continue
        rcode, ans = res
        head = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, len(ans), 0, 0)
        s.sendto(head + question + b"".join(ans), peer)


if __name__ == "__main__":
    main()
