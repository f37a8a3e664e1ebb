# SPDX-License-Identifier: ISC
# launcher.bash - the high-rate mode under a real systemd (tests/launcher.bats, and
# bench/accept.sh's units): the units "mailproxy -T systemd-accept" writes, next to
# units/mailproxy-accept@.service as installed, in a systemd of its own (lib/sd-ns.sh).
# Sourced after lib/common and lib/units.
#
#   la_units DIR CONF BIN [MAX PER_SOURCE]
#                      DIR = the installed units + the generated ones for CONF, the
#                      binaries in BIN, stderr of the services appended to DIR/../stderr.log;
#                      MAX and PER_SOURCE replace the generated bounds; DIR/mptest.target
#                      wants every socket
#   la_hold PORT N [SRC] [OUT]  N connections from SRC (default 127.0.0.1) to PORT, held until
#                      OUT.go exists (60 s at most); OUT gets one line per connection: its greeting, or
#                      "closed" when the server closed it at once

la_units() { # DIR CONF BIN [MAX PER_SOURCE]
	local d=$1 conf=$2 bin=$3 f
	rm -rf "$d"
	units_copy "$d" "$bin"
	rm -f "$d"/mailproxy@*.socket "$d"/mailproxy-accept@*.socket	# the real ports
	"$bin/mailproxy" -T systemd-accept -c "$conf" >"$d.generated" 2>"$d.generated.err"
	"$MP_TESTS/lib/split-units.sh" "$d" <"$d.generated"
	mkdir -p "$d/mailproxy-accept@.service.d"
	printf '[Service]\nStandardError=append:%s/stderr.log\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' \
		"${d%/*}" >"$d/mailproxy-accept@.service.d/40-test.conf"
	if [ -n "${4:-}" ]; then
		for f in "$d"/mailproxy-accept@*.service.d/50-configuration.conf; do
			sed -i "s| -c [0-9]* -s [0-9]* | -c $4 -s $5 |" "$f"
		done
	fi
	units_target "$d" launcher.bash
}

la_hold() { # PORT N [SRC] [OUT]
	python3 - "$1" "$2" "${3:-127.0.0.1}" "${4:-/dev/stdout}" <<'EOF'
import os, socket, sys, time
port, n, src, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
conns, lines = [], []
for _ in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    conns.append(s)
for s in conns:
    try:
        g = s.recv(200)
    except OSError as e:
        g = repr(e).encode()
    lines.append(g.decode(errors="replace").strip() or "closed")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
if out != "/dev/stdout":
    end = time.time() + 60	# a failed test that never says go
    while not os.path.exists(out + ".go") and time.time() < end:
        time.sleep(0.02)
EOF
}
