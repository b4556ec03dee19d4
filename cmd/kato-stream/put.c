/* put.c - kato-stream put: each stdin line XADDed to the stream, with a
 * bounded queue for the time Redis cannot take them.  See ks.h. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "exitcode.h"
#include "ks.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"
#include "state.h"

#define QUEUE_BYTES (64u << 20) /* and at most this many bytes of them */

typedef struct pending {
	char *s;      /* one line, malloc'd */
	size_t len;   /* its length */
	uint64_t seq; /* its number in this put's input, for RS_PUTSEQ */
	state_op *op; /* what it changes in the state, malloc'd, or NULL */
} pending;

typedef struct putter {
	rconn *r;
	const char *key;
	char maxlen[24];
	backoff b;
	int64_t next_try_ms; /* monotonic: no connection attempt before this */
	trouble t;
	pending *q;          /* ring of lines not added yet, oldest at head */
	size_t qcap, head, qn, qbytes;
	char inst[24];       /* this put's random name, for RS_PUTSEQ */
	uint64_t seq;        /* lines queued so far */
	int unsure;          /* the head line's XADD may have been applied: the
	                      * connection broke before Redis answered */
	state_mem mem;       /* the state, as every line read makes it */
	int dirty;           /* the hashes may lag mem: write them whole */
	int had_conn;        /* connected before: a reconnect makes it dirty */
} putter;

static void q_pop(putter *p, int dropped);

/* "<inst>:<seq>" of a queued line. */
static void put_tag(const putter *p, const pending *e, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%" PRIu64, p->inst, e->seq);
}

/* After a reconnect, when the last XADD's fate is unknown: if the newest
 * entry is that line (same put, same number), it was added: do not add it
 * twice.  Returns 0, or -1 with err when asking failed. */
static int put_settle(putter *p, char err[RC_ERR_LEN])
{
	redisReply *rep = rconn_cmdv(p->r, err, 6, "XREVRANGE", p->key, "+", "-",
	                             "COUNT", "1");
	if (!rep)
		return -1;
	char tag[64];
	put_tag(p, &p->q[p->head], tag, sizeof tag);
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
		const redisReply *e = rep->element[0];
		const redisReply *f = e->type == REDIS_REPLY_ARRAY && e->elements == 2
		                          ? e->element[1] : NULL;
		for (size_t i = 0; f && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
			const redisReply *k = f->element[i], *v = f->element[i + 1];
			if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
			    k->len == strlen(RS_PUTSEQ) && !memcmp(k->str, RS_PUTSEQ, k->len) &&
			    v->len == strlen(tag) && !memcmp(v->str, tag, v->len)) {
				q_pop(p, 0);
				break;
			}
		}
	}
	freeReplyObject(rep);
	p->unsure = 0;
	return 0;
}

static void q_pop(putter *p, int dropped)
{
	pending *e = &p->q[p->head];
	p->qbytes -= e->len;
	if (dropped && e->op)
		p->dirty = 1; /* its change never reaches the hashes */
	free(e->s);
	free(e->op);
	e->s = NULL;
	e->op = NULL;
	p->head = (p->head + 1) % p->qcap;
	p->qn--;
	if (dropped)
		p->t.dropped++;
}

/* Queue a copy of line, and what it changes in the state; the oldest
 * lines make room (and are counted as dropped) when the queue is full. */
static void q_push(putter *p, const char *line, size_t len, const state_op *op)
{
	if (p->qcap == 0) {
		p->t.dropped++;
		p->dirty |= op->kind != ST_NONE;
		return;
	}
	while (p->qn && (p->qn == p->qcap || p->qbytes + len > QUEUE_BYTES))
		q_pop(p, 1);
	char *c = malloc(len + 1);
	state_op *o = op->kind != ST_NONE ? malloc(sizeof *o) : NULL;
	if (!c || (op->kind != ST_NONE && !o)) {
		free(c);
		free(o);
		p->t.dropped++;
		p->dirty |= op->kind != ST_NONE;
		return;
	}
	memcpy(c, line, len);
	c[len] = 0;
	if (o)
		*o = *op;
	p->q[(p->head + p->qn) % p->qcap] = (pending){c, len, ++p->seq, o};
	p->qn++;
	p->qbytes += len;
}

static void put_failed(putter *p, const char *err)
{
	trouble_note(&p->t, err);
	rconn_close(p->r);
	p->next_try_ms = clock_mono_ms() + backoff_next(&p->b);
}

/* Add the queued lines, oldest first, while Redis takes them.  Returns 0,
 * or -1 when a stop signal came. */
static int put_flush(putter *p)
{
	char err[RC_ERR_LEN];
	while (p->qn || p->dirty) {
		if (!p->r->c) {
			if (clock_mono_ms() < p->next_try_ms)
				return 0;
			if (open_stream(p->r, p->key, err) < 0 ||
			    (p->unsure && put_settle(p, err) < 0)) {
				if (p->r->stop)
					return -1;
				put_failed(p, err);
				return 0;
			}
			/* Redis may have lost the hashes meanwhile (restarted
			 * without persistence, failed over) */
			p->dirty |= p->had_conn;
			p->had_conn = 1;
		}
		if (p->dirty) {
			if (state_rewrite(p->r, p->key, &p->mem, err) < 0) {
				if (p->r->stop)
					return -1;
				put_failed(p, err);
				return 0;
			}
			p->dirty = 0;
		}
		if (!p->qn) { /* the line had landed, or only the state was due */
			trouble_over(&p->t, p->r, "adding to");
			break;
		}
		const pending *e = &p->q[p->head];
		/* the state first: whatever the stream holds, the state has */
		if (e->op && state_put(p->r, p->key, e->op, e->s, e->len, err) < 0) {
			if (p->r->stop)
				return -1;
			put_failed(p, err);
			return 0;
		}
		char tag[64];
		put_tag(p, e, tag, sizeof tag);
		const char *argv[] = {"XADD", p->key, "MAXLEN", "~", p->maxlen, "*",
		                      RS_MARK, RS_MARK_VALUE, RS_PUTSEQ, tag, RS_LINE, e->s};
		size_t lens[12];
		for (int i = 0; i < 11; i++)
			lens[i] = strlen(argv[i]);
		lens[11] = e->len;
		redisReply *rep = rconn_cmd(p->r, 12, argv, lens, p->r->timeout_ms, err);
		if (!rep) {
			if (p->r->stop)
				return -1;
			p->unsure = 1;
			put_failed(p, err);
			return 0;
		}
		if (rep->type == REDIS_REPLY_ERROR) {
			const char *why = rep->str ? rep->str : "";
			snprintf(err, sizeof err, "XADD %s on %s: Redis says: %.300s", p->key,
			         p->r->where, why);
			/* A plain ERR is about this line: drop it.  WRONGTYPE (the
			 * key changed under us), OOM, READONLY, LOADING pass: keep
			 * the line and try again later. */
			int line_fault = !strncmp(why, "ERR", 3);
			freeReplyObject(rep);
			if (line_fault) {
				log_warn("%s (line dropped)", err);
				q_pop(p, 0); /* said here: not counted again */
				continue;
			}
			put_failed(p, err);
			return 0;
		}
		freeReplyObject(rep);
		q_pop(p, 0);
		backoff_reset(&p->b);
		trouble_over(&p->t, p->r, "adding to");
	}
	return 0;
}

int run_put(rconn *r, const char *key, long maxlen, long queue)
{
	putter p = {.r = r, .key = key, .qcap = (size_t)queue};
	/* Unique enough: a restarted put never mistakes its own new line for
	 * an old one (same seq, other name). */
	snprintf(p.inst, sizeof p.inst, "%lx%04lx", (unsigned long)clock_wall_ms(),
	         (unsigned long)getpid() & 0xffff);
	snprintf(p.maxlen, sizeof p.maxlen, "%ld", maxlen);
	state_mem_init(&p.mem, STATE_SESSIONS_MAX);
	backoff_init(&p.b, 250, 30000);
	if (queue && !(p.q = calloc((size_t)queue, sizeof *p.q)))
		log_die(KL_EXIT_TEMP, "unable to allocate the queue: out of memory");
	ndj_reader in;
	if (ndj_reader_init(&in, STDIN_FILENO, NDJ_LINE_MAX) < 0)
		log_die(KL_EXIT_TEMP, "unable to allocate the input buffer: out of memory");
	in.chunk = 1 << 16;
	int rc = KL_EXIT_OK;
	for (;;) {
		char *line;
		size_t len;
		enum ndj_status st;
		while ((st = ndj_next(&in, &line, &len)) == NDJ_LINE || st == NDJ_TOOLONG) {
			char why[128];
			if (st == NDJ_TOOLONG) {
				log_warn("stdin line %lu: longer than %u bytes, skipped",
				         in.lineno, NDJ_LINE_MAX);
				continue;
			}
			cJSON *j = line_parse(line, len, why, sizeof why);
			if (!j) {
				log_warn("stdin line %lu: %s, skipped", in.lineno, why);
				continue;
			}
			state_op op;
			state_classify(j, &op);
			cJSON_Delete(j);
			state_mem_apply(&p.mem, &op, line, len);
			q_push(&p, line, len, &op);
			if (put_flush(&p) < 0)
				goto out;
		}
		if (st == NDJ_EOF)
			break;
		/* While lines wait for Redis, wake up for the next attempt. */
		int tmo = -1;
		if (p.qn || p.dirty) {
			int64_t left = p.next_try_ms - clock_mono_ms();
			tmo = left < 0 ? 0 : (int)left;
		}
		struct pollfd pf[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
		                       {.fd = r->sigfd, .events = POLLIN}};
		if (poll(pf, 2, tmo) < 0 && errno != EINTR)
			log_die(KL_EXIT_TEMP, "unable to poll: %s", strerror(errno));
		if (pf[1].revents & POLLIN) {
			int s;
			while ((s = sig_read(r->sigfd)) > 0)
				if (sig_is_stop(s))
					goto out;
		}
		if (pf[0].revents && ndj_fill(&in) < 0 && errno != EINTR && errno != EAGAIN) {
			log_warn("unable to read stdin: %s", strerror(errno));
			rc = KL_EXIT_TEMP;
			break;
		}
		if (put_flush(&p) < 0)
			goto out;
	}
	/* End of input: one more try for what waits, if it is due soon. */
	if (p.qn) {
		int64_t left = p.next_try_ms - clock_mono_ms();
		if (left <= 2000 && (left <= 0 || sig_sleep_ms(r->sigfd, (int)left) == 0))
			put_flush(&p);
	}
out:
	if (p.qn)
		log_warn("%zu lines not added to %s: %s", p.qn, r->where,
		         p.t.last[0] ? p.t.last : "stopped");
	while (p.qn)
		q_pop(&p, 0);
	if (p.t.dropped)
		log_warn("%lu lines were dropped while %s failed", p.t.dropped, r->where);
	free(p.q);
	state_mem_free(&p.mem);
	ndj_reader_free(&in);
	return rc;
}

