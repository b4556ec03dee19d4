/* kato-merge's record parser (merge_record, cmd/kato-merge/frame.c): the
 * collectors' records, and anything else written into its inputs.  Input:
 * NDJSON, one record a line, taken in order, then a tick's frame is built
 * (in realtime_update and in legacy mode).  Each event forwarded and each
 * frame must be one valid JSON object. */
#include <cjson/cJSON.h>

#include "frame.h"
#include "fuzz.h"
#include "ndj.h"

/* Build the frame at a fixed time and check it is a JSON object. */
static void frame_is_json(merge_state *m)
{
	size_t len = 0;
	const char *f = merge_frame(m, 1764096347538LL, 5000, 0.0, NDJ_LINE_MAX, &len);
	fuzz_check(f != NULL);
	fuzz_check(strlen(f) == len && !memchr(f, '\n', len));
	cJSON *j = cJSON_ParseWithLength(f, len);
	fuzz_check(cJSON_IsObject(j));
	cJSON_Delete(j);
}

static void run(const uint8_t *data, size_t size, int session_events,
                int legacy)
{
	merge_state m;
	if (merge_init(&m, session_events, legacy, 3000, 9000) < 0)
		abort();
	size_t pos = 0, len;
	char *line;
	while ((line = fuzz_line(data, size, &pos, &len))) {
		char *event = NULL, err[FRAME_ERR_LEN];
		enum merge_result r = merge_record(&m, line, len, 4000, 1764096346538LL,
		                                   &event, err);
		if (r == MERGE_BAD)
			fuzz_check(err[0] != '\0');
		if (r == MERGE_EVENT) {
			fuzz_check(event && !strchr(event, '\n'));
			cJSON *j = cJSON_Parse(event);
			fuzz_check(cJSON_IsObject(j));
			cJSON_Delete(j);
		} else {
			fuzz_check(event == NULL);
		}
		free(event);
		free(line);
	}
	frame_is_json(&m);
	merge_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, 1, 0);
	run(data, size, 0, 1);
	return 0;
}
