/* rsess.h - kato-merge's side of kato-sessions (KATO's sessions read from
 * its Redis).
 *
 * kato-sessions writes three kinds of record (kato-sessions(1)); here:
 *   {"session":{...}}  -> {"type":"session_update","timestamp":ts,
 *                          "op":op,"session":{...}} forwarded at once
 *   {"session":{"op":"reset"}} -> the same without "session": the list
 *                          starts afresh (a new kato-sessions)
 *   {"event":{...}}    -> {"type":"session_event","event_type":...,
 *                          "timestamp":ts,"data":{"current_count",
 *                          "previous_count","delta","session_id",
 *                          "node_id"}} forwarded at once
 *   {"ok":...}         the count; kept by frame.c as a source
 * The frame's sessions section then takes active_count from Redis.
 *
 * The cross-check: KATO's /sessions/count (session-summary) lags Redis by
 * KATO's count cache, session-summary's settle time and its poll
 * interval, together the window.  KATO's count is wrong only when it
 * equals no count Redis had during the last window; when that has lasted
 * longer than KATO's cache time, the sessions section says
 * "count_mismatch":{"redis":N,"kato":M,"since":ISO} and a note for
 * stderr is left in rsess.note.  Pure: times come from the caller.
 */
#ifndef KM_RSESS_H
#define KM_RSESS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define RSESS_SOURCE "kato-sessions"
#define RSESS_HIST 8192 /* Redis counts remembered for the window */
#define RSESS_NOTE_LEN 256

typedef struct rsess {
	int64_t window_ms;      /* how far KATO's count may lag */
	int64_t cache_ms;       /* how long a mismatch lasts before it counts */
	int have;               /* a count has come from kato-sessions */
	double count;           /* the latest Redis count */
	struct {
		int64_t ms;         /* monotonic time it took this value */
		double count;
	} hist[RSESS_HIST];     /* ring: Redis counts, oldest first */
	size_t hstart, hn;      /* ring start and length */
	int64_t since_wall;     /* when KATO's count went wrong (epoch ms), 0 */
	int64_t since_mono;     /* the same, monotonic */
	int reported;           /* the mismatch has been noted */
	char note[RSESS_NOTE_LEN]; /* a line for stderr, or "" */
} rsess;

void rsess_init(rsess *r, int64_t window_ms, int64_t cache_ms);

/* Record a Redis count taken at mono_ms. */
void rsess_count(rsess *r, double count, int64_t mono_ms);

/* A "session" or "event" record from kato-sessions (j the whole record,
 * ts its time as text): the client message to forward, as text (the
 * caller frees), or NULL with err filled. */
char *rsess_message(rsess *r, const cJSON *j, const char *ts,
                    int64_t mono_ms, char *err, size_t errlen);

/* Compare KATO's count (have_kato: one is known) with Redis's at mono_ms
 * (now_wall for "since"), and add active_count, the source and, when it
 * counts, count_mismatch to the sessions object sec. */
void rsess_section(rsess *r, cJSON *sec, int redis_ok, int have_kato,
                   double kato, int64_t mono_ms, int64_t now_wall);

#endif
