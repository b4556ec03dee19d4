/* ks.h - what kato-stream's put and get share.
 *
 * Both halves keep one rconn (see rconn.h), retry with backoff and say
 * what goes wrong once (trouble_*), and hand NDJSON lines on only when
 * they are one JSON object each (line_ok).  Like the rest of a tool's own
 * code, put and get may log: they are main's two halves.
 */
#ifndef KS_KS_H
#define KS_KS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "rconn.h"

#define QUEUE_DEFAULT 1000L /* put: lines held while Redis cannot take them */

/* Says what goes wrong once, not once per retry, and when it ends. */
typedef struct trouble {
	char last[RC_ERR_LEN]; /* the error last logged, or "" while all is well */
	unsigned long dropped; /* lines put could not add meanwhile */
} trouble;

/* Log err (with "(retrying)") unless it is the one logged last. */
void trouble_note(trouble *t, const char *err);

/* After trouble: log "<what> <where> again" and forget it. */
void trouble_over(trouble *t, const rconn *r, const char *what);

/* Nonzero if line is one JSON object on one line, of at most NDJ_LINE_MAX
 * bytes; else 0 with why filled. */
int line_ok(const char *line, size_t len, char *why, size_t n);

/* The same, keeping what was parsed: the object (the caller frees it
 * with cJSON_Delete), or NULL with why filled. */
cJSON *line_parse(const char *line, size_t len, char *why, size_t n);

/* Connect and check that key is ours.  Returns 0, or -1 with err (r is
 * then closed; r->stop says if a signal cut it short). */
int open_stream(rconn *r, const char *key, char err[RC_ERR_LEN]);

/* kato-stream put: stdin into the stream key, and the state web nodes
 * start from beside it (state.h).  Returns an exit code. */
int run_put(rconn *r, const char *key, long maxlen, long queue);

/* kato-stream get: the stream key to stdout, from after from_id, or the
 * last since_min minutes (>= 0), or what comes next; with state, the
 * state first (state.h).  Returns an exit code. */
int run_get(rconn *r, const char *key, double since_min, const char *from_id,
            int state);

#endif
