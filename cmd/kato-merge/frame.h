/* frame.h - kato-merge's sources: the newest record of each, and frames.
 *
 * Each record is parsed once, when it arrives; the sections it feeds are
 * printed then and kept as text, so a tick only concatenates text (and
 * formats a few numbers) to build its frame.
 *
 * Sources and the sections they feed:
 *   kato-metrics     data.metrics, data.health
 *   docker-stats     data.containers
 *   session-summary  data.sessions
 *   kato-sessions    data.sessions.active_count (rsess.h), and its
 *                    session and event records forwarded at once
 *   any other name   data.<name>       (the record's "data" as it is)
 * The built-in sources are always in a frame ("no data yet" until they
 * speak); another source appears from its first record on.
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

#include "rsess.h"

#define FRAME_ERR_LEN 512
#define SOURCE_NAME_MAX 64 /* longest source name, bytes */
#define SOURCES_MAX 64     /* most sources kept (built-in ones included) */

typedef struct source {
	char name[SOURCE_NAME_MAX + 1]; /* record "source" */
	int kind;        /* private: which built-in source, or another */
	int have;        /* a record has arrived */
	int ok;          /* the newest record's "ok" */
	int64_t ts_ms;   /* its "ts" (epoch ms; arrival time when it had none) */
	char *sect[2];   /* printed sections this source feeds (NULL: none) */
	char *err_json;  /* printed error string of an ok:false record */
	cJSON *data;     /* session-summary's data, kept for session events */
} source;

typedef struct merge_state {
	source src[SOURCES_MAX]; /* built-in sources first */
	size_t n;                /* sources in src */
	int session_events;      /* WEBSOCKET_SESSION_EVENTS */
	int legacy;              /* write metrics_update frames */
	int64_t interval_ms;     /* the tick, for "interval_ms" */
	int64_t stale_ms;        /* a source older than this is stale */
	rsess rs;                /* kato-sessions: counts, the cross-check */
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

/* Take one input line (len bytes, NUL-terminated).  An event to forward
 * comes back in *event (malloc'd text, the caller frees). */
enum merge_result merge_record(merge_state *m, const char *line, size_t len,
                               char **event, char err[FRAME_ERR_LEN]);

/* Build this tick's frame for wall-clock time now_ms.  Returns the text
 * (without '\n', valid until the next call) and its length in *len, or
 * NULL if memory runs out. */
const char *merge_frame(merge_state *m, int64_t now_ms, size_t *len);

#endif
