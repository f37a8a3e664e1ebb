#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/relay_ab.sh BUILD_DIR RELAY_A RELAY_B [ROUNDS]: two mailproxy-relay binaries
# alone, side by side: the load generator's IMAP login and "STREAM" go through the relay
# (inetd style under systemd-socket-activate, the backend connected on fd 3 by bash)
# straight to the benchmark backend, 256 MiB each way per stream, 1 and 4 streams,
# interleaved for ROUNDS rounds (8). No handler, no auth server, no nginx: only the
# relay's copy loop differs, so a change to lib/relay/relay.c is measured against the one
# before it. Prints GiB/s (both directions summed) and the relays' CPU per GiB.
set -u
BUILD=${1:?usage: bench/relay_ab.sh BUILD_DIR RELAY_A RELAY_B [ROUNDS]}
A=${2:?usage}
B=${3:?usage}
ROUNDS=${4:-8}
BYTES=$((256 << 20))
for f in "$BUILD/bench/loadgen" "$BUILD/bench/backend" "$A" "$B"; do
	[ -x "$f" ] || { echo "relay_ab: missing $f (make bench builds the load generator)" >&2; exit 1; }
done
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null' EXIT
trap 'exit 1' INT TERM PIPE
# free ports are picked, then bound by others: a busy machine may take one in between
for ((try = 0; try < 5; try++)); do
	read -r PB PA PBB < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
	"$BUILD/bench/backend" -i "$PB" 2>/dev/null & PIDS=($!)
	for x in "$PA:$A" "$PBB:$B"; do
		systemd-socket-activate --inetd -a -l "127.0.0.1:${x%%:*}" \
			bash -c "exec 3<>/dev/tcp/127.0.0.1/$PB; exec ${x#*:}" >/dev/null 2>&1 &
		PIDS+=($!)
	done
	sleep 0.5
	up=1
	for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || up=0; done
	[ "$up" = 1 ] && break
	kill "${PIDS[@]}" 2>/dev/null
done
[ "$up" = 1 ] || { echo "relay_ab: the listeners did not start (ports taken?)" >&2; exit 1; }
SA=${PIDS[1]} SB=${PIDS[2]}
R=$(mktemp)
for ((r = 0; r < ROUNDS; r++)); do
	for n in 1 4; do
		echo "a n=$n $("$BUILD/bench/loadgen" stream -p "$PA" -n "$n" -b "$BYTES" -m "$SA")" >>"$R"
		echo "b n=$n $("$BUILD/bench/loadgen" stream -p "$PBB" -n "$n" -b "$BYTES" -m "$SB")" >>"$R"
	done
done
echo "relay A: $A"
echo "relay B: $B"
echo "$ROUNDS rounds, 256 MiB each way per stream, mean (B/A)"
awk -v bytes="$BYTES" '
	{ k = $1 " " $2; n = substr($2, 3)
	  for (i = 3; i <= NF; i++) { split($i, f, "="); v[f[1]] = f[2] }
	  if (v["errors"] != 0) bad++
	  g[k] += v["gibps"]; c[k] += v["cpu_ms"] / (2 * n * bytes / 2^30); cnt[k]++ }
	END {
	  for (n = 1; n <= 4; n += 3) {
	    a = "a n=" n; b = "b n=" n
	    printf "%d stream(s): A %.3f GiB/s, B %.3f GiB/s (%.2f); CPU A %.0f, B %.0f ms/GiB (%.2f)\n", n,
	      g[a] / cnt[a], g[b] / cnt[b], g[b] / g[a], c[a] / cnt[a], c[b] / cnt[b], c[b] / c[a]
	  }
	  if (bad) printf "%d runs with errors\n", bad
	}' "$R"
rm -f "$R"
