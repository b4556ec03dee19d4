/* rsess.c - see rsess.h. */
#include "rsess.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "js.h"

void rsess_init(rsess *r, int64_t window_ms, int64_t cache_ms)
{
	memset(r, 0, sizeof *r);
	r->window_ms = window_ms;
	r->cache_ms = cache_ms;
}

void rsess_count(rsess *r, double count, int64_t mono_ms)
{
	if (r->have && r->hn && r->hist[(r->hstart + r->hn - 1) % RSESS_HIST].count == count) {
		r->count = count;
		return;
	}
	r->have = 1;
	r->count = count;
	if (r->hn == RSESS_HIST) { /* full: the oldest goes */
		r->hstart = (r->hstart + 1) % RSESS_HIST;
		r->hn--;
	}
	size_t i = (r->hstart + r->hn++) % RSESS_HIST;
	r->hist[i].ms = mono_ms;
	r->hist[i].count = count;
}

/* Whether Redis had count v at some time in [now - window, now]: the
 * value in force at the window's start counts too. */
static int seen_lately(const rsess *r, double v, int64_t now)
{
	int64_t from = now - r->window_ms;
	for (size_t k = r->hn; k-- > 0;) {
		size_t i = (r->hstart + k) % RSESS_HIST;
		if (r->hist[i].count == v)
			return 1;
		if (r->hist[i].ms <= from)
			break; /* this one was in force at the start: older ones not */
	}
	return 0;
}

static char *session_update(const cJSON *sess, const char *ts)
{
	const char *op = js_str(sess, "op");
	int reset = op && !strcmp(op, "reset"); /* the list starts afresh */
	if (!op || (strcmp(op, "added") && strcmp(op, "updated") &&
	            strcmp(op, "removed") && !reset) ||
	    (!reset && !js_str(sess, "session_id")))
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON *copy = reset ? NULL : cJSON_Duplicate(sess, 1);
	char *t = NULL;
	if (o && (copy || reset) &&
	    cJSON_AddStringToObject(o, "type", "session_update") &&
	    cJSON_AddStringToObject(o, "timestamp", ts) &&
	    cJSON_AddStringToObject(o, "op", op)) {
		if (copy)
			cJSON_AddItemToObject(o, "session", copy);
		copy = NULL;
		t = cJSON_PrintUnformatted(o);
	}
	cJSON_Delete(copy);
	cJSON_Delete(o);
	return t;
}

static char *session_event(rsess *r, const cJSON *ev, const char *ts,
                           int64_t mono_ms)
{
	const char *type = js_str(ev, "event_type");
	double cur, prev, delta;
	if (!type || (strcmp(type, "session_created") &&
	              strcmp(type, "session_destroyed") &&
	              strcmp(type, "session_expired")) ||
	    !js_num(ev, "current_count", &cur) ||
	    !js_num(ev, "previous_count", &prev) || !js_num(ev, "delta", &delta))
		return NULL;
	rsess_count(r, cur, mono_ms);
	cJSON *o = cJSON_CreateObject();
	cJSON *d = cJSON_CreateObject();
	char *t = NULL;
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(ev, "session_id");
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(ev, "node_id");
	if (o && d && cJSON_AddStringToObject(o, "type", "session_event") &&
	    cJSON_AddStringToObject(o, "event_type", type) &&
	    cJSON_AddStringToObject(o, "timestamp", ts) &&
	    cJSON_AddNumberToObject(d, "current_count", cur) &&
	    cJSON_AddNumberToObject(d, "previous_count", prev) &&
	    cJSON_AddNumberToObject(d, "delta", delta) &&
	    cJSON_AddItemToObject(d, "session_id",
	                          cJSON_IsString(sid) ? cJSON_CreateString(sid->valuestring)
	                                              : cJSON_CreateNull()) &&
	    cJSON_AddItemToObject(d, "node_id",
	                          cJSON_IsString(node) ? cJSON_CreateString(node->valuestring)
	                                               : cJSON_CreateNull())) {
		cJSON_AddItemToObject(o, "data", d);
		d = NULL;
		t = cJSON_PrintUnformatted(o);
	}
	cJSON_Delete(d);
	cJSON_Delete(o);
	return t;
}

char *rsess_message(rsess *r, const cJSON *j, const char *ts,
                    int64_t mono_ms, char *err, size_t errlen)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "session");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "event");
	char *t = NULL;
	if (cJSON_IsObject(s))
		t = session_update(s, ts);
	else if (cJSON_IsObject(e))
		t = session_event(r, e, ts, mono_ms);
	if (!t)
		snprintf(err, errlen, "%s from %s is not one kato-sessions writes "
		         "(or memory ran out)",
		         s ? "\"session\"" : "\"event\"", RSESS_SOURCE);
	return t;
}

void rsess_section(rsess *r, cJSON *sec, int redis_ok, int have_kato,
                   double kato, int64_t mono_ms, int64_t now_wall)
{
	r->note[0] = '\0';
	int use = redis_ok && r->have;
	if (use) {
		cJSON *n = cJSON_CreateNumber(r->count);
		if (n && cJSON_GetObjectItemCaseSensitive(sec, "active_count"))
			cJSON_ReplaceItemInObjectCaseSensitive(sec, "active_count", n);
		else if (n)
			cJSON_AddItemToObject(sec, "active_count", n);
	}
	cJSON_AddStringToObject(sec, "active_count_source",
	                        use ? RSESS_SOURCE : "session-summary");

	int wrong = use && have_kato && !seen_lately(r, kato, mono_ms);
	if (!wrong) {
		if (r->reported && use && have_kato)
			snprintf(r->note, sizeof r->note, "session counts agree again: "
			         "KATO's /sessions/count and Redis both say %.0f",
			         use ? r->count : kato);
		r->since_wall = r->since_mono = 0;
		r->reported = 0;
		return;
	}
	if (!r->since_mono) {
		r->since_mono = mono_ms;
		r->since_wall = now_wall;
	}
	if (mono_ms - r->since_mono <= r->cache_ms)
		return;
	char since[CLOCK_ISO_LEN];
	clock_iso_ms(since, r->since_wall);
	cJSON *m = cJSON_CreateObject();
	if (m) {
		cJSON_AddNumberToObject(m, "redis", r->count);
		cJSON_AddNumberToObject(m, "kato", kato);
		cJSON_AddStringToObject(m, "since", since);
		cJSON_AddItemToObject(sec, "count_mismatch", m);
	}
	if (!r->reported)
		snprintf(r->note, sizeof r->note, "session counts disagree: KATO's "
		         "/sessions/count says %.0f, Redis has %.0f (since %s, longer "
		         "than KATO's caches explain)", kato, r->count, since);
	r->reported = 1;
}
