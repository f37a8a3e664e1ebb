/* SPDX-License-Identifier: ISC */
/* imap_id.c: the ID argument machine of imap_id.h, and the text of its
 * pairs for the auth server. */
#include <string.h>

#include "imap_id.h"

enum {
	S_START,		/* "(" or NIL */
	S_NIL_I, S_NIL_L,	/* "ID NIL" */
	S_OPEN,			/* after "(": ")" or a field */
	S_FIELD,		/* after a pair's SP: a field */
	S_VALUE,		/* after a field's SP: a value or NIL */
	S_VNIL_I, S_VNIL_L,	/* a NIL value */
	S_QUOTED,
	S_QUOTED_BS,		/* after "\" in a quoted string */
	S_LIT,			/* after "{": digits */
	S_LIT_PLUS,		/* after "{N+": "}" */
	S_LIT_CR,		/* after "}": CR LF or LF */
	S_LIT_LF,
	S_LIT_DATA,
	S_AFTER_FIELD,		/* SP */
	S_AFTER_VALUE,		/* SP or ")" */
	S_AFTER_LIST,		/* CR LF or LF */
	S_CR
};

void
imap_id_init(struct imap_id *id)
{
	memset(id, 0, sizeof *id);
}

static size_t
max_len(const struct imap_id *id)
{
	return id->nstr % 2 == 0 ? IMAP_ID_FIELD_MAX : IMAP_ID_VALUE_MAX;
}

/* The string begun at id->start is complete, len bytes long. */
static void
end_string(struct imap_id *id, bool nil)
{
	struct imap_id_str *s = &id->str[id->nstr++];

	s->off = id->start;
	s->len = id->len;
	s->nil = nil;
	id->state = id->nstr % 2 == 1 ? S_AFTER_FIELD : S_AFTER_VALUE;
}

/* A quoted string ends at BUF[I]: unescape it in place. */
static void
end_quoted(struct imap_id *id, char *buf, size_t i)
{
	size_t s, d;

	for (s = d = id->start; s < i; s++, d++) {
		if (buf[s] == '\\')
			s++;
		buf[d] = buf[s];
	}
	end_string(id, false);
}

/* The first byte of a string (or of NIL, where a value may be one). */
static enum imap_id_rc
begin_string(struct imap_id *id, unsigned char ch, size_t i)
{
	id->len = 0;
	id->litlen = 0;
	id->bad = false;
	if (ch == '"') {
		id->start = i + 1;
		id->state = S_QUOTED;
		return IMAP_ID_MORE;
	}
	if (ch == '{') {
		id->state = S_LIT;
		return IMAP_ID_MORE;
	}
	if (id->nstr % 2 == 1 && (ch == 'N' || ch == 'n')) {
		id->state = S_VNIL_I;
		return IMAP_ID_MORE;
	}
	return IMAP_ID_BAD;
}

/* The LF after a literal's "}": its bytes start behind it. */
static enum imap_id_rc
begin_data(struct imap_id *id, size_t i, bool sync)
{
	id->start = i + 1;
	id->len = id->litlen;
	if (id->litlen == 0)
		end_string(id, false);
	else
		id->state = S_LIT_DATA;
	return sync ? IMAP_ID_LITERAL : IMAP_ID_MORE;
}

enum imap_id_rc
imap_id_byte(struct imap_id *id, char *buf, size_t i)
{
	unsigned char ch = (unsigned char)buf[i];
	unsigned char up = ch & ~0x20;

	switch (id->state) {
	case S_START:
		if (ch == '(') {
			id->state = S_OPEN;
			return IMAP_ID_MORE;
		}
		if (up != 'N')
			return IMAP_ID_BAD;
		id->state = S_NIL_I;
		return IMAP_ID_MORE;
	case S_NIL_I:
	case S_VNIL_I:
		if (up != 'I')
			return IMAP_ID_BAD;
		id->state++;
		return IMAP_ID_MORE;
	case S_NIL_L:
		if (up != 'L')
			return IMAP_ID_BAD;
		id->nil = true;
		id->state = S_AFTER_LIST;
		return IMAP_ID_MORE;
	case S_VNIL_L:
		if (up != 'L')
			return IMAP_ID_BAD;
		id->start = i;
		id->len = 0;
		end_string(id, true);
		return IMAP_ID_MORE;
	case S_OPEN:
		if (ch == ')') {
			id->state = S_AFTER_LIST;
			return IMAP_ID_MORE;
		}
		return begin_string(id, ch, i);
	case S_FIELD:
		if (id->nstr / 2 >= IMAP_ID_PAIRS)
			return IMAP_ID_BAD;
		/* FALLTHROUGH */
	case S_VALUE:
		return begin_string(id, ch, i);
	case S_QUOTED:
		if (ch == '"') {
			end_quoted(id, buf, i);
			return IMAP_ID_MORE;
		}
		if (ch == '\\') {
			id->state = S_QUOTED_BS;
			return IMAP_ID_MORE;
		}
		if (ch == '\0' || ch == '\r' || ch == '\n' || ++id->len > max_len(id))
			return IMAP_ID_BAD;
		return IMAP_ID_MORE;
	case S_QUOTED_BS:
		if ((ch != '"' && ch != '\\') || ++id->len > max_len(id))
			return IMAP_ID_BAD;
		id->state = S_QUOTED;
		return IMAP_ID_MORE;
	case S_LIT:
		if (ch >= '0' && ch <= '9') {
			id->litlen = id->litlen * 10 + (ch - '0');
			id->bad = true;		/* a digit seen; cleared below */
			return id->litlen > max_len(id) ? IMAP_ID_BAD : IMAP_ID_MORE;
		}
		if (!id->bad || (ch != '+' && ch != '}'))
			return IMAP_ID_BAD;	/* "{}" or "{+}" has no length */
		id->bad = false;
		id->state = ch == '+' ? S_LIT_PLUS : S_LIT_CR;
		id->len = ch == '+';		/* remembers the "+" until the LF */
		return IMAP_ID_MORE;
	case S_LIT_PLUS:
		if (ch != '}')
			return IMAP_ID_BAD;
		id->state = S_LIT_CR;
		return IMAP_ID_MORE;
	case S_LIT_CR:
		if (ch == '\r') {
			id->state = S_LIT_LF;
			return IMAP_ID_MORE;
		}
		/* FALLTHROUGH */
	case S_LIT_LF:
		if (ch != '\n')
			return IMAP_ID_BAD;
		return begin_data(id, i, id->len == 0);
	case S_LIT_DATA:
		if (ch == '\0')
			id->bad = true;		/* the rest of the literal is still its */
		if (--id->litlen > 0)
			return IMAP_ID_MORE;
		if (id->bad)
			return IMAP_ID_BAD;
		end_string(id, false);
		return IMAP_ID_MORE;
	case S_AFTER_FIELD:
		if (ch != ' ')
			return IMAP_ID_BAD;
		id->state = S_VALUE;
		return IMAP_ID_MORE;
	case S_AFTER_VALUE:
		if (ch == ' ') {
			id->state = S_FIELD;
			return IMAP_ID_MORE;
		}
		if (ch != ')')
			return IMAP_ID_BAD;
		id->state = S_AFTER_LIST;
		return IMAP_ID_MORE;
	case S_AFTER_LIST:
		if (ch == '\r') {
			id->state = S_CR;
			return IMAP_ID_MORE;
		}
		/* FALLTHROUGH */
	case S_CR:
		return ch == '\n' ? IMAP_ID_END : IMAP_ID_BAD;
	}
	return IMAP_ID_BAD;
}

/* Append the separator C at *W within CAP (one byte kept for the NUL). */
static bool
sep(char *out, size_t cap, size_t *w, char c)
{
	if (cap - *w < 2)
		return false;
	out[(*w)++] = c;
	return true;
}

/* Append S[0..N) escaped (and lowered, for a field) at *W within CAP. */
static bool
escape(char *out, size_t cap, size_t *w, const char *s, size_t n, bool lower)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (lower && c >= 'A' && c <= 'Z')
			c |= 0x20;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '~' || c == '-') {
			if (cap - *w < 2)
				return false;
			out[(*w)++] = (char)c;
			continue;
		}
		if (cap - *w < 4)
			return false;
		out[(*w)++] = '%';
		out[(*w)++] = hex[c >> 4];
		out[(*w)++] = hex[c & 15];
	}
	return true;
}

size_t
imap_id_text(const struct imap_id *id, const char *buf, char *out, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return 0;
	for (unsigned k = 0; k + 1 < id->nstr; k += 2) {
		const struct imap_id_str *f = &id->str[k], *v = &id->str[k + 1];
		size_t w = len;

		if ((len > 0 && !sep(out, cap, &w, '&')) ||
		    !escape(out, cap, &w, buf + f->off, f->len, true) ||
		    (!v->nil && (!sep(out, cap, &w, '=') ||
		    !escape(out, cap, &w, buf + v->off, v->len, false))))
			continue;	/* this pair does not fit: left out whole */
		len = w;
	}
	out[len] = '\0';
	return len;
}
