/* test_rsess.c - kato-merge's side of kato-sessions: the messages it
 * forwards and the cross-check of KATO's count against Redis's. */
#include "../../cmd/kato-merge/rsess.c"

#include <stdlib.h>

#include "unit.h"

static char *msg(rsess *r, const char *rec, int64_t mono)
{
	char err[128];
	cJSON *j = cJSON_Parse(rec);
	char *t = rsess_message(r, j, "2026-12-02T03:00:00.000Z", mono, err, sizeof err);
	cJSON_Delete(j);
	return t;
}

/* The sessions section rsess_section makes from {"active_count":kato}. */
static char *section(rsess *r, int redis_ok, double kato, int64_t mono)
{
	cJSON *sec = cJSON_CreateObject();
	cJSON_AddNumberToObject(sec, "active_count", kato);
	rsess_section(r, sec, redis_ok, 1, kato, mono, 1796180000000);
	char *t = cJSON_PrintUnformatted(sec);
	cJSON_Delete(sec);
	return t;
}

int main(void)
{
	static rsess r; /* the history ring is large */
	rsess_init(&r, 11000, 5000);
	char *t = msg(&r, "{\"session\":{\"op\":\"added\",\"session_id\":\"s1\",\"node_id\":null}}", 0);
	CHECK(t && !strcmp(t, "{\"type\":\"session_update\",\"timestamp\":\"2026-12-02T03:00:00.000Z\","
	                      "\"op\":\"added\",\"session\":{\"op\":\"added\",\"session_id\":\"s1\",\"node_id\":null}}"),
	      "session_update: %s", t);
	free(t);
	t = msg(&r, "{\"event\":{\"event_type\":\"session_expired\",\"session_id\":\"s1\",\"node_id\":\"n\","
	            "\"current_count\":2,\"previous_count\":3,\"delta\":-1}}", 0);
	CHECK(t && strstr(t, "\"type\":\"session_event\",\"event_type\":\"session_expired\"") &&
	          strstr(t, "\"data\":{\"current_count\":2,\"previous_count\":3,\"delta\":-1,"
	                    "\"session_id\":\"s1\",\"node_id\":\"n\"}"),
	      "session_event: %s", t);
	free(t);
	CHECK(r.have && r.count == 2, "an event's count is Redis's count now");
	CHECK(!msg(&r, "{\"session\":{\"op\":\"gone\",\"session_id\":\"s1\"}}", 0), "bad op refused");
	CHECK(!msg(&r, "{\"event\":{\"event_type\":\"session_created\"}}", 0), "event without counts refused");

	/* Redis: 2 at 0 ms, 3 at 1000 ms.  KATO still says 2: fine for the
	 * window (11 s) after Redis left 2, then wrong; reported 5 s later. */
	rsess_count(&r, 3, 1000);
	t = section(&r, 1, 2, 5000);
	CHECK(strstr(t, "\"active_count\":3") && strstr(t, "\"active_count_source\":\"kato-sessions\"") &&
	          !strstr(t, "count_mismatch"),
	      "KATO lagging within the window: no mismatch (%s)", t);
	free(t);
	t = section(&r, 1, 2, 12500); /* 2 last seen at 1000: out of the window */
	CHECK(!strstr(t, "count_mismatch") && !r.note[0], "wrong, but not for 5 s yet");
	free(t);
	t = section(&r, 1, 2, 17600);
	CHECK(strstr(t, "\"count_mismatch\":{\"redis\":3,\"kato\":2,\"since\":") &&
	          strstr(r.note, "says 2, Redis has 3"),
	      "reported after 5 s (%s)", t);
	free(t);
	t = section(&r, 1, 2, 18000);
	CHECK(strstr(t, "count_mismatch") && !r.note[0], "still in the frame, noted once");
	free(t);
	t = section(&r, 1, 3, 18500);
	CHECK(!strstr(t, "count_mismatch") && strstr(r.note, "agree again"), "cleared when they agree");
	free(t);
	t = section(&r, 0, 5, 30000);
	CHECK(strstr(t, "\"active_count\":5") && strstr(t, "\"active_count_source\":\"session-summary\"") &&
	          !strstr(t, "count_mismatch"),
	      "Redis failing: KATO's count, no cross-check (%s)", t);
	free(t);
	for (int i = 0; i < RSESS_HIST + 10; i++)
		rsess_count(&r, i % 2 ? 7 : 8, 40000 + i);
	CHECK(r.hn == RSESS_HIST, "the history ring is bounded");
	return unit_done();
}
