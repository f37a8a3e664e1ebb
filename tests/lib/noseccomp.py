#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# noseccomp.py PROGRAM ARG... - run PROGRAM under a seccomp filter that refuses seccomp(2)
# and prctl(PR_SET_SECCOMP) with EACCES, as a service manager's system-call filter could:
# a program of this tree must then refuse to serve rather than run without its own filter.
# Everything else is allowed.  Linux on x86-64 or aarch64.

import ctypes
import os
import platform
import struct
import sys

NR = {"x86_64": (317, 157), "aarch64": (277, 167)}    # seccomp, prctl
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
LD_ABS_W, JEQ, RET = 0x20, 0x15, 0x06
ALLOW, ERRNO = 0x7FFF0000, 0x00050000
EACCES = 13


def ins(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)


seccomp, prctl = NR[platform.machine()]
prog = b"".join([
    ins(LD_ABS_W, 0),                    # the call number
    ins(JEQ, seccomp, 3, 0),
    ins(JEQ, prctl, 0, 3),
    ins(LD_ABS_W, 16),                   # argument 0, low half
    ins(JEQ, PR_SET_SECCOMP, 0, 1),
    ins(RET, ERRNO | EACCES),
    ins(RET, ALLOW),
])


class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


libc = ctypes.CDLL(None, use_errno=True)
fp = Fprog(len(prog) // 8, prog)
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fp), 0, 0) != 0:
    sys.exit("noseccomp.py: prctl: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
