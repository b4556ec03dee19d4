/* sess.c - see sess.h. */
#include "sess.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "js.h"

#define MOVE_NOISE_MS 100 /* expiry moves this small are read noise */

const char *sess_key_id(const char *key, size_t len)
{
	size_t pl = sizeof SESS_KEY_PREFIX - 1;
	if (len <= pl || len - pl > SESS_ID_MAX ||
	    strncmp(key, SESS_KEY_PREFIX "session-", pl + 8) != 0)
		return NULL;
	for (size_t i = pl; i < len; i++)
		if ((unsigned char)key[i] <= ' ' || (unsigned char)key[i] > '~')
			return NULL;
	return key + pl;
}

void sess_clear(sess *s)
{
	free(s->id);
	free(s->node);
	s->id = s->node = NULL;
}

/* An ISO time at key: epoch ms, or -1 when absent or not a time. */
static int64_t iso_at(const cJSON *o, const char *key)
{
	const char *t = js_str(o, key);
	int64_t ms;
	return t && clock_parse_iso(t, &ms) == 0 ? ms : -1;
}

/* In a value cut short: the string after "key": (json.dumps writes
 * `"key": "text"`) copied into out, if it has no escapes and ends
 * before the cut.  Returns 0, or -1. */
static int prefix_str(const char *v, size_t len, const char *key, char *out,
                      size_t cap)
{
	char pat[64];
	int pn = snprintf(pat, sizeof pat, "\"%s\": \"", key);
	if (pn < 0 || (size_t)pn >= sizeof pat)
		return -1;
	const char *p = memmem(v, len, pat, (size_t)pn);
	if (!p)
		return -1;
	p += pn;
	const char *end = v + len;
	size_t n = 0;
	while (p + n < end && p[n] != '"') {
		if (p[n] == '\\' || (unsigned char)p[n] < ' ' || n + 1 >= cap)
			return -1;
		n++;
	}
	if (p + n >= end)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static char *dup_bounded(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return NULL;
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int fail(char err[SESS_ERR_LEN], cJSON *j, const char *fmt,
                const char *a)
{
	snprintf(err, SESS_ERR_LEN, fmt, a);
	cJSON_Delete(j);
	return -1;
}

int sess_parse(const char *id, const char *val, size_t len, int cut,
               int64_t pttl_ms, int64_t now_ms, sess *out,
               char err[SESS_ERR_LEN])
{
	memset(out, 0, sizeof *out);
	out->created_ms = out->accessed_ms = out->expires_ms = -1;
	out->ttl_ms = pttl_ms >= 0 ? pttl_ms : -1;
	out->access_count = -1;
	char sid[SESS_ID_MAX + 2], node[SESS_NODE_MAX + 2];
	char created[64], accessed[64], expires[64];
	int64_t exp_json = -1;
	cJSON *j = NULL;

	if (cut) {
		/* Too long to read whole: the leading fields KATO writes first. */
		if (len == 0 || val[0] != '{')
			return fail(err, NULL, "value is not a JSON object%s", "");
		if (prefix_str(val, len, "session_id", sid, sizeof sid) < 0)
			return fail(err, NULL, "no \"session_id\" string in the first "
			            "part of a long value%s", "");
		if (prefix_str(val, len, "node_id", node, sizeof node) < 0)
			node[0] = '\0';
		int64_t ms;
		if (prefix_str(val, len, "created_at", created, sizeof created) == 0 &&
		    clock_parse_iso(created, &ms) == 0)
			out->created_ms = ms;
		if (prefix_str(val, len, "last_accessed", accessed, sizeof accessed) == 0 &&
		    clock_parse_iso(accessed, &ms) == 0)
			out->accessed_ms = ms;
		if (prefix_str(val, len, "expires_at", expires, sizeof expires) == 0 &&
		    clock_parse_iso(expires, &ms) == 0)
			exp_json = ms;
	} else {
		char why[64];
		j = js_parse(val, len, why, sizeof why);
		if (!j)
			return fail(err, NULL, "value is not JSON (%s)", why);
		if (!cJSON_IsObject(j))
			return fail(err, j, "value is not a JSON object%s", "");
		const char *s = js_str(j, "session_id");
		if (!s)
			return fail(err, j, "value has no \"session_id\" string%s", "");
		snprintf(sid, sizeof sid, "%.*s", SESS_ID_MAX + 1, s);
		const char *n = js_str(j, "node_id");
		snprintf(node, sizeof node, "%.*s", SESS_NODE_MAX + 1, n ? n : "");
		if (n && strlen(n) > SESS_NODE_MAX)
			return fail(err, j, "\"node_id\" longer than %s bytes", "200");
		out->created_ms = iso_at(j, "created_at");
		out->accessed_ms = iso_at(j, "last_accessed");
		exp_json = iso_at(j, "expires_at");
		double c;
		if (js_num(j, "access_count", &c) && c >= 0 && c == floor(c) && c < 9e15)
			out->access_count = c;
		cJSON_Delete(j);
	}
	if (strcmp(sid, id) != 0)
		return fail(err, NULL, "value's \"session_id\" is not the key's (%s)",
		            "a copied or foreign value");
	out->expires_ms = pttl_ms >= 0 ? now_ms + pttl_ms : exp_json;
	out->id = dup_bounded(id, SESS_ID_MAX);
	out->node = node[0] ? dup_bounded(node, SESS_NODE_MAX) : NULL;
	if (!out->id || (node[0] && !out->node)) {
		sess_clear(out);
		return fail(err, NULL, "out of memory%s", "");
	}
	return 0;
}

static int str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

int sess_differs(const sess *a, const sess *b)
{
	int64_t d = a->expires_ms - b->expires_ms;
	if ((a->expires_ms < 0) != (b->expires_ms < 0) || d > MOVE_NOISE_MS ||
	    d < -MOVE_NOISE_MS)
		return 1;
	return a->bad != b->bad || str_differs(a->node, b->node) ||
	       a->created_ms != b->created_ms || a->accessed_ms != b->accessed_ms ||
	       a->access_count != b->access_count;
}

/* --- the table ------------------------------------------------------------ */

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int sess_table_init(sess_table *t, size_t max)
{
	memset(t, 0, sizeof *t);
	t->max = max;
	t->nbucket = 256;
	t->bucket = calloc(t->nbucket, sizeof *t->bucket);
	return t->bucket ? 0 : -1;
}

void sess_table_free(sess_table *t)
{
	for (size_t i = 0; i < t->nbucket; i++)
		for (sess *e = t->bucket[i], *nx; e; e = nx) {
			nx = e->next;
			sess_clear(e);
			free(e);
		}
	free(t->bucket);
	memset(t, 0, sizeof *t);
}

sess *sess_find(sess_table *t, const char *id)
{
	for (sess *e = t->bucket[hash(id) & (t->nbucket - 1)]; e; e = e->next)
		if (!strcmp(e->id, id))
			return e;
	return NULL;
}

/* Double the buckets when chains grow past 1 on average; a failed
 * allocation just keeps the chains longer. */
static void grow(sess_table *t)
{
	if (t->n < t->nbucket)
		return;
	size_t nb = t->nbucket * 2;
	sess **b = calloc(nb, sizeof *b);
	if (!b)
		return;
	for (size_t i = 0; i < t->nbucket; i++)
		for (sess *e = t->bucket[i], *nx; e; e = nx) {
			nx = e->next;
			size_t h = hash(e->id) & (nb - 1);
			e->next = b[h];
			b[h] = e;
		}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = nb;
}

sess *sess_put(sess_table *t, sess *s)
{
	sess *e = t->n < t->max ? malloc(sizeof *e) : NULL;
	if (!e) {
		sess_clear(s);
		return NULL;
	}
	*e = *s;
	memset(s, 0, sizeof *s);
	grow(t);
	size_t h = hash(e->id) & (t->nbucket - 1);
	e->next = t->bucket[h];
	t->bucket[h] = e;
	t->n++;
	t->good += !e->bad;
	return e;
}

void sess_replace(sess_table *t, sess *e, sess *s)
{
	t->good -= !e->bad;
	sess *next = e->next;
	uint64_t mark = e->mark;
	sess_clear(e);
	*e = *s;
	memset(s, 0, sizeof *s);
	e->next = next;
	if (!e->mark)
		e->mark = mark;
	t->good += !e->bad;
}

int sess_remove(sess_table *t, const char *id)
{
	sess **pp = &t->bucket[hash(id) & (t->nbucket - 1)];
	for (; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->id, id)) {
			sess *e = *pp;
			*pp = e->next;
			t->n--;
			t->good -= !e->bad;
			sess_clear(e);
			free(e);
			return 1;
		}
	return 0;
}

void sess_each(sess_table *t, void (*fn)(sess *e, void *arg), void *arg)
{
	for (size_t i = 0; i < t->nbucket; i++)
		for (sess *e = t->bucket[i]; e; e = e->next)
			fn(e, arg);
}

/* --- records -------------------------------------------------------------- */

static int add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[CLOCK_ISO_LEN];
	if (ms < 0)
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddStringToObject(o, key, clock_iso_ms(buf, ms)) != NULL;
}

static int add_str(cJSON *o, const char *key, const char *v)
{
	return (v ? cJSON_AddStringToObject(o, key, v)
	          : cJSON_AddNullToObject(o, key)) != NULL;
}

cJSON *sess_json(const sess *s, const char *op, const char *reason)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	int ok = cJSON_AddStringToObject(o, "op", op) &&
	         cJSON_AddStringToObject(o, "session_id", s->id) &&
	         add_str(o, "node_id", s->node) &&
	         add_time(o, "created_at", s->created_ms) &&
	         add_time(o, "last_accessed", s->accessed_ms) &&
	         add_time(o, "expires_at", s->expires_ms) &&
	         js_add_num(o, "ttl_ms", s->ttl_ms >= 0, (double)s->ttl_ms) &&
	         js_add_num(o, "access_count", s->access_count >= 0,
	                    s->access_count) &&
	         (!reason || cJSON_AddStringToObject(o, "reason", reason));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *sess_event_json(const char *type, const sess *s, double current,
                       double previous)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	int ok = cJSON_AddStringToObject(o, "event_type", type) &&
	         cJSON_AddStringToObject(o, "session_id", s->id) &&
	         add_str(o, "node_id", s->node) &&
	         cJSON_AddNumberToObject(o, "current_count", current) &&
	         cJSON_AddNumberToObject(o, "previous_count", previous) &&
	         cJSON_AddNumberToObject(o, "delta", current - previous);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
