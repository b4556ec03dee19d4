#include "rec.h"

#include <string.h>

#include "clock.h"

int rec_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > REC_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

static cJSON *head(const char *source)
{
	char ts[CLOCK_ISO_LEN];
	cJSON *r = cJSON_CreateObject();
	if (!r)
		return NULL;
	if (!cJSON_AddStringToObject(r, "source", source) ||
	    !cJSON_AddStringToObject(r, "ts", clock_iso_now(ts))) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

static cJSON *with(const char *source, const char *key, cJSON *item, int ok)
{
	cJSON *r = head(source);
	if (!r || !item) {
		cJSON_Delete(r);
		cJSON_Delete(item);
		return NULL;
	}
	if (ok >= 0)
		cJSON_AddBoolToObject(r, "ok", ok);
	cJSON_AddItemToObject(r, key, item);
	return r;
}

cJSON *rec_ok(const char *source, cJSON *data)
{
	return with(source, "data", data, 1);
}

cJSON *rec_fail(const char *source, const char *error)
{
	return with(source, "error", cJSON_CreateString(error), 0);
}

cJSON *rec_event(const char *source, cJSON *event)
{
	return with(source, "event", event, -1);
}
