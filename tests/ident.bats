#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# ident.bats - the client's identity and the session id beyond nginx: proxy_client_id (an
# IMAP ID with x-originating-ip/port, x-connected-ip/port and x-session-id; POP3 XCLIENT
# ADDR= PORT= SESSION= where the greeting announces it; a PROXY v2 UNIQUE_ID TLV), the
# auth reply's Auth-Proxy-Client-Id per user, auth_http_pass_session_id (Auth-Session-Id),
# and imap_id (ID before login, answered with NIL, the client's pairs in Auth-IMAP-ID).
# Dovecot trusts the proxy on 127.0.0.1 (login_trusted_networks in a "local" block) and
# not on 127.0.0.2; its login line shows what it took: rip, rport, lip, lport, session.
# Clients connect from 127.0.0.3 so that their address differs from the proxy's.

bats_require_minimum_version 1.5.0

MP_USERS='alice:alicepass
bob:bobpass
idon:idonpass
idoff:idoffpass'

load lib/common
load lib/pp_record

# servers whose directives hold "# pop3" speak POP3; "# listen-pp" listens with proxy_protocol
ident_proxy_start() {
	eval "$(declare -f mp_write_conf | sed '1s/mp_write_conf/ident_write_conf_orig/')"
	mp_write_conf() {
		ident_write_conf_orig "$@"
		python3 - "$T/$1/proxy.conf" <<'PY'
import re, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
marks = set()
for i, l in enumerate(lines):
    if re.match(r"\s*server \{", l):
        marks = set()
        j = i + 1
        while j < len(lines) and not re.match(r"\s*\}\s*$", lines[j]):
            marks |= set(re.findall(r"# (pop3|listen-pp)", lines[j]))
            j += 1
    if "listen-pp" in marks and re.match(r"\s*listen 127\.0\.0\.1:\d+;", l):
        lines[i] = l.replace(";", " proxy_protocol;")
    if "pop3" in marks and l.strip() == "protocol imap;":
        lines[i] = l.replace("imap", "pop3")
open(p, "w").write("\n".join(lines))
PY
	}
	proxy_start "$@"
}

setup_file() {
	if [ "$MAILPROXY_TARGET" = nginx ]; then
		skip "nginx has none of these extensions"
	fi
	mp_init
	read -r UNT_IMAP UNT_POP3 AUTH3PORT < <(free_ports 3)
	export UNT_IMAP UNT_POP3 AUTH3PORT
	DOVECOT_EXTRA="login_log_format_elements = user=<%u> method=%m rip=%r rport=%{rport} lip=%l lport=%{lport} real_rip=%{real_rip} mpid=%e %c session=<%{session}>
local 127.0.0.1 {
  login_trusted_networks = 127.0.0.0/8
}
service imap-login {
  inet_listener imap_untrusted {
    address = 127.0.0.2
    port = $UNT_IMAP
  }
}
service pop3-login {
  inet_listener pop3_untrusted {
    address = 127.0.0.2
    port = $UNT_POP3
  }
}"
	dovecot_start
	authserver_start --reply-header "idoff=Auth-Proxy-Client-Id: off" \
		--reply-header "idon=Auth-Proxy-Client-Id: on"
	# AUTH2PORT sends IMAP logins through the PROXY header recorder (RECPORT) to Dovecot
	pp_recorder_start
	# AUTH3PORT sends them to Dovecot's untrusted listeners
	: >"$T/auth3.log"
	python3 "$MP_TESTS/authserver.py" --listen "127.0.0.1:$AUTH3PORT" --users "$T/users" \
		--backend "imap=127.0.0.2:$UNT_IMAP" --backend "pop3=127.0.0.2:$UNT_POP3" \
		--log "$T/auth3.log" >"$T/authserver3.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$AUTH3PORT"

	mp_server imap_on 'proxy_client_id on;
		auth_http_pass_session_id on;'
	mp_server imap_pp '# listen-pp
		set_real_ip_from 127.0.0.0/8;
		proxy_client_id on;'
	mp_server imap_off ''
	mp_server imap_untrusted "proxy_client_id on;
		auth_http 127.0.0.1:$AUTH3PORT/auth;"
	mp_server imap_v2 "proxy_protocol v2;
		proxy_client_id on;
		auth_http 127.0.0.1:$AUTH2PORT/auth;"
	mp_server imap_v2_off "proxy_protocol v2;
		auth_http 127.0.0.1:$AUTH2PORT/auth;"
	mp_server pop3_on '# pop3
		proxy_client_id on;
		auth_http_pass_session_id on;'
	mp_server pop3_pp '# pop3 # listen-pp
		set_real_ip_from 127.0.0.0/8;
		proxy_client_id on;'
	mp_server pop3_untrusted "# pop3
		proxy_client_id on;
		auth_http 127.0.0.1:$AUTH3PORT/auth;"
	mp_server imap_id 'imap_id on;'
	mp_server imap_id_listed 'imap_id on;
		imap_capabilities IMAP4rev1 id;'
	ident_proxy_start
}

teardown_file() { mp_cleanup; }
setup() {
	auth_log_clear
	: >"$T/dovecot/dovecot.log"
	: >"$(errlog)"
	: >"$T/pp.log"
}
teardown() { check_sanitizers; }

client() { python3 "$MP_TESTS/lib/ident_client.py" "$@"; }

# dovecot_login USER: Dovecot's last "Login:" line for USER (its log process may lag)
dovecot_login() {
	local i l
	for ((i = 0; i < 50; i++)); do
		l=$(grep -a "Login: user=<$1>" "$T/dovecot/dovecot.log" | tail -n 1)
		if [ -n "$l" ]; then
			echo "$l"
			return 0
		fi
		sleep 0.1
	done
	echo "no Dovecot login line for $1:" >&2
	cat "$T/dovecot/dovecot.log" >&2
	return 1
}

# mp_sid: the session id of mailproxy's last "client logged in" line
mp_sid() {
	local l
	l=$(grep -a 'client logged in' "$(errlog)" | tail -n 1)
	[[ $l =~ \*([0-9a-f]+)\  ]] || { echo "no login in $(errlog)" >&2; return 1; }
	echo "${BASH_REMATCH[1]}"
}

# has TEXT PATTERN: TEXT matches the glob PATTERN (its backslashes are literal), or both
# are printed
has() {
	local pat=${2//\\/\\\\}
	[[ $1 == $pat ]] || { printf 'in:   %s\nwant: %s\n' "$1" "$2" >&2; return 1; }
}

@test "IMAP: the trusting Dovecot logs the real client, its port, the address it came to and mailproxy's session id" {
	run -0 client --src 127.0.0.3 imap "$(port imap_on)" bob bobpass
	cport=${lines[0]#port=}
	has "${lines[*]}" '*l OK *'
	line=$(dovecot_login bob)
	sid=$(mp_sid)
	has "$line" "*, rip=127.0.0.3, rport=$cport, lip=127.0.0.1, lport=$(port imap_on), real_rip=127.0.0.1,*"
	has "$line" "*session=<$sid>"
	# and the auth server got the same id
	has "$(auth_last_request)" "*\r\nAuth-Session-Id: $sid\r\n*"
}

@test "IMAP behind a PROXY header with set_real_ip_from: Dovecot logs the address and port the header names" {
	run -0 client --pp 'PROXY TCP4 192.0.2.1 198.51.100.7 5555 143\r\n' imap "$(port imap_pp)" bob bobpass
	line=$(dovecot_login bob)
	has "$line" "*, rip=192.0.2.1, rport=5555, lip=127.0.0.1, lport=$(port imap_pp),*"
	has "$line" "*session=<$(mp_sid)>"
	# Auth-Session-Id only with auth_http_pass_session_id
	has "$(auth_last_request)" "*Client-IP: 192.0.2.1\r\n*"
	[[ "$(auth_last_request)" != *Auth-Session-Id* ]]
}

@test "POP3: XCLIENT where the greeting announces it; Dovecot logs the real client and the session id" {
	run -0 client --src 127.0.0.3 pop3 "$(port pop3_on)" bob bobpass
	cport=${lines[0]#port=}
	has "${lines[*]}" '*+OK Logged in.*'
	line=$(dovecot_login bob)
	sid=$(mp_sid)
	has "$line" "*pop3-login: *, rip=127.0.0.3, rport=$cport, lip=127.0.0.1, lport=$DOVECOT_POP3,*"
	has "$line" "*session=<$sid>"
	has "$(auth_last_request)" "*\r\nAuth-Session-Id: $sid\r\n*"
}

@test "POP3 behind a PROXY header with set_real_ip_from: XCLIENT carries the header's address and port" {
	run -0 client --pp 'PROXY TCP4 192.0.2.9 198.51.100.7 6666 110\r\n' pop3 "$(port pop3_pp)" bob bobpass
	line=$(dovecot_login bob)
	has "$line" "*, rip=192.0.2.9, rport=6666,*"
	has "$line" "*session=<$(mp_sid)>"
}

@test "an untrusted proxy: Dovecot ignores the IMAP ID fields and announces no XCLIENT, which is logged" {
	run -0 client --src 127.0.0.3 imap "$(port imap_untrusted)" bob bobpass
	has "${lines[*]}" '*l OK *'
	line=$(dovecot_login bob)
	has "$line" "*, rip=127.0.0.1, rport=*, lip=127.0.0.2, lport=$UNT_IMAP,*"
	[[ "$line" != *"session=<$(mp_sid)>"* ]]

	: >"$T/dovecot/dovecot.log"
	run -0 client --src 127.0.0.3 pop3 "$(port pop3_untrusted)" bob bobpass
	has "${lines[*]}" '*+OK Logged in.*'
	has "$(dovecot_login bob)" "*, rip=127.0.0.1, rport=*, lip=127.0.0.2,*"
	grep -q '\[warn\] .*upstream does not announce XCLIENT: the client'"'"'s address was not passed on' "$(errlog)"
}

@test "off by default: no ID, no session id; the trusting Dovecot sees only the proxy" {
	run -0 client --src 127.0.0.3 imap "$(port imap_off)" bob bobpass
	has "$(dovecot_login bob)" "*, rip=127.0.0.1, rport=*, lip=127.0.0.1, lport=$DOVECOT_IMAP,*"
	req=$(auth_last_request)
	[[ $req != *Auth-Session-Id* ]]
	[[ $req != *Auth-IMAP-ID* ]]
}

@test "Auth-Proxy-Client-Id in the auth reply overrides proxy_client_id per user, both ways" {
	run -0 client --src 127.0.0.3 imap "$(port imap_on)" idoff idoffpass
	has "$(dovecot_login idoff)" "*, rip=127.0.0.1, *"
	run -0 client --src 127.0.0.3 imap "$(port imap_off)" idon idonpass
	has "$(dovecot_login idon)" "*, rip=127.0.0.3, *session=<$(mp_sid)>"
	run -0 client --src 127.0.0.3 pop3 "$(port pop3_on)" idoff idoffpass
	has "$(dovecot_login idoff)" "*pop3-login: *, rip=127.0.0.1, *"
}

@test "PROXY v2 to the backend: the session id as a UNIQUE_ID TLV before the CRC32C one, only with proxy_client_id" {
	run -0 client imap "$(port imap_v2)" bob bobpass
	sid=$(mp_sid)
	has "$(cat "$T/pp.log")" "*\x05\x00\x08$sid\x03\x00\x04*"
	: >"$T/pp.log"
	run -0 client imap "$(port imap_v2_off)" bob bobpass
	run -0 cat "$T/pp.log"
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} != *'\x05\x00'* ]]
}

# ---- imap_id: ID before login (RFC 2971) ---------------------------------------------

@test "imap_id on: ID is in the capability list, once; off: it is not" {
	run -0 wire "$(port imap_id)" '>c CAPABILITY\r\n' '<c OK'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS ID AUTH=PLAIN\r\nc OK completed\r\n' ]
	run -0 wire "$(port imap_id_listed)" '>c CAPABILITY\r\n' '<c OK'
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4rev1 id AUTH=PLAIN\r\nc OK completed\r\n' ]
	run -0 wire "$(port imap_off)" '>c CAPABILITY\r\n' '<c OK' '>i ID NIL\r\n' '<i '
	[ "$output" = '* OK IMAP4 ready\r\n* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\nc OK completed\r\ni BAD invalid command\r\n' ]
}

@test "python imaplib sends ID before login: the reply says nothing, the auth server gets the pairs" {
	run python3 - "$(port imap_id)" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10)
typ, dat = m.xatom("ID", '("name" "imaplib" "version" "3.11" "os" NIL)')
print(typ, dat, m.untagged_responses.get("ID"))
m.login("bob", "bobpass")
m.logout()
PY
	echo "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "OK [b'ID completed'] [b'NIL']" ]
	has "$(auth_last_request)" "*\r\nClient-IP: 127.0.0.1\r\nAuth-IMAP-ID: name=imaplib&version=3.11&os\r\n\r\n"
}

@test "ID with a literal, escapes, upper-case fields and bytes that need escaping: one escaped header" {
	run -0 wire "$(port imap_id)" '>i ID ("Name" {5}\r\n' '<+ OK\r\n' \
		'>a"c%& "X-Q" "q\\"t=\\\\ \xc3\xa9" "e" "")\r\n' '<i OK' \
		'>l LOGIN bob bobpass\r\n' '<l OK'
	has "$output" '* OK IMAP4 ready\r\n+ OK\r\n* ID NIL\r\ni OK ID completed\r\nl OK *'
	has "$(auth_last_request)" '*\r\nAuth-IMAP-ID: name=a%22c%25%26&x-q=q%22t%3D%5C%20%C3%A9&e=\r\n\r\n'
}

@test "hostile ID arguments get a clean BAD, the session goes on and the auth server hears nothing of them" {
	local bad long31 i
	long31='('
	for ((i = 0; i < 31; i++)); do long31+="\"f$i\" \"v\" "; done
	long31="${long31% })"
	for bad in \
		'("name" "'"$(printf 'x%.0s' {1..1025})"'")' \
		"$long31" \
		'("'"$(printf 'f%.0s' {1..31})"'" "v")' \
		'("name" "a\rb")' \
		'("name" "a"b")' \
		'("name" "a\x00b")' \
		'("name" "a\\qb")' \
		'("name" {1025}' \
		'("name" {}' \
		'("name" {x}' \
		'("name" {3)' \
		'("name" "v"' \
		'("name" "v"))' \
		'("name" "v") ' \
		'( "name" "v")' \
		'("name"  "v")' \
		'("name")' \
		'(NIL "v")' \
		'NILL' \
		'"name"' \
		'' \
		'()x'; do
		run -0 wire "$(port imap_id)" ">h ID $bad\r\n" '<h ' '>n NOOP\r\n' '<n OK'
		[ "$output" = '* OK IMAP4 ready\r\nh BAD invalid command\r\nn OK completed\r\n' ] ||
			{ echo "ID $bad: $output"; return 1; }
	done
	# "ID" alone, and a NUL inside a literal (its bytes are read to its end first)
	run -0 wire "$(port imap_id)" '>h ID\r\n' '<h ' '>g ID ("a" {3}\r\n' '<+ OK\r\n' \
		'>x\x00y)\r\n' '<g ' '>l LOGIN bob bobpass\r\n' '<l OK'
	has "$output" '* OK IMAP4 ready\r\nh BAD invalid command\r\n+ OK\r\ng BAD invalid command\r\nl OK *'
	[[ "$(auth_last_request)" != *Auth-IMAP-ID* ]]
}

@test "an ID longer than imap_client_buffer is a too long command: BAD, then the close" {
	local v
	v=$(printf 'v%.0s' {1..1000})
	run -0 wire "$(port imap_id)" ">h ID (\"a\" \"$v\" \"b\" \"$v\" \"c\" \"$v\" \"d\" \"$v\" \"e\" \"$v\")\r\n" .
	[ "$output" = '* OK IMAP4 ready\r\nh BAD invalid command\r\n[EOF]' ]
	grep -q 'client sent too long command' "$(errlog)"
}

@test "a {N+} literal over the bound closes the connection, as any bad line ending in +}" {
	run -0 wire "$(port imap_id)" '>h ID ("name" {2000+}\r\n' .
	[ "$output" = '* OK IMAP4 ready\r\nh BAD invalid command\r\n[EOF]' ]
}

@test "mailproxy -t checks the three directives as nginx checks a flag" {
	local d conf=$BATS_TEST_TMPDIR/t.conf
	for d in imap_id proxy_client_id auth_http_pass_session_id; do
		printf 'mail {\n auth_http 127.0.0.1:9/a;\n %s on;\n server { listen 127.0.0.1:1143; protocol imap; %s off; }\n}\n' \
			"$d" "$d" >"$conf"
		run -0 "$MAILPROXY_BUILD/mailproxy" -t -c "$conf"
		printf 'mail {\n auth_http 127.0.0.1:9/a;\n %s yes;\n}\n' "$d" >"$conf"
		run -1 "$MAILPROXY_BUILD/mailproxy" -t -c "$conf"
		[[ $output == *"invalid value \"yes\" in \"$d\" directive, it must be \"on\" or \"off\" in $conf:3"* ]] ||
			{ echo "$output"; return 1; }
		printf 'mail {\n auth_http 127.0.0.1:9/a;\n %s on; %s off;\n}\n' "$d" "$d" >"$conf"
		run -1 "$MAILPROXY_BUILD/mailproxy" -t -c "$conf"
		[[ $output == *"\"$d\" directive is duplicate in $conf:3"* ]] || { echo "$output"; return 1; }
	done
}
