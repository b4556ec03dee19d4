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

/* What the hub retained.  Either pointer may be NULL (nothing of that
 * type retained); the caller frees both with hubsnap_free. */
typedef struct hubsnap {
	cJSON *frame;  /* latest {"type":"realtime_update",...} */
	cJSON *legacy; /* latest {"type":"metrics_update",...} (--legacy merge) */
	cJSON *alerts; /* latest {"type":"active_alerts",...} (kato-alerts) */
} hubsnap;

/* Outcome of hubsnap_fetch. */
enum hubsnap_status {
	HUBSNAP_OK = 0,   /* connected and read the whole answer */
	HUBSNAP_DOWN = 1, /* no hub at the path (err says why) */
	HUBSNAP_FAIL = 2, /* hub answered badly: too slow, too big, read error */
};

/* Connect to the hub at path, ask for a snap, read the retained messages
 * until the hub closes, for at most timeout_ms and max_bytes in all.
 * Lines that are not JSON objects with a "type" are skipped.  Fills *s
 * (zeroed first) and returns an enum hubsnap_status; on anything but
 * HUBSNAP_OK, err says what failed. */
int hubsnap_fetch(const char *path, int timeout_ms, size_t max_bytes,
                  hubsnap *s, char err[HUBSNAP_ERR_LEN]);

/* Free what hubsnap_fetch kept. */
void hubsnap_free(hubsnap *s);

#endif
