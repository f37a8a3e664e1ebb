/* SPDX-License-Identifier: ISC */
/* conf_merge.c: what nginx does when mail{} closes. Each server takes from
 * the mail level whatever it did not set itself (lists all or nothing),
 * then the checks run module by module as nginx orders them -- core
 * (protocol), ssl (certificates), auth_http -- so that with several faults
 * the first one reported is nginx's. Last, the servers and listens are laid
 * out as struct mp_conf arrays. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "protocol.h"

static void
inherit(struct conf_srv *c, const struct conf_srv *mail)
{
	size_t i;

	for (i = 0; i < conf_ndirs; i++) {
		const struct conf_dir *d = &conf_dirs[i];

		if (d->size == 0 || c->set[i] || !mail->set[i])
			continue;
		memcpy((char *)&c->s + d->off, (const char *)&mail->s + d->off, d->size);
	}
	if (c->s.ssl.cert_file == NULL) {
		c->s.ssl.cert_file = mail->s.ssl.cert_file;
		c->s.ssl.cert_line = mail->s.ssl.cert_line;
	}
}

/* nginx uses the lowercased host name when server_name is unset or empty. */
static const char *
hostname(struct conf_parse *ps)
{
	char buf[256], *h;
	size_t i, len;

	if (ps->hostname != NULL)
		return ps->hostname;
	if (gethostname(buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	buf[sizeof(buf) - 1] = '\0';
	len = strlen(buf);
	h = arena_strndup(ps->a, buf, len);
	if (h == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		h[i] = (char)tolower((unsigned char)h[i]);
	ps->hostname = h;
	return h;
}

/* APOP and CRAM-MD5 send "<random.time@server_name>": a name too long for
 * the salt is refused here, the same way for every protocol, rather than
 * when a client asks for it. */
static int
check_salt(struct conf_parse *ps, struct conf_srv *c)
{
	const struct mp_protocol *p = protocol_get(c->s.protocol);

	if (p == NULL || !(p->auth_methods(&c->s) & p->salt_methods) ||
	    strlen(c->s.server_name) <= SASL_SERVER_NAME_MAX)
		return 0;
	return conf_error_noloc(ps, "\"server_name\" is longer than %d bytes, too long for "
	    "the APOP and CRAM-MD5 salt, for server in %s:%u", SASL_SERVER_NAME_MAX,
	    c->s.file, c->s.line);
}

static int
check_core(struct conf_parse *ps, struct conf_srv *c)
{
	if (c->s.server_name == NULL || c->s.server_name[0] == '\0') {
		c->s.server_name = hostname(ps);
		if (c->s.server_name == NULL)
			return conf_nomem(ps);
	}
	if (c->s.protocol == MP_PROTO_NONE)
		return conf_error_noloc(ps, "unknown mail protocol for server in %s:%u",
		    c->s.file, c->s.line);
	return check_salt(ps, c);
}

static int
check_ssl(struct conf_parse *ps, struct conf_srv *c)
{
	const struct mp_ssl *ssl = &c->s.ssl;
	const char *mode;

	if (c->ssl_listen)
		mode = "listen ... ssl";
	else if (ssl->starttls != MP_STARTTLS_OFF)
		mode = "starttls";
	else
		return 0;
	if (ssl->certificate.n == 0)
		return conf_error_noloc(ps, "no \"ssl_certificate\" is defined for the \"%s\" directive in %s:%u",
		    mode, ssl->cert_file, ssl->cert_line);
	if (ssl->certificate_key.n == 0)
		return conf_error_noloc(ps, "no \"ssl_certificate_key\" is defined for the \"%s\" directive in %s:%u",
		    mode, ssl->cert_file, ssl->cert_line);
	if (ssl->certificate_key.n < ssl->certificate.n)
		return conf_error_noloc(ps, "no \"ssl_certificate_key\" is defined for certificate \"%s\" "
		    "and the \"%s\" directive in %s:%u", ssl->certificate.v[ssl->certificate.n - 1],
		    mode, ssl->cert_file, ssl->cert_line);
	if (ssl->verify_client != MP_VERIFY_OFF && ssl->verify_client != MP_VERIFY_OPTIONAL_NO_CA
	    && ssl->client_certificate == NULL && ssl->trusted_certificate == NULL)
		return conf_error_noloc(ps, "no ssl_client_certificate or ssl_trusted_certificate "
		    "for ssl_verify_client");
	return 0;
}

static int
check_auth_http(struct conf_parse *ps, struct conf_srv *c)
{
	if (c->s.auth_http.text == NULL)
		return conf_error_noloc(ps, "no \"auth_http\" is defined for server in %s:%u",
		    c->s.file, c->s.line);
	return 0;
}

int
conf_merge(struct conf_parse *ps)
{
	struct mp_conf *cf = ps->cf;
	struct conf_srv *c;
	size_t i;

	for (c = ps->servers; c != NULL; c = c->next)
		inherit(c, ps->mail);
	for (c = ps->servers; c != NULL; c = c->next)
		if (check_core(ps, c) < 0)
			return -1;
	for (c = ps->servers; c != NULL; c = c->next)
		if (check_ssl(ps, c) < 0)
			return -1;
	for (c = ps->servers; c != NULL; c = c->next)
		if (check_auth_http(ps, c) < 0)
			return -1;

	if (ps->nservers) {
		cf->servers = arena_alloc(ps->a, ps->nservers * sizeof(*cf->servers));
		if (cf->servers == NULL)
			return conf_nomem(ps);
	}
	for (c = ps->servers; c != NULL; c = c->next)
		cf->servers[c->index] = c->s;
	cf->nservers = ps->nservers;
	for (i = 0; i < ps->nlistens; i++) {
		struct mp_listen *l = &ps->listens[i];

		c = (struct conf_srv *)((char *)l->server - offsetof(struct conf_srv, s));
		l->server = &cf->servers[c->index];
	}
	cf->listens = ps->listens;
	cf->nlistens = ps->nlistens;
	return 0;
}

/* After the whole file: a server with no error_log of its own or from mail{}
 * logs where the main level does, including lines after mail{}. */
void
conf_finish(struct conf_parse *ps)
{
	struct mp_conf *cf = ps->cf;
	size_t i;

	for (i = 0; i < cf->nservers; i++) {
		if (cf->servers[i].nerror_log == 0) {
			cf->servers[i].error_log = cf->error_log;
			cf->servers[i].nerror_log = cf->nerror_log;
		}
	}
}
