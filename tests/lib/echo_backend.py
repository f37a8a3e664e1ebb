#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# echo_backend.py - fast fakes for the load and fault suites: an auth_http server and IMAP
# backends that speak just enough IMAP for the proxy's login, in one asyncio process.
#
#   echo_backend.py --auth PORT --imap PORT:MODE... [--log FILE] [--pidfile FILE]
#
# The auth server (backlog 1024, for hundreds of simultaneous sessions) accepts user U with
# password U + "pass" and sends the session to the backend named by U's prefix: "echo",
# "silent", "closelogin", "slowread" (each must be given with --imap).  Users named
# "auth-..." exercise the auth server's own faults:
#   auth-midreply   half a header line, then close
#   auth-huge       1 MiB of header lines (nginx reads at most 1024 bytes)
#   auth-trickle    the reply one byte every 0.5 s
#   auth-hang       accept, read, never answer
#   auth-addr-N     OK, with the Nth of a list of Auth-Server values that are not IP addresses
# Backend modes:
#   echo        greet, accept the login, then send back every byte received
#   silent      accept the connection, never greet
#   closelogin  greet, close as soon as the login command starts
#   slowread    greet, accept the login, then read 16 KiB every 0.1 s; after the client's
#               EOF send "BYTES <n> <sha256>\r\n" and close
# Every auth request's header block is appended to --log (the password test greps it).

import argparse
import asyncio
import hashlib
import os
import resource
import re
import sys
import urllib.parse

opts = None
backends = {}


async def read_head(reader):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = await reader.read(4096)
        if not chunk:
            break
        data += chunk
    return data


async def auth_conn(reader, writer):
    try:
        head = await read_head(reader)
        if opts.log:
            with open(opts.log, "ab") as f:
                f.write(head)
        h = {}
        for line in head.split(b"\r\n")[1:]:
            k, sep, v = line.partition(b":")
            if sep:
                h[k.strip().lower()] = v.strip()
        user = urllib.parse.unquote_to_bytes(h.get(b"auth-user", b"")).decode("latin-1")
        pw = urllib.parse.unquote_to_bytes(h.get(b"auth-pass", b"")).decode("latin-1")
        ok = b"HTTP/1.0 200 OK\r\n"
        if user == "auth-midreply":
            writer.write(ok + b"Auth-Sta")
            await writer.drain()
            return
        if user == "auth-huge":
            writer.write(ok)
            for i in range(16384):
                writer.write(b"X-Filler-%05d: %s\r\n" % (i, b"y" * 48))
                await writer.drain()
            writer.write(b"Auth-Status: OK\r\n\r\n")
            await writer.drain()
            return
        if user == "auth-trickle":
            for b in ok + b"Auth-Status: Invalid login or password\r\n\r\n":
                writer.write(bytes([b]))
                await writer.drain()
                await asyncio.sleep(0.5)
            return
        if user.startswith("auth-addr-"):
            # Auth-Status: OK with a backend address that is not an IP address
            bad = [b"example.com", b"127.0.0.1:143", b"127.1", b"0x7f000001", b"999.1.1.1",
                   b"1.2.3.4.5", b"localhost", b"127.0.0.1/8", b"::1%lo"][int(user[10:])]
            writer.write(ok + b"Auth-Status: OK\r\nAuth-Server: " + bad +
                         b"\r\nAuth-Port: %d\r\n\r\n" % backends.get("echo", 1))
            await writer.drain()
            return
        if user == "auth-hang":
            await reader.read()
            return
        mode = re.match(r"[a-z]*", user).group(0)
        if pw != user + "pass" or mode not in backends:
            writer.write(ok + b"Auth-Status: Invalid login or password\r\n\r\n")
        else:
            writer.write(ok + b"Auth-Status: OK\r\nAuth-Server: 127.0.0.1\r\n"
                         b"Auth-Port: %d\r\n\r\n" % backends[mode])
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def imap_login(reader, writer):
    """Reads one command, answering literals with "+ OK"; returns its tag or None."""
    line = await reader.readline()
    if not line:
        return None
    tag = line.split(b" ", 1)[0]
    while True:
        m = re.search(rb"\{(\d+)\+?\}\r?\n$", line)
        if not m:
            break
        if not line.rstrip(b"\r\n").endswith(b"+}"):
            writer.write(b"+ OK\r\n")
            await writer.drain()
        await reader.readexactly(int(m.group(1)))
        line = await reader.readline()
        if not line:
            return None
    return tag


async def backend_conn(reader, writer, mode):
    try:
        if mode == "silent":
            await reader.read()
            return
        writer.write(b"* OK [CAPABILITY IMAP4rev1] fake backend ready\r\n")
        await writer.drain()
        if mode == "closelogin":
            await reader.read(1)
            return
        tag = await imap_login(reader, writer)
        if tag is None:
            return
        writer.write(tag + b" OK [CAPABILITY IMAP4rev1] Logged in\r\n")
        await writer.drain()
        if mode == "echo":
            while True:
                data = await reader.read(262144)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.write_eof()
            await writer.drain()
        elif mode == "slowread":
            n, h = 0, hashlib.sha256()
            while True:
                data = await reader.read(16384)
                if not data:
                    break
                n += len(data)
                h.update(data)
                await asyncio.sleep(0.1)
            writer.write(b"BYTES %d %s\r\n" % (n, h.hexdigest().encode()))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main():
    raise_nofile()
    global opts
    ap = argparse.ArgumentParser()
    ap.add_argument("--auth", type=int, required=True)
    ap.add_argument("--imap", action="append", default=[], help="PORT:MODE")
    ap.add_argument("--log")
    ap.add_argument("--pidfile")
    opts = ap.parse_args()
    servers = [await asyncio.start_server(auth_conn, "127.0.0.1", opts.auth, backlog=1024)]
    for spec in opts.imap:
        port, mode = spec.split(":")
        backends[mode] = int(port)
        servers.append(await asyncio.start_server(
            lambda r, w, m=mode: backend_conn(r, w, m), "127.0.0.1", int(port), backlog=1024))
    if opts.pidfile:
        with open(opts.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("echo_backend: ready", file=sys.stderr, flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
