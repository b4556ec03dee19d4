#include "backoff.h"

#include <stdlib.h>
#include <unistd.h>

#include "clock.h"

void backoff_init(backoff *b, int64_t base_ms, int64_t max_ms)
{
	b->base_ms = base_ms > 0 ? base_ms : 1;
	b->max_ms = max_ms > b->base_ms ? max_ms : b->base_ms;
	b->cur_ms = b->base_ms;
	b->seed = (unsigned)clock_mono_ns() ^ (unsigned)getpid();
}

int64_t backoff_next(backoff *b)
{
	int64_t d = b->cur_ms;
	b->cur_ms = d * 2 > b->max_ms ? b->max_ms : d * 2;
	/* +-20% jitter */
	int64_t span = d / 5;
	if (span > 0)
		d += (int64_t)(rand_r(&b->seed) % (2 * span + 1)) - span;
	return d > 0 ? d : 1;
}

void backoff_reset(backoff *b) { b->cur_ms = b->base_ms; }
