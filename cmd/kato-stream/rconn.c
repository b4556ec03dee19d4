/* rconn.c - see rconn.h. */
#include "rconn.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "sig.h"

void rconn_init(rconn *r, const rurl *u, int sigfd, int timeout_ms)
{
	memset(r, 0, sizeof *r);
	r->url = *u;
	r->sigfd = sigfd;
	r->timeout_ms = timeout_ms;
	r->where = r->url.display;
}

void rconn_close(rconn *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
}

/* Wait for fd to be ready for ev, or a stop signal, up to ms.  Returns 1
 * ready, 0 timed out, -1 stopped (r->stop set). */
static int wait_fd(rconn *r, int fd, short ev, int ms)
{
	int64_t deadline = clock_mono_ms() + ms;
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left < 0)
			return 0;
		struct pollfd p[2] = {{.fd = fd, .events = ev},
		                      {.fd = r->sigfd, .events = POLLIN}};
		int n = poll(p, r->sigfd >= 0 ? 2 : 1, (int)left);
		if (n < 0 && errno != EINTR)
			return 0;
		if (n > 0 && r->sigfd >= 0 && (p[1].revents & POLLIN)) {
			int s;
			while ((s = sig_read(r->sigfd)) > 0)
				if (sig_is_stop(s)) {
					r->stop = s;
					return -1;
				}
		}
		if (n > 0 && p[0].revents)
			return 1;
	}
}

/* Fill err from the context's error and close it. */
static void ctx_fail(rconn *r, const char *what, char err[RC_ERR_LEN])
{
	snprintf(err, RC_ERR_LEN, "%s %s: %s", what, r->where,
	         r->c && r->c->errstr[0] ? r->c->errstr : "connection lost");
	rconn_close(r);
}

redisReply *rconn_cmd(rconn *r, int argc, const char **argv,
                      const size_t *lens, int wait_ms, char err[RC_ERR_LEN])
{
	if (!r->c) {
		snprintf(err, RC_ERR_LEN, "%s: not connected", r->where);
		return NULL;
	}
	if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK) {
		ctx_fail(r, "send to", err);
		return NULL;
	}
	int done = 0;
	while (!done) {
		if (redisBufferWrite(r->c, &done) != REDIS_OK) {
			ctx_fail(r, "send to", err);
			return NULL;
		}
		if (!done) {
			int w = wait_fd(r, r->c->fd, POLLOUT, r->timeout_ms);
			if (w <= 0)
				goto waited;
		}
	}
	int64_t deadline = clock_mono_ms() + wait_ms;
	for (;;) {
		void *reply = NULL;
		if (redisGetReplyFromReader(r->c, &reply) != REDIS_OK) {
			ctx_fail(r, "read from", err);
			return NULL;
		}
		if (reply)
			return reply;
		int64_t left = deadline - clock_mono_ms();
		int w = left > 0 ? wait_fd(r, r->c->fd, POLLIN, (int)left) : 0;
		if (w <= 0)
			goto waited;
		if (redisBufferRead(r->c) != REDIS_OK) {
			ctx_fail(r, "read from", err);
			return NULL;
		}
	}
waited:
	if (r->stop)
		snprintf(err, RC_ERR_LEN, "stopped by signal %d", r->stop);
	else
		snprintf(err, RC_ERR_LEN, "%s: no answer within %d ms", r->where,
		         wait_ms > r->timeout_ms ? wait_ms : r->timeout_ms);
	rconn_close(r);
	return NULL;
}

redisReply *rconn_cmdv(rconn *r, char err[RC_ERR_LEN], int argc, ...)
{
	const char *argv[16];
	size_t lens[16];
	if (argc > 16)
		argc = 16;
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++) {
		argv[i] = va_arg(ap, const char *);
		lens[i] = strlen(argv[i]);
	}
	va_end(ap);
	return rconn_cmd(r, argc, argv, lens, r->timeout_ms, err);
}

/* An error reply as "what: Redis says ...", freeing it. */
static void reply_err(redisReply *rep, const char *what, char err[RC_ERR_LEN])
{
	snprintf(err, RC_ERR_LEN, "%s: Redis says: %.*s", what,
	         rep->str ? (int)(rep->len > 300 ? 300 : rep->len) : 0,
	         rep->str ? rep->str : "");
	freeReplyObject(rep);
}

int rconn_open(rconn *r, char err[RC_ERR_LEN])
{
	rconn_close(r);
	r->stop = 0;
	struct timeval tv = {.tv_sec = r->timeout_ms / 1000,
	                     .tv_usec = (r->timeout_ms % 1000) * 1000};
	r->c = r->url.path[0] ? redisConnectUnixWithTimeout(r->url.path, tv)
	                      : redisConnectWithTimeout(r->url.host, r->url.port, tv);
	if (!r->c) {
		snprintf(err, RC_ERR_LEN, "connect to %s: out of memory", r->where);
		return -1;
	}
	if (r->c->err) {
		ctx_fail(r, "connect to", err);
		return -1;
	}
	redisReply *rep;
	if (r->url.has_pass) { /* as kato-sessions: an empty one too */
		rep = r->url.user[0] ? rconn_cmdv(r, err, 3, "AUTH", r->url.user, r->url.pass)
		                     : rconn_cmdv(r, err, 2, "AUTH", r->url.pass);
		if (!rep)
			return -1;
		if (rep->type == REDIS_REPLY_ERROR) {
			char what[480];
			snprintf(what, sizeof what, "log in to %s", r->where);
			reply_err(rep, what, err);
			rconn_close(r);
			return -1;
		}
		freeReplyObject(rep);
	}
	if (r->url.db) {
		char db[16];
		snprintf(db, sizeof db, "%d", r->url.db);
		if (!(rep = rconn_cmdv(r, err, 2, "SELECT", db)))
			return -1;
		if (rep->type == REDIS_REPLY_ERROR) {
			char what[480];
			snprintf(what, sizeof what, "select database %d on %s", r->url.db,
			         r->where);
			reply_err(rep, what, err);
			rconn_close(r);
			return -1;
		}
		freeReplyObject(rep);
	}
	/* A server that wants a password says so on the first real command. */
	if (!(rep = rconn_cmdv(r, err, 1, "PING")))
		return -1;
	if (rep->type == REDIS_REPLY_ERROR) {
		char what[480];
		snprintf(what, sizeof what, "use %s", r->where);
		reply_err(rep, what, err);
		rconn_close(r);
		return -1;
	}
	freeReplyObject(rep);
	return 0;
}

int rid_valid(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 20)
		return 0;
	if (!s[n])
		return 1;
	if (s[n] != '-')
		return 0;
	size_t m = strspn(s + n + 1, "0123456789");
	return m > 0 && m <= 20 && !s[n + 1 + m];
}

int rentry(const redisReply *e, char id[RS_ID_LEN], const char **line,
           size_t *len)
{
	id[0] = 0;
	*line = NULL;
	*len = 0;
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= RS_ID_LEN)
		return -1;
	memcpy(id, e->element[0]->str, e->element[0]->len);
	id[e->element[0]->len] = 0;
	if (!rid_valid(id)) {
		id[0] = 0;
		return -1;
	}
	const redisReply *f = e->element[1];
	if (f->type != REDIS_REPLY_ARRAY)
		return -2;
	int marked = 0;
	for (size_t i = 0; i + 1 < f->elements; i += 2) {
		const redisReply *k = f->element[i], *v = f->element[i + 1];
		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (k->len == 2 && !memcmp(k->str, RS_MARK, 2) &&
		    v->len == 1 && v->str[0] == RS_MARK_VALUE[0])
			marked = 1;
		else if (k->len == 4 && !memcmp(k->str, RS_LINE, 4)) {
			*line = v->str;
			*len = v->len;
		}
	}
	if (!marked || !*line) {
		*line = NULL;
		*len = 0;
		return -2;
	}
	return 0;
}

int rstream_check(rconn *r, const char *key, char err[RC_ERR_LEN])
{
	redisReply *rep = rconn_cmdv(r, err, 2, "TYPE", key);
	if (!rep)
		return -1;
	if (rep->type == REDIS_REPLY_ERROR) {
		reply_err(rep, "TYPE", err);
		return -1;
	}
	int is_stream = rep->type == REDIS_REPLY_STATUS && rep->str &&
	                !strcmp(rep->str, "stream");
	int is_none = rep->type == REDIS_REPLY_STATUS && rep->str &&
	              !strcmp(rep->str, "none");
	if (!is_stream && !is_none) {
		snprintf(err, RC_ERR_LEN, "key '%s' on %s is not our stream: it is a %.40s",
		         key, r->where, rep->str ? rep->str : "value of unknown type");
		freeReplyObject(rep);
		return -2;
	}
	freeReplyObject(rep);
	if (is_none)
		return 0;
	if (!(rep = rconn_cmdv(r, err, 6, "XREVRANGE", key, "+", "-", "COUNT", "1")))
		return -1;
	if (rep->type == REDIS_REPLY_ERROR) {
		reply_err(rep, "XREVRANGE", err);
		return -1;
	}
	int rc = 0;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
		char id[RS_ID_LEN];
		const char *line;
		size_t len;
		if (rentry(rep->element[0], id, &line, &len) != 0) {
			snprintf(err, RC_ERR_LEN, "stream '%s' on %s is not ours: its "
			         "newest entry %s has no %s=%s and %s fields", key,
			         r->where, id[0] ? id : "(bad id)", RS_MARK, RS_MARK_VALUE,
			         RS_LINE);
			rc = -2;
		}
	}
	freeReplyObject(rep);
	return rc;
}
