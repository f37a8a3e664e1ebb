#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# syslog_norm.py FILE - the datagrams syslog_sink.py wrote, one per line, checked against
# the RFC 3164 framing nginx writes and printed field by field with what legitimately
# differs between two proxies' sessions replaced:
#   pri=N facility=F severity=S host=H|- tag=T | [level] message
# The message is nginx's error log line: its date, "pid#tid: *connection" (mailproxy:
# "pid#0: *session"), the ports of 127.0.0.1 and [::1], Dovecot's timings and mailproxy's
# byte counts after "proxied session done" are normalised.  Exits 1 on a line that is
# not framed as nginx frames it, whose severity is not its level's, or whose time stamp is more than 60 s off.
import re
import sys
import time

HEAD = re.compile(rb"^<(\d{1,3})>([A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]) "
                  rb"(?:([a-z0-9._-]+) )?([A-Za-z0-9_]{1,32}): (.*)$")
BODY = re.compile(rb"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[([a-z]+)\] \d+#\d+: (?:\*[0-9a-f]+ )?(.*)$")
LEVELS = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"]
ok = True
now = time.time()
for raw in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    m = HEAD.match(raw)
    b = BODY.match(m.group(5)) if m else None
    if not m or not b:
        print("BAD FRAME: %r" % raw)
        ok = False
        continue
    pri, stamp, host, tag = int(m.group(1)), m.group(2).decode(), m.group(3), m.group(4).decode()
    t = time.mktime(time.strptime("%s %s" % (time.localtime(now).tm_year, stamp), "%Y %b %d %H:%M:%S"))
    t2 = time.mktime(time.strptime(b.group(1).decode(), "%Y/%m/%d %H:%M:%S"))
    if abs(t - now) > 60 or t != t2:
        print("BAD TIME: %r" % raw)
        ok = False
    if LEVELS.index(b.group(2).decode()) != pri & 7:
        print("BAD SEVERITY: %r" % raw)
        ok = False
    msg = b.group(3)
    msg = re.sub(rb"(127\.0\.0\.1|\[::1\]):\d+", rb"\1:PORT", msg)
    msg = re.sub(rb" \([0-9.+ ]+ secs\)", b"", msg)
    msg = re.sub(rb"^proxied session done \(to upstream: \d+ bytes, to client: \d+ bytes, time: [0-9.]+ s\)",
                 b"proxied session done", msg)
    print("pri=%d facility=%d severity=%d host=%s tag=%s | [%s] %s" % (
        pri, pri >> 3, pri & 7, host.decode() if host else "-", tag, b.group(2).decode(),
        msg.decode("utf-8", "backslashreplace")))
sys.exit(0 if ok else 1)
