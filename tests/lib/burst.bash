# SPDX-License-Identifier: ISC
# burst.bash - connection bursts against inetd-style services (inetd.bats, xinetd.bats).
#
#   burst PORT N            N connections opened and closed one after the other; prints
#                           how many failed
#   burst_stopped PORT WHAT the control service at PORT (WHAT, for the message) no longer
#                           serves: it refuses, or accepts and closes; otherwise the burst
#                           was too small to prove anything and the test fails

burst() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
port, n, failed = int(sys.argv[1]), int(sys.argv[2]), 0
for _ in range(n):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        failed += 1
print(failed)
PY
}

burst_stopped() {
	local out
	out=$(python3 "$MP_TESTS/lib/inetd_client.py" "$1") || true	# it fails when refused
	echo "after the burst, $1: $out"
	case "$out" in
	"b''" | "CONNECT FAILED:"*) ;;
	*) echo "$2 survived: the burst proves nothing" >&2; return 1 ;;
	esac
}
