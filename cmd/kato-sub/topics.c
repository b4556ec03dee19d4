/* topics.c - kato-sub's topics and frame filtering.  See topics.h. */
#include "topics.h"

#include <stdio.h>
#include <string.h>

#include "js.h"

const topic_info topics[NTOPICS] = {
    {"metrics", T_METRICS, NULL},
    {"containers", T_CONTAINERS, "WEBSOCKET_CONTAINER_STATS"},
    {"sessions", T_SESSIONS, NULL},
    {"session_events", T_EVENTS, "WEBSOCKET_SESSION_EVENTS"},
    {"system_alerts", T_ALERTS, "WEBSOCKET_SYSTEM_ALERTS"},
};

cJSON *topics_list(unsigned mask)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < NTOPICS; i++)
		if (mask & topics[i].bit)
			cJSON_AddItemToArray(a, cJSON_CreateString(topics[i].name));
	return a;
}

int topics_parse(const cJSON *j, unsigned *mask, char err[TOPICS_ERR_LEN])
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "subscriptions");
	if (!cJSON_IsArray(list)) {
		snprintf(err, TOPICS_ERR_LEN,
		         "subscribe needs \"subscriptions\": a list of topics");
		return TOPICS_BAD;
	}
	unsigned m = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, list)
	{
		size_t i = 0;
		if (cJSON_IsString(it))
			for (; i < NTOPICS; i++)
				if (!strcmp(it->valuestring, topics[i].name))
					break;
		if (!cJSON_IsString(it) || i == NTOPICS) {
			char *bad = cJSON_PrintUnformatted(it);
			snprintf(err, TOPICS_ERR_LEN,
			         "unknown topic %.100s (topics: metrics, "
			         "containers, sessions, session_events, "
			         "system_alerts); subscriptions unchanged",
			         bad ? bad : "?");
			cJSON_free(bad);
			return TOPICS_UNKNOWN;
		}
		m |= topics[i].bit;
	}
	*mask = m;
	return 0;
}

/* The topic a message type belongs to, or 0 for one that always passes. */
static unsigned type_topic(const char *type)
{
	if (!strcmp(type, "metrics_update"))
		return T_METRICS;
	if (!strcmp(type, "session_event"))
		return T_EVENTS;
	if (!strcmp(type, "session_update")) /* the session list's changes */
		return T_SESSIONS;
	if (!strcmp(type, "system_alert") || !strcmp(type, "active_alerts"))
		return T_ALERTS;
	return 0;
}

enum topics_verdict topics_filter(const char *line, size_t len, unsigned want,
                                  char **edited)
{
	char why[64];
	cJSON *j = js_parse(line, len, why, sizeof why);
	const char *type = js_str(j, "type");
	enum topics_verdict v = TOPICS_PASS;
	if (!type) {
		v = TOPICS_PASS;
	} else if (!strcmp(type, "realtime_update")) {
		cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
		if (!(want & T_METRICS)) {
			cJSON_DeleteItemFromObjectCaseSensitive(data, "metrics");
			cJSON_DeleteItemFromObjectCaseSensitive(data, "health");
		}
		if (!(want & T_CONTAINERS))
			cJSON_DeleteItemFromObjectCaseSensitive(data, "containers");
		if (!(want & T_SESSIONS))
			cJSON_DeleteItemFromObjectCaseSensitive(data, "sessions");
		*edited = cJSON_PrintUnformatted(j);
		v = *edited ? TOPICS_EDITED : TOPICS_NOMEM;
	} else {
		unsigned t = type_topic(type);
		v = t == 0 || (want & t) ? TOPICS_PASS : TOPICS_DROP;
	}
	cJSON_Delete(j);
	return v;
}
