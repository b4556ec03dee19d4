/* test_subtopics.c - kato-sub's topics: subscription lists and what each
 * subscription lets through of the hub's stream. */
#include "../../cmd/kato-sub/topics.c"

#include <stdlib.h>

#include "unit.h"

#define FRAME                                                               \
	"{\"type\":\"realtime_update\",\"data\":{\"metrics\":{\"a\":1},"          \
	"\"health\":{\"s\":\"ok\"},\"containers\":{\"containers\":[]},"           \
	"\"sessions\":{\"active_count\":2}},\"stale\":[],\"sources\":{}}"

/* The verdict on line for want, and the edited text (or "") in out. */
static enum topics_verdict filt(const char *line, unsigned want, char *out,
                                size_t cap)
{
	char *ed = NULL;
	enum topics_verdict v = topics_filter(line, strlen(line), want, &ed);
	snprintf(out, cap, "%s", ed ? ed : "");
	cJSON_free(ed);
	return v;
}

/* topics_parse on a subscribe message given as text. */
static int parse(const char *text, unsigned *mask, char *err)
{
	cJSON *j = cJSON_Parse(text);
	int r = topics_parse(j, mask, err);
	cJSON_Delete(j);
	return r;
}

int main(void)
{
	char out[1024], err[TOPICS_ERR_LEN];
	unsigned all = T_METRICS | T_CONTAINERS | T_SESSIONS | T_EVENTS | T_ALERTS;

	CHECK(filt(FRAME, T_METRICS, out, sizeof out) == TOPICS_EDITED,
	      "a frame for a narrowed client is edited");
	CHECK(!strcmp(out, "{\"type\":\"realtime_update\",\"data\":{\"metrics\":"
	                   "{\"a\":1},\"health\":{\"s\":\"ok\"}},\"stale\":[],"
	                   "\"sources\":{}}"),
	      "metrics keeps metrics and health, stale and sources: %s", out);
	filt(FRAME, T_CONTAINERS | T_SESSIONS, out, sizeof out);
	CHECK(!strstr(out, "metrics") && !strstr(out, "health") &&
	          strstr(out, "\"containers\"") && strstr(out, "\"sessions\""),
	      "containers+sessions drop metrics and health: %s", out);
	filt(FRAME, T_EVENTS, out, sizeof out);
	CHECK(!strcmp(out, "{\"type\":\"realtime_update\",\"data\":{},"
	                   "\"stale\":[],\"sources\":{}}"),
	      "no frame topic: an empty data: %s", out);

	const char *ev = "{\"type\":\"session_event\",\"data\":{}}";
	CHECK(filt(ev, T_EVENTS, out, sizeof out) == TOPICS_PASS,
	      "session_event passes for session_events");
	CHECK(filt(ev, T_METRICS, out, sizeof out) == TOPICS_DROP,
	      "session_event is dropped without it");
	const char *su = "{\"type\":\"session_update\",\"op\":\"added\",\"session\":{}}";
	CHECK(filt(su, T_SESSIONS, out, sizeof out) == TOPICS_PASS,
	      "session_update passes for sessions");
	CHECK(filt(su, T_EVENTS | T_METRICS, out, sizeof out) == TOPICS_DROP,
	      "session_update is dropped without it");
	CHECK(filt("{\"type\":\"metrics_update\"}", T_SESSIONS, out, sizeof out) ==
	          TOPICS_DROP,
	      "metrics_update belongs to metrics");
	CHECK(filt("{\"type\":\"active_alerts\"}", T_ALERTS, out, sizeof out) ==
	              TOPICS_PASS &&
	          filt("{\"type\":\"system_alert\"}", T_METRICS, out, sizeof out) ==
	              TOPICS_DROP,
	      "system_alert and active_alerts belong to system_alerts");
	CHECK(filt("{\"type\":\"connected\"}", 0, out, sizeof out) == TOPICS_PASS,
	      "an unknown type always passes");
	CHECK(filt("not json", 0, out, sizeof out) == TOPICS_PASS &&
	          filt("{\"x\":1}", 0, out, sizeof out) == TOPICS_PASS,
	      "a line without a readable type passes");

	unsigned m = 99;
	CHECK(parse("{\"subscriptions\":[\"metrics\",\"system_alerts\"]}", &m,
	            err) == 0 &&
	          m == (T_METRICS | T_ALERTS),
	      "a list of names gives their bits");
	CHECK(parse("{\"subscriptions\":[]}", &m, err) == 0 && m == 0,
	      "an empty list is no topic");
	m = 99;
	CHECK(parse("{\"subscriptions\":\"metrics\"}", &m, err) == TOPICS_BAD &&
	          m == 99 &&
	          !strcmp(err, "subscribe needs \"subscriptions\": a list of "
	                       "topics"),
	      "not a list: TOPICS_BAD, mask untouched");
	CHECK(parse("{\"subscriptions\":[\"metrics\",\"cpu\"]}", &m, err) ==
	              TOPICS_UNKNOWN &&
	          m == 99 &&
	          !strcmp(err, "unknown topic \"cpu\" (topics: metrics, containers, "
	                       "sessions, session_events, system_alerts); "
	                       "subscriptions unchanged"),
	      "an unknown name: %s", err);
	CHECK(parse("{\"subscriptions\":[3]}", &m, err) == TOPICS_UNKNOWN &&
	          !strncmp(err, "unknown topic 3 ", 16),
	      "a non-string item is unknown: %s", err);

	cJSON *l = topics_list(all & ~T_CONTAINERS);
	char *s = cJSON_PrintUnformatted(l);
	CHECK(!strcmp(s, "[\"metrics\",\"sessions\",\"session_events\","
	                 "\"system_alerts\"]"),
	      "topics_list names a mask in table order: %s", s);
	cJSON_free(s);
	cJSON_Delete(l);
	return unit_done();
}
