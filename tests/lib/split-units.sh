#!/bin/sh
# SPDX-License-Identifier: ISC
# split-units.sh DIR: split the output of "mailproxy -T systemd" (read on stdin) into the
# files it names, each headed by a "# /etc/systemd/system/NAME" line, under DIR.
set -eu
dir=${1:?usage: split-units.sh DIR}
mkdir -p "$dir"
awk -v dir="$dir" '
/^# \/etc\/systemd\/system\// {
	if (out != "") close(out)
	name = substr($0, length("# /etc/systemd/system/") + 1)
	if (name ~ /(^|\/)\.\.(\/|$)/) { print "split-units: bad name " name > "/dev/stderr"; exit 1 }
	n = split(name, parts, "/")
	if (n > 1) system("mkdir -p \"" dir "/" substr(name, 1, length(name) - length(parts[n]) - 1) "\"")
	out = dir "/" name
}
out != "" { print > out }
' 
