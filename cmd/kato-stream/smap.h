/* smap.h - put's own copy of the state it keeps in Redis (state.h): text
 * values by text key, at most max keys, in no particular order.
 *
 * Nothing here logs or exits; the caller says what a refusal means.
 */
#ifndef KS_SMAP_H
#define KS_SMAP_H

#include <stddef.h>

typedef struct sment sment; /* one key and its value */

typedef struct smap {
	sment **b; /* buckets, chained; nb is a power of two or 0 */
	size_t nb, n, max;
} smap;

enum { SMAP_OK = 0, SMAP_FULL = 1, SMAP_NOMEM = -1 };

/* An empty map of at most max keys. */
void smap_init(smap *m, size_t max);

/* Keep a copy of val (len bytes) under a copy of key, replacing what was
 * there.  Returns SMAP_OK, SMAP_FULL (a new key beyond max: not kept) or
 * SMAP_NOMEM (not kept; the old value, if any, is gone too). */
int smap_set(smap *m, const char *key, const char *val, size_t len);

/* Forget key (nothing if it is not kept). */
void smap_del(smap *m, const char *key);

/* Forget every key; the map stays usable. */
void smap_clear(smap *m);

/* Call fn for every key until it returns nonzero, which is returned. */
int smap_each(const smap *m,
              int (*fn)(const char *key, const char *val, size_t len, void *arg),
              void *arg);

#endif
