/* SPDX-License-Identifier: ISC */
/* conf_lex.c: nginx's configuration tokenizer (ngx_conf_read_token()).
 * Reads one directive: its words up to ";", "{" or a lone "}". Words are
 * unescaped and NUL-terminated in place, in the file buffer, so a token
 * costs no allocation. Quirks kept on purpose, as nginx has them:
 * a quoted word must be followed by a space, ";" or "{"; "#" starts a
 * comment only where a word could start; "}" inside a word is part of it;
 * "${" does not end a word; a word may not reach 4096 bytes. */
#include <string.h>

#include "conf_int.h"

#define LEX_MAX_WORD 4096	/* nginx's NGX_CONF_BUFFER */

static int
is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Copy [start, end) to start, resolving \" \' \\ \t \r \n; other escapes keep
 * their backslash. Returns the new length. */
static size_t
unescape(char *start, const char *end)
{
	const char *src = start;
	char *dst = start;

	while (src < end) {
		if (*src == '\\' && src + 1 < end) {
			switch (src[1]) {
			case '"': case '\'': case '\\':
				src++;
				break;
			case 't': *dst++ = '\t'; src += 2; continue;
			case 'r': *dst++ = '\r'; src += 2; continue;
			case 'n': *dst++ = '\n'; src += 2; continue;
			}
		}
		*dst++ = *src++;
	}
	return (size_t)(dst - start);
}

static int
push_word(struct conf_parse *ps, char *start, char *end)
{
	struct conf_word *w;

	if (ps->nargs == ps->argcap) {
		size_t cap = ps->argcap * 2;
		struct conf_word *nv = arena_alloc(ps->a, cap * sizeof(*nv));

		if (nv == NULL)
			return conf_nomem(ps);
		memcpy(nv, ps->args, ps->nargs * sizeof(*nv));
		ps->args = nv;
		ps->argcap = cap;
	}
	w = &ps->args[ps->nargs++];
	w->s = start;
	w->len = unescape(start, end);
	start[w->len] = '\0';	/* the terminator at END has been read already */
	return 0;
}

static int
unexpected(struct conf_parse *ps, int ch)
{
	ps->line = ps->lx->line;
	return conf_error(ps, "unexpected \"%c\"", ch);
}

int
lex_next(struct conf_parse *ps)
{
	struct conf_lex *lx = ps->lx;
	char *p = lx->p, *end = lx->end, *start = p;
	unsigned start_line = lx->line;
	bool need_space = false, last_space = true, comment = false, variable = false;
	bool quoted = false, s_quoted = false, d_quoted = false;
	int ch;

	ps->nargs = 0;
	for (;;) {
		if (p >= end) {
			lx->p = p;
			if (ps->nargs > 0 || !last_space) {
				ps->line = lx->line;
				return conf_error(ps, "unexpected end of file, expecting \";\" or \"}\"");
			}
			return LEX_FILE_DONE;
		}
		if (!last_space && !comment && p - start >= LEX_MAX_WORD) {
			lx->p = p;
			ps->line = lx->line = start_line;
			if (d_quoted || s_quoted)
				return conf_error(ps, "too long parameter, probably missing terminating \"%c\" character",
				    d_quoted ? '"' : '\'');
			return conf_error(ps, "too long parameter \"%.10s...\" started", start);
		}
		ch = (unsigned char)*p++;

		if (ch == '\n') {
			lx->line++;
			comment = false;
		}
		if (comment)
			continue;
		if (quoted) {
			quoted = false;
			continue;
		}
		if (need_space) {
			if (is_space(ch)) {
				last_space = true;
				need_space = false;
				continue;
			}
			lx->p = p;
			ps->line = lx->line;
			if (ch == ';')
				return LEX_OK;
			if (ch == '{')
				return LEX_BLOCK_START;
			if (ch != ')')
				return unexpected(ps, ch);
			last_space = true;	/* nginx's "if (...)" leftover: ")" starts a word */
			need_space = false;
		}
		if (last_space) {
			start = p - 1;
			start_line = lx->line;
			if (is_space(ch))
				continue;
			switch (ch) {
			case ';':
			case '{':
				lx->p = p;
				if (ps->nargs == 0)
					return unexpected(ps, ch);
				ps->line = lx->line;
				return ch == '{' ? LEX_BLOCK_START : LEX_OK;
			case '}':
				lx->p = p;
				if (ps->nargs != 0)
					return unexpected(ps, ch);
				ps->line = lx->line;
				return LEX_BLOCK_DONE;
			case '#':
				comment = true;
				continue;
			case '\\':
				quoted = true;
				last_space = false;
				continue;
			case '"':
				start++;
				d_quoted = true;
				last_space = false;
				continue;
			case '\'':
				start++;
				s_quoted = true;
				last_space = false;
				continue;
			case '$':
				variable = true;
				last_space = false;
				continue;
			default:
				last_space = false;
				continue;
			}
		}

		/* inside a word */
		if (ch == '{' && variable)
			continue;
		variable = false;
		if (ch == '\\') {
			quoted = true;
			continue;
		}
		if (ch == '$') {
			variable = true;
			continue;
		}
		if (d_quoted) {
			if (ch != '"')
				continue;
			d_quoted = false;
			need_space = true;
		} else if (s_quoted) {
			if (ch != '\'')
				continue;
			s_quoted = false;
			need_space = true;
		} else if (is_space(ch) || ch == ';' || ch == '{') {
			last_space = true;
		} else {
			continue;
		}
		if (push_word(ps, start, p - 1) < 0)
			return LEX_ERROR;
		if (ch == ';' || ch == '{') {
			lx->p = p;
			ps->line = lx->line;
			return ch == '{' ? LEX_BLOCK_START : LEX_OK;
		}
	}
}
