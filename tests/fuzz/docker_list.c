/* docker-stats' container list parser (ds_list_parse,
 * cmd/docker-stats/list.c): GET /containers/json?all=1 bodies.  Each
 * container taken has an id of hex digits only (it goes into a URL), a
 * name without the leading '/', and the list is sorted by name; with the
 * default filter, only names kato and kato-*. */
#include <regex.h>

#include "fuzz.h"
#include "list.h"

static regex_t re;
static int have_re;

static void check(const uint8_t *data, size_t size, const regex_t *filter)
{
	ds_cont *cs = NULL;
	char why[64];
	long n = ds_list_parse((const char *)data, size, filter, &cs, why,
	                       sizeof why);
	if (n < 0) {
		fuzz_check(n == DS_LIST_BAD && why[0] && !cs);
		return;
	}
	for (long i = 0; i < n; i++) {
		const ds_cont *c = &cs[i];
		fuzz_check(c->id[0] && strspn(c->id, "0123456789abcdefABCDEF") ==
		                           strlen(c->id));
		fuzz_check(c->state[0] && c->name[0]);
		if (filter)
			fuzz_check(regexec(filter, c->name, 0, NULL, 0) == 0);
		if (i > 0)
			fuzz_check(strcmp(cs[i - 1].name, c->name) <= 0);
	}
	free(cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!have_re) {
		/* docker-stats' default --name */
		if (regcomp(&re, "^kato(-.*)?$", REG_EXTENDED | REG_NOSUB) != 0)
			abort();
		have_re = 1;
	}
	check(data, size, NULL);
	check(data, size, &re);
	return 0;
}
