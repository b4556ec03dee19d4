/* answer.h - the history API's answers, built from the store.
 *
 *   /api/v1/history?since=&until=&step=&series=
 *     {"step":S,"time":[unix seconds...],"series":{"name":[v|null,...]},
 *      "since":S,"until":S,"tier":"fine"|"coarse"|"hour"}
 *   /api/v1/events?since=&until=
 *     {"events":[{"time":unix seconds,"kind":"alert"|"session",...}],
 *      "since":S,"until":S}
 *
 * since and until: unix seconds (fractions allowed), an ISO 8601 UTC
 * time, or a negative number of seconds before now.  Defaults: until
 * now, since one hour before until.  step: seconds (the tier's own when
 * absent).  series: comma-separated names or '*' globs, each optionally
 * ending in ":min" or ":max" (the extreme of the stored steps instead of
 * their average); all series when absent.  "_" and "t" (cache busters)
 * are accepted and ignored; any other key is an error.
 * Never prints, never exits.
 */
#ifndef KQ_ANSWER_H
#define KQ_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"

#define ANSWER_ERR_LEN 256
#define ANSWER_MAX_SERIES 2048 /* most series one answer holds */

enum route { ROUTE_NONE, ROUTE_HISTORY, ROUTE_EVENTS };

/* The route of a request path ("/api/v1/history" ...), or ROUTE_NONE. */
enum route answer_route(const char *path);

/* A growing text buffer (malloc'd). */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int oom; /* an append failed: the text is incomplete */
} sbuf;

void sbuf_free(sbuf *b);

/* Answer query (may be NULL) on route from h, with now_ms as the clock,
 * into out (a JSON object and '\n').  Returns 200, or an HTTP status
 * with err filled (400 bad query, 500 store or memory). */
int answer(hist *h, enum route route, const char *query, int64_t now_ms,
           sbuf *out, char err[ANSWER_ERR_LEN]);

/* Parse a time as since/until take it.  Returns 0, or -1. */
int answer_time(const char *s, int64_t now_ms, int64_t *ms);

#endif
