/* frame.h - kato-merge's sources: the newest record of each, and frames.
 *
 * Each record is parsed once, when it arrives; the sections it feeds are
 * printed then and kept as text, so a tick only concatenates text (and
 * formats a few numbers) to build its frame.
 *
 * Sources and the sections they feed:
 *   kato-metrics     data.metrics, data.health
 *   docker-stats     data.containers, kept per Docker host (dhosts.h)
 *   session-summary  data.sessions
 *   kato-sessions    data.sessions.active_count (rsess.h), and its
 *                    session and event records forwarded at once
 *   any other name   data.<name>       (the record's "data" as it is)
 * The built-in sources are always in a frame ("no data yet" until they
 * speak); another source appears from its first record on.
 *
 * Each frame also says how kato-merge itself is doing:
 *   "pipeline":{"merge":{"started_at","records_total","bad_lines_total",
 *                        "frames_total","tick_late_ms"}}
 *
 * WEBSOCKET_CONTAINER_STATS does not act here: the HTTP fallback serves
 * containers from these frames when the WebSocket does not (kato-sub
 * leaves the section out for WebSocket clients).
 */
#ifndef KM_FRAME_H
#define KM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "dhosts.h"
#include "rec.h"
#include "rsess.h"

#define FRAME_ERR_LEN 512
#define SOURCE_NAME_MAX REC_NAME_MAX /* longest source name, bytes */
#define SOURCES_MAX 64     /* most sources kept (built-in ones included) */

typedef struct source {
	char name[SOURCE_NAME_MAX + 1]; /* record "source" */
	int kind;        /* private: which built-in source, or another */
	int have;        /* a record has arrived */
	int ok;          /* the newest record's "ok" */
	int64_t ts_ms;   /* its "ts" (epoch ms; arrival time when it had none) */
	int64_t order_ms; /* ts_ms, but never later than the wall clock at
	                   * arrival: what "newer" is judged on, so a record
	                   * stamped in the future cannot pin its source */
	int64_t mono_ms; /* monotonic time it arrived */
	int64_t lag_ms;  /* how old it already was on arrival (>= 0) */
	char *sect[2];   /* printed sections this source feeds (NULL: none) */
	char *err_json;  /* printed error string of an ok:false record */
	cJSON *data;     /* session-summary's data, kept for session events */
	char bad_field[128]; /* the wrong-typed figure last reported, so that
	                      * one that persists is said once */
} source;

typedef struct merge_state {
	source src[SOURCES_MAX]; /* built-in sources first */
	size_t n;                /* sources in src */
	int session_events;      /* WEBSOCKET_SESSION_EVENTS */
	int legacy;              /* write metrics_update frames */
	int64_t interval_ms;     /* the tick, for "interval_ms" */
	int64_t stale_ms;        /* a source older than this is stale */
	rsess rs;                /* kato-sessions: counts, the cross-check */
	dhosts dh;               /* docker-stats: the newest record per host */
	int64_t started_wall_ms; /* when merge_init ran, for pipeline.merge */
	uint64_t records_total;  /* lines taken that were records or events */
	uint64_t bad_lines_total; /* lines refused (malformed, too long) */
	uint64_t frames_total;   /* frames built */
	uint64_t oversize_total; /* frames that had a section cut to fit */
	char *buf;               /* private: the frame being built */
	size_t len, cap;         /* private */
} merge_state;

/* What merge_record() made of a line. */
enum merge_result {
	MERGE_KEPT = 0,    /* a sample record, now the newest of its source */
	MERGE_OLDER = 1,   /* a sample older than what its source has: ignored */
	MERGE_EVENT = 2,   /* an event: *event holds the line to forward */
	MERGE_DROPPED = 3, /* valid but not wanted (a flag turned it off) */
	MERGE_BAD = -1,    /* malformed: err says why */
};

/* Set up the built-in sources.  Returns 0, or -1 if memory runs out. */
int merge_init(merge_state *m, int session_events, int legacy,
               int64_t interval_ms, int64_t stale_ms);

void merge_free(merge_state *m);

/* Take one input line (len bytes, NUL-terminated) that arrived at
 * monotonic time mono_ms and wall time wall_ms.  An event to forward comes
 * back in *event (malloc'd text, the caller frees).  Counts it in
 * records_total or bad_lines_total. */
enum merge_result merge_record(merge_state *m, const char *line, size_t len,
                               int64_t mono_ms, int64_t wall_ms,
                               char **event, char err[FRAME_ERR_LEN]);

/* A line too long to take: counted in bad_lines_total. */
void merge_count_bad(merge_state *m);

/* Build this tick's frame for wall-clock time now_ms, monotonic time
 * mono_ms, the tick having left late_ms after it was due.  A source's age
 * is the time since its record arrived (monotonic) plus how old it already
 * was then: a collector's clock running ahead cannot keep it fresh.
 * The frame is at most max_len bytes: when the sections would make it
 * longer, the largest are replaced by {"error":"..."} saying so (counted
 * in oversize_total).  Returns the text (without '\n', valid until the
 * next call) and its length in *len, or NULL if memory runs out. */
const char *merge_frame(merge_state *m, int64_t now_ms, int64_t mono_ms,
                        double late_ms, size_t max_len, size_t *len);

#endif
