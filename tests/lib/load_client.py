#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# load_client.py - N concurrent IMAP sessions through the proxy to echo_backend.py: each
# logs in, waits until all N are logged in at once, then sends SIZE bytes of its own
# pseudo-random stream while reading the echo, half-closes and waits for EOF.  A session
# is good when the echo's SHA-256 equals the sent stream's and exactly SIZE bytes came back.
#
#   load_client.py [-t TIMEOUT] PORT N SIZE
#
# Prints "sessions=N ok=K failed=F bytes_each_way=B seconds=S" and one line per failure;
# exit 0 only if every session was good.

import argparse
import asyncio
import hashlib
import os
import resource
import sys
import time

CHUNK = 256 * 1024


def stream_chunks(seed, size):
    block = hashlib.shake_256(seed).digest(CHUNK)
    sent, i = 0, 0
    while sent < size:
        n = min(CHUNK, size - sent)
        # a counter in every chunk, so a repeated or dropped chunk changes the hash
        chunk = (i.to_bytes(8, "big") + block[8:])[:n]
        yield chunk
        sent += n
        i += 1


class Run:
    def __init__(self, n):
        self.n = n
        self.logged_in = 0
        self.all_in = asyncio.Event()
        self.fail = []


async def session(run, port, idx, size, timeout):
    user = b"echo%d" % idx
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        greet = await asyncio.wait_for(reader.readline(), timeout)
        if not greet.startswith(b"* OK"):
            raise RuntimeError("greeting %r" % greet)
        writer.write(b"a LOGIN " + user + b" " + user + b"pass\r\n")
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line:
                raise RuntimeError("EOF during login")
            if line.startswith(b"a "):
                break
        if not line.startswith(b"a OK"):
            raise RuntimeError("login %r" % line)
        run.logged_in += 1
        if run.logged_in == run.n:
            run.all_in.set()
        await asyncio.wait_for(run.all_in.wait(), timeout)

        hs = hashlib.sha256()

        async def send():
            for c in stream_chunks(user, size):
                hs.update(c)
                writer.write(c)
                await writer.drain()
            writer.write_eof()

        async def recv():
            hr, got = hashlib.sha256(), 0
            while True:
                data = await reader.read(1 << 20)
                if not data:
                    return got, hr.hexdigest()
                got += len(data)
                hr.update(data)

        _, (got, hrecv) = await asyncio.wait_for(asyncio.gather(send(), recv()), timeout)
        if got != size or hrecv != hs.hexdigest():
            raise RuntimeError("got %d bytes, want %d; hash %s" % (got, size,
                               "ok" if hrecv == hs.hexdigest() else "differs"))
        writer.close()
    except Exception as e:  # one line per failed session
        run.fail.append("session %d: %s: %s" % (idx, type(e).__name__, e))
        if not run.all_in.is_set():
            run.n -= 1  # do not keep the others waiting for a session that failed
            if run.logged_in >= run.n:
                run.all_in.set()


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main():
    raise_nofile()
    ap = argparse.ArgumentParser()
    ap.add_argument("-t", type=float, default=120)
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("size", type=int)
    a = ap.parse_args()
    run = Run(a.n)
    t0 = time.monotonic()
    await asyncio.gather(*(session(run, a.port, i, a.size, a.t) for i in range(a.n)))
    print("sessions=%d ok=%d failed=%d bytes_each_way=%d seconds=%.1f" %
          (a.n, a.n - len(run.fail), len(run.fail), a.size, time.monotonic() - t0))
    for f in run.fail[:20]:
        print(f)
    sys.exit(1 if run.fail else 0)


if __name__ == "__main__":
    asyncio.run(main())
