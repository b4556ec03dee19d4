#include "settle.h"

void settle_init(settle *s, int64_t window_ms)
{
	s->window_ms = window_ms < 0 ? 0 : window_ms;
	s->have = 0;
	s->value = s->cand = 0;
	s->cand_since = 0;
}

enum settle_result settle_feed(settle *s, double v, int64_t now_ms,
                               double *prev)
{
	if (!s->have) {
		s->have = 1;
		s->value = s->cand = v;
		s->cand_since = now_ms;
		return SETTLE_BASELINE;
	}
	/* A read that differs from the run starts a new run. */
	if (v != s->cand) {
		s->cand = v;
		s->cand_since = now_ms;
	}
	if (s->cand == s->value || now_ms - s->cand_since < s->window_ms)
		return SETTLE_SAME;
	if (prev)
		*prev = s->value;
	s->value = s->cand;
	return SETTLE_CHANGED;
}

void settle_break(settle *s)
{
	s->cand = s->value;
}
