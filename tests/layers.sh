#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# layers.sh [ROOT]: check that lib/ keeps its layers (the Makefile says what
# each folder is). A file includes headers of its own layer and of the layers
# it stands on, never of one above; libtls and libcrypto are included only by
# lib/tls and mailproxy-tls; the relay's sources stand on base alone. Prints
# FILE:LINE for each include that breaks a rule; exit 1 if there is one.
import os
import re
import sys

BELOW = {
    "base": [],
    "conf": ["base"],
    "wire": ["base", "conf"],
    "net": ["base", "conf", "wire"],
    "session": ["base", "conf", "wire", "net"],
    "tls": ["base", "conf", "wire"],
    "relay": ["base"],
}
# the programs' mains, and the layers each may include
MAINS = {
    "cmd/mailproxy.c": ["base", "conf", "wire", "net", "session"],
    "cmd/mailproxy-relay.c": ["base", "relay"],
    "cmd/mailproxy-tls.c": ["base", "conf", "wire", "net", "tls"],
}
TLS_HEADER = re.compile(r'#\s*include\s*<(tls\.h|openssl/[^>]+)>')
LOCAL = re.compile(r'#\s*include\s*"([^"]+)"')


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    lib = os.path.join(root, "lib")
    home = {}
    files = []
    for layer in sorted(os.listdir(lib)):
        if layer not in BELOW:
            print("%s/%s: a folder that is no layer (tests/layers.sh)" % (lib, layer))
            return 1
        for name in sorted(os.listdir(os.path.join(lib, layer))):
            if name.endswith(".h"):
                if name in home:
                    print("lib/%s/%s: a header of the same name is in lib/%s" % (layer, name, home[name]))
                    return 1
                home[name] = layer
            files.append(("lib/%s/%s" % (layer, name), layer, [layer] + BELOW[layer]))
    for path, allowed in MAINS.items():
        if os.path.exists(os.path.join(root, path)):
            files.append((path, "tls" if path.endswith("-tls.c") else None, allowed))
    bad = 0
    for path, layer, allowed in files:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                m = LOCAL.match(line)
                if m:
                    where = home.get(m.group(1))
                    if where is None:
                        print("%s:%d: includes %s, which is in no layer" % (path, n, m.group(1)))
                        bad += 1
                    elif where not in allowed:
                        print("%s:%d: includes %s of lib/%s, above it" % (path, n, m.group(1), where))
                        bad += 1
                elif TLS_HEADER.match(line) and layer != "tls":
                    print("%s:%d: libtls or libcrypto outside lib/tls" % (path, n))
                    bad += 1
    if bad:
        print("layers.sh: %d include(s) across the layers" % bad, file=sys.stderr)
    return 1 if bad else 0


sys.exit(main())
