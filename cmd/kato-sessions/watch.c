/* watch.c - see watch.h. */
#include "watch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "rec.h"

#define SOURCE "kato-sessions"
#define SCAN_COUNT 1000 /* SCAN's COUNT hint: keys per round trip */
#define BATCH 64        /* keys read per pipeline (bounds memory) */
#define EXPIRY_SLACK_MS 1000 /* a key gone this near its expiry expired */
/* A tick's SCAN reads the PTTL of at most about this many known keys (a
 * different share each tick), so that 10,000 sessions cost Redis well
 * under 50 ms per tick: a touch then shows within n / PTTL_BUDGET ticks,
 * while new and gone keys show on every tick. */
#define PTTL_BUDGET 2000
#define RESYNC_TICKS 100 /* with notifications, a SCAN every this many ticks */

#define CMD(w) ((redisContext *)(w)->cmd)
#define SUB(w) ((redisContext *)(w)->sub)

int watch_init(watch *w, const rurl *url, size_t max, collector *out)
{
	memset(w, 0, sizeof *w);
	w->url = url;
	w->timeout_ms = 2000;
	w->max_value = 65536;
	w->out = out;
	w->scan_ms = -1;
	return sess_table_init(&w->tab, max);
}

void watch_free(watch *w)
{
	watch_drop(w);
	sess_table_free(&w->tab);
}

void watch_drop(watch *w)
{
	if (w->cmd)
		redisFree(CMD(w));
	if (w->sub)
		redisFree(SUB(w));
	w->cmd = w->sub = NULL;
	w->connected = 0;
}

int watch_sub_fd(const watch *w)
{
	return w->sub ? SUB(w)->fd : -1;
}

/* "<url>: <what>" into err. */
static int failf(watch *w, char err[WATCH_ERR_LEN], const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(watch *w, char err[WATCH_ERR_LEN], const char *fmt, ...)
{
	char msg[WATCH_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, WATCH_ERR_LEN, "%s: %s", w->url->display, msg);
	return -1;
}

/* The connection c failed: say why. */
static int ctx_fail(watch *w, redisContext *c, const char *what,
                    char err[WATCH_ERR_LEN])
{
	return failf(w, err, "%s: %s", what,
	             c->err ? c->errstr : "no answer");
}

/* One command; an error reply is a failure too.  Returns the reply (the
 * caller frees it) or NULL with err. */
static redisReply *command(watch *w, redisContext *c, const char *what,
                           char err[WATCH_ERR_LEN], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (!r) {
		ctx_fail(w, c, what, err);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		failf(w, err, "%s: %.200s", what, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* Connect and log in one connection. */
static redisContext *open_one(watch *w, int select_db, char err[WATCH_ERR_LEN])
{
	struct timeval tv = {w->timeout_ms / 1000, (w->timeout_ms % 1000) * 1000};
	redisContext *c = w->url->path[0]
	                      ? redisConnectUnixWithTimeout(w->url->path, tv)
	                      : redisConnectWithTimeout(w->url->host, w->url->port, tv);
	if (!c) {
		snprintf(err, WATCH_ERR_LEN, "connect to %s: out of memory",
		         w->url->display);
		return NULL;
	}
	if (c->err) {
		snprintf(err, WATCH_ERR_LEN, "connect to %s: %s", w->url->display,
		         c->errstr);
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (!w->url->path[0])
		redisEnableKeepAlive(c);
	redisReply *r = NULL;
	if (w->url->has_pass) {
		/* %b: the password goes as a binary-safe argument, never
		 * through a format string or into a message */
		if (w->url->user[0])
			r = command(w, c, "AUTH", err, "AUTH %b %b", w->url->user,
			            strlen(w->url->user), w->url->pass,
			            strlen(w->url->pass));
		else
			r = command(w, c, "AUTH", err, "AUTH %b", w->url->pass,
			            strlen(w->url->pass));
		if (!r)
			goto fail;
		freeReplyObject(r);
	}
	if (select_db && w->url->db != 0) {
		if (!(r = command(w, c, "SELECT", err, "SELECT %d", w->url->db)))
			goto fail;
		freeReplyObject(r);
	}
	if (!(r = command(w, c, "PING", err, "PING")))
		goto fail;
	freeReplyObject(r);
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* --- records --------------------------------------------------------------- */

static int emit(watch *w, const char *key, cJSON *item)
{
	if (!item) {
		log_warn("out of memory building a record");
		return 0;
	}
	char ts[CLOCK_ISO_LEN];
	cJSON *r = cJSON_CreateObject();
	if (!r || !cJSON_AddStringToObject(r, "source", SOURCE) ||
	    !cJSON_AddStringToObject(r, "ts", clock_iso_now(ts))) {
		cJSON_Delete(r);
		cJSON_Delete(item);
		log_warn("out of memory building a record");
		return 0;
	}
	cJSON_AddItemToObject(r, key, item);
	return collector_emit(w->out, r) < 0 ? -2 : 0;
}

static int emit_session(watch *w, const sess *e, const char *op,
                        const char *reason)
{
	return emit(w, "session", sess_json(e, op, reason));
}

int watch_reset(watch *w)
{
	cJSON *o = cJSON_CreateObject();
	if (o && !cJSON_AddStringToObject(o, "op", "reset")) {
		cJSON_Delete(o);
		o = NULL;
	}
	return emit(w, "session", o);
}

static int emit_event(watch *w, const char *type, const sess *e, size_t prev)
{
	if (!w->listed)
		return 0;
	return emit(w, "event", sess_event_json(type, e, (double)w->tab.good,
	                                        (double)prev));
}

/* --- applying what was read ------------------------------------------------- */

/* A fresh read of a session key (s parsed, or s->bad with why). */
static int apply_read(watch *w, sess *s, const char *why)
{
	sess *e = sess_find(&w->tab, s->id);
	size_t prev = w->tab.good;
	if (s->bad && (!e || !e->bad))
		log_warn("key %s%s: %s; not listed", SESS_KEY_PREFIX, s->id, why);
	if (!e) {
		if (!(e = sess_put(&w->tab, s))) {
			if (!w->said_limit)
				log_warn("more than %zu session keys: the rest are not "
				         "listed (see --max-sessions)", w->tab.max);
			w->said_limit = 1;
			return 0;
		}
		e->mark = w->gen;
		if (e->bad)
			return 0;
		int r = emit_session(w, e, "added", NULL);
		return r ? r : emit_event(w, "session_created", e, prev);
	}
	int was_bad = e->bad, changed = sess_differs(e, s);
	sess_replace(&w->tab, e, s);
	e->mark = w->gen;
	if (was_bad && !e->bad) {
		int r = emit_session(w, e, "added", NULL);
		return r ? r : emit_event(w, "session_created", e, prev);
	}
	if (!was_bad && e->bad) /* no longer KATO's: off the list */
		return emit_session(w, e, "removed", "ended");
	return changed && !e->bad ? emit_session(w, e, "updated", NULL) : 0;
}

/* The key of id is gone: ended or expired. */
static int apply_gone(watch *w, const char *id, const char *reason)
{
	sess *e = sess_find(&w->tab, id);
	if (!e)
		return 0;
	if (e->bad) {
		sess_remove(&w->tab, id);
		return 0;
	}
	if (!reason)
		reason = e->expires_ms >= 0 &&
		                 e->expires_ms <= clock_wall_ms() + EXPIRY_SLACK_MS
		             ? "expired"
		             : "ended";
	size_t prev = w->tab.good;
	cJSON *sj = sess_json(e, "removed", reason);
	cJSON *ev = NULL;
	if (w->listed)
		ev = sess_event_json(strcmp(reason, "expired") ? "session_destroyed"
		                                               : "session_expired",
		                     e, (double)(prev - 1), (double)prev);
	sess_remove(&w->tab, id);
	int r = emit(w, "session", sj);
	if (!r && w->listed)
		r = emit(w, "event", ev);
	else
		cJSON_Delete(ev);
	return r;
}

/* --- reading keys ----------------------------------------------------------- */

/* A PTTL reply as milliseconds: -2 gone, -1 no expiry, else at most 100
 * years (a server's wilder figure would overflow the times built on it). */
static int64_t pttl_ms(const redisReply *t)
{
	if (t->integer < -2)
		return -1;
	return t->integer > 3153600000000LL ? 3153600000000LL : t->integer;
}

/* Read n keys (ids[i] their session ids): GETRANGE (the first max_value
 * bytes, one more to see a cut) and PTTL each, pipelined, and apply
 * them.  Returns 0, -1 with err, -2 stdout closed. */
static int read_keys(watch *w, const char *const *ids, size_t n,
                     char err[WATCH_ERR_LEN])
{
	redisContext *c = CMD(w);
	for (size_t i = 0; i < n; i++) {
		char key[sizeof SESS_KEY_PREFIX + SESS_ID_MAX];
		snprintf(key, sizeof key, SESS_KEY_PREFIX "%s", ids[i]);
		if (redisAppendCommand(c, "GETRANGE %s 0 %llu", key,
		                       (unsigned long long)w->max_value) ||
		    redisAppendCommand(c, "PTTL %s", key))
			return ctx_fail(w, c, "GETRANGE", err);
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		redisReply *v = NULL, *t = NULL;
		if (redisGetReply(c, (void **)&v) != REDIS_OK ||
		    redisGetReply(c, (void **)&t) != REDIS_OK) {
			if (v)
				freeReplyObject(v);
			return ctx_fail(w, c, "GETRANGE", err);
		}
		int64_t now = clock_wall_ms();
		int64_t pttl = t->type == REDIS_REPLY_INTEGER ? pttl_ms(t) : -1;
		if (rc == 0) {
			if (t->type == REDIS_REPLY_INTEGER && pttl == -2) {
				rc = apply_gone(w, ids[i], NULL);
			} else if (t->type != REDIS_REPLY_INTEGER) {
				rc = failf(w, err, "PTTL: %.200s",
				           t->type == REDIS_REPLY_ERROR ? t->str
				                                        : "not a number");
			} else {
				sess s = {0};
				char why[SESS_ERR_LEN] = "";
				int bad = 0;
				if (v->type == REDIS_REPLY_ERROR &&
				    strncmp(v->str, "WRONGTYPE", 9) == 0) {
					snprintf(why, sizeof why, "not a string key");
					bad = 1;
				} else if (v->type != REDIS_REPLY_STRING) {
					rc = failf(w, err, "GETRANGE: %.200s",
					           v->type == REDIS_REPLY_ERROR ? v->str
					                                        : "not a string");
				} else {
					size_t len = v->len;
					int cut = len > w->max_value;
					if (cut)
						len = w->max_value;
					bad = sess_parse(ids[i], v->str, len, cut, pttl, now, &s,
					                 why) < 0;
				}
				if (rc == 0 && bad) {
					memset(&s, 0, sizeof s);
					s.id = strdup(ids[i]);
					s.bad = 1;
					s.expires_ms = pttl >= 0 ? now + pttl : -1;
					s.ttl_ms = -1;
					if (!s.id)
						rc = failf(w, err, "out of memory");
				}
				if (rc == 0)
					rc = apply_read(w, &s, why);
				sess_clear(&s);
			}
		}
		freeReplyObject(v);
		freeReplyObject(t);
	}
	return rc;
}

/* Read ids in batches of BATCH. */
static int read_all(watch *w, const char *const *ids, size_t n,
                    char err[WATCH_ERR_LEN])
{
	for (size_t i = 0; i < n; i += BATCH) {
		int r = read_keys(w, ids + i, n - i < BATCH ? n - i : BATCH, err);
		if (r)
			return r;
	}
	return 0;
}

/* One SCAN page's keys: known ones whose expiry has not moved are only
 * marked seen; the others are read. */
static int scan_page(watch *w, redisReply *keys, uint64_t share,
                     char err[WATCH_ERR_LEN])
{
	redisContext *c = CMD(w);
	size_t n = keys->elements;
	const char **ids = calloc(n ? n : 1, sizeof *ids);
	sess **known = calloc(n ? n : 1, sizeof *known);
	size_t nread = 0, nknown = 0;
	int rc = 0;
	if (!ids || !known) {
		rc = failf(w, err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		redisReply *k = keys->element[i];
		const char *id = k->type == REDIS_REPLY_STRING
		                     ? sess_key_id(k->str, k->len)
		                     : NULL;
		if (!id || strlen(id) != k->len - (sizeof SESS_KEY_PREFIX - 1))
			continue; /* the node keys do not match; others are not ours */
		sess *e = sess_find(&w->tab, id);
		if (e && e->mark == w->gen)
			continue; /* SCAN may return a key twice */
		if (!e) {
			ids[nread++] = id;
			continue;
		}
		e->mark = w->gen;
		/* this tick's share of the known keys: entries stay put while
		 * they live, so their address picks a share that rotates */
		if (((uintptr_t)e / sizeof *e + w->gen) % share == 0)
			known[nknown++] = e;
	}
	/* PTTL of the known ones: a moved expiry means a touch or a rewrite */
	for (size_t i = 0; i < nknown; i++)
		if (redisAppendCommand(c, "PTTL " SESS_KEY_PREFIX "%s", known[i]->id)) {
			rc = ctx_fail(w, c, "PTTL", err);
			goto out;
		}
	const char **moved = calloc(nknown ? nknown : 1, sizeof *moved);
	size_t nmoved = 0;
	if (!moved) {
		rc = failf(w, err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nknown; i++) {
		redisReply *t = NULL;
		if (redisGetReply(c, (void **)&t) != REDIS_OK) {
			rc = ctx_fail(w, c, "PTTL", err);
			break;
		}
		if (t->type == REDIS_REPLY_INTEGER) {
			sess *e = known[i];
			int64_t p = pttl_ms(t);
			int64_t exp = p >= 0 ? clock_wall_ms() + p : -1;
			int64_t d = exp - e->expires_ms;
			if (p == -2 || (exp < 0) != (e->expires_ms < 0) || d > 100 ||
			    d < -100)
				moved[nmoved++] = e->id; /* read again (or found gone) */
			else if (p >= 0)
				e->ttl_ms = p;
		}
		freeReplyObject(t);
	}
	if (rc == 0)
		rc = read_all(w, moved, nmoved, err);
	free(moved);
	if (rc == 0)
		rc = read_all(w, ids, nread, err);
out:
	free(ids);
	free(known);
	return rc;
}

typedef struct gone_list {
	char **ids;
	size_t n, cap;
	uint64_t gen;
	int oom;
} gone_list;

static void collect_gone(sess *e, void *arg)
{
	gone_list *g = arg;
	if (e->mark == g->gen || g->oom)
		return;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		char **ids = realloc(g->ids, cap * sizeof *ids);
		if (!ids) {
			g->oom = 1;
			return;
		}
		g->ids = ids;
		g->cap = cap;
	}
	if (!(g->ids[g->n] = strdup(e->id)))
		g->oom = 1;
	else
		g->n++;
}

/* The whole list by SCAN, compared with the table; every known key's
 * PTTL (all: after a reconnect) or this tick's share of them. */
static int full_scan(watch *w, int all, char err[WATCH_ERR_LEN])
{
	int64_t t0 = clock_mono_ns();
	w->gen++;
	uint64_t share = all ? 1 : (w->tab.good + PTTL_BUDGET - 1) / PTTL_BUDGET;
	if (share < 1)
		share = 1;
	char cursor[32] = "0";
	int rc = 0;
	do {
		redisReply *r = command(w, CMD(w), "SCAN", err,
		                        "SCAN %s MATCH %s COUNT %d", cursor,
		                        SESS_KEY_MATCH, SCAN_COUNT);
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof cursor ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return failf(w, err, "SCAN: answer is not a cursor and keys");
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
		rc = scan_page(w, r->element[1], share, err);
		freeReplyObject(r);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	if (rc)
		return rc;

	gone_list g = {.gen = w->gen};
	sess_each(&w->tab, collect_gone, &g);
	if (g.oom)
		rc = failf(w, err, "out of memory");
	for (size_t i = 0; i < g.n; i++) {
		if (rc == 0)
			rc = apply_gone(w, g.ids[i], NULL);
		free(g.ids[i]);
	}
	free(g.ids);
	w->scan_ms = (double)(clock_mono_ns() - t0) / 1e6;
	return rc;
}

/* --- notifications ----------------------------------------------------------- */

/* Whether flags (notify-keyspace-events) cover what we need: keyspace
 * channels (K) for generic (g: del, expire), string ($: set) and expired
 * (x) events; A means all of g$lshzxet. */
static const char *missing_flags(const char *flags, char *buf, size_t len)
{
	int all = strchr(flags, 'A') != NULL;
	size_t n = 0;
	const char *need = "K$gx";
	for (const char *p = need; *p; p++)
		if (!strchr(flags, *p) && (*p == 'K' || !all) && n + 1 < len)
			buf[n++] = *p;
	buf[n] = '\0';
	return buf;
}

/* Find out (and with --enable-notifications set) the server's
 * notify-keyspace-events. */
static int check_notif(watch *w, char err[WATCH_ERR_LEN])
{
	char why[300] = "";
	redisReply *r = redisCommand(CMD(w), "CONFIG GET notify-keyspace-events");
	if (!r)
		return ctx_fail(w, CMD(w), "CONFIG GET", err);
	enum notif st = NOTIF_UNKNOWN;
	char flags[64] = "", miss[8] = "";
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[1]->len < sizeof flags) {
		memcpy(flags, r->element[1]->str, r->element[1]->len + 1);
		st = missing_flags(flags, miss, sizeof miss)[0] ? NOTIF_OFF : NOTIF_ON;
	} else {
		snprintf(why, sizeof why, "%.200s",
		         r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
	}
	freeReplyObject(r);

	if (st == NOTIF_OFF && w->enable_notif) {
		char want[80];
		snprintf(want, sizeof want, "%s%s", flags, miss);
		redisReply *s = command(w, CMD(w), "CONFIG SET", err,
		                        "CONFIG SET notify-keyspace-events %s", want);
		if (!s)
			return -1;
		freeReplyObject(s);
		log_info("turned keyspace notifications on: notify-keyspace-events "
		         "\"%s\" (was \"%s\")", want, flags);
		st = NOTIF_ON;
	} else if (st == NOTIF_UNKNOWN && w->enable_notif) {
		return failf(w, err, "--enable-notifications: CONFIG GET: %s", why);
	}
	w->notif = st;
	if (!w->quiet && (!w->said_notif || w->said_state != st)) {
		if (st == NOTIF_OFF)
			log_warn("keyspace notifications are off on %s "
			         "(notify-keyspace-events \"%s\" lacks \"%s\"): finding "
			         "changes with a SCAN every tick instead (start Redis with "
			         "notify-keyspace-events K$gx, or give "
			         "--enable-notifications)",
			         w->url->display, flags, miss);
		else if (st == NOTIF_UNKNOWN)
			log_warn("cannot read notify-keyspace-events on %s (%s): "
			         "listening for notifications and checking with a SCAN "
			         "every tick", w->url->display, why);
		else if (w->said_notif)
			log_info("keyspace notifications are on: changes as they happen");
	}
	w->said_notif = 1;
	w->said_state = st;
	return 0;
}

static int subscribe(watch *w, char err[WATCH_ERR_LEN])
{
	redisContext *s = open_one(w, 0, err);
	if (!s)
		return -1;
	w->sub = s;
	char pat[64];
	snprintf(pat, sizeof pat, "__keyspace@%d__:%s", w->url->db, SESS_KEY_MATCH);
	redisReply *r = redisCommand(s, "PSUBSCRIBE %s", pat);
	if (!r)
		return ctx_fail(w, s, "PSUBSCRIBE", err);
	if (r->type == REDIS_REPLY_ERROR) {
		/* an ACL without the channel: no notifications, SCAN instead */
		log_warn("cannot subscribe to %s on %s (%.200s): finding changes with "
		         "a SCAN every tick instead", pat, w->url->display, r->str);
		freeReplyObject(r);
		redisFree(s);
		w->sub = NULL;
		w->notif = NOTIF_OFF;
		return 0;
	}
	freeReplyObject(r);
	return 0;
}

/* The first list is empty: say whether this looks like KATO's Redis at
 * all (DBSIZE; a user not allowed it is told nothing more). */
static void say_empty(watch *w)
{
	redisReply *r = redisCommand(CMD(w), "DBSIZE");
	if (r && r->type == REDIS_REPLY_INTEGER)
		log_warn("no session keys (%s) in database %d of %s, %s: is "
		         "REDIS_URL KATO's Redis and database?",
		         SESS_KEY_MATCH, w->url->db, w->url->display,
		         r->integer ? "which holds other keys" : "which is empty");
	if (r)
		freeReplyObject(r);
}

int watch_connect(watch *w, int subscribe_too, char err[WATCH_ERR_LEN])
{
	watch_drop(w);
	if (!(w->cmd = open_one(w, 1, err)))
		return -1;
	int r = check_notif(w, err);
	if (r == 0 && subscribe_too && w->notif != NOTIF_OFF)
		r = subscribe(w, err);
	if (r == 0)
		r = full_scan(w, 1, err);
	if (r == -1) {
		watch_drop(w);
		return -1;
	}
	if (r == 0 && !w->listed && w->tab.n == 0 && !w->quiet)
		say_empty(w);
	if (r == 0) {
		w->connected = 1;
		w->listed = 1;
	}
	return r;
}

int watch_tick(watch *w, char err[WATCH_ERR_LEN])
{
	if (!w->connected)
		return failf(w, err, "not connected");
	int r;
	if (w->notif == NOTIF_ON && ++w->ticks % RESYNC_TICKS != 0) {
		redisReply *p = command(w, CMD(w), "PING", err, "PING");
		r = p ? 0 : -1;
		if (p)
			freeReplyObject(p);
	} else if (w->notif == NOTIF_ON) {
		/* now and then, check that notifications are still on, and
		 * the list against a SCAN: Redis does not resend what a
		 * subscriber missed */
		r = check_notif(w, err);
		if (r == 0)
			r = full_scan(w, 0, err);
	} else {
		r = full_scan(w, 0, err);
	}
	if (r == -1)
		watch_drop(w);
	return r;
}

/* The key in a keyspace channel "__keyspace@DB__:KEY", or NULL. */
static const char *channel_key(const redisReply *ch, size_t *len)
{
	if (ch->type != REDIS_REPLY_STRING || strncmp(ch->str, "__keyspace@", 11))
		return NULL;
	const char *k = strstr(ch->str + 11, "__:");
	if (!k)
		return NULL;
	k += 3;
	*len = ch->len - (size_t)(k - ch->str);
	return k;
}

/* KATO read session e: its TTL slid (EXPIRE).  Only the PTTL is read. */
static int touched(watch *w, sess *e, char err[WATCH_ERR_LEN])
{
	redisReply *t = command(w, CMD(w), "PTTL", err, "PTTL " SESS_KEY_PREFIX "%s",
	                        e->id);
	if (!t)
		return -1;
	int64_t p = t->type == REDIS_REPLY_INTEGER ? pttl_ms(t) : -1;
	freeReplyObject(t);
	if (p == -2) /* gone since: its del or expired notification follows */
		return 0;
	sess n = *e;
	n.ttl_ms = p;
	n.expires_ms = p >= 0 ? clock_wall_ms() + p : -1;
	if (!sess_differs(e, &n))
		return 0;
	e->ttl_ms = n.ttl_ms;
	e->expires_ms = n.expires_ms;
	return emit_session(w, e, "updated", NULL);
}

/* One notification: ["pmessage", pattern, channel, event]. */
static int on_message(watch *w, redisReply *m, char err[WATCH_ERR_LEN])
{
	if (m->type != REDIS_REPLY_ARRAY || m->elements != 4 ||
	    m->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(m->element[0]->str, "pmessage") ||
	    m->element[3]->type != REDIS_REPLY_STRING)
		return 0;
	size_t klen;
	const char *key = channel_key(m->element[2], &klen);
	const char *id = key ? sess_key_id(key, klen) : NULL;
	if (!id || strlen(id) != klen - (sizeof SESS_KEY_PREFIX - 1))
		return 0;
	const char *ev = m->element[3]->str;
	if (!strcmp(ev, "del") || !strcmp(ev, "evicted") ||
	    !strcmp(ev, "rename_from"))
		return apply_gone(w, id, "ended");
	if (!strcmp(ev, "expired"))
		return apply_gone(w, id, "expired");
	if (strcmp(ev, "set") && strcmp(ev, "expire") && strcmp(ev, "persist") &&
	    strcmp(ev, "rename_to") && strcmp(ev, "setrange") &&
	    strcmp(ev, "append"))
		return 0;
	sess *e = sess_find(&w->tab, id);
	if (e && !e->bad && !strcmp(ev, "expire"))
		return touched(w, e, err); /* the value is as it was */
	int known = e != NULL;
	const char *ids[1] = {id};
	int r = read_keys(w, ids, 1, err);
	if (r || known || strcmp(ev, "set") || sess_find(&w->tab, id))
		return r;
	/* Set, then gone before we read it (created and deleted in one
	 * breath): the session existed, with nothing known but its id.  Its
	 * del or expired notification is queued behind this one. */
	sess s = {.created_ms = -1, .accessed_ms = -1, .expires_ms = -1,
	          .ttl_ms = -1, .access_count = -1};
	if (!(s.id = strdup(id)))
		return failf(w, err, "out of memory");
	r = apply_read(w, &s, "");
	sess_clear(&s);
	return r;
}

int watch_notified(watch *w, char err[WATCH_ERR_LEN])
{
	redisContext *s = SUB(w);
	if (!s)
		return 0;
	int rc = 0;
	if (redisBufferRead(s) != REDIS_OK) {
		rc = ctx_fail(w, s, "subscription", err);
	} else {
		void *m;
		while (rc == 0) {
			m = NULL;
			if (redisGetReplyFromReader(s, &m) != REDIS_OK) {
				rc = ctx_fail(w, s, "subscription", err);
				break;
			}
			if (!m)
				break;
			rc = on_message(w, m, err);
			freeReplyObject(m);
		}
	}
	if (rc == -1)
		watch_drop(w);
	return rc;
}
