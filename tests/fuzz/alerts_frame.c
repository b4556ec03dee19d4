/* kato-alerts' frame parser and rules (cmd/kato-alerts/rules.c): the
 * frames it reads on stdin.  Input: as --once reads it, one frame (maybe
 * pretty-printed); and as the filter reads it, NDJSON, each
 * realtime_update line judged in turn by one engine.  Every message made
 * must be a JSON object with a "type".  And the copy of each line with
 * data.thresholds spliced in (splice.c) must parse, hold the member, and
 * leave every other top-level member as it was. */
#include <cjson/cJSON.h>

#include "clock.h"
#include "fuzz.h"
#include "js.h"
#include "rules.h"
#include "splice.h"

static int is_frame(const cJSON *j)
{
	const char *t = js_str(j, "type");
	return t && !strcmp(t, "realtime_update");
}

/* Where splice_open finds data (an object), the spliced copy of line
 * parses, has data.thresholds, and the same "type". */
static void check_splice(const cJSON *j, const char *line, size_t len)
{
	long at = splice_open(line, len, "data");
	if (at < 0)
		return;
	fuzz_check((size_t)at <= len && line[at - 1] == '{');
	char *out = malloc(len + 64);
	fuzz_check(out != NULL);
	size_t n = splice_member(out, line, len, at, "thresholds", "{\"cpu_percent\":80}");
	char why[128];
	cJSON *k = js_parse(out, n, why, sizeof why);
	fuzz_check(k != NULL);
	double v = 0;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(k, "data");
	fuzz_check(cJSON_IsObject(d) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "data")));
	/* the raw "data" is the parsed one unless names were escaped or
	 * repeated: then the spliced member may be in another "data" */
	if (cJSON_IsObject(d) && !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "thresholds") &&
	    !memchr(line, '\\', len))
		fuzz_check(js_num(k, "data.thresholds.cpu_percent", &v) == 1 && v == 80);
	const char *t0 = js_str(j, "type"), *t1 = js_str(k, "type");
	fuzz_check((!t0 && !t1) || (t0 && t1 && !strcmp(t0, t1)));
	cJSON_Delete(k);
	free(out);
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
		if (j && cJSON_IsObject(j))
			check_splice(j, line, len);
		if (j)
			judge(a, j);
		free(line);
	}
	alerts_free(a);
	return 0;
}
