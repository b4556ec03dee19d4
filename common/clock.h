/* clock.h - wall-clock timestamps and a drift-free periodic tick.
 *
 * Timestamps on the wire are UTC ISO 8601 with milliseconds
 * ("2026-11-25T18:45:47.538Z").  Schedules run on CLOCK_MONOTONIC with
 * absolute deadlines: tick k is due at start + k * interval, so a slow
 * iteration delays one tick and never shifts the ones after it.
 */
#ifndef KL_CLOCK_H
#define KL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_ISO_LEN 80 /* room for an ISO-8601 timestamp and its NUL */

/* Nanoseconds on CLOCK_MONOTONIC. */
int64_t clock_mono_ns(void);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t clock_mono_ms(void);

/* Milliseconds since the epoch on CLOCK_REALTIME. */
int64_t clock_wall_ms(void);

/* Write the current UTC time as ISO 8601 with milliseconds into buf
 * (at least CLOCK_ISO_LEN bytes).  Returns buf. */
char *clock_iso_now(char *buf);

/* Same for a given epoch time in milliseconds. */
char *clock_iso_ms(char *buf, int64_t epoch_ms);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff...]Z" (or +00:00) into epoch
 * milliseconds.  Returns 0, or -1 if s is not such a timestamp. */
int clock_parse_iso(const char *s, int64_t *epoch_ms);

/* A periodic schedule on the monotonic clock. */
typedef struct tick {
	int64_t start_ns;    /* monotonic time of tick 0 */
	int64_t interval_ns; /* period */
	uint64_t k;          /* index of the next tick due */
} tick_t;

/* Start a schedule whose tick 0 is due now. */
void tick_init(tick_t *t, int64_t interval_ns);

/* Start a schedule whose tick 0 is due at the next multiple of the
 * interval on the wall clock (netdata's alignment), so collectors with the
 * same interval sample together. */
void tick_init_aligned(tick_t *t, int64_t interval_ns);

/* Monotonic time the next tick is due. */
int64_t tick_deadline_ns(const tick_t *t);

/* Milliseconds from now until the next tick (0 if due), rounded up, as a
 * poll(2) timeout. */
int tick_timeout_ms(const tick_t *t);

/* Nanoseconds from now until the next tick (0 if due), for ppoll(2) or
 * timerfd: a millisecond poll timeout would make every tick up to 1 ms
 * late. */
int64_t tick_left_ns(const tick_t *t);

/* If the next tick is due, consume it and return 1 + the number of ticks
 * that were missed (skipped because they are already past: a late
 * iteration never causes a burst of catch-up ticks).  Otherwise return 0. */
uint64_t tick_take(tick_t *t);

/* Parse a duration in seconds ("3", "0.1", "2.5") into nanoseconds.
 * Accepts 0.001 to 86400.  Returns 0, or -1 if the text is not one. */
int clock_parse_seconds(const char *s, int64_t *ns);

#endif
