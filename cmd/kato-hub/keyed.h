/* keyed.h - retained messages kept one per key (session_update, one per
 * session_id), bounded, in the order they were last set.
 *
 * A newcomer gets every kept message after the other retained ones, so
 * its session list is whole before the deltas start.  When the table is
 * full, setting a new key drops the key set longest ago (the caller says
 * so: the list a newcomer then gets is short of it).
 *
 * Nothing here logs or exits.
 */
#ifndef KH_KEYED_H
#define KH_KEYED_H

#include <stddef.h>

#include "msgq.h"

#define KEYED_KEY_MAX 256 /* longest key, '\0' excluded */

typedef struct kent kent; /* one key and its message */

typedef struct keyed {
	kent **bucket;  /* hash buckets, chained */
	size_t nbucket; /* a power of two, or 0 before the first key */
	size_t n;       /* keys kept */
	size_t max;     /* keys kept at most */
	kent *oldest;   /* the order keys were last set: oldest first */
	kent *newest;
} keyed;

enum {
	KEYED_NEW = 0,      /* a new key */
	KEYED_REPLACED = 1, /* the key's message replaced */
	KEYED_EVICTED = 2,  /* a new key; the oldest key made room */
	KEYED_NOMEM = -1,   /* not kept */
	KEYED_BADKEY = -2,  /* empty or longer than KEYED_KEY_MAX: not kept */
};

/* An empty table keeping at most max keys (max >= 1). */
void keyed_init(keyed *k, size_t max);

/* Keep m (taking a reference) as key's message, the newest.  Returns a
 * KEYED_* code. */
int keyed_set(keyed *k, const char *key, msg *m);

/* Forget key.  Returns 1 if it was kept, else 0. */
int keyed_del(keyed *k, const char *key);

/* Call fn(m, arg) for every kept message, oldest first, until fn returns
 * nonzero (whose value is then returned); 0 when every one was seen. */
int keyed_each(const keyed *k, int (*fn)(msg *m, void *arg), void *arg);

/* Forget every key and free the table, which stays usable: empty, with
 * the same max. */
void keyed_free(keyed *k);

#endif
