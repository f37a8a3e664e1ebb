/* SPDX-License-Identifier: ISC */
/* conf_directives.c: every directive mailproxy knows, with nginx's contexts
 * and argument counts, and the generic setters (nginx's ngx_conf_set_*_slot)
 * that write one field of struct mp_server. A field's offset and size also
 * drive the mail{} -> server{} inheritance in conf_merge.c. */
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"

static int
duplicate(struct conf_parse *ps, const struct conf_dir *d)
{
	return conf_error(ps, "\"%s\" directive is duplicate", d->name);
}

static void *
field(struct conf_srv *c, const struct conf_dir *d)
{
	return (char *)&c->s + d->off;
}

bool
conf_is_set(const struct conf_srv *c, const struct conf_dir *d)
{
	return c->set[d - conf_dirs] != 0;
}

void
conf_mark_set(struct conf_srv *c, const struct conf_dir *d)
{
	c->set[d - conf_dirs] = 1;
}

static int
set_flag(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	int v;

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	v = conf_parse_flag(ps->args[1].s);
	if (v < 0)
		return conf_error(ps, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"",
		    ps->args[1].s, d->name);
	*(bool *)field(c, d) = v;
	conf_mark_set(c, d);
	return 0;
}

/* ngx_conf_set_msec_slot (milliseconds) and, with d->post set, _sec_slot. */
static int
set_time(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	bool sec = d->post != NULL;
	int64_t v;

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	v = conf_parse_time(ps->args[1].s, ps->args[1].len, sec);
	if (v < 0 || (sec && v > INT64_MAX / 1000))
		return conf_error(ps, "\"%s\" directive invalid value", d->name);
	*(int64_t *)field(c, d) = sec ? v * 1000 : v;
	conf_mark_set(c, d);
	return 0;
}

static int
set_size(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	int64_t v;

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	v = conf_parse_size(ps->args[1].s, ps->args[1].len);
	if (v < 0 || (uint64_t)v > SIZE_MAX)
		return conf_error(ps, "\"%s\" directive invalid value", d->name);
	*(size_t *)field(c, d) = (size_t)v;
	conf_mark_set(c, d);
	return 0;
}

/* Into an int or unsigned field (both 4 bytes here). */
static int
set_num(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	int64_t v;
	int iv;

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	v = conf_atoi(ps->args[1].s, ps->args[1].len);
	if (v < 0 || v > INT_MAX)
		return conf_error(ps, "\"%s\" directive invalid number", d->name);
	iv = (int)v;
	memcpy(field(c, d), &iv, sizeof(iv));
	conf_mark_set(c, d);
	return 0;
}

int
conf_set_str(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	if (conf_is_set(c, d))
		return duplicate(ps, d);
	*(const char **)field(c, d) = ps->args[1].s;
	conf_mark_set(c, d);
	return 0;
}

int
conf_set_enum(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	const struct conf_name *e;

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	for (e = d->post; e->name != NULL; e++) {
		if (strcasecmp(e->name, ps->args[1].s) == 0) {
			*(int *)field(c, d) = (int)e->value;
			conf_mark_set(c, d);
			return 0;
		}
	}
	return conf_error(ps, "invalid value \"%s\"", ps->args[1].s);
}

/* proxy_protocol: nginx's flag grew a third value, v2. */
static int
set_proxy_protocol(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	const char *v = ps->args[1].s;
	int *f = field(c, d);

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	if (strcasecmp(v, "on") == 0)
		*f = 1;
	else if (strcasecmp(v, "off") == 0)
		*f = 0;
	else if (strcmp(v, "v2") == 0)
		*f = 2;
	else
		return conf_error(ps, "invalid value \"%s\" in \"%s\" directive, it must be \"on\", \"off\" or \"v2\"",
		    v, d->name);
	conf_mark_set(c, d);
	return 0;
}

/* ngx_conf_set_bitmask_slot: values OR together, even over several lines. */
static int
set_bitmask(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	unsigned *f = field(c, d);
	const struct conf_name *e;
	size_t i;

	if (!conf_is_set(c, d))
		*f = 0;	/* listing values replaces the default */
	conf_mark_set(c, d);
	for (i = 1; i < ps->nargs; i++) {
		for (e = d->post; e->name != NULL; e++) {
			if (strcasecmp(e->name, ps->args[i].s) == 0)
				break;
		}
		if (e->name == NULL)
			return conf_error(ps, "invalid value \"%s\"", ps->args[i].s);
		*f |= e->value;	/* nginx only warns about a value given twice */
	}
	return 0;
}

static int
list_add(struct conf_parse *ps, struct mp_strlist *l, const char *s)
{
	const char **slot = ARENA_PUSH(ps->a, l->v, l->n);

	if (slot == NULL)
		return conf_nomem(ps);
	*slot = s;
	return 0;
}

/* Lists: a level's lines add up; a level that has none inherits all or nothing. */
static int
set_list(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct mp_strlist *l = field(c, d);
	size_t i;

	if (!conf_is_set(c, d)) {
		l->n = 0;	/* drop the default */
		l->v = NULL;
	}
	conf_mark_set(c, d);
	for (i = 1; i < ps->nargs; i++) {
		if (list_add(ps, l, ps->args[i].s) < 0)
			return -1;
	}
	return 0;
}

/* ssl_certificate, ssl_certificate_key, ssl_session_ticket_key: files,
 * relative to the configuration's directory as nginx has them. */
int
conf_set_ssl_path_array(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct conf_word *w = &ps->args[1];
	const char *path = w->s;
	struct mp_strlist *l;

	if (strncmp(path, "data:", 5) != 0 && strncmp(path, "engine:", 7) != 0
	    && strncmp(path, "store:", 6) != 0) {
		path = conf_full_name(ps, w->s, w->len);
		if (path == NULL)
			return conf_nomem(ps);
	}
	l = field(c, d);
	if (!conf_is_set(c, d)) {
		l->n = 0;
		l->v = NULL;
	}
	conf_mark_set(c, d);
	return list_add(ps, l, path);
}

int
conf_set_ssl_path(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	const char *path;

	if (conf_is_set(c, d))
		return duplicate(ps, d);
	path = conf_full_name(ps, ps->args[1].s, ps->args[1].len);
	if (path == NULL)
		return conf_nomem(ps);
	*(const char **)field(c, d) = path;
	conf_mark_set(c, d);
	return 0;
}

/* ssl_conf_command name value: pairs, flattened. */
static int
set_keyval(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct mp_strlist *l = field(c, d);

	if (!conf_is_set(c, d)) {
		l->n = 0;
		l->v = NULL;
	}
	conf_mark_set(c, d);
	if (list_add(ps, l, ps->args[1].s) < 0 || list_add(ps, l, ps->args[2].s) < 0)
		return -1;
	return 0;
}

static const struct conf_name imap_auth[] = {
	{ "plain", MP_AUTH_PLAIN }, { "login", MP_AUTH_LOGIN },
	{ "cram-md5", MP_AUTH_CRAM_MD5 }, { "external", MP_AUTH_EXTERNAL },
	{ "xoauth2", MP_AUTH_XOAUTH2 }, { "oauthbearer", MP_AUTH_OAUTHBEARER }, { NULL, 0 }
};
static const struct conf_name pop3_auth[] = {
	{ "plain", MP_AUTH_PLAIN }, { "apop", MP_AUTH_APOP },
	{ "cram-md5", MP_AUTH_CRAM_MD5 }, { "external", MP_AUTH_EXTERNAL },
	{ "xoauth2", MP_AUTH_XOAUTH2 }, { "oauthbearer", MP_AUTH_OAUTHBEARER }, { NULL, 0 }
};
static const struct conf_name smtp_auth[] = {
	{ "plain", MP_AUTH_PLAIN }, { "login", MP_AUTH_LOGIN },
	{ "cram-md5", MP_AUTH_CRAM_MD5 }, { "external", MP_AUTH_EXTERNAL },
	{ "xoauth2", MP_AUTH_XOAUTH2 }, { "oauthbearer", MP_AUTH_OAUTHBEARER },
	{ "none", MP_AUTH_NONE }, { NULL, 0 }
};
/* ManageSieve: the mechanisms its front end offers (lib/sieve.c) */
static const struct conf_name sieve_auth[] = {
	{ "plain", MP_AUTH_PLAIN }, { "login", MP_AUTH_LOGIN },
	{ "xoauth2", MP_AUTH_XOAUTH2 }, { "oauthbearer", MP_AUTH_OAUTHBEARER }, { NULL, 0 }
};
static const struct conf_name ssl_protocols[] = {
	{ "SSLv2", MP_SSLv2 }, { "SSLv3", MP_SSLv3 }, { "TLSv1", MP_TLSv1 },
	{ "TLSv1.1", MP_TLSv1_1 }, { "TLSv1.2", MP_TLSv1_2 }, { "TLSv1.3", MP_TLSv1_3 }, { NULL, 0 }
};
static const struct conf_name verify[] = {
	{ "off", MP_VERIFY_OFF }, { "on", MP_VERIFY_ON }, { "optional", MP_VERIFY_OPTIONAL },
	{ "optional_no_ca", MP_VERIFY_OPTIONAL_NO_CA }, { NULL, 0 }
};
static const struct conf_name starttls[] = {
	{ "off", MP_STARTTLS_OFF }, { "on", MP_STARTTLS_ON }, { "only", MP_STARTTLS_ONLY }, { NULL, 0 }
};
static const struct conf_name proxy_ssl[] = {
	{ "off", MP_PROXY_SSL_OFF }, { "on", MP_PROXY_SSL_ON }, { "starttls", MP_PROXY_SSL_STARTTLS },
	{ NULL, 0 }
};
static const int marker = 1;	/* post of: a time in seconds; a main directive that may repeat */

#define M CTX_MAIN
#define MS (CTX_MAIL | CTX_SRV)
#define T0 ARG_TAKE(0)
#define T1 ARG_TAKE(1)
#define T2 ARG_TAKE(2)
#define D(name, type, set) { name, sizeof(name) - 1, type, set, 0, 0, NULL }
#define DR(name, type, set) { name, sizeof(name) - 1, type, set, 0, 0, &marker }
/* A directive writing one field of struct mp_server. */
#define F(name, type, set, fld, post) { name, sizeof(name) - 1, type, set, \
	offsetof(struct mp_server, fld), sizeof(((struct mp_server *)0)->fld), post }
/* A field and its companions, FLD to LAST inclusive. */
#define FR(name, type, set, fld, last) { name, sizeof(name) - 1, type, set, \
	offsetof(struct mp_server, fld), offsetof(struct mp_server, last) \
	+ sizeof(((struct mp_server *)0)->last) - offsetof(struct mp_server, fld), NULL }

const struct conf_dir conf_dirs[] = {
	/* main context: blocks, and what a per-connection handler ignores */
	D("mail", M | ARG_BLOCK | T0, conf_set_mail),
	D("events", M | ARG_BLOCK | T0, conf_set_skip_block),
	D("http", M | ARG_BLOCK | T0, conf_set_skip_block),
	D("stream", M | ARG_BLOCK | T0, conf_set_skip_block),
	D("include", CTX_ANY | T1, conf_set_include),
	D("daemon", M | ARG_FLAG, conf_set_main_flag),
	D("master_process", M | ARG_FLAG, conf_set_main_flag),
	D("pcre_jit", M | ARG_FLAG, conf_set_main_flag),
	D("ssl_object_cache_inheritable", M | ARG_FLAG, conf_set_main_flag),
	D("worker_processes", M | T1, conf_set_ignore),
	D("worker_priority", M | T1, conf_set_ignore),
	D("worker_cpu_affinity", M | ARG_1MORE, conf_set_ignore),
	D("worker_rlimit_nofile", M | T1, conf_set_ignore),
	D("worker_rlimit_core", M | T1, conf_set_ignore),
	D("worker_shutdown_timeout", M | T1, conf_set_ignore),
	D("pid", M | T1, conf_set_ignore),
	D("lock_file", M | T1, conf_set_ignore),
	D("user", M | ARG_TAKE12, conf_set_ignore),
	DR("load_module", M | T1, conf_set_ignore),
	DR("env", M | T1, conf_set_ignore),
	D("timer_resolution", M | T1, conf_set_ignore),
	D("working_directory", M | T1, conf_set_ignore),
	DR("thread_pool", M | ARG_TAKE23, conf_set_ignore),
	D("ssl_engine", M | T1, conf_set_ignore),
	D("debug_points", M | T1, conf_set_ignore),
	D("quic_bpf", M | ARG_FLAG, conf_set_main_flag),
	FR("error_log", CTX_ANY | ARG_1MORE, conf_set_error_log, error_log, nerror_log),

	/* ngx_mail_core_module */
	D("server", CTX_MAIL | ARG_BLOCK | T0, conf_set_server),
	D("listen", CTX_SRV | ARG_1MORE, conf_set_listen),
	D("protocol", CTX_SRV | T1, conf_set_protocol),
	F("timeout", MS | T1, set_time, timeout_ms, NULL),
	F("server_name", MS | T1, conf_set_str, server_name, NULL),
	FR("resolver", MS | ARG_1MORE, conf_set_resolver, resolver, resolver_ipv6),
	F("resolver_timeout", MS | T1, set_time, resolver_timeout_ms, NULL),
	F("max_errors", MS | T1, set_num, max_errors, NULL),

	/* ngx_mail_auth_http_module */
	F("auth_http", MS | T1, conf_set_auth_http, auth_http, NULL),
	FR("auth_http_header", MS | T2, conf_set_auth_http_header, auth_http_headers,
	    nauth_http_headers),
	F("auth_http_pass_client_cert", MS | ARG_FLAG, set_flag, auth_http_pass_client_cert, NULL),
	F("auth_http_timeout", MS | T1, set_time, auth_http_timeout_ms, NULL),
	F("auth_http_pass_session_id", MS | ARG_FLAG, set_flag, auth_http_pass_session_id, NULL),

	/* ngx_mail_proxy_module */
	F("proxy", MS | ARG_FLAG, set_flag, proxy, NULL),
	F("proxy_buffer", MS | T1, set_size, proxy_buffer, NULL),
	F("proxy_pass_error_message", MS | ARG_FLAG, set_flag, proxy_pass_error_message, NULL),
	F("proxy_protocol", MS | T1, set_proxy_protocol, proxy_protocol, NULL),
	F("proxy_smtp_auth", MS | ARG_FLAG, set_flag, proxy_smtp_auth, NULL),
	F("proxy_timeout", MS | T1, set_time, proxy_timeout_ms, NULL),
	F("xclient", MS | ARG_FLAG, set_flag, xclient, NULL),
	F("proxy_client_id", MS | ARG_FLAG, set_flag, proxy_client_id, NULL),
	F("proxy_ssl", MS | T1, conf_set_enum, ptls.mode, proxy_ssl),
	F("proxy_ssl_verify", MS | ARG_FLAG, set_flag, ptls.verify, NULL),
	F("proxy_ssl_trusted_certificate", MS | T1, conf_set_ssl_path, ptls.trusted_certificate, NULL),
	F("proxy_ssl_name", MS | T1, conf_set_str, ptls.name, NULL),
	F("proxy_ssl_server_name", MS | ARG_FLAG, set_flag, ptls.server_name, NULL),
	F("proxy_ssl_certificate", MS | T1, conf_set_ssl_path, ptls.certificate, NULL),
	F("proxy_ssl_certificate_key", MS | T1, conf_set_ssl_path, ptls.certificate_key, NULL),
	F("proxy_ssl_protocols", MS | ARG_1MORE, set_bitmask, ptls.protocols, ssl_protocols),
	F("proxy_ssl_ciphers", MS | T1, conf_set_str, ptls.ciphers, NULL),
	F("proxy_ssl_verify_depth", MS | T1, set_num, ptls.verify_depth, NULL),

	/* ngx_mail_imap_module, ngx_mail_pop3_module, ngx_mail_smtp_module */
	F("imap_auth", MS | ARG_1MORE, set_bitmask, imap_auth, imap_auth),
	F("imap_capabilities", MS | ARG_1MORE, set_list, imap_capabilities, NULL),
	F("imap_client_buffer", MS | T1, set_size, imap_client_buffer, NULL),
	F("imap_id", MS | ARG_FLAG, set_flag, imap_id, NULL),
	F("pop3_auth", MS | ARG_1MORE, set_bitmask, pop3_auth, pop3_auth),
	F("pop3_capabilities", MS | ARG_1MORE, set_list, pop3_capabilities, NULL),
	F("smtp_auth", MS | ARG_1MORE, set_bitmask, smtp_auth, smtp_auth),
	F("smtp_capabilities", MS | ARG_1MORE, set_list, smtp_capabilities, NULL),
	F("smtp_client_buffer", MS | T1, set_size, smtp_client_buffer, NULL),
	F("smtp_greeting_delay", MS | T1, set_time, smtp_greeting_delay_ms, NULL),

	/* ManageSieve (RFC 5804), mailproxy's own: named as the imap_* directives */
	F("sieve_auth", MS | ARG_1MORE, set_bitmask, sieve_auth, sieve_auth),
	F("sieve_capabilities", MS | ARG_1MORE, conf_set_sieve_capabilities, sieve_capabilities, NULL),
	F("sieve_client_buffer", MS | T1, set_size, sieve_client_buffer, NULL),

	/* ngx_mail_ssl_module */
	F("starttls", MS | T1, conf_set_starttls, ssl.starttls, starttls),
	F("ssl_certificate", MS | T1, conf_set_ssl_path_array, ssl.certificate, NULL),
	F("ssl_certificate_key", MS | T1, conf_set_ssl_path_array, ssl.certificate_key, NULL),
	F("ssl_password_file", MS | T1, conf_set_ssl_path, ssl.password_file, NULL),
	F("ssl_certificate_compression", MS | ARG_FLAG, set_flag, ssl.certificate_compression, NULL),
	F("ssl_dhparam", MS | T1, conf_set_ssl_path, ssl.dhparam, NULL),
	F("ssl_ecdh_curve", MS | T1, conf_set_str, ssl.ecdh_curve, NULL),
	F("ssl_protocols", MS | ARG_1MORE, set_bitmask, ssl.protocols, ssl_protocols),
	F("ssl_ciphers", MS | T1, conf_set_str, ssl.ciphers, NULL),
	F("ssl_prefer_server_ciphers", MS | ARG_FLAG, set_flag, ssl.prefer_server_ciphers, NULL),
	F("ssl_session_cache", MS | ARG_TAKE12, conf_set_session_cache, ssl.session_cache, NULL),
	F("ssl_session_tickets", MS | ARG_FLAG, set_flag, ssl.session_tickets, NULL),
	F("ssl_session_ticket_key", MS | T1, conf_set_ssl_path_array, ssl.session_ticket_key, NULL),
	F("ssl_session_timeout", MS | T1, set_time, ssl.session_timeout_ms, &marker),
	F("ssl_verify_client", MS | T1, conf_set_enum, ssl.verify_client, verify),
	F("ssl_verify_depth", MS | T1, set_num, ssl.verify_depth, NULL),
	F("ssl_client_certificate", MS | T1, conf_set_ssl_path, ssl.client_certificate, NULL),
	F("ssl_trusted_certificate", MS | T1, conf_set_ssl_path, ssl.trusted_certificate, NULL),
	F("ssl_crl", MS | T1, conf_set_ssl_path, ssl.crl, NULL),
	F("ssl_conf_command", MS | T2, set_keyval, ssl.conf_command, NULL),

	/* ngx_mail_realip_module */
	FR("set_real_ip_from", MS | T1, conf_set_realip, real_ip_from, nreal_ip_from),

	/* Directives of other nginx contexts: nginx knows them, so a misplaced
	 * one is "not allowed here" rather than "unknown". */
	D("worker_connections", 0, NULL), D("use", 0, NULL), D("multi_accept", 0, NULL),
	D("accept_mutex", 0, NULL), D("accept_mutex_delay", 0, NULL),
	D("debug_connection", 0, NULL), D("worker_aio_requests", 0, NULL),
	D("location", 0, NULL), D("upstream", 0, NULL), D("proxy_pass", 0, NULL),
	D("root", 0, NULL), D("index", 0, NULL), D("access_log", 0, NULL),
	D("log_format", 0, NULL), D("map", 0, NULL), D("return", 0, NULL),
	D("rewrite", 0, NULL), D("types", 0, NULL), D("default_type", 0, NULL),
	D("sendfile", 0, NULL), D("keepalive_timeout", 0, NULL),
	D("client_max_body_size", 0, NULL), D("server_names_hash_bucket_size", 0, NULL),
};

const size_t conf_ndirs = sizeof(conf_dirs) / sizeof(conf_dirs[0]);

_Static_assert(sizeof(conf_dirs) / sizeof(conf_dirs[0]) <= CONF_NDIRS, "raise CONF_NDIRS");

const struct conf_dir *conf_dir_find(const char *name, size_t len)
{
	const struct conf_dir *d;

	for (d = conf_dirs; d < conf_dirs + conf_ndirs; d++) {
		if (d->len == len && d->name[0] == name[0] && memcmp(d->name, name, len) == 0)
			return d;
	}
	return NULL;
}

static const char *imap_caps[] = { "IMAP4", "IMAP4rev1", "UIDPLUS" };
static const char *pop3_caps[] = { "TOP", "USER", "UIDL" };
/* Dovecot Pigeonhole 0.5's managesieve-login, without SASL and STARTTLS
 * (lib/sieve.c makes those from sieve_auth and starttls) */
static const char *sieve_caps[] = {
	"IMPLEMENTATION Dovecot Pigeonhole",
	"SIEVE fileinto reject envelope encoded-character vacation subaddress "
	    "comparator-i;ascii-numeric relational regex imap4flags copy include variables "
	    "body enotify environment mailbox date index ihave duplicate mime foreverypart "
	    "extracttext",
	"NOTIFY mailto",
	"VERSION 1.0",
};

void
conf_srv_defaults(struct mp_server *s)
{
	s->timeout_ms = 60000;
	s->resolver_ipv4 = s->resolver_ipv6 = true;
	s->resolver_timeout_ms = 30000;
	s->max_errors = 5;
	s->auth_http_timeout_ms = 60000;
	s->proxy_buffer = 4096;
	s->proxy_timeout_ms = 24 * 3600 * 1000;
	s->xclient = true;
	s->imap_auth = MP_AUTH_PLAIN;
	s->imap_capabilities.v = imap_caps;
	s->imap_capabilities.n = 3;
	s->imap_client_buffer = 4096;
	s->pop3_auth = MP_AUTH_PLAIN;
	s->pop3_capabilities.v = pop3_caps;
	s->pop3_capabilities.n = 3;
	s->smtp_auth = MP_AUTH_PLAIN | MP_AUTH_LOGIN;
	s->smtp_client_buffer = 4096;
	s->sieve_auth = MP_AUTH_PLAIN;
	s->sieve_capabilities.v = sieve_caps;
	s->sieve_capabilities.n = sizeof sieve_caps / sizeof sieve_caps[0];
	s->sieve_client_buffer = 4096;
	s->ssl.ecdh_curve = "auto";
	s->ssl.protocols = MP_TLSv1_2 | MP_TLSv1_3;
	s->ssl.ciphers = "HIGH:!aNULL:!MD5";
	s->ssl.session_cache = "none";
	s->ssl.session_tickets = true;
	s->ssl.session_timeout_ms = 300000;
	s->ssl.verify_depth = 1;
	s->ptls.verify = true;
	s->ptls.protocols = 16 | 32;
	s->ptls.ciphers = "DEFAULT";
	s->ptls.verify_depth = 1;
}
