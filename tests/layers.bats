#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# layers.bats - tests/layers.sh, the check that make check runs over lib/: the tree passes,
# and an include that crosses the layers upwards is named with its FILE:LINE. Needs no build.

CHECK=$BATS_TEST_DIRNAME/layers.sh
ROOT=$BATS_TEST_DIRNAME/..

setup() {
	T=$BATS_TEST_TMPDIR/tree
	mkdir -p "$T"
	cp -r "$ROOT/lib" "$ROOT/cmd" "$T/"
}

# bad FILE TEXT: TEXT appended to FILE (in the copy) makes the check fail, naming FILE
bad() {
	printf '%s\n' "$2" >>"$T/$1"
	run "$CHECK" "$T"
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"$1:"* ]]
}

@test "the tree keeps its layers" {
	run "$CHECK" "$ROOT"
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
}

@test "the copy the other tests break passes as it is" {
	run "$CHECK" "$T"
	[ "$status" = 0 ]
}

@test "base including the configuration" {
	bad lib/base/clock.c '#include "conf.h"'
}

@test "a parser including the session" {
	bad lib/wire/imap_parse.c '#include "session.h"'
}

@test "the relay including the handler's parts" {
	bad cmd/mailproxy-relay.c '#include "conf.h"'
}

@test "libtls outside lib/tls" {
	bad lib/session/session_tls.c '#include <tls.h>'
}

@test "libcrypto in the handler's main" {
	bad cmd/mailproxy.c '#include <openssl/evp.h>'
}

@test "a header in no layer" {
	bad lib/net/conn.c '#include "nowhere.h"'
}

@test "a folder that is no layer" {
	mkdir "$T/lib/misc"
	run "$CHECK" "$T"
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"lib/misc"* ]]
}
