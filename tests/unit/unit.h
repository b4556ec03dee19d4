/* unit.h - a minimal TAP producer for C unit tests.
 *
 *   CHECK(cond, "what it shows")   one TAP line per check
 *   return unit_done();            exit status: 0 if all passed
 *
 * tests/unit.bats runs every unit binary and fails when one does.
 */
#ifndef KL_UNIT_H
#define KL_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int unit_n, unit_failed;

#define CHECK(cond, ...)                                                    \
	do {                                                                    \
		int unit_ok_ = (cond) ? 1 : 0; /* evaluated once */                  \
		unit_n++;                                                           \
		if (!unit_ok_)                                                      \
			unit_failed++;                                                  \
		printf("%sok %d - ", unit_ok_ ? "" : "not ", unit_n);               \
		printf(__VA_ARGS__);                                                \
		printf("%s\n", unit_ok_ ? "" : "  (" #cond ", " __FILE__ ")");      \
	} while (0)

#define CHECK_NEAR(a, b, eps, ...) CHECK(fabs((double)(a) - (double)(b)) <= (eps), __VA_ARGS__)
#define CHECK_STR(a, b, ...) CHECK((a) && strcmp((a), (b)) == 0, __VA_ARGS__)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	if (unit_failed)
		fprintf(stderr, "%d of %d checks failed\n", unit_failed, unit_n);
	return unit_failed ? 1 : 0;
}

#endif
