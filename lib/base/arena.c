/* SPDX-License-Identifier: ISC */
/* arena.c: bump allocation from malloc'ed chunks, freed all together.
 * One parse of the configuration usually fits in the first chunk, so a
 * connection costs one malloc for its whole configuration. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_CHUNK 16384
#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	_Alignas(ARENA_ALIGN) char data[];
};

struct arena arena_global;

static void *
chunk_new(struct arena *a, size_t n)
{
	struct arena_chunk *c;

	if (n > SIZE_MAX - sizeof(*c)) {
		errno = ENOMEM;
		return NULL;
	}
	c = malloc(sizeof(*c) + n);
	if (c == NULL)
		return NULL;
	c->size = n;
	c->next = a->head;
	a->head = c;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	char *r;

	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	if ((size_t)(a->end - a->p) >= n) {
		r = a->p;
		a->p += n;
		return r;
	}
	/* Big blocks get their own chunk, so the current one keeps its room. */
	if (n > ARENA_CHUNK / 4) {
		struct arena_chunk *head = a->head;

		c = chunk_new(a, n);
		if (c == NULL)
			return NULL;
		if (head != NULL) {	/* keep the chunk with free space in front */
			a->head = head;
			c->next = head->next;
			head->next = c;
		}
		return c->data;
	}
	c = chunk_new(a, ARENA_CHUNK);
	if (c == NULL)
		return NULL;
	a->p = c->data + n;
	a->end = c->data + ARENA_CHUNK;
	return c->data;
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	void *r = arena_alloc(a, n);

	if (r != NULL)
		memset(r, 0, n);
	return r;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *r = arena_alloc(a, n + 1);

	if (r != NULL) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

void *
arena_grow(struct arena *a, void *v, size_t n, size_t elem)
{
	char *base = v;

	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		size_t cap = n == 0 ? 4 : n * 2;
		char *nv;

		if (cap > SIZE_MAX / elem) {
			errno = ENOMEM;
			return NULL;
		}
		nv = arena_alloc(a, cap * elem);
		if (nv == NULL)
			return NULL;
		if (n)
			memcpy(nv, base, n * elem);
		base = nv;
	}
	memset(base + n * elem, 0, elem);
	return base;
}

void
arena_release(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->p = a->end = NULL;
}
