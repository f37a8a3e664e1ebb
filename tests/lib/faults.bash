# SPDX-License-Identifier: ISC
# faults.bash - helpers for the fault, CVE, load and password suites.  Load after
# lib/common.
#
#   fakes_start                 echo_backend.py: an auth_http server on $FAKEAUTH and IMAP
#                               backends echo/silent/closelogin/slowread (users "echo1",
#                               "silent1", ... with password USER"pass"), requests in
#                               $T/fake-auth.log
#   proto_server NAME PROTO 'DIRECTIVES'
#                               like mp_server, for a pop3 or smtp server
#   mp_tag                      mark every process the proxy starts from now on (the
#                               environment is inherited through fork and exec)
#   leftovers                   the pids of mailproxy, mailproxy-relay and mailproxy-tls
#                               processes of this suite that are still alive
#   no_leftovers [SECS]         wait up to SECS (default 5) for leftovers to be empty;
#                               otherwise print them and fail
#   wait_log PATTERN [SECS] [INST]   until error_log has a line matching PATTERN

fakes_start() {
	read -r FAKEAUTH FAKE_ECHO FAKE_SILENT FAKE_CLOSE FAKE_SLOW < <(free_ports 5)
	export FAKEAUTH FAKE_ECHO FAKE_SILENT FAKE_CLOSE FAKE_SLOW
	: >"$T/fake-auth.log"
	python3 "$MP_TESTS/lib/echo_backend.py" --auth "$FAKEAUTH" --log "$T/fake-auth.log" \
		--imap "$FAKE_ECHO:echo" --imap "$FAKE_SILENT:silent" \
		--imap "$FAKE_CLOSE:closelogin" --imap "$FAKE_SLOW:slowread" \
		>"$T/echo_backend.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$FAKEAUTH" "$FAKE_ECHO" "$FAKE_SILENT" "$FAKE_CLOSE" "$FAKE_SLOW"
}

FAULTS_PROTO=" "
proto_server() {
	FAULTS_PROTO+="$1=$2 "
	mp_server "$1" "$3"
}

eval "faults_$(declare -f mp_write_conf)"
mp_write_conf() {
	faults_mp_write_conf "$@"
	python3 - "$T/$1/proxy.conf" "$FAULTS_PROTO" <<'EOF'
import sys
path, pairs = sys.argv[1], dict(p.split("=") for p in sys.argv[2].split())
out, cur = [], None
for line in open(path):
    s = line.strip()
    if s.startswith("server { # "):
        cur = s[len("server { # "):]
    if s == "protocol imap;" and cur in pairs:
        line = line.replace("imap", pairs[cur])
    out.append(line)
open(path, "w").write("".join(out))
EOF
}

mp_tag() { export MP_FAULT_TAG="$T"; }

leftovers() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case ${exe##*/} in
		mailproxy | mailproxy-relay | mailproxy-tls) ;;
		*) continue ;;
		esac
		if tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "MP_FAULT_TAG=$T"; then echo "${p#/proc/}"; fi
	done
	return 0
}

no_leftovers() {
	local i n=$((${1:-5} * 10)) left
	for ((i = 0; i < n; i++)); do
		left=$(leftovers)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "processes left behind:" >&2
	for p in $left; do ps -o pid,ppid,etime,args -p "$p" >&2 || true; done
	return 1
}

wait_log() {
	local i n=$((${2:-5} * 10)) f
	f=$(errlog "${3:-mp}")
	for ((i = 0; i < n; i++)); do
		grep -qE -- "$1" "$f" && return 0
		sleep 0.1
	done
	echo "no line matching '$1' in $f:" >&2
	tail -n 20 "$f" >&2
	return 1
}

# auth_clean FILE: every request in FILE (raw header blocks, as the auth servers log them)
# is "GET ... HTTP/1.0" and then only known nginx header names, each value free of NUL, CR
# and LF; prints the number of requests, or the first bad one (escaped) and fails
auth_clean() {
	python3 - "$1" <<'PY'
import re, sys
sys.path.insert(0, __import__("os").environ["MP_TESTS"] + "/lib")
from wire import esc
names = re.compile(rb"(Host|Auth-Method|Auth-User|Auth-Pass|Auth-Salt|Auth-Protocol|"
                   rb"Auth-Login-Attempt|Client-IP|Client-Host|Auth-SMTP-(Helo|From|To)|"
                   rb"Auth-SSL[A-Za-z-]*|Proxy-Protocol-[A-Za-z-]+|Auth-ID)$")
data = open(sys.argv[1], "rb").read()
reqs = data.split(b"\r\n\r\n")
if reqs[-1] != b"":
    sys.exit("a request without its blank line: " + esc(reqs[-1]))
for r in reqs[:-1]:
    lines = r.split(b"\r\n")
    bad = not re.match(rb"GET /\S* HTTP/1\.0$", lines[0])
    for l in lines[1:]:
        name, sep, value = l.partition(b": ")
        if not sep or not names.match(name) or re.search(rb"[\x00\r\n]", value):
            bad = True
    if bad:
        sys.exit("bad auth request: " + esc(r + b"\r\n\r\n"))
print(len(reqs) - 1)
PY
}
