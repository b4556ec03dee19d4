#include "hubsnap.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "hubsock.h"
#include "js.h"
#include "ndj.h"

#define READ_CHUNK 65536 /* bytes read at once: only what lines need is touched */

void hubsnap_free(hubsnap *s)
{
	cJSON_Delete(s->frame);
	cJSON_Delete(s->legacy);
	cJSON_Delete(s->alerts);
	cJSON_Delete(s->sessions);
	s->frame = s->legacy = s->alerts = s->sessions = NULL;
}

/* Called with each line of the hub's answer; returns nonzero to stop
 * reading (all that is wanted has come). */
typedef int (*line_fn)(void *ctx, const char *line, size_t len);

/* Connect to the hub at path with the hello mode and hand each line of
 * its answer to fn, until the hub closes or fn says stop, within
 * timeout_ms; a line may be max_line bytes long.  Returns an enum
 * hubsnap_status. */
static int each_line(const char *path, const char *mode, int timeout_ms,
                     size_t max_line, line_fn fn, void *ctx,
                     char err[HUBSNAP_ERR_LEN])
{
	char cerr[HUBSOCK_ERR_LEN];
	int fd = hubsock_connect(path, mode, cerr);
	if (fd < 0) {
		snprintf(err, HUBSNAP_ERR_LEN, "%s", cerr);
		return HUBSNAP_DOWN;
	}
	ndj_reader r;
	if (ndj_reader_init(&r, fd, max_line) < 0) {
		close(fd);
		snprintf(err, HUBSNAP_ERR_LEN, "out of memory");
		return HUBSNAP_FAIL;
	}
	r.chunk = READ_CHUNK;
	int rc = HUBSNAP_OK;
	int64_t deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		char *line;
		size_t len;
		enum ndj_status st = ndj_next(&r, &line, &len);
		if (st == NDJ_EOF)
			break;
		if (st == NDJ_LINE) {
			if (len && fn(ctx, line, len))
				break;
			continue;
		}
		if (st == NDJ_TOOLONG) {
			snprintf(err, HUBSNAP_ERR_LEN,
			         "read from %s: a line of the hub's %s answer is "
			         "longer than %zu bytes", path, mode, max_line);
			rc = HUBSNAP_FAIL;
			break;
		}
		/* NDJ_AGAIN: wait for more, until the deadline */
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			snprintf(err, HUBSNAP_ERR_LEN,
			         "read from %s: the hub sent no end of its %s "
			         "answer within %d ms", path, mode, timeout_ms);
			rc = HUBSNAP_FAIL;
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, HUBSNAP_ERR_LEN, "poll: %s", strerror(errno));
			rc = HUBSNAP_FAIL;
			break;
		}
		if (n == 0)
			continue; /* the deadline check above ends it */
		if (ndj_fill(&r) < 0 && errno != EINTR) {
			snprintf(err, HUBSNAP_ERR_LEN, "read from %s: %s", path,
			         strerror(errno));
			rc = HUBSNAP_FAIL;
			break;
		}
	}
	ndj_reader_free(&r);
	close(fd);
	return rc;
}

/* A retained session_update, for hubsnap_fetch_sessions: its session
 * goes on the list.  The hub keeps one per session id and drops a
 * session's on "removed", so the list needs no search here (10,000
 * sessions stay linear); past HUBSNAP_SESSIONS_MAX the rest are counted
 * in s->sessions_over, not kept. */
static void keep_session(hubsnap *s, cJSON *j)
{
	const char *op = js_str(j, "op");
	if (!op || !strcmp(op, "removed"))
		return;
	if (s->nsessions >= HUBSNAP_SESSIONS_MAX) {
		s->sessions_over++;
		return;
	}
	cJSON *sess = cJSON_DetachItemFromObjectCaseSensitive(j, "session");
	if (!cJSON_IsObject(sess) || !js_str(sess, "session_id") ||
	    (!s->sessions && !(s->sessions = cJSON_CreateArray()))) {
		cJSON_Delete(sess);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(sess, "op");
	cJSON_AddItemToArray(s->sessions, sess);
	s->nsessions++;
}

/* Keep one line of a snap if it is a message we answer from.  The hub
 * sends the keyed session_update messages last (after every other
 * retained message), and kato-snapshot answers from none of them: the
 * first one ends the snap early, however many sessions there are. */
static int keep(void *ctx, const char *line, size_t len)
{
	hubsnap *s = ctx;
	char why[64];
	cJSON *j = js_parse(line, len, why, sizeof why);
	const char *type = j ? js_str(j, "type") : NULL;
	cJSON **slot = NULL;
	if (type && !strcmp(type, "session_update")) {
		if (!s->want_sessions) {
			cJSON_Delete(j);
			return 1;
		}
		keep_session(s, j);
		cJSON_Delete(j);
		return 0;
	}
	if (type && !strcmp(type, "realtime_update"))
		slot = &s->frame;
	else if (type && !strcmp(type, "metrics_update"))
		slot = &s->legacy;
	else if (type && !strcmp(type, "active_alerts"))
		slot = &s->alerts;
	if (!slot || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return 0;
	}
	cJSON_Delete(*slot);
	*slot = j;
	return 0;
}

int hubsnap_fetch(const char *path, int timeout_ms, size_t max_line,
                  hubsnap *s, char err[HUBSNAP_ERR_LEN])
{
	memset(s, 0, sizeof *s);
	return each_line(path, "snap", timeout_ms, max_line, keep, s, err);
}

int hubsnap_fetch_sessions(const char *path, int timeout_ms,
                           size_t max_line, hubsnap *s,
                           char err[HUBSNAP_ERR_LEN])
{
	memset(s, 0, sizeof *s);
	s->want_sessions = 1;
	return each_line(path, "snap", timeout_ms, max_line, keep, s, err);
}

/* The first line of a stats answer, if it is a hub_stats object. */
static int first_stats(void *ctx, const char *line, size_t len)
{
	cJSON **stats = ctx;
	char why[64];
	cJSON *j = js_parse(line, len, why, sizeof why);
	const char *type = js_str(j, "type");
	if (cJSON_IsObject(j) && type && !strcmp(type, "hub_stats"))
		*stats = j;
	else
		cJSON_Delete(j);
	return 1;
}

int hubsnap_stats(const char *path, int timeout_ms, cJSON **stats,
                  char err[HUBSNAP_ERR_LEN])
{
	*stats = NULL;
	return each_line(path, "stats", timeout_ms, HUBSNAP_STATS_MAX,
	                 first_stats, stats, err);
}
