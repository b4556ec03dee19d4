/* get.c - kato-stream get: the stream's lines on stdout, followed with
 * XREAD BLOCK from the last id written.  See ks.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "exitcode.h"
#include "ks.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"
#include "state.h"

#define READ_COUNT "16" /* entries per XREAD: bounds one reply's size */
#define BLOCK_MS 5000   /* XREAD BLOCK: how long one wait lasts */

typedef struct getter {
	rconn *r;
	const char *key;
	char last[RS_ID_LEN]; /* id of the last entry written (or the start), "" unset */
	double since_min;     /* --since, or < 0 */
	int state;            /* --state: the state first, once */
	int want_state;       /* --state was given: again after a gap */
	char floor[RS_ID_LEN]; /* where the state written stands, or "" */
	unsigned long foreign; /* entries without our marker in a row */
	trouble t;
} getter;

/* Whether stream id a comes before b (both valid ids; "MS" is "MS-0"). */
static int id_before(const char *a, const char *b)
{
	unsigned long long am, as = 0, bm, bs = 0;
	char *e;
	am = strtoull(a, &e, 10);
	if (*e == '-')
		as = strtoull(e + 1, NULL, 10);
	bm = strtoull(b, &e, 10);
	if (*e == '-')
		bs = strtoull(e + 1, NULL, 10);
	return am < bm || (am == bm && as < bs);
}

/* Where to start when nothing was given: after the newest entry (or, with
 * --since, after Redis' time minus MINUTES); with --state, the state is
 * written first and the start is no later than where it stands.  Returns
 * 0, -1 with err, or -2 when stdout is gone. */
static int get_start(getter *g, char err[RC_ERR_LEN])
{
	redisReply *rep;
	if (g->state) {
		int rc = state_read(g->r, g->key, g->floor, err);
		if (rc)
			return rc < 0 ? -2 : -1;
		g->state = 0; /* once: a reconnect resumes after the last id */
	}
	if (g->floor[0] && g->since_min < 0) {
		memcpy(g->last, g->floor, sizeof g->floor);
		return 0;
	}
	if (g->since_min >= 0) {
		if (!(rep = rconn_cmdv(g->r, err, 1, "TIME")))
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[1]->type != REDIS_REPLY_STRING) {
			snprintf(err, RC_ERR_LEN, "TIME on %s: unexpected answer", g->r->where);
			freeReplyObject(rep);
			return -1;
		}
		long long s = strtoll(rep->element[0]->str, NULL, 10);
		long long us = strtoll(rep->element[1]->str, NULL, 10);
		freeReplyObject(rep);
		long long from = s * 1000 + us / 1000 - (long long)(g->since_min * 60000.0);
		/* XREAD answers what comes after an id: the last one before from. */
		if (from <= 0)
			snprintf(g->last, sizeof g->last, "0-0");
		else
			snprintf(g->last, sizeof g->last, "%lld-18446744073709551615", from - 1);
		if (g->floor[0] && id_before(g->floor, g->last))
			memcpy(g->last, g->floor, sizeof g->floor);
		return 0;
	}
	if (!(rep = rconn_cmdv(g->r, err, 6, "XREVRANGE", g->key, "+", "-", "COUNT", "1")))
		return -1;
	const char *line;
	size_t len;
	snprintf(g->last, sizeof g->last, "0-0");
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1)
		rentry(rep->element[0], g->last, &line, &len);
	if (!g->last[0])
		snprintf(g->last, sizeof g->last, "0-0");
	freeReplyObject(rep);
	return 0;
}

/* After a reconnect: if the stream now starts after the last entry
 * written, MAXLEN trimmed past it while this reader was away (longer than
 * the stream's length), and entries it never wrote may be gone.  Say so,
 * and with --state write the state again, after a session reset, so that
 * what the gap held is not missed (a reset and the whole state are
 * harmless where nothing was lost).  Returns 0, -1 with err (reconnect), -2 when stdout is gone. */
static int get_gap(getter *g, char err[RC_ERR_LEN])
{
	redisReply *rep = rconn_cmdv(g->r, err, 3, "XINFO", "STREAM", g->key);
	if (!rep)
		return -1;
	char first[RS_ID_LEN] = "";
	for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
		const redisReply *k = rep->element[i], *v = rep->element[i + 1];
		if (k->type == REDIS_REPLY_STRING && !strcmp(k->str, "first-entry") &&
		    v->type == REDIS_REPLY_ARRAY && v->elements >= 1 &&
		    v->element[0]->type == REDIS_REPLY_STRING &&
		    v->element[0]->len < sizeof first) {
			memcpy(first, v->element[0]->str, v->element[0]->len + 1);
			break;
		}
	}
	freeReplyObject(rep);
	if (!first[0] || !rid_valid(first) || !id_before(g->last, first))
		return 0;
	/* the next entry after last may still be first: say "may" */
	log_warn("stream '%s' on %s was trimmed past the last entry written (%s; "
	         "it now starts at %s) while away: entries may be lost%s", g->key,
	         g->r->where, g->last, first,
	         g->want_state ? "; the state is written again" : "");
	if (!g->want_state)
		return 0;
	static const char reset[] = "{\"type\":\"session_update\",\"op\":\"reset\"}";
	if (ndj_write_line(stdout, reset, sizeof reset - 1) < 0)
		return -2;
	char at[RS_ID_LEN];
	int rc = state_read(g->r, g->key, at, err);
	return rc < 0 ? -2 : rc > 0 ? -1 : 0;
}

/* Write one entry.  Returns 0, or -1 if stdout is gone. */
static int get_entry(getter *g, const redisReply *e, char err[RC_ERR_LEN])
{
	char id[RS_ID_LEN];
	const char *line;
	size_t len;
	int rc = rentry(e, id, &line, &len);
	if (rc == -1) {
		snprintf(err, RC_ERR_LEN, "XREAD %s on %s: an entry without a valid id",
		         g->key, g->r->where);
		return 1;
	}
	memcpy(g->last, id, sizeof id);
	if (rc == -2) {
		if (g->foreign++ == 0)
			log_warn("stream '%s' on %s holds entries that are not ours "
			         "(no %s=%s and %s fields), skipping them from %s",
			         g->key, g->r->where, RS_MARK, RS_MARK_VALUE, RS_LINE, id);
		return 0;
	}
	if (g->foreign) {
		log_warn("stream '%s': %lu entries that are not ours skipped, up to %s",
		         g->key, g->foreign, id);
		g->foreign = 0;
	}
	char why[128];
	if (!line_ok(line, len, why, sizeof why)) {
		log_warn("stream '%s' entry %s: %s, skipped", g->key, id, why);
		return 0;
	}
	if (ndj_write_line(stdout, line, len) < 0) {
		if (errno != EPIPE)
			log_warn("unable to write stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One XREAD.  Returns 0 (go on), 1 (failed: err filled, reconnect), -1
 * (stop: signal or stdout gone). */
static int get_once(getter *g, char err[RC_ERR_LEN])
{
	char block[16];
	snprintf(block, sizeof block, "%d", BLOCK_MS);
	const char *argv[] = {"XREAD", "COUNT", READ_COUNT, "BLOCK", block,
	                      "STREAMS", g->key, g->last};
	size_t lens[8];
	for (int i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	redisReply *rep = rconn_cmd(g->r, 8, argv, lens, BLOCK_MS + g->r->timeout_ms, err);
	if (!rep)
		return g->r->stop ? -1 : 1;
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(err, RC_ERR_LEN, "XREAD %s on %s: Redis says: %.300s", g->key,
		         g->r->where, rep->str ? rep->str : "");
		rc = 1;
	} else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
	           rep->element[0]->type == REDIS_REPLY_ARRAY &&
	           rep->element[0]->elements == 2 &&
	           rep->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		const redisReply *es = rep->element[0]->element[1];
		for (size_t i = 0; i < es->elements && rc == 0; i++)
			rc = get_entry(g, es->element[i], err);
	} else if (rep->type != REDIS_REPLY_NIL) {
		snprintf(err, RC_ERR_LEN, "XREAD %s on %s: unexpected answer", g->key,
		         g->r->where);
		rc = 1;
	}
	freeReplyObject(rep);
	return rc;
}

int run_get(rconn *r, const char *key, double since_min, const char *from_id,
            int state)
{
	getter g = {.r = r, .key = key, .since_min = since_min, .state = state,
	            .want_state = state};
	if (from_id)
		snprintf(g.last, sizeof g.last, "%s", from_id);
	backoff b;
	backoff_init(&b, 250, 30000);
	char err[RC_ERR_LEN];
	for (;;) {
		int rc = 1;
		if (!r->c) {
			int st = 0;
			if (open_stream(r, key, err) == 0 &&
			    (g.last[0] ? (st = get_gap(&g, err)) : (st = get_start(&g, err))) == 0) {
				trouble_over(&g.t, r, "reading from");
				rc = 0;
			} else if (st == -2) {
				break; /* stdout is gone */
			}
		} else {
			rc = get_once(&g, err);
			if (rc == 0)
				backoff_reset(&b);
		}
		if (rc < 0 || r->stop)
			break;
		if (rc > 0) {
			rconn_close(r);
			trouble_note(&g.t, err);
			if (sig_sleep_ms(r->sigfd, (int)backoff_next(&b)))
				break;
		}
	}
	return KL_EXIT_OK;
}

