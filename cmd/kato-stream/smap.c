/* smap.c - see smap.h. */
#include "smap.h"

#include <stdlib.h>
#include <string.h>

struct sment {
	sment *next;
	char *key, *val;
	size_t len;
};

void smap_init(smap *m, size_t max)
{
	*m = (smap){.max = max};
}

static size_t hash(const char *s) /* FNV-1a */
{
	size_t h = (size_t)14695981039346656037ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * (size_t)1099511628211ULL;
	return h;
}

static sment **slot(const smap *m, const char *key)
{
	sment **p = &m->b[hash(key) & (m->nb - 1)];
	while (*p && strcmp((*p)->key, key))
		p = &(*p)->next;
	return p;
}

static void drop(smap *m, sment **p)
{
	sment *e = *p;
	*p = e->next;
	free(e->key);
	free(e->val);
	free(e);
	m->n--;
}

/* Twice the buckets once there are as many keys as buckets. */
static int grow(smap *m)
{
	size_t nb = m->nb ? m->nb * 2 : 64;
	sment **b = calloc(nb, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < m->nb; i++)
		for (sment *e = m->b[i], *next; e; e = next) {
			next = e->next;
			size_t k = hash(e->key) & (nb - 1);
			e->next = b[k];
			b[k] = e;
		}
	free(m->b);
	m->b = b;
	m->nb = nb;
	return 0;
}

int smap_set(smap *m, const char *key, const char *val, size_t len)
{
	if (m->n >= m->nb && grow(m) < 0 && !m->nb)
		return SMAP_NOMEM;
	sment **p = slot(m, key);
	char *v = malloc(len + 1);
	if (!v) {
		if (*p)
			drop(m, p);
		return SMAP_NOMEM;
	}
	memcpy(v, val, len);
	v[len] = '\0';
	if (*p) {
		free((*p)->val);
		(*p)->val = v;
		(*p)->len = len;
		return SMAP_OK;
	}
	if (m->n >= m->max) {
		free(v);
		return SMAP_FULL;
	}
	sment *e = malloc(sizeof *e);
	char *k = strdup(key);
	if (!e || !k) {
		free(e);
		free(k);
		free(v);
		return SMAP_NOMEM;
	}
	*e = (sment){.next = NULL, .key = k, .val = v, .len = len};
	*p = e;
	m->n++;
	return SMAP_OK;
}

void smap_del(smap *m, const char *key)
{
	if (!m->nb)
		return;
	sment **p = slot(m, key);
	if (*p)
		drop(m, p);
}

void smap_clear(smap *m)
{
	for (size_t i = 0; i < m->nb; i++)
		while (m->b[i])
			drop(m, &m->b[i]);
	free(m->b);
	*m = (smap){.max = m->max};
}

int smap_each(const smap *m,
              int (*fn)(const char *key, const char *val, size_t len, void *arg),
              void *arg)
{
	for (size_t i = 0; i < m->nb; i++)
		for (const sment *e = m->b[i]; e; e = e->next) {
			int r = fn(e->key, e->val, e->len, arg);
			if (r)
				return r;
		}
	return 0;
}
