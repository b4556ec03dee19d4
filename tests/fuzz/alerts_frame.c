/* kato-alerts' frame parser and rules (cmd/kato-alerts/rules.c): the
 * frames it reads on stdin.  Input: as --once reads it, one frame (maybe
 * pretty-printed); and as the filter reads it, NDJSON, each
 * realtime_update line judged in turn by one engine.  Every message made
 * must be a JSON object with a "type". */
#include <cjson/cJSON.h>

#include "clock.h"
#include "fuzz.h"
#include "js.h"
#include "rules.h"

static int is_frame(const cJSON *j)
{
	const char *t = js_str(j, "type");
	return t && !strcmp(t, "realtime_update");
}

/* Judge one parsed message as kato-alerts does; frees it. */
static void judge(alerts *a, cJSON *j)
{
	if (!is_frame(j)) {
		cJSON_Delete(j);
		return;
	}
	int64_t ms = 1764096347538LL;
	char iso[CLOCK_ISO_LEN] = "2025-11-25T18:45:47.538Z";
	const char *ts = js_str(j, "timestamp");
	if (ts && strlen(ts) < CLOCK_ISO_LEN && clock_parse_iso(ts, &ms) == 0)
		snprintf(iso, sizeof iso, "%s", ts);
	cJSON *out = cJSON_CreateArray();
	char err[ALERTS_ERR_LEN];
	fuzz_check(out != NULL);
	int n = alerts_eval(a, j, ms, iso, out, err);
	fuzz_check(n >= 0 && n == cJSON_GetArraySize(out));
	const cJSON *m;
	cJSON_ArrayForEach(m, out) {
		fuzz_check(cJSON_IsObject(m) && js_str(m, "type"));
		char *s = cJSON_PrintUnformatted(m);
		fuzz_check(s && !strchr(s, '\n'));
		cJSON_free(s);
	}
	cJSON_Delete(out);
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alerts_cfg c;
	alerts_cfg_defaults(&c);
	snprintf(c.containers, sizeof c.containers, "kato*,*redis");
	char why[128];

	/* --once: the whole input is one frame. */
	alerts *a = alerts_new(&c);
	fuzz_check(a != NULL);
	cJSON *whole = js_parse((const char *)data, size, why, sizeof why);
	if (whole)
		judge(a, whole);
	alerts_free(a);

	/* The filter: every line, one engine, two frames over to fire. */
	c.consecutive = 2;
	a = alerts_new(&c);
	fuzz_check(a != NULL);
	size_t pos = 0, len;
	char *line;
	while ((line = fuzz_line(data, size, &pos, &len))) {
		cJSON *j = js_parse(line, len, why, sizeof why);
		if (j)
			judge(a, j);
		free(line);
	}
	alerts_free(a);
	return 0;
}
