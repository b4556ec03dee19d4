/* hubsnap.h - one "snap" from kato-hub: the retained messages, parsed.
 *
 * The hub answers "snap\n" with the latest retained message of each type
 * and closes (common/hubsock.h).  This module reads that answer with a
 * deadline and a size bound, and keeps the messages kato-snapshot
 * answers from.  It never prints and never exits.
 */
#ifndef KS_HUBSNAP_H
#define KS_HUBSNAP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define HUBSNAP_ERR_LEN 320
#define HUBSNAP_STATS_MAX 65536 /* longest "stats" line read */

/* What the hub retained.  Any pointer may be NULL (nothing of that
 * type retained); the caller frees both with hubsnap_free. */
typedef struct hubsnap {
	cJSON *frame;  /* latest {"type":"realtime_update",...} */
	cJSON *legacy; /* latest {"type":"metrics_update",...} (--legacy merge) */
	cJSON *alerts; /* latest {"type":"active_alerts",...} */
	cJSON *sessions; /* hubsnap_fetch_sessions only: an array of the
	                  * "session" of every retained session_update (the hub
	                  * keeps one per session id), or NULL when none came */
	size_t nsessions;  /* sessions in the array */
	size_t sessions_over; /* sessions past HUBSNAP_SESSIONS_MAX, not kept */
	int want_sessions; /* private: collect them, do not stop at the first */
} hubsnap;

#define HUBSNAP_SESSIONS_MAX 100000 /* sessions kept from one snap (the hub's
                                     * default bound on its keys) */

/* Outcome of hubsnap_fetch. */
enum hubsnap_status {
	HUBSNAP_OK = 0,   /* connected and read the whole answer */
	HUBSNAP_DOWN = 1, /* no hub at the path (err says why) */
	HUBSNAP_FAIL = 2, /* hub answered badly: too slow, a line too long,
	                   * read error */
};

/* Connect to the hub at path, ask for a snap, read the retained messages
 * until the hub closes (or its keyed session_update messages begin:
 * they come last and none is kept), for at most timeout_ms, each line at
 * most max_line bytes.  Lines that are not JSON objects with a "type"
 * are skipped.  Fills *s (zeroed first) and returns an enum
 * hubsnap_status; on anything but HUBSNAP_OK, err says what failed (and
 * *s may hold what came before: free it anyway). */
int hubsnap_fetch(const char *path, int timeout_ms, size_t max_line,
                  hubsnap *s, char err[HUBSNAP_ERR_LEN]);

/* The same, but reading on through the keyed session_update messages,
 * whose sessions go in s->sessions (at most HUBSNAP_SESSIONS_MAX). */
int hubsnap_fetch_sessions(const char *path, int timeout_ms,
                           size_t max_line, hubsnap *s,
                           char err[HUBSNAP_ERR_LEN]);

/* Ask the hub at path for its statistics ("stats\n": one hub_stats
 * line, then it closes), within timeout_ms and
 * HUBSNAP_STATS_MAX bytes.  Returns an enum hubsnap_status.  On
 * HUBSNAP_OK, *stats is the parsed line (caller frees with cJSON_Delete),
 * or NULL if the hub answered nothing usable (a hub too old to know
 * "stats" closes at once). */
int hubsnap_stats(const char *path, int timeout_ms, cJSON **stats,
                  char err[HUBSNAP_ERR_LEN]);

/* Free what hubsnap_fetch kept. */
void hubsnap_free(hubsnap *s);

#endif
