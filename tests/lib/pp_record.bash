# SPDX-License-Identifier: ISC
# pp_record.bash - a recording backend (pp_record.py) in front of the suite's Dovecot, and a
# second auth server that sends logins there; sets RECPORT and AUTH2PORT. Logs: $T/pp.log
# (the PROXY headers received), $T/auth2.log (the auth requests).
pp_recorder_start() {
	read -r RECPORT AUTH2PORT < <(free_ports 2)
	export RECPORT AUTH2PORT
	: >"$T/pp.log"
	python3 "$MP_TESTS/lib/pp_record.py" "$RECPORT" "$DOVECOT_IMAP" "$T/pp.log" \
		>"$T/pp_record.stderr" 2>&1 </dev/null 3>&- &
	track $!
	: >"$T/auth2.log"
	python3 "$MP_TESTS/authserver.py" --listen "127.0.0.1:$AUTH2PORT" --users "$T/users" \
		--backend "imap=127.0.0.1:$RECPORT" --log "$T/auth2.log" \
		>"$T/authserver2.stderr" 2>&1 </dev/null 3>&- &
	track $!
	wait_listen "$RECPORT" "$AUTH2PORT"
}
