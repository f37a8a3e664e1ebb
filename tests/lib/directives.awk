# SPDX-License-Identifier: ISC
# directives.awk - print the names of the directives mailproxy accepts, read from the
# conf_dirs[] table of lib/conf/conf_directives.c (entries of type 0 are nginx directives of
# other contexts, known only to say "not allowed here"; they are left out).
/^const struct conf_dir conf_dirs\[\]/ { intable = 1; next }
intable && /^};/ { intable = 0 }
intable {
	line = $0
	while (match(line, /(D|DR|F|FR)\("[a-z0-9_]+", [^,]+/)) {
		ent = substr(line, RSTART, RLENGTH)
		line = substr(line, RSTART + RLENGTH)
		name = ent; sub(/^[A-Z]+\("/, "", name); sub(/".*/, "", name)
		type = ent; sub(/^[^,]+, */, "", type)
		if (type != "0") print name
	}
}
