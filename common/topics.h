/* topics.h - the topics a WebSocket client subscribes to: which part of
 * the stream each one covers, their names, and a subscribe message's list.
 *
 *   metrics         data.metrics and data.health of realtime_update;
 *                   metrics_update
 *   containers      data.containers of realtime_update
 *   sessions        data.sessions of realtime_update; session_update
 *   session_events  session_event
 *   system_alerts   system_alert, active_alerts
 * Any other message type always passes; a frame's "stale" and "sources"
 * go with any of the three frame topics, but are not on their own a
 * reason to send a frame.
 *
 * Shared by kato-sub (which turns a browser's subscribe into a mask) and
 * kato-hub (which delivers by mask).  Pure: no I/O, no logging, no global
 * state beyond the constant table.
 */
#ifndef KL_TOPICS_H
#define KL_TOPICS_H

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
	T_ALL = 31,   /* every topic */
	T_FRAME = 7,  /* the topics that are sections of a realtime_update */
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

/* The topic bit a message type belongs to: T_METRICS for metrics_update,
 * T_SESSIONS for session_update, T_EVENTS for session_event, T_ALERTS for
 * system_alert and active_alerts, T_FRAME for realtime_update (which is
 * cut by section), 0 for a type that always passes. */
unsigned topics_of_type(const char *type);

enum {
	TOPICS_BAD = -1,     /* "subscriptions" is not an array */
	TOPICS_UNKNOWN = -2, /* an item is not a known topic name */
};

/* The topics named by a subscribe message j's "subscriptions" array.
 * Returns 0 with *mask set, or TOPICS_BAD / TOPICS_UNKNOWN with the
 * message for the client in err (*mask untouched).  The message is
 * printable ASCII: what the client sent is quoted with every other byte
 * replaced by '?', so invalid UTF-8 is never echoed. */
int topics_parse(const cJSON *j, unsigned *mask, char err[TOPICS_ERR_LEN]);

/* Copy at most max bytes of s into out (cap bytes, NUL-terminated),
 * replacing every byte outside printable ASCII (0x20-0x7e) with '?'.
 * Returns out. */
char *topics_ascii(char *out, size_t cap, const char *s, size_t max);

#endif
