/* SPDX-License-Identifier: ISC */
/* conf_values.c: nginx's value syntaxes. Numbers are plain decimal digits
 * (no sign, no spaces); sizes take k/K or m/M; times are a sequence of
 * number+unit from the largest unit down (y M w d h m s ms), spaces
 * allowed between them, a bare number meaning seconds. Every function
 * returns -1 on a syntax error or an overflow. */
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "conf_int.h"

#define CONF_INT_MAX INT64_C(0x7fffffffffffffff)

int64_t
conf_atoi(const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0)
		return -1;
	for (; len; len--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (CONF_INT_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int64_t
conf_parse_size(const char *s, size_t len)
{
	int64_t v, scale = 1;

	if (len == 0)
		return -1;
	switch (s[len - 1]) {
	case 'K': case 'k':
		scale = 1024;
		len--;
		break;
	case 'M': case 'm':
		scale = 1024 * 1024;
		len--;
		break;
	}
	v = conf_atoi(s, len);
	if (v < 0 || v > CONF_INT_MAX / scale)
		return -1;
	return v * scale;
}

/* Units in the order they must appear, with their length in seconds. */
enum { ST_START, ST_YEAR, ST_MONTH, ST_WEEK, ST_DAY, ST_HOUR, ST_MIN, ST_SEC, ST_MSEC, ST_LAST };

/* Returns milliseconds, or seconds when SEC (then "ms" is an error). */
int64_t
conf_parse_time(const char *s, size_t len, bool sec)
{
	const char *p = s, *last = s + len;
	int64_t value = 0, total = 0, scale, unit_ms = sec ? 1 : 1000;
	int step = sec ? ST_START : ST_MONTH;	/* nginx: msec values stop at months */
	bool valid = false;

	while (p < last) {
		if (*p >= '0' && *p <= '9') {
			if (value > (CONF_INT_MAX - 9) / 10)
				return -1;
			value = value * 10 + (*p++ - '0');
			valid = true;
			continue;
		}
		switch (*p++) {
		case 'y':
			if (step > ST_START) return -1;
			step = ST_YEAR; scale = 60 * 60 * 24 * 365;
			break;
		case 'M':
			if (step > ST_YEAR) return -1;
			step = ST_MONTH; scale = 60 * 60 * 24 * 30;
			break;
		case 'w':
			if (step > ST_MONTH) return -1;
			step = ST_WEEK; scale = 60 * 60 * 24 * 7;
			break;
		case 'd':
			if (step > ST_WEEK) return -1;
			step = ST_DAY; scale = 60 * 60 * 24;
			break;
		case 'h':
			if (step > ST_DAY) return -1;
			step = ST_HOUR; scale = 60 * 60;
			break;
		case 'm':
			if (p < last && *p == 's') {
				if (sec || step > ST_SEC) return -1;
				p++;
				step = ST_MSEC; scale = 1;
				break;
			}
			if (step > ST_HOUR) return -1;
			step = ST_MIN; scale = 60;
			break;
		case 's':
			if (step > ST_MIN) return -1;
			step = ST_SEC; scale = 1;
			break;
		case ' ':
			if (step > ST_MIN) return -1;
			step = ST_LAST; scale = 1;
			break;
		default:
			return -1;
		}
		if (step != ST_MSEC)
			scale *= unit_ms;
		if (value > CONF_INT_MAX / scale || total > CONF_INT_MAX - value * scale)
			return -1;
		total += value * scale;
		value = 0;
		while (p < last && *p == ' ')
			p++;
	}
	if (!valid)
		return -1;
	if (value > CONF_INT_MAX / unit_ms || total > CONF_INT_MAX - value * unit_ms)
		return -1;
	return total + value * unit_ms;
}

int
conf_parse_flag(const char *s)
{
	if (strcasecmp(s, "on") == 0)
		return 1;
	if (strcasecmp(s, "off") == 0)
		return 0;
	return -1;
}

/* ngx_inet_addr(): exactly four dot-separated decimal octets. */
int
conf_inet4(const char *s, size_t len, uint8_t out[4])
{
	unsigned octet = 0, n = 0;
	bool digit = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			octet = octet * 10 + (unsigned)(c - '0');
			if (octet > 255)
				return -1;
			digit = true;
		} else if (c == '.' && digit && n < 3) {
			out[n++] = (uint8_t)octet;
			octet = 0;
			digit = false;
		} else {
			return -1;
		}
	}
	if (n != 3 || !digit)
		return -1;
	out[3] = (uint8_t)octet;
	return 0;
}

int
conf_inet6(const char *s, size_t len, uint8_t out[16])
{
	char buf[64];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}
