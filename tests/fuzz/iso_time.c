/* The ISO 8601 time parsers: clock_parse_iso (common/clock.c; the "ts" of
 * records, the "timestamp" of frames) and ds_parse_read (docker-stats'
 * "read" of a stats body, nanoseconds), and clock_parse_seconds (the
 * intervals of the settings).  A time that parses must print back, and
 * the two ISO parsers must agree where both take a text. */
#include "calc.h"
#include "clock.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	int64_t ms, ns;
	int iso_ok = clock_parse_iso(s, &ms) == 0;
	if (iso_ok) {
		char iso[CLOCK_ISO_LEN];
		clock_iso_ms(iso, ms);
		fuzz_check(strlen(iso) < CLOCK_ISO_LEN);
	}
	if (ds_parse_read(s, &ns) == 0) {
		fuzz_check(ns >= 0);
		/* Where both read a time, it is the same time. */
		if (iso_ok)
			fuzz_check(ns / 1000000 == ms);
	}
	if (clock_parse_seconds(s, &ns) == 0)
		fuzz_check(ns >= 1000000 && ns <= 86400000000000LL);
	free(s);
	return 0;
}
