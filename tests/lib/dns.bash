# SPDX-License-Identifier: ISC
# dns.bash - DNS servers for the resolver tests, on loopback high ports.  Source it after
# tests/lib/common.bash and call dns_start in setup_file (after mp_init).
#
#   $DNS_PORT       dnsmasq with forward, reverse and missing records (below)
#   $DNS_EVIL_PORT  tests/lib/dns_evil.py: malicious and broken answers (see that file)
#   $DNS_DEAD_PORT  nothing listens: queries are refused (ICMP port unreachable)
#
# dnsmasq's records (reverse names come from host-record too):
#   192.0.2.1    <-> good.example.test                       forward-confirmed
#   192.0.2.2     -> mismatch.example.test -> 192.0.2.200    forward does not match
#   192.0.2.3        no PTR                                  NXDOMAIN
#   192.0.2.4     -> noforward.example.test (no A/AAAA)      forward NXDOMAIN
#   2001:db8::5  <-> v6.example.test                         IPv6, AAAA only
#   192.0.2.6    <-> dual.example.test (also 2001:db8::6)
#   127.0.0.1    <-> client.example.test                     the test clients themselves
# Anything else under .test, in-addr.arpa and ip6.arpa is NXDOMAIN.

dns_start() {
	local d=$T/dns i
	mkdir -p "$d"
	read -r DNS_PORT DNS_EVIL_PORT DNS_DEAD_PORT < <(free_ports 3)
	export DNS_PORT DNS_EVIL_PORT DNS_DEAD_PORT
	cat >"$d/dnsmasq.conf" <<EOF
port=$DNS_PORT
listen-address=127.0.0.1
bind-interfaces
user=$(id -un)
pid-file=
no-resolv
no-hosts
no-poll
no-negcache
log-queries
log-facility=$d/dnsmasq.log
local=/test/
local=/in-addr.arpa/
local=/ip6.arpa/
host-record=good.example.test,192.0.2.1
ptr-record=2.2.0.192.in-addr.arpa,mismatch.example.test
host-record=mismatch.example.test,192.0.2.200
ptr-record=4.2.0.192.in-addr.arpa,noforward.example.test
host-record=v6.example.test,2001:db8::5
host-record=dual.example.test,192.0.2.6,2001:db8::6
host-record=client.example.test,127.0.0.1
EOF
	dnsmasq -k -C "$d/dnsmasq.conf" >"$d/dnsmasq.stderr" 2>&1 </dev/null 3>&- &
	track $!
	python3 "$MP_TESTS/lib/dns_evil.py" "$DNS_EVIL_PORT" >"$d/evil.stderr" 2>&1 </dev/null 3>&- &
	track $!
	# until both answer a query
	for ((i = 0; i < 100; i++)); do
		dns_query "$DNS_PORT" good.example.test 1 >/dev/null 2>&1 &&
			dns_query "$DNS_EVIL_PORT" ok74.example.test 1 >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$d"/*.stderr "$d/dnsmasq.log" >&2
	return 1
}

# dns_query PORT NAME QTYPE: send one query, print the rcode and the answer count
dns_query() {
	python3 - "$@" <<'EOF'
import random, socket, struct, sys
port, qname, qtype = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
qid = random.randrange(65536)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in qname.split(".")) + b"\0"
q += struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(4096)
print("rcode=%d answers=%d" % (r[3] & 15, struct.unpack(">H", r[6:8])[0]))
EOF
}
