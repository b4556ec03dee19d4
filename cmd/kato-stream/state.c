/* state.c - see state.h. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "js.h"
#include "ks.h"
#include "log.h"
#include "ndj.h"

void state_classify(const cJSON *j, state_op *op)
{
	op->kind = ST_NONE;
	op->field[0] = '\0';
	const char *type = js_str(j, "type");
	if (!type)
		return;
	static const char *const kept[] = STATE_TYPES;
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		if (!strcmp(type, kept[i])) {
			op->kind = ST_RETAIN;
			snprintf(op->field, sizeof op->field, "%s", type);
			return;
		}
	if (strcmp(type, "session_update"))
		return;
	const char *o = js_str(j, "op");
	if (o && !strcmp(o, "reset")) {
		op->kind = ST_RESET;
		return;
	}
	const char *id = js_str(j, "session.session_id");
	if (!id || !*id || strlen(id) > STATE_FIELD_MAX)
		return; /* kato-hub does not keep it either */
	op->kind = o && !strcmp(o, "removed") ? ST_REMOVED : ST_SESSION;
	memcpy(op->field, id, strlen(id) + 1);
}

/* "<key><suffix>" into buf. */
static const char *hash_name(char *buf, size_t n, const char *key,
                             const char *suffix)
{
	snprintf(buf, n, "%s%s", key, suffix);
	return buf;
}

static int refused; /* the last change was refused (logged) */

/* An answer to a change of the state: an error is logged (once until a
 * change works again) and is not a failure.  Frees rep. */
static void changed(rconn *r, redisReply *rep, const char *cmd, const char *h)
{
	if (rep->type == REDIS_REPLY_ERROR) {
		if (!refused)
			log_warn("%s %s on %s: Redis says: %.300s (web nodes that start "
			         "now may lack it; the stream goes on)", cmd, h,
			         r->where, rep->str ? rep->str : "");
		refused = 1;
	} else if (refused) {
		log_info("%s on %s: the state for web nodes is kept again", h, r->where);
		refused = 0;
	}
	freeReplyObject(rep);
}

int state_put(rconn *r, const char *key, const state_op *op,
              const char *line, size_t len, char err[RC_ERR_LEN])
{
	char h[300];
	const char *argv[4];
	size_t lens[4];
	int argc = 0;
	switch (op->kind) {
	case ST_NONE:
		return 0;
	case ST_RETAIN:
	case ST_SESSION:
		argv[argc++] = "HSET";
		argv[argc++] = hash_name(h, sizeof h, key, op->kind == ST_RETAIN
		                                               ? STATE_RETAINED
		                                               : STATE_SESSIONS);
		argv[argc++] = op->field;
		argv[argc++] = line;
		break;
	case ST_REMOVED:
		argv[argc++] = "HDEL";
		argv[argc++] = hash_name(h, sizeof h, key, STATE_SESSIONS);
		argv[argc++] = op->field;
		break;
	case ST_RESET:
		argv[argc++] = "DEL";
		argv[argc++] = hash_name(h, sizeof h, key, STATE_SESSIONS);
		break;
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (argc == 4)
		lens[3] = len;
	redisReply *rep = rconn_cmd(r, argc, argv, lens, r->timeout_ms, err);
	if (!rep)
		return -1;
	changed(r, rep, argv[0], h);
	return 0;
}

void state_mem_init(state_mem *s, size_t max_sessions)
{
	smap_init(&s->retained, 64);
	smap_init(&s->sessions, max_sessions);
	s->said_full = 0;
}

void state_mem_free(state_mem *s)
{
	smap_clear(&s->retained);
	smap_clear(&s->sessions);
}

void state_mem_apply(state_mem *s, const state_op *op, const char *line,
                     size_t len)
{
	int rc = SMAP_OK;
	switch (op->kind) {
	case ST_NONE:
		break;
	case ST_RETAIN:
		rc = smap_set(&s->retained, op->field, line, len);
		break;
	case ST_SESSION:
		rc = smap_set(&s->sessions, op->field, line, len);
		break;
	case ST_REMOVED:
		smap_del(&s->sessions, op->field);
		break;
	case ST_RESET:
		smap_clear(&s->sessions);
		s->said_full = 0;
		break;
	}
	if (rc == SMAP_NOMEM)
		log_warn("out of memory: %s not kept for web nodes", op->field);
	else if (rc == SMAP_FULL && !s->said_full) {
		log_warn("more than %zu open sessions: the others are not kept for "
		         "web nodes", s->sessions.max);
		s->said_full = 1;
	}
}

#define BATCH 128 /* fields per HSET of a rewrite */

typedef struct batch {
	rconn *r;
	const char *name;    /* the temporary key */
	const char *argv[2 + 2 * BATCH];
	size_t lens[2 + 2 * BATCH];
	int argc;
	char *err;
} batch;

/* Send the HSET gathered so far.  Returns 0, -1 when the connection
 * failed. */
static int batch_send(batch *b)
{
	if (b->argc <= 2)
		return 0;
	redisReply *rep = rconn_cmd(b->r, b->argc, b->argv, b->lens,
	                            b->r->timeout_ms, b->err);
	b->argc = 2;
	if (!rep)
		return -1;
	changed(b->r, rep, "HSET", b->name);
	return 0;
}

static int batch_add(const char *key, const char *val, size_t len, void *arg)
{
	batch *b = arg;
	b->argv[b->argc] = key;
	b->lens[b->argc++] = strlen(key);
	b->argv[b->argc] = val;
	b->lens[b->argc++] = len;
	return b->argc == 2 + 2 * BATCH ? batch_send(b) : 0;
}

/* Replace the hash key+suffix with m. */
static int rewrite_one(rconn *r, const char *key, const char *suffix,
                       const smap *m, char err[RC_ERR_LEN])
{
	char h[300], tmp[320];
	hash_name(h, sizeof h, key, suffix);
	snprintf(tmp, sizeof tmp, "%s:new", h);
	redisReply *rep = rconn_cmdv(r, err, 2, "DEL", tmp);
	if (!rep)
		return -1;
	changed(r, rep, "DEL", tmp);
	batch b = {.r = r, .name = tmp, .argv = {"HSET", tmp}, .lens = {4, strlen(tmp)},
	           .argc = 2, .err = err};
	if (smap_each(m, batch_add, &b) || batch_send(&b))
		return -1;
	rep = m->n ? rconn_cmdv(r, err, 3, "RENAME", tmp, h)
	           : rconn_cmdv(r, err, 2, "DEL", h);
	if (!rep)
		return -1;
	changed(r, rep, m->n ? "RENAME" : "DEL", h);
	return 0;
}

int state_rewrite(rconn *r, const char *key, const state_mem *s,
                  char err[RC_ERR_LEN])
{
	if (rewrite_one(r, key, STATE_RETAINED, &s->retained, err) < 0 ||
	    rewrite_one(r, key, STATE_SESSIONS, &s->sessions, err) < 0)
		return -1;
	return 0;
}

/* HGETALL name: write each value that is one JSON object.  Returns as
 * state_read. */
static int write_hash(rconn *r, const char *name, char err[RC_ERR_LEN])
{
	redisReply *rep = rconn_cmdv(r, err, 2, "HGETALL", name);
	if (!rep)
		return 1;
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR) {
		/* not ours (WRONGTYPE) or not allowed: said, and the stream
		 * goes on without that state */
		log_warn("HGETALL %s on %s: Redis says: %.300s (going on without it)",
		         name, r->where, rep->str ? rep->str : "");
	} else if (rep->type == REDIS_REPLY_ARRAY) {
		unsigned long bad = 0;
		for (size_t i = 0; i + 1 < rep->elements && rc == 0; i += 2) {
			const redisReply *v = rep->element[i + 1];
			char why[128];
			if (v->type != REDIS_REPLY_STRING || !line_ok(v->str, v->len, why, sizeof why)) {
				bad++;
				continue;
			}
			if (ndj_write_line(stdout, v->str, v->len) < 0) {
				if (errno != EPIPE)
					log_warn("unable to write stdout: %s", strerror(errno));
				rc = -1;
			}
		}
		if (bad)
			log_warn("%s on %s: %lu values that are not one JSON object "
			         "skipped", name, r->where, bad);
	}
	freeReplyObject(rep);
	return rc;
}

int state_read(rconn *r, const char *key, char id[RS_ID_LEN],
               char err[RC_ERR_LEN])
{
	redisReply *rep = rconn_cmdv(r, err, 6, "XREVRANGE", key, "+", "-",
	                             "COUNT", "1");
	if (!rep)
		return 1;
	const char *line;
	size_t len;
	id[0] = '\0';
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1)
		rentry(rep->element[0], id, &line, &len);
	if (!id[0])
		snprintf(id, RS_ID_LEN, "0-0");
	freeReplyObject(rep);
	char h[300];
	int rc = write_hash(r, hash_name(h, sizeof h, key, STATE_RETAINED), err);
	if (rc == 0)
		rc = write_hash(r, hash_name(h, sizeof h, key, STATE_SESSIONS), err);
	return rc;
}
