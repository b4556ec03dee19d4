#include "clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000LL

static int64_t now_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t clock_mono_ns(void) { return now_ns(CLOCK_MONOTONIC); }
int64_t clock_mono_ms(void) { return now_ns(CLOCK_MONOTONIC) / 1000000; }
int64_t clock_wall_ms(void) { return now_ns(CLOCK_REALTIME) / 1000000; }

char *clock_iso_ms(char *buf, int64_t epoch_ms)
{
	time_t secs = (time_t)(epoch_ms / 1000);
	int ms = (int)(epoch_ms % 1000);
	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(buf, CLOCK_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, ms);
	return buf;
}

char *clock_iso_now(char *buf) { return clock_iso_ms(buf, clock_wall_ms()); }

int clock_parse_iso(const char *s, int64_t *epoch_ms)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	int64_t ms = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	*epoch_ms = (int64_t)timegm(&tm) * 1000 + ms;
	return 0;
}

void tick_init(tick_t *t, int64_t interval_ns)
{
	t->start_ns = clock_mono_ns();
	t->interval_ns = interval_ns;
	t->k = 0;
}

void tick_init_aligned(tick_t *t, int64_t interval_ns)
{
	int64_t wall = now_ns(CLOCK_REALTIME);
	int64_t wait = interval_ns - wall % interval_ns;
	t->start_ns = clock_mono_ns() + wait;
	t->interval_ns = interval_ns;
	t->k = 0;
}

int64_t tick_deadline_ns(const tick_t *t)
{
	return t->start_ns + (int64_t)t->k * t->interval_ns;
}

int tick_timeout_ms(const tick_t *t)
{
	int64_t left = tick_deadline_ns(t) - clock_mono_ns();
	if (left <= 0)
		return 0;
	int64_t ms = (left + 999999) / 1000000;
	return ms > 86400000 ? 86400000 : (int)ms;
}

int64_t tick_left_ns(const tick_t *t)
{
	int64_t left = tick_deadline_ns(t) - clock_mono_ns();
	return left > 0 ? left : 0;
}

uint64_t tick_take(tick_t *t)
{
	int64_t now = clock_mono_ns();
	int64_t due = tick_deadline_ns(t);
	if (now < due)
		return 0;
	/* The next tick after this one is the first whose deadline is still
	 * ahead; the ones in between were missed. */
	uint64_t behind = (uint64_t)((now - due) / t->interval_ns);
	t->k += 1 + behind;
	return 1 + behind;
}

int clock_parse_seconds(const char *s, int64_t *ns)
{
	char *end;
	if (!s || !*s)
		return -1;
	double v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v) || v < 0.001 || v > 86400)
		return -1;
	*ns = (int64_t)(v * 1e9 + 0.5); /* v > 0: rounds half up, no libm */
	return 0;
}
