/* backoff.h - exponential backoff with jitter for retries.
 *
 * Delays start at base_ms and double up to max_ms; each is spread by
 * +-20% so that many clients retrying the same server do not do it in
 * step.  backoff_reset() after a success starts again from base_ms.
 */
#ifndef KL_BACKOFF_H
#define KL_BACKOFF_H

#include <stdint.h>

typedef struct backoff {
	int64_t base_ms; /* first delay */
	int64_t max_ms;  /* cap */
	int64_t cur_ms;  /* the next delay before jitter */
	unsigned seed;   /* jitter state */
} backoff;

void backoff_init(backoff *b, int64_t base_ms, int64_t max_ms);

/* The delay to wait now, in milliseconds; doubles the next one. */
int64_t backoff_next(backoff *b);

/* Back to base_ms after a success. */
void backoff_reset(backoff *b);

#endif
