/* keyed.c - retained messages by key.  See keyed.h. */
#include "keyed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct kent {
	kent *chain;      /* next in its bucket */
	kent *prev, *next; /* the order of keyed.oldest .. keyed.newest */
	msg *m;           /* the message (a reference) */
	char key[];       /* NUL-terminated */
};

void keyed_init(keyed *k, size_t max)
{
	*k = (keyed){.max = max ? max : 1};
}

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static kent **find(const keyed *k, const char *key)
{
	if (!k->nbucket)
		return NULL;
	kent **p = &k->bucket[hash(key) & (k->nbucket - 1)];
	while (*p && strcmp((*p)->key, key))
		p = &(*p)->chain;
	return p;
}

static void unlink_order(keyed *k, kent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		k->oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		k->newest = e->prev;
	e->prev = e->next = NULL;
}

static void link_newest(keyed *k, kent *e)
{
	e->prev = k->newest;
	e->next = NULL;
	if (k->newest)
		k->newest->next = e;
	else
		k->oldest = e;
	k->newest = e;
}

/* Double the buckets (or make the first ones). */
static int grow(keyed *k)
{
	size_t nb = k->nbucket ? k->nbucket * 2 : 64;
	kent **b = calloc(nb, sizeof *b);
	if (!b)
		return -1;
	for (kent *e = k->oldest; e; e = e->next) {
		size_t i = hash(e->key) & (nb - 1);
		e->chain = b[i];
		b[i] = e;
	}
	free(k->bucket);
	k->bucket = b;
	k->nbucket = nb;
	return 0;
}

int keyed_del(keyed *k, const char *key)
{
	kent **p = find(k, key);
	if (!p || !*p)
		return 0;
	kent *e = *p;
	*p = e->chain;
	unlink_order(k, e);
	msg_unref(e->m);
	free(e);
	k->n--;
	return 1;
}

int keyed_set(keyed *k, const char *key, msg *m)
{
	size_t len = strlen(key);
	if (len == 0 || len > KEYED_KEY_MAX)
		return KEYED_BADKEY;
	kent **p = find(k, key);
	if (p && *p) {
		kent *e = *p;
		msg_unref(e->m);
		e->m = m;
		m->refs++;
		unlink_order(k, e);
		link_newest(k, e);
		return KEYED_REPLACED;
	}
	int rc = KEYED_NEW;
	if (k->n >= k->max) {
		char oldest[KEYED_KEY_MAX + 1];
		strcpy(oldest, k->oldest->key);
		keyed_del(k, oldest);
		rc = KEYED_EVICTED;
	}
	if ((k->n + 1) * 4 > k->nbucket * 3 && grow(k) < 0 && !k->nbucket)
		return KEYED_NOMEM; /* (a full table still works, just slower) */
	kent *e = malloc(sizeof *e + len + 1);
	if (!e)
		return KEYED_NOMEM;
	memcpy(e->key, key, len + 1);
	e->m = m;
	m->refs++;
	size_t i = hash(key) & (k->nbucket - 1);
	e->chain = k->bucket[i];
	k->bucket[i] = e;
	link_newest(k, e);
	k->n++;
	return rc;
}

int keyed_each(const keyed *k, int (*fn)(msg *m, void *arg), void *arg)
{
	for (kent *e = k->oldest; e; e = e->next) {
		int r = fn(e->m, arg);
		if (r)
			return r;
	}
	return 0;
}

void keyed_free(keyed *k)
{
	while (k->oldest) {
		kent *e = k->oldest;
		k->oldest = e->next;
		msg_unref(e->m);
		free(e);
	}
	free(k->bucket);
	*k = (keyed){.max = k->max};
}
