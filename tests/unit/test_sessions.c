/* test_sessions.c - session-summary's debounce (common/settle). */
#include "settle.h"
#include "unit.h"

/* Feed reads one second apart from t; return how many changes came and
 * leave the last change's values in *from, *to. */
static int feed(settle *s, const double *reads, int n, int64_t *t,
                double *from, double *to)
{
	int changes = 0;
	for (int i = 0; i < n; i++, *t += 1000) {
		double prev;
		if (settle_feed(s, reads[i], *t, &prev) == SETTLE_CHANGED) {
			changes++;
			*from = prev;
			*to = s->value;
		}
	}
	return changes;
}

int main(void)
{
	settle s;
	double prev = -1, from = -1, to = -1;
	int64_t t = 0;

	settle_init(&s, 5000);
	CHECK(settle_feed(&s, 3, 0, &prev) == SETTLE_BASELINE, "first read is the baseline");
	CHECK(s.value == 3, "baseline value kept");
	CHECK(settle_feed(&s, 3, 1000, &prev) == SETTLE_SAME, "same value: nothing");

	/* A real change: accepted once reads agreed for 5 s, not before. */
	settle_init(&s, 5000);
	settle_feed(&s, 0, 0, NULL);
	enum settle_result r = SETTLE_SAME;
	int64_t at = -1;
	for (t = 1000; t <= 10000 && r == SETTLE_SAME; t += 1000) {
		r = settle_feed(&s, 1, t, &prev);
		if (r == SETTLE_CHANGED)
			at = t;
	}
	CHECK(r == SETTLE_CHANGED && prev == 0 && s.value == 1, "0 -> 1 accepted");
	CHECK(at == 6000, "after a 5 s run (first read at 1 s, accepted at %lld ms)", (long long)at);

	/* Three workers caching 5 s: the old value keeps coming back from the
	 * stale ones until their caches expire; one change, no pairs. */
	settle_init(&s, 5000);
	t = 0;
	const double flip[] = {2, 2, 3, 2, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3};
	int n = feed(&s, flip, (int)(sizeof flip / sizeof *flip), &t, &from, &to);
	CHECK(n == 1, "flipping caches give one change, not pairs (%d)", n);
	CHECK(from == 2 && to == 3, "the change is 2 -> 3");

	/* Flips that never hold for the window: no change at all. */
	settle_init(&s, 5000);
	t = 0;
	const double noise[] = {4, 5, 4, 5, 5, 4, 5, 4, 4, 4, 5, 4};
	CHECK(feed(&s, noise, 12, &t, &from, &to) == 0, "no run of 5 s: no change");
	CHECK(s.value == 4, "value stays the baseline");

	/* Create 3, delete 1 between confirmations: one net change of +2. */
	settle_init(&s, 2000);
	t = 0;
	const double net[] = {1, 4, 3, 3, 3, 3};
	CHECK(feed(&s, net, 6, &t, &from, &to) == 1 && from == 1 && to == 3,
	      "net change 1 -> 3 reported once");

	/* Come and go within the window: nothing. */
	settle_init(&s, 5000);
	t = 0;
	const double blip[] = {2, 3, 3, 2, 2, 2, 2, 2, 2, 2};
	CHECK(feed(&s, blip, 10, &t, &from, &to) == 0, "a blip shorter than the window is not reported");

	/* Down then back up: two changes in order. */
	settle_init(&s, 2000);
	t = 0;
	const double updown[] = {1, 2, 2, 2, 2, 1, 1, 1, 1};
	from = to = -1;
	CHECK(feed(&s, updown, 9, &t, &from, &to) == 2 && from == 2 && to == 1,
	      "up then down: two changes, the last 2 -> 1");

	/* Window 0: every new read is accepted at once. */
	settle_init(&s, 0);
	settle_feed(&s, 0, 0, NULL);
	CHECK(settle_feed(&s, 1, 1, &prev) == SETTLE_CHANGED && prev == 0, "window 0: at once");
	CHECK(settle_feed(&s, 0, 2, &prev) == SETTLE_CHANGED && prev == 1, "window 0: back at once");

	/* A gap without reads (the source was down) does not reset the run. */
	settle_init(&s, 5000);
	settle_feed(&s, 7, 0, NULL);
	CHECK(settle_feed(&s, 8, 1000, &prev) == SETTLE_SAME, "new value, run starts");
	CHECK(settle_feed(&s, 8, 9000, &prev) == SETTLE_CHANGED && prev == 7,
	      "next read 8 s later: run spans the window, accepted");
	/* ...unless the caller says reads failed in between. */
	settle_init(&s, 5000);
	settle_feed(&s, 7, 0, NULL);
	settle_feed(&s, 8, 1000, NULL);
	settle_break(&s);
	CHECK(settle_feed(&s, 8, 9000, &prev) == SETTLE_SAME, "after a break the run starts again");
	CHECK(settle_feed(&s, 8, 14000, &prev) == SETTLE_CHANGED, "and is accepted 5 s later");
	return unit_done();
}
