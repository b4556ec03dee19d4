/* kato-stream - carry an NDJSON stream through a Redis Stream.
 *
 *   kato-stream put STREAM   each stdin line XADDed (MAXLEN ~ N) as the
 *                            fields kl=1 line=<the line>
 *   kato-stream get STREAM   the lines of the stream on stdout, followed
 *                            with XREAD BLOCK from the last id written
 *
 * get remembers the id of the last entry it wrote and, after Redis or the
 * network comes back, asks for the entries after exactly that id: none is
 * written twice and none is skipped (unless MAXLEN trimmed it meanwhile).
 * Stream ids are Redis' own clock, so --since asks Redis for the time.
 *
 * Neither side ever exits because Redis is down, refuses the password or
 * holds something else under the name: it says so once on stderr and
 * tries again with backoff.  put holds the lines that arrive meanwhile in
 * a bounded queue and adds them, in order, when Redis is back; it never
 * holds up the pipeline that feeds it (the oldest lines go first).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "js.h"
#include "log.h"
#include "ndj.h"
#include "opt.h"
#include "rconn.h"
#include "sig.h"

#define DEFAULT_URL "redis://127.0.0.1:6379"
#define DEFAULT_STREAM "kato-live"
#define DEFAULT_MAXLEN 2400L /* two hours of 3-second frames, or one with as many events */
#define READ_COUNT "16"      /* entries per XREAD: bounds one reply's size */
#define BLOCK_MS 5000        /* XREAD BLOCK: how long one wait lasts */

static const char usage_text[] =
    "usage: kato-stream put [--url URL] [--maxlen N] [--queue N] [--timeout SECONDS]\n"
    "                       [STREAM]\n"
    "       kato-stream get [--url URL] [--since MINUTES | --from-id ID]\n"
    "                       [--timeout SECONDS] [STREAM]\n"
    "\n"
    "put: add each NDJSON line on stdin to the Redis Stream STREAM.\n"
    "get: write the lines of STREAM on stdout as they are added, resuming\n"
    "after the last one written when Redis comes back.\n"
    "\n"
    "  -u, --url URL          Redis: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]\n"
    "                         or unix://[[USER]:PASSWORD@]/PATH[?db=DB]\n"
    "                         (default $REDIS_URL, else " DEFAULT_URL ")\n"
    "  -m, --maxlen N         put: keep about N entries (default 2400,\n"
    "                         $KATO_LIVE_STREAM_MAXLEN)\n"
    "  -q, --queue N          put: hold up to N lines (64 MiB at most) while\n"
    "                         Redis cannot take them, oldest dropped first\n"
    "                         (default 1000; 0: drop at once)\n"
    "  -s, --since MINUTES    get: start with the entries of the last MINUTES\n"
    "  -f, --from-id ID       get: start after the entry ID\n"
    "  -t, --timeout SECONDS  connecting and each command (default 2)\n"
    "  -h, --help             show this text\n"
    "\n"
    "STREAM defaults to $KATO_LIVE_STREAM, else " DEFAULT_STREAM ".\n";

/* Says what goes wrong once, not once per retry, and when it ends. */
typedef struct trouble {
	char last[RC_ERR_LEN]; /* the error last logged, or "" while all is well */
	unsigned long dropped; /* lines put could not add meanwhile */
} trouble;

static void trouble_note(trouble *t, const char *err)
{
	if (strcmp(err, t->last) != 0)
		log_warn("%s (retrying)", err);
	snprintf(t->last, sizeof t->last, "%s", err);
}

static void trouble_over(trouble *t, const rconn *r, const char *what)
{
	if (!t->last[0])
		return;
	if (t->dropped)
		log_info("%s %s again (%lu lines dropped meanwhile)", what, r->where,
		         t->dropped);
	else
		log_info("%s %s again", what, r->where);
	t->last[0] = 0;
	t->dropped = 0;
}

/* Nonzero if line is one JSON object on one line. */
static int line_ok(const char *line, size_t len, char *why, size_t n)
{
	if (len > NDJ_LINE_MAX) {
		snprintf(why, n, "longer than %u bytes", NDJ_LINE_MAX);
		return 0;
	}
	if (memchr(line, '\n', len) || memchr(line, '\0', len)) {
		snprintf(why, n, "holds a newline or NUL byte");
		return 0;
	}
	cJSON *j = js_parse(line, len, why, n);
	int ok = j && cJSON_IsObject(j);
	if (j && !ok)
		snprintf(why, n, "not a JSON object");
	cJSON_Delete(j);
	return ok;
}

/* Connect and check the key.  Returns 0, or -1 with err. */
static int open_stream(rconn *r, const char *key, char err[RC_ERR_LEN])
{
	if (rconn_open(r, err) < 0)
		return -1;
	if (rstream_check(r, key, err) < 0) {
		rconn_close(r);
		return -1;
	}
	return 0;
}

/* --- put ---------------------------------------------------------------- */

#define QUEUE_DEFAULT 1000L     /* lines held while Redis cannot take them */
#define QUEUE_BYTES (64u << 20) /* and at most this many bytes of them */

typedef struct pending {
	char *s;      /* one line, malloc'd */
	size_t len;   /* its length */
	uint64_t seq; /* its number in this put's input, for RS_PUTSEQ */
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
	free(e->s);
	e->s = NULL;
	p->head = (p->head + 1) % p->qcap;
	p->qn--;
	if (dropped)
		p->t.dropped++;
}

/* Queue a copy of line; the oldest lines make room (and are counted as
 * dropped) when the queue is full. */
static void q_push(putter *p, const char *line, size_t len)
{
	if (p->qcap == 0) {
		p->t.dropped++;
		return;
	}
	while (p->qn && (p->qn == p->qcap || p->qbytes + len > QUEUE_BYTES))
		q_pop(p, 1);
	char *c = malloc(len + 1);
	if (!c) {
		p->t.dropped++;
		return;
	}
	memcpy(c, line, len);
	c[len] = 0;
	p->q[(p->head + p->qn) % p->qcap] = (pending){c, len, ++p->seq};
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
	while (p->qn) {
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
			if (!p->qn) { /* the line had landed */
				trouble_over(&p->t, p->r, "adding to");
				break;
			}
		}
		const pending *e = &p->q[p->head];
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
				q_pop(p, 1);
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

static int run_put(rconn *r, const char *key, long maxlen, long queue)
{
	putter p = {.r = r, .key = key, .qcap = (size_t)queue};
	/* Unique enough: a restarted put never mistakes its own new line for
	 * an old one (same seq, other name). */
	snprintf(p.inst, sizeof p.inst, "%lx%04lx", (unsigned long)clock_wall_ms(),
	         (unsigned long)getpid() & 0xffff);
	snprintf(p.maxlen, sizeof p.maxlen, "%ld", maxlen);
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
			if (!line_ok(line, len, why, sizeof why)) {
				log_warn("stdin line %lu: %s, skipped", in.lineno, why);
				continue;
			}
			q_push(&p, line, len);
			if (put_flush(&p) < 0)
				goto out;
		}
		if (st == NDJ_EOF)
			break;
		/* While lines wait for Redis, wake up for the next attempt. */
		int tmo = -1;
		if (p.qn) {
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
	ndj_reader_free(&in);
	return rc;
}

/* --- get ---------------------------------------------------------------- */

typedef struct getter {
	rconn *r;
	const char *key;
	char last[RS_ID_LEN]; /* id of the last entry written (or the start), "" unset */
	double since_min;     /* --since, or < 0 */
	unsigned long foreign; /* entries without our marker in a row */
	trouble t;
} getter;

/* Where to start when nothing was given: after the newest entry (or, with
 * --since, after Redis' time minus MINUTES).  Returns 0 or -1 with err. */
static int get_start(getter *g, char err[RC_ERR_LEN])
{
	redisReply *rep;
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

static int run_get(rconn *r, const char *key, double since_min, const char *from_id)
{
	getter g = {.r = r, .key = key, .since_min = since_min};
	if (from_id)
		snprintf(g.last, sizeof g.last, "%s", from_id);
	backoff b;
	backoff_init(&b, 250, 30000);
	char err[RC_ERR_LEN];
	for (;;) {
		int rc = 1;
		if (!r->c) {
			if (open_stream(r, key, err) == 0 && (g.last[0] || get_start(&g, err) == 0)) {
				trouble_over(&g.t, r, "reading from");
				rc = 0;
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

/* --- main --------------------------------------------------------------- */

static long count_opt(const char *name, const char *v, long min)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > 100000000)
		log_usage("bad %s '%s': want a number from %ld to 100000000", name, v, min);
	return n;
}

static double minutes_opt(const char *v)
{
	char *end;
	double m = strtod(v, &end);
	if (!*v || *end || !(m >= 0 && m <= 525600))
		log_usage("bad --since '%s': want minutes from 0 to 525600", v);
	return m;
}

static const char *stream_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200)
		log_usage("bad STREAM '%.40s': want 1 to 200 characters", s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			log_usage("bad STREAM name: no spaces or control characters");
	return s;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return KL_EXIT_OK;
	}
	if (argc < 2)
		log_usage("missing put or get");
	int put = !strcmp(argv[1], "put");
	if (!put && strcmp(argv[1], "get"))
		log_usage("unknown command '%.40s': want put or get", argv[1]);

	const char *v;
	const char *url = (v = cfg_get("REDIS_URL")) && *v ? v : DEFAULT_URL;
	long maxlen = DEFAULT_MAXLEN;
	if ((v = cfg_get("KATO_LIVE_STREAM_MAXLEN")) && *v)
		maxlen = count_opt("KATO_LIVE_STREAM_MAXLEN", v, 1);
	double since = -1;
	const char *from_id = NULL;
	int64_t timeout = 2000000000LL;
	int maxlen_given = 0;
	long queue = QUEUE_DEFAULT;
	int queue_given = 0;

	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"maxlen", required_argument, NULL, 'm'},
	    {"queue", required_argument, NULL, 'q'},
	    {"since", required_argument, NULL, 's'},
	    {"from-id", required_argument, NULL, 'f'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	optind = 2;
	while ((o = getopt_long(argc, argv, "u:m:q:s:f:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u': url = optarg; break;
		case 'm':
			maxlen = count_opt("--maxlen", optarg, 1);
			maxlen_given = 1;
			break;
		case 'q':
			queue = count_opt("--queue", optarg, 0);
			queue_given = 1;
			break;
		case 's': since = minutes_opt(optarg); break;
		case 'f':
			if (!rid_valid(optarg))
				log_usage("bad --from-id '%.40s': want a stream id, MS or MS-SEQ", optarg);
			from_id = optarg;
			break;
		case 't': timeout = opt_seconds("--timeout", optarg); break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (put && (since >= 0 || from_id))
		log_usage("--since and --from-id are for get");
	if (!put && (maxlen_given || queue_given))
		log_usage("--maxlen and --queue are for put");
	if (since >= 0 && from_id)
		log_usage("--since and --from-id exclude each other");
	const char *key = (v = cfg_get("KATO_LIVE_STREAM")) && *v ? v : DEFAULT_STREAM;
	if (optind < argc)
		key = argv[optind++];
	if (optind < argc)
		log_usage("unexpected argument '%.40s'", argv[optind]);
	stream_name(key);

	rurl u;
	char err[RC_ERR_LEN];
	if (rurl_parse(url, &u, err) < 0)
		log_usage("%s", err);
	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s", strerror(errno));
	rconn r;
	rconn_init(&r, &u, sigfd, (int)(timeout / 1000000));
	int rc = put ? run_put(&r, key, maxlen, queue) : run_get(&r, key, since, from_id);
	rconn_close(&r);
	/* The password lived in u and r.url: leave no copy behind. */
	explicit_bzero(&u, sizeof u);
	explicit_bzero(&r.url, sizeof r.url);
	cfg_free();
	close(sigfd);
	return rc;
}
