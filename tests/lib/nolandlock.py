#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# nolandlock.py PROGRAM ARGS...: run PROGRAM as on a kernel without Landlock: a seccomp
# filter answers landlock_create_ruleset(2) with ENOSYS, what a kernel built without it
# says.  For tests/landlock.bats (the handler's fallback and its log line).
import ctypes
import os
import platform
import struct
import sys

if platform.machine() not in ("x86_64", "aarch64"):
    sys.exit("nolandlock.py: no call number for " + platform.machine())
NR_CREATE_RULESET = 444     # the same on both: a call added after the tables were unified
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
LD_ABS_W, JEQ, RET = 0x20, 0x15, 0x06
ALLOW, ERRNO, ENOSYS = 0x7FFF0000, 0x00050000, 38


def ins(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)


prog = b"".join([
    ins(LD_ABS_W, 0),                    # the call number
    ins(JEQ, NR_CREATE_RULESET, 0, 1),
    ins(RET, ERRNO | ENOSYS),
    ins(RET, ALLOW),
])


class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


libc = ctypes.CDLL(None, use_errno=True)
fp = Fprog(len(prog) // 8, prog)
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fp), 0, 0) != 0:
    sys.exit("nolandlock.py: prctl: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
