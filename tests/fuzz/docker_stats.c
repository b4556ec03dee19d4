/* docker-stats' stats body parser and arithmetic (cmd/docker-stats/calc.c,
 * report.c): GET /containers/{id}/stats bodies from Docker or Podman.
 * Input: one body (maybe pretty-printed), taken as a first sample; and,
 * line by line, successive samples of one container, each line's deltas
 * taken from the one before.  The engine is picked from the input's size.
 * A CPU figure, when there is one, is never negative; the entries and the
 * total must print as JSON. */
#include <cjson/cJSON.h>

#include "calc.h"
#include "fuzz.h"
#include "js.h"
#include "report.h"

#define TS "2026-11-25T18:45:47.538Z"

static void sample(const char *text, size_t len, const ds_sample *prev,
                   ds_engine engine, ds_stats *st)
{
	char why[64];
	cJSON *body = len ? js_parse(text, len, why, sizeof why) : NULL;
	ds_calc(body, prev, engine, st);
	cJSON_Delete(body);
	if (st->have_cpu)
		fuzz_check(!(st->cpu_percent < 0));
	if (!st->running)
		fuzz_check(!st->have_cpu && !st->have_mem && !st->now.valid);
}

static void report(const ds_stats *st, size_t n)
{
	cJSON *list = cJSON_CreateArray();
	fuzz_check(list != NULL);
	for (size_t i = 0; i < n; i++) {
		cJSON *e = ds_entry("0123abcd", "kato", "h", "running", &st[i],
		                    i % 2 ? "GET x: y" : NULL, TS);
		fuzz_check(e != NULL);
		cJSON_AddItemToArray(list, e);
	}
	cJSON *agg = ds_aggregate(st, n, TS);
	fuzz_check(agg != NULL);
	cJSON_AddItemToArray(list, agg);
	char *s = cJSON_PrintUnformatted(list);
	fuzz_check(s != NULL);
	cJSON *back = cJSON_Parse(s);
	fuzz_check(cJSON_IsArray(back));
	cJSON_Delete(back);
	cJSON_free(s);
	cJSON_Delete(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ds_engine engines[] = {DS_ENGINE_UNKNOWN, DS_ENGINE_DOCKER,
	                                    DS_ENGINE_PODMAN};
	ds_engine engine = engines[size % 3];
	ds_stats st[9];
	size_t n = 0;

	sample((const char *)data, size, NULL, engine, &st[n++]);

	size_t pos = 0, len;
	char *line;
	while ((line = fuzz_line(data, size, &pos, &len))) {
		const ds_sample *prev = n > 1 ? &st[n - 1].now : NULL;
		ds_stats s;
		sample(line, len, prev, engine, &s);
		free(line);
		if (n < sizeof st / sizeof st[0])
			st[n++] = s;
		else
			st[n - 1] = s;
	}
	report(st, n);
	return 0;
}
