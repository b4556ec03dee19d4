/* points.h - what kato-history takes from a message: the numbers of a
 * realtime_update frame as named series, and marks from system_alert and
 * session_event messages.  Pure: no I/O.  Never prints, never exits.
 *
 * Series (NaN when absent, in error, or from a source the frame lists as
 * stale - a stale value is an old one repeated, not a measurement):
 *   kato.requests_per_second  kato.errors_per_minute  kato.error_rate
 *   kato.response_time_s      host.cpu_percent  host.memory_percent
 *   host.disk_percent         sessions.active
 *   containers.cpu_percent    containers.memory_mb  containers.memory_percent
 *   container.NAME.cpu_percent  .memory_bytes  .memory_percent
 *   container.NAME.rx_bytes_per_s  .tx_bytes_per_s  .read_bytes_per_s
 *   container.NAME.write_bytes_per_s
 * NAME is the container's name when it is 1-64 bytes of [A-Za-z0-9_.-]
 * (Docker's own rule); other names are skipped and counted.
 */
#ifndef KH_POINTS_H
#define KH_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hist.h"

#define POINTS_NAME_MAX 64 /* longest container name stored */

typedef struct points {
	hist_point *p;           /* n points; names point into names */
	size_t n, cap;
	char (*names)[HIST_NAME_MAX + 1];
	unsigned long bad_names; /* containers skipped for their name */
} points;

/* Fill pts (emptied first) from frame's data.  Returns 0, or -1 when
 * memory runs out. */
int points_from_frame(const cJSON *frame, points *pts);

void points_free(points *pts);

/* Remembers the last state of each alert id, so that a firing alert sent
 * again (its cooldown) is not a new mark. */
typedef struct alert_seen {
	char id[64];
	char state[16];
} alert_seen;

#define MARKS_SEEN 256

typedef struct marks_state {
	alert_seen seen[MARKS_SEEN];
	unsigned next; /* slot to reuse when all are taken */
} marks_state;

/* The marks msg calls for (a system_alert: one per alert whose state
 * changed; a session_event: one), each a compact JSON object of at most
 * HIST_MARK_MAX bytes, appended to out as strings.  Returns the number
 * added, or -1 when memory runs out. */
int marks_from_message(marks_state *ms, const cJSON *msg, cJSON *out);

#endif
