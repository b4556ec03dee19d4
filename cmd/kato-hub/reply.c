/* reply.c - kato-hub's own messages to WebSocket clients.  See reply.h. */
#include "reply.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "topics.h"

/* A new {"type":type,"timestamp":now} object. */
static cJSON *message(const char *type)
{
	char ts[CLOCK_ISO_LEN];
	cJSON *j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "type", type);
		cJSON_AddStringToObject(j, "timestamp", clock_iso_now(ts));
	}
	return j;
}

/* j printed as a msg; j is freed. */
static msg *done(cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	msg *m = s ? msg_new(s, strlen(s)) : NULL;
	cJSON_free(s);
	cJSON_Delete(j);
	return m;
}

msg *reply_connected(const reply_cfg *c)
{
	cJSON *j = message("connected");
	cJSON_AddNumberToObject(j, "interval_ms", (double)c->interval_ms);
	cJSON_AddItemToObject(j, "topics", topics_list(c->avail));
	cJSON_AddBoolToObject(j, "selective_subscriptions", c->selective);
	return done(j);
}

msg *reply_heartbeat(void) { return done(message("heartbeat")); }

msg *reply_error(const char *code, const char *text)
{
	cJSON *j = message("error");
	cJSON *e = cJSON_AddObjectToObject(j, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", text);
	return done(j);
}

msg *reply_subscribed(const reply_cfg *c, unsigned asked, unsigned *want)
{
	cJSON *r = message("subscribed");
	if (c->selective) {
		*want = asked & c->avail;
		cJSON_AddItemToObject(r, "topics", topics_list(*want));
		if (asked & ~c->avail)
			cJSON_AddItemToObject(r, "unavailable",
			                      topics_list(asked & ~c->avail));
	} else {
		*want = c->avail;
		cJSON_AddItemToObject(r, "topics", topics_list(c->avail));
		cJSON_AddBoolToObject(r, "selective_subscriptions", 0);
		cJSON_AddStringToObject(r, "message",
		                        "selective subscriptions are off: "
		                        "every topic stays on");
	}
	return done(r);
}
