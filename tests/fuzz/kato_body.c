/* KATO's answers as kato-metrics and session-summary read them
 * (kato_json, common/kato.c, with http_status_error's excerpt of a body,
 * common/http.c; count_at, cmd/session-summary/count.c).  Input: a body,
 * taken as the answer of GET /metrics with HTTP 200, 500 and 503, and of
 * GET /sessions/count and /status.  An answer is either a JSON object or
 * an error text that names the URL, on one line, that survives a trip
 * through JSON (valid UTF-8, no NUL). */
#include <cjson/cJSON.h>

#include "count.h"
#include "fuzz.h"
#include "http.h"
#include "js.h"
#include "kato.h"

static http_client client;

static void check_err(const char *err)
{
	fuzz_check(!strncmp(err, "GET http://kato:8000/", 21));
	fuzz_check(!strchr(err, '\n') && !strchr(err, '\r'));
	size_t n = strlen(err);
	fuzz_check(n < HTTP_ERR_LEN);
	/* It goes into a record: text JSON can carry. */
	char why[64];
	cJSON *s = cJSON_CreateString(err);
	char *printed = cJSON_PrintUnformatted(s);
	cJSON *back = js_parse(printed, strlen(printed), why, sizeof why);
	fuzz_check(cJSON_IsString(back) && !strcmp(back->valuestring, err));
	cJSON_Delete(back);
	cJSON_free(printed);
	cJSON_Delete(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!client.target.base[0]) {
		char err[HTTP_ERR_LEN];
		if (http_target_parse(&client.target, "http://kato:8000", err) < 0)
			abort();
	}
	static const long statuses[] = {200, 500, 503};
	char *body = fuzz_str(data, size);
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		http_req r = {.path = "/metrics", .status = statuses[i],
		              .body = body, .len = size};
		char err[HTTP_ERR_LEN] = "";
		cJSON *j = kato_json(&client, &r, err);
		if (j)
			fuzz_check(statuses[i] == 200 && cJSON_IsObject(j));
		else
			check_err(err);
		cJSON_Delete(j);
	}
	static const char *const routes[][2] = {
	    {"/sessions/count", "active_session_count"},
	    {"/status", "sessions.total_sessions"},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		http_req r = {.path = routes[i][0], .status = 200, .body = body,
		              .len = size};
		char err[HTTP_ERR_LEN] = "";
		double v = -1;
		if (count_at(&client, &r, routes[i][1], &v, err) == 0)
			fuzz_check(v >= 0 && v <= 9e15 && v == (double)(int64_t)v);
		else
			check_err(err);
	}
	free(body);
	return 0;
}
