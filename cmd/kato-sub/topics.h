/* topics.h - kato-sub's topics: which part of the hub's stream each one
 * covers, a client's subscription list, and the filtering of one line.
 *
 *   metrics         data.metrics and data.health of realtime_update;
 *                   metrics_update
 *   containers      data.containers of realtime_update
 *   sessions        data.sessions of realtime_update
 *   session_events  session_event
 *   system_alerts   system_alert, active_alerts
 * Any other message type (and "stale"/"sources" of a frame) always passes.
 *
 * Pure: no I/O, no logging, no global state.
 */
#ifndef KS_TOPICS_H
#define KS_TOPICS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define TOPICS_ERR_LEN 512

/* Topics, as bits of a mask. */
enum {
	T_METRICS = 1,
	T_CONTAINERS = 2,
	T_SESSIONS = 4,
	T_EVENTS = 8,
	T_ALERTS = 16,
	T_ALL = 31, /* every topic */
};

typedef struct topic_info {
	const char *name; /* as the client spells it */
	unsigned bit;     /* its T_* bit */
	const char *flag; /* the feature flag that turns it off, or NULL */
} topic_info;

#define NTOPICS 5
extern const topic_info topics[NTOPICS]; /* in the order lists show them */

/* A new JSON array of the names of the topics in mask, in table order
 * (NULL when out of memory). */
cJSON *topics_list(unsigned mask);

enum {
	TOPICS_BAD = -1,     /* "subscriptions" is not an array */
	TOPICS_UNKNOWN = -2, /* an item is not a known topic name */
};

/* The topics named by a subscribe message j's "subscriptions" array.
 * Returns 0 with *mask set, or TOPICS_BAD / TOPICS_UNKNOWN with the
 * message for the client in err (*mask untouched). */
int topics_parse(const cJSON *j, unsigned *mask, char err[TOPICS_ERR_LEN]);

enum topics_verdict {
	TOPICS_PASS,   /* send the line as it is */
	TOPICS_DROP,   /* the client did not subscribe to it */
	TOPICS_EDITED, /* send *edited instead (a frame with sections cut) */
	TOPICS_NOMEM,  /* an edit was needed but memory ran out */
};

/* What the client subscribed to want gets of one line from the hub.  A
 * line whose type cannot be read passes (the hub checks types).  On
 * TOPICS_EDITED, *edited is a new string: free it with cJSON_free. */
enum topics_verdict topics_filter(const char *line, size_t len, unsigned want,
                                  char **edited);

#endif
