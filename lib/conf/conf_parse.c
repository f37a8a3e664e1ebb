/* SPDX-License-Identifier: ISC */
/* conf_parse.c: the driver, as nginx's ngx_conf_parse() and
 * ngx_conf_handler(): read a file whole (one open, fstat, read), take
 * directives from the tokenizer, look each up, check where it is and how
 * many arguments it has, and call its setter. Blocks and "include" recurse.
 * Blocks this handler has no use for (events, http, stream) are only
 * checked for syntax. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_int.h"

#define CONF_MAX_DEPTH 64	/* blocks and includes; nginx has no limit, the stack has */
#define CONF_ERRSTR 1024	/* nginx's NGX_MAX_CONF_ERRSTR */

enum { PARSE_FILE, PARSE_BLOCK };

static int parse(struct conf_parse *ps, int type);

__attribute__((format(printf, 3, 0)))
static int
vformat(struct conf_parse *ps, bool loc, const char *fmt, va_list ap)
{
	char msg[CONF_ERRSTR];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ps->errlen == 0)
		return -1;
	if (loc && ps->lx != NULL) {
		char where[CONF_ERRSTR];
		size_t wl = (size_t)snprintf(where, sizeof(where), " in %s:%u", ps->lx->file, ps->line);
		size_t ml = strlen(msg);

		/* a long value is cut, the location never (as nginx's buffers do) */
		if (wl < ps->errlen && ml + wl >= ps->errlen)
			ml = ps->errlen - wl - 1;
		snprintf(ps->err, ps->errlen, "%.*s%s", (int)ml, msg, where);
	} else {
		snprintf(ps->err, ps->errlen, "%s", msg);
	}
	return -1;
}

int
conf_error(struct conf_parse *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ps, true, fmt, ap);
	va_end(ap);
	return -1;
}

int
conf_error_noloc(struct conf_parse *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ps, false, fmt, ap);
	va_end(ap);
	return -1;
}

int
conf_nomem(struct conf_parse *ps)
{
	return conf_error_noloc(ps, "out of memory");
}

const char *
conf_full_name(struct conf_parse *ps, const char *name, size_t len)
{
	char *r;

	if (name[0] == '/' || ps->prefixlen == 0)
		return name;
	r = arena_alloc(ps->a, ps->prefixlen + len + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, ps->prefix, ps->prefixlen);
	memcpy(r + ps->prefixlen, name, len + 1);
	return r;
}

/* Read PATH whole into the arena. Errors name the including file, if any. */
static int
read_file(struct conf_parse *ps, const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the handler; nginx would read it as empty too. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return conf_error(ps, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
	if (fstat(fd, &st) < 0) {
		conf_error(ps, "fstat() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
		close(fd);
		return -1;
	}
	*len = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ? (size_t)st.st_size : 0;
	*buf = arena_alloc(ps->a, *len + 1);
	if (*buf == NULL) {
		close(fd);
		return conf_nomem(ps);
	}
	while (got < *len) {
		n = pread(fd, *buf + got, *len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_error(ps, "pread() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0) {
			conf_error(ps, "pread() returned only %zu bytes instead of %zu", got, *len);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	(*buf)[*len] = '\0';
	close(fd);
	return 0;
}

/* FNV-1a over every file's name and bytes, in the order they are read. */
static void
digest(struct mp_conf *cf, const char *name, const char *buf, size_t len)
{
	uint64_t h = cf->digest ? cf->digest : 14695981039346656037ull;

	for (const char *p = name; ; p++) {
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
		if (*p == '\0')
			break;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
	cf->digest = h;
}

static int
parse_file(struct conf_parse *ps, const char *name, char *buf, size_t len)
{
	struct conf_lex lx = { buf, buf + len, name, 1 }, *prev = ps->lx;
	int rc;

	digest(ps->cf, name, buf, len);

	ps->lx = &lx;
	rc = parse(ps, PARSE_FILE);
	ps->lx = prev;
	return rc;
}

static int
parse_path(struct conf_parse *ps, const char *path)
{
	char *buf = NULL;
	size_t len = 0;

	if (read_file(ps, path, &buf, &len) < 0)
		return -1;
	return parse_file(ps, path, buf, len);
}

int
conf_include(struct conf_parse *ps, const char *pattern)
{
	const char *path;
	glob_t g;
	size_t i;
	int rc;

	if (ps->flags & CONF_NOINCLUDE)
		return conf_error(ps, "\"include\" is disabled here");
	if (ps->depth >= CONF_MAX_DEPTH)
		return conf_error(ps, "too deep nesting of blocks and includes");
	path = conf_full_name(ps, pattern, strlen(pattern));
	if (path == NULL)
		return conf_nomem(ps);
	ps->depth++;
	if (strpbrk(path, "*?[") == NULL) {
		rc = parse_path(ps, path);
		ps->depth--;
		return rc;
	}
	rc = glob(path, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		ps->depth--;
		return 0;
	}
	if (rc != 0) {
		ps->depth--;
		if (errno)
			return conf_error(ps, "glob() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
		return conf_error(ps, "glob() \"%s\" failed", path);
	}
	for (i = 0; i < g.gl_pathc && rc == 0; i++) {
		const char *name = arena_strndup(ps->a, g.gl_pathv[i], strlen(g.gl_pathv[i]));

		rc = name != NULL ? parse_path(ps, name) : conf_nomem(ps);
	}
	globfree(&g);
	ps->depth--;
	return rc;
}

static int
check_args(uint32_t type, size_t n)
{
	if (type & ARG_FLAG)
		return n == 1;
	if (type & ARG_1MORE)
		return n >= 1;
	if (type & ARG_2MORE)
		return n >= 2;
	return n <= 7 && (type & ARG_TAKE(n)) != 0;
}

static int
handle(struct conf_parse *ps, int last)
{
	const char *name = ps->args[0].s;
	const struct conf_dir *d = conf_dir_find(name, ps->args[0].len);
	struct conf_srv *c = NULL;

	if (d == NULL)
		return conf_error(ps, "unknown directive \"%s\"", name);
	if (!(d->type & ps->ctx))
		return conf_error(ps, "\"%s\" directive is not allowed here", name);
	if (!(d->type & ARG_BLOCK) && last != LEX_OK)
		return conf_error(ps, "directive \"%s\" is not terminated by \";\"", name);
	if ((d->type & ARG_BLOCK) && last != LEX_BLOCK_START)
		return conf_error(ps, "directive \"%s\" has no opening \"{\"", name);
	if (!check_args(d->type, ps->nargs - 1))
		return conf_error(ps, "invalid number of arguments in \"%s\" directive", name);
	if (ps->ctx == CTX_MAIL)
		c = ps->mail;
	else if (ps->ctx == CTX_SRV)
		c = ps->srv;
	return d->set(ps, d, c);
}

static int
parse(struct conf_parse *ps, int type)
{
	int rc;

	for (;;) {
		rc = lex_next(ps);
		if (rc == LEX_ERROR)
			return -1;
		if (rc == LEX_BLOCK_DONE) {
			if (type != PARSE_BLOCK)
				return conf_error(ps, "unexpected \"}\"");
			return 0;
		}
		if (rc == LEX_FILE_DONE) {
			if (type == PARSE_BLOCK) {
				ps->line = ps->lx->line;
				return conf_error(ps, "unexpected end of file, expecting \"}\"");
			}
			return 0;
		}
		if (handle(ps, rc) < 0)
			return -1;
	}
}

/* Enter a block: the caller has set the context; directives inside are
 * dispatched as usual. */
int
conf_parse_block(struct conf_parse *ps)
{
	int rc;

	if (ps->depth >= CONF_MAX_DEPTH)
		return conf_error(ps, "too deep nesting of blocks and includes");
	ps->depth++;
	rc = parse(ps, PARSE_BLOCK);
	ps->depth--;
	return rc;
}

/* A block whose directives mean nothing here: only its syntax is checked,
 * and "include" inside it is not followed. */
int
conf_skip_block(struct conf_parse *ps)
{
	int rc;

	if (ps->depth >= CONF_MAX_DEPTH)
		return conf_error(ps, "too deep nesting of blocks and includes");
	ps->depth++;
	for (;;) {
		rc = lex_next(ps);
		if (rc == LEX_ERROR)
			break;
		if (rc == LEX_BLOCK_DONE) {
			rc = 0;
			break;
		}
		if (rc == LEX_FILE_DONE) {
			ps->line = ps->lx->line;
			rc = conf_error(ps, "unexpected end of file, expecting \"}\"");
			break;
		}
		if (rc == LEX_BLOCK_START && conf_skip_block(ps) < 0) {
			rc = -1;
			break;
		}
	}
	ps->depth--;
	return rc;
}

static void
init(struct conf_parse *ps, struct mp_conf *cf, const char *name, unsigned flags,
    char *err, size_t errlen)
{
	static struct conf_word noargs[1];
	const char *slash;

	memset(cf, 0, sizeof(*cf));
	memset(ps, 0, sizeof(*ps));
	cf->file = name;
	ps->cf = cf;
	ps->a = &arena_global;
	ps->flags = flags;
	ps->err = err;
	ps->errlen = errlen;
	if (errlen)
		err[0] = '\0';
	ps->ctx = CTX_MAIN;
	ps->tail = &ps->servers;
	ps->args = noargs;
	ps->argcap = 0;
	slash = strrchr(name, '/');
	ps->prefix = name;
	ps->prefixlen = slash ? (size_t)(slash - name) + 1 : 0;
}

static int
start(struct conf_parse *ps)
{
	ps->argcap = 16;
	ps->args = arena_alloc(ps->a, ps->argcap * sizeof(*ps->args));
	return ps->args == NULL ? conf_nomem(ps) : 0;
}

int
conf_parse_buffer(struct mp_conf *cf, const char *name, const char *data, size_t len,
    unsigned flags, char *err, size_t errlen)
{
	struct conf_parse ps;
	char *buf;

	init(&ps, cf, name, flags, err, errlen);
	if (start(&ps) < 0)
		return -1;
	buf = arena_alloc(ps.a, len + 1);	/* the tokenizer writes into it */
	if (buf == NULL)
		return conf_nomem(&ps);
	memcpy(buf, data, len);
	buf[len] = '\0';
	if (parse_file(&ps, name, buf, len) < 0)
		return -1;
	conf_finish(&ps);
	return 0;
}

int
conf_load_buffer(struct mp_conf *cf, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	return conf_parse_buffer(cf, name, data, len, 0, err, errlen);
}

int
conf_load(struct mp_conf *cf, const char *path, char *err, size_t errlen)
{
	struct conf_parse ps;

	init(&ps, cf, path, 0, err, errlen);
	if (start(&ps) < 0 || parse_path(&ps, path) < 0)
		return -1;
	conf_finish(&ps);
	return 0;
}
