/* topics.c - WebSocket topics and subscription lists.  See topics.h. */
#include "topics.h"

#include <stdio.h>
#include <string.h>

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

unsigned topics_of_type(const char *type)
{
	if (!strcmp(type, "realtime_update"))
		return T_FRAME;
	if (!strcmp(type, "metrics_update"))
		return T_METRICS;
	if (!strcmp(type, "session_update"))
		return T_SESSIONS;
	if (!strcmp(type, "session_event"))
		return T_EVENTS;
	if (!strcmp(type, "system_alert") || !strcmp(type, "active_alerts"))
		return T_ALERTS;
	return 0;
}

char *topics_ascii(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n] && n < max && n + 1 < cap; n++) {
		unsigned char c = (unsigned char)s[n];
		out[n] = c < 0x20 || c > 0x7e ? '?' : (char)c;
	}
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
	return out;
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
			char q[104];
			topics_ascii(q, sizeof q, bad ? bad : "?", 100);
			snprintf(err, TOPICS_ERR_LEN,
			         "unknown topic %s (topics: metrics, "
			         "containers, sessions, session_events, "
			         "system_alerts); subscriptions unchanged", q);
			cJSON_free(bad);
			return TOPICS_UNKNOWN;
		}
		m |= topics[i].bit;
	}
	*mask = m;
	return 0;
}
