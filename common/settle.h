/* settle.h - accept a new reading only once reads have agreed on it for a
 * while.
 *
 * For a number read from a source that may answer from stale caches: KATO
 * runs several workers and each caches its session count for a few
 * seconds, so consecutive reads can disagree and flip back.  A changed
 * value is accepted only when every read over at least window_ms has
 * returned it (the run of identical reads spans the window).  Pick a
 * window covering the caches' lifetime: by then every cache that held the
 * old value has expired, so a run that long cannot be a stale one.
 *
 * A value that comes and goes within the window is never reported, and a
 * value that changes several times between confirmations is reported once,
 * as the net change.  The first read is the baseline.  A window of 0
 * accepts every new read at once.  Pure logic: times come from the caller.
 */
#ifndef KL_SETTLE_H
#define KL_SETTLE_H

#include <stdint.h>

enum settle_result {
	SETTLE_SAME = 0,     /* nothing new accepted */
	SETTLE_BASELINE = 1, /* the first read: accepted, not a change */
	SETTLE_CHANGED = 2,  /* a new value accepted; *prev is the old one */
};

typedef struct settle {
	int64_t window_ms;  /* how long reads must agree on a new value */
	int have;           /* a value has been accepted */
	double value;       /* the accepted value */
	double cand;        /* the value the latest reads agree on */
	int64_t cand_since; /* time of the first read of cand's current run */
} settle;

/* Start with nothing accepted. */
void settle_init(settle *s, int64_t window_ms);

/* Feed one read v taken at now_ms (monotonic).  See enum settle_result;
 * on SETTLE_CHANGED *prev gets the value accepted before. */
enum settle_result settle_feed(settle *s, double v, int64_t now_ms,
                               double *prev);

/* A read failed: forget the current run, so that reads on both sides of
 * a gap with no evidence never count as one run. */
void settle_break(settle *s);

#endif
