/* SPDX-License-Identifier: ISC */
/* conf_main.c: the main context -- the blocks (mail, server, and the
 * skipped events, http, stream), include, and nginx's process directives,
 * which a per-connection handler accepts and ignores. */
#include <string.h>

#include "conf_int.h"

int
conf_set_skip_block(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	bool *seen = d->name[0] == 'e' ? &ps->seen_events
	    : d->name[0] == 'h' ? &ps->seen_http : &ps->seen_stream;

	if (*seen)
		return conf_error(ps, "\"%s\" directive is duplicate", d->name);
	*seen = true;
	return conf_skip_block(ps);
}

/* Main directives are taken once, as nginx does, but for env and friends. */
int
conf_set_ignore(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	if (d->post != NULL)
		return 0;
	if (ps->main_set[d - conf_dirs])
		return conf_error(ps, "\"%s\" directive is duplicate", d->name);
	ps->main_set[d - conf_dirs] = 1;
	return 0;
}

int
conf_set_main_flag(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	if (conf_set_ignore(ps, d, c) < 0)
		return -1;
	if (conf_parse_flag(ps->args[1].s) < 0)
		return conf_error(ps, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"",
		    ps->args[1].s, d->name);
	return 0;
}

int
conf_set_include(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	return conf_include(ps, ps->args[1].s);
}

static struct conf_srv *
new_level(struct conf_parse *ps)
{
	struct conf_srv *c = arena_zalloc(ps->a, sizeof(*c));

	if (c == NULL)
		return NULL;
	conf_srv_defaults(&c->s);
	c->s.file = ps->lx->file;
	c->s.line = ps->line;	/* nginx: the line of the "{" */
	return c;
}

int
conf_set_mail(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	if (ps->seen_mail)
		return conf_error(ps, "\"mail\" directive is duplicate");
	ps->seen_mail = true;
	ps->mail = new_level(ps);
	if (ps->mail == NULL)
		return conf_nomem(ps);
	ps->ctx = CTX_MAIL;
	if (conf_parse_block(ps) < 0)
		return -1;
	ps->ctx = CTX_MAIN;
	return conf_merge(ps);
}

int
conf_set_server(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *mail)
{
	struct conf_srv *c = new_level(ps);

	if (c == NULL)
		return conf_nomem(ps);
	c->index = ps->nservers++;
	*ps->tail = c;
	ps->tail = &c->next;
	ps->srv = c;
	ps->ctx = CTX_SRV;
	if (conf_parse_block(ps) < 0)
		return -1;
	ps->ctx = CTX_MAIL;
	ps->srv = NULL;
	if (!c->listen)
		return conf_error_noloc(ps, "no \"listen\" is defined for server in %s:%u",
		    c->s.file, c->s.line);
	return 0;
}
