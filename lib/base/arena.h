/* SPDX-License-Identifier: ISC */
/* arena.h: a bump allocator. Everything the configuration points to lives in
 * one arena and is released at once (or never: the handler exits after one
 * connection). Not thread-safe; nothing here is. */
#ifndef MP_ARENA_H
#define MP_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;	/* newest chunk first */
	char *p, *end;			/* free space in head */
};

/* The process-wide arena conf_load() allocates from. Zero-initialised: ready. */
extern struct arena arena_global;

/* N bytes aligned for any type; NULL with errno ENOMEM on failure. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* The array V of N elements of size ELEM, with room for one more (zeroed):
 * V itself, or a copy with double the capacity when N is 0 or a power of two
 * from 4 up (the old copy stays in the arena). NULL with errno ENOMEM. */
void *arena_grow(struct arena *a, void *v, size_t n, size_t elem);

/* Append a zeroed element to ARR (of N elements); evaluates to it, or NULL. */
#define ARENA_PUSH(a, arr, n) \
	(((arr) = arena_grow((a), (arr), (n), sizeof(*(arr)))) != NULL ? &(arr)[(n)++] : NULL)

/* Free every chunk; A is empty and reusable, and all it handed out is gone. */
void arena_release(struct arena *a);

#endif
