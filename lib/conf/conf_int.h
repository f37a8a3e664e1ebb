/* SPDX-License-Identifier: ISC */
/* conf_int.h: what the conf_*.c files share; not for the rest of mailproxy.
 * The parser follows nginx's ngx_conf_file.c: a tokenizer that returns one
 * directive (its words) at a time, a driver that looks the name up in a
 * table and checks context and argument count, and per-directive setters. */
#ifndef MP_CONF_INT_H
#define MP_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "conf.h"

/* conf_parse_buffer() flags. */
#define CONF_NOINCLUDE 0x1	/* "include" fails: for the fuzzer */
#define CONF_NORESOLVE 0x2	/* host names are not found: for the fuzzer */

/* One word of a directive, unescaped in place in the file buffer. */
struct conf_word {
	char *s;		/* NUL-terminated */
	size_t len;
};

/* Tokenizer over one file held whole in memory. */
struct conf_lex {
	char *p, *end;
	const char *file;
	unsigned line;
};

/* lex_next() results, as ngx_conf_read_token()'s. */
enum { LEX_ERROR = -1, LEX_OK, LEX_BLOCK_START, LEX_BLOCK_DONE, LEX_FILE_DONE };

/* Parse contexts, also the context bits of a directive. */
#define CTX_MAIN 0x1u
#define CTX_MAIL 0x2u
#define CTX_SRV  0x4u
#define CTX_ANY  (CTX_MAIN | CTX_MAIL | CTX_SRV)

/* Argument rules (nginx's NGX_CONF_*): TAKE0..TAKE7 count the words after the name. */
#define ARG_TAKE(n) (0x8u << (n))	/* n = 0..7 */
#define ARG_TAKE12  (ARG_TAKE(1) | ARG_TAKE(2))
#define ARG_TAKE23  (ARG_TAKE(2) | ARG_TAKE(3))
#define ARG_FLAG    0x0800u
#define ARG_1MORE   0x1000u
#define ARG_2MORE   0x2000u
#define ARG_BLOCK   0x4000u

/* The per-level state of mail{} or one server{}: the result plus what was set. */
#define CONF_NDIRS 192
struct conf_srv {
	struct mp_server s;
	struct conf_srv *next;
	size_t index;			/* position in cf->servers */
	bool listen;			/* has a listen */
	bool ssl_listen;		/* has a "listen ... ssl" */
	unsigned char set[CONF_NDIRS];	/* by directive table index */
};

struct conf_parse;
struct conf_dir;
typedef int conf_set_fn(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c);

struct conf_dir {
	const char *name;
	uint8_t len;
	uint32_t type;		/* CTX_* | ARG_* */
	conf_set_fn *set;
	uint16_t off, size;	/* the field in struct mp_server; size 0: not inherited */
	const void *post;	/* names for enum and bitmask values */
};

struct conf_parse {
	struct mp_conf *cf;
	struct arena *a;
	struct conf_lex *lx;		/* the file being read */
	const char *prefix;		/* directory of the main file, with '/', or "" */
	size_t prefixlen;
	unsigned flags;
	unsigned depth;			/* include nesting */

	struct conf_word *args;		/* the current directive */
	size_t nargs, argcap;
	unsigned line;			/* line where the directive ended */

	unsigned ctx;
	bool seen_mail, seen_events, seen_http, seen_stream;
	unsigned char main_set[CONF_NDIRS];	/* main directives seen */
	struct conf_srv *mail;		/* mail{} level */
	struct conf_srv *srv;		/* the server{} being parsed */
	struct conf_srv *servers, **tail;
	size_t nservers;
	struct mp_listen *listens;	/* every listen so far */
	size_t nlistens;
	uint32_t *listen_set;		/* conf_listen.c: index + 1 by address hash, or 0 */
	const char *hostname;		/* gethostname(), once needed */

	char *err;
	size_t errlen;
};

/* conf_lex.c */
int lex_next(struct conf_parse *ps);

/* conf_parse.c */
int conf_error(struct conf_parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int conf_error_noloc(struct conf_parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int conf_nomem(struct conf_parse *ps);
int conf_parse_buffer(struct mp_conf *cf, const char *name, const char *data, size_t len,
    unsigned flags, char *err, size_t errlen);
int conf_include(struct conf_parse *ps, const char *path);
int conf_parse_block(struct conf_parse *ps);	/* directives up to "}" */
int conf_skip_block(struct conf_parse *ps);	/* the same, syntax only */
const char *conf_full_name(struct conf_parse *ps, const char *name, size_t len);

/* Names of enum and bitmask values. */
struct conf_name {
	const char *name;
	unsigned value;
};

/* conf_main.c: main context and blocks */
conf_set_fn conf_set_skip_block, conf_set_ignore, conf_set_main_flag, conf_set_include,
    conf_set_mail, conf_set_server;

/* conf_directives.c */
extern const struct conf_dir conf_dirs[];
extern const size_t conf_ndirs;
const struct conf_dir *conf_dir_find(const char *name, size_t len);
void conf_srv_defaults(struct mp_server *s);

/* conf_mail.c: the directives that are more than a slot */
conf_set_fn conf_set_protocol, conf_set_resolver, conf_set_error_log,
    conf_set_auth_http, conf_set_auth_http_header, conf_set_realip, conf_set_starttls,
    conf_set_session_cache, conf_set_ssl_path, conf_set_ssl_path_array;
/* generic setters, for conf_mail.c to build on */
conf_set_fn conf_set_str, conf_set_enum;
bool conf_is_set(const struct conf_srv *c, const struct conf_dir *d);
void conf_mark_set(struct conf_srv *c, const struct conf_dir *d);

/* conf_sieve.c */
conf_set_fn conf_set_sieve_capabilities;

/* conf_listen.c */
conf_set_fn conf_set_listen;

/* conf_merge.c: mail{} -> server{} inheritance and the checks nginx makes then */
int conf_merge(struct conf_parse *ps);
void conf_finish(struct conf_parse *ps);

/* conf_values.c: nginx's value syntaxes; -1 on error */
int64_t conf_atoi(const char *s, size_t len);
int64_t conf_parse_size(const char *s, size_t len);
int64_t conf_parse_time(const char *s, size_t len, bool sec);
int conf_parse_flag(const char *s);	/* 1 on, 0 off, -1 neither */
int conf_inet4(const char *s, size_t len, uint8_t out[4]);	/* 0 ok, -1 */
int conf_inet6(const char *s, size_t len, uint8_t out[16]);

/* conf_url.c: ngx_parse_url() without name resolution */
struct conf_url {
	const char *url;
	size_t len;
	unsigned default_port;
	bool listen, uri_part;

	int family;			/* AF_INET, AF_INET6, AF_UNIX; AF_UNSPEC: a host name */
	const char *host;		/* IPv6 with brackets, unix: the path */
	size_t hostlen;
	unsigned port, last_port;	/* last_port 0: no range */
	bool no_port, wildcard;
	const char *uri;		/* NULL: none */
	size_t urilen;
	struct sockaddr_storage sa;	/* numeric addresses and unix paths, port set */
	socklen_t salen;
	const char *err;
};
int conf_parse_url(struct conf_url *u);
/* "a.b.c.d:port", "[v6]:port", "unix:/p", as ngx_sock_ntop() with the port. */
void conf_sockaddr_text(const struct sockaddr *sa, char *buf, size_t len);

#endif
