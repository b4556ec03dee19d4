/* points.c - see points.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js.h"
#include "points.h"

static int add(points *pts, const char *name, double v)
{
	if (pts->n == pts->cap) {
		size_t cap = pts->cap ? 2 * pts->cap : 64;
		hist_point *np = realloc(pts->p, cap * sizeof *np);
		if (!np)
			return -1;
		pts->p = np;
		char (*nn)[HIST_NAME_MAX + 1] = realloc(pts->names, cap * sizeof *nn);
		if (!nn)
			return -1;
		pts->names = nn;
		pts->cap = cap;
	}
	snprintf(pts->names[pts->n], HIST_NAME_MAX + 1, "%s", name);
	pts->p[pts->n].value = v;
	pts->n++;
	return 0;
}

/* The number at path in obj, or NaN. */
static double num(const cJSON *obj, const char *path)
{
	double v;
	return obj && js_num(obj, path, &v) && isfinite(v) ? v : NAN;
}

static int listed(const cJSON *stale, const char *what)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, stale)
		if (cJSON_IsString(s) && strstr(s->valuestring, what))
			return 1;
	return 0;
}

/* Whether what itself (not a name holding it) is in the stale list:
 * "docker-stats@HOST" is one Docker host, not all of them. */
static int listed_as(const cJSON *stale, const char *what)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, stale)
		if (cJSON_IsString(s) && !strcmp(s->valuestring, what))
			return 1;
	return 0;
}

/* A section that is an object and not {"error":...}, or NULL. */
static const cJSON *section(const cJSON *data, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(data, key);
	if (!cJSON_IsObject(s))
		return NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "error");
	return e && !cJSON_IsNull(e) ? NULL : s;
}

static int good_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > POINTS_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

int points_from_frame(const cJSON *frame, points *pts)
{
	static const struct {
		const char *name, *path;
	} kato[] = {
	    {"kato.requests_per_second", "rates.requests_per_second"},
	    {"kato.errors_per_minute", "rates.errors_per_minute"},
	    {"kato.error_rate", "performance.error_rate"},
	    {"kato.response_time_s", "performance.average_response_time"},
	    {"host.cpu_percent", "resources.cpu_percent"},
	    {"host.memory_percent", "resources.memory_percent"},
	    {"host.disk_percent", "resources.disk_percent"},
	}, agg[] = {
	    {"containers.cpu_percent", "total_cpu_percent"},
	    {"containers.memory_mb", "total_memory_mb"},
	    {"containers.memory_percent", "total_memory_percent"},
	}, per[] = {
	    {"cpu_percent", "cpu"},
	    {"memory_bytes", "memory.usage_bytes"},
	    {"memory_percent", "memory.usage_percent"},
	    {"rx_bytes_per_s", "network.rx_bytes_per_s"},
	    {"tx_bytes_per_s", "network.tx_bytes_per_s"},
	    {"read_bytes_per_s", "block_io.read_bytes_per_s"},
	    {"write_bytes_per_s", "block_io.write_bytes_per_s"},
	};
	pts->n = 0;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(frame, "data");
	const cJSON *stale = cJSON_GetObjectItemCaseSensitive(frame, "stale");

	/* KATO's /metrics body: {"error":...} with null sections when KATO
	 * failed inside, so each number is simply absent then. */
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(data, "metrics");
	if (!cJSON_IsObject(m) || listed(stale, "kato-metrics"))
		m = NULL;
	for (size_t i = 0; i < sizeof kato / sizeof *kato; i++)
		if (add(pts, kato[i].name, num(m, kato[i].path)) < 0)
			return -1;

	const cJSON *s = section(data, "sessions");
	if (listed(stale, "session"))
		s = NULL;
	if (add(pts, "sessions.active", num(s, "active_count")) < 0)
		return -1;

	const cJSON *c = section(data, "containers");
	if (listed_as(stale, "docker-stats"))
		c = NULL;
	/* With two or more Docker hosts a container's series is named
	 * container.HOST/NAME.*, so the same name on two hosts is two series;
	 * with one, container.NAME.* as it always was. */
	const cJSON *hosts = c ? cJSON_GetObjectItemCaseSensitive(c, "hosts") : NULL;
	int multi = cJSON_IsObject(hosts) && hosts->child && hosts->child->next;
	const cJSON *a = c ? cJSON_GetObjectItemCaseSensitive(c, "aggregated") : NULL;
	for (size_t i = 0; i < sizeof agg / sizeof *agg; i++)
		if (add(pts, agg[i].name, num(a, agg[i].path)) < 0)
			return -1;
	const cJSON *e, *list = NULL;
	if (c)
		list = cJSON_GetObjectItemCaseSensitive(c, "containers");
	cJSON_ArrayForEach(e, list)
	{
		const char *name = js_str(e, "name");
		const char *host = multi ? js_str(e, "host") : NULL;
		if (!name)
			continue;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "stale")))
			continue; /* a stopped host's last word: a gap, not a value */
		size_t longest = 0; /* every series of it must fit, or none */
		for (size_t i = 0; i < sizeof per / sizeof *per; i++)
			if (strlen(per[i].name) > longest)
				longest = strlen(per[i].name);
		if (!good_name(name) || (host && !good_name(host)) ||
		    strlen("container..") + (host ? strlen(host) + 1 : 0) +
		            strlen(name) + longest > HIST_NAME_MAX) {
			pts->bad_names++;
			continue;
		}
		for (size_t i = 0; i < sizeof per / sizeof *per; i++) {
			char key[HIST_NAME_MAX + 1];
			snprintf(key, sizeof key, "container.%s%s%s.%s", host ? host : "",
			         host ? "/" : "", name, per[i].name);
			if (add(pts, key, num(e, per[i].path)) < 0)
				return -1;
		}
	}
	for (size_t i = 0; i < pts->n; i++)
		pts->p[i].name = pts->names[i];
	return 0;
}

void points_free(points *pts)
{
	free(pts->p);
	free(pts->names);
	pts->p = NULL;
	pts->names = NULL;
	pts->n = pts->cap = 0;
}

/* Copy the string at key of from into to, cut to max bytes on a UTF-8
 * character boundary.  Returns 0, or -1 when memory runs out. */
static int copy_str(cJSON *to, const cJSON *from, const char *key, size_t max)
{
	const char *v = js_str(from, key);
	if (!v)
		return 0;
	char buf[256];
	size_t n = strlen(v);
	if (max >= sizeof buf)
		max = sizeof buf - 1;
	if (n > max) {
		n = max;
		while (n && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return cJSON_AddStringToObject(to, key, buf) ? 0 : -1;
}

static int copy_num(cJSON *to, const cJSON *from, const char *key, const char *as)
{
	double v;
	if (!js_num(from, key, &v) || !isfinite(v))
		return 0;
	return cJSON_AddNumberToObject(to, as ? as : key, v) ? 0 : -1;
}

/* Append obj printed to out (its message dropped if it is too long) and
 * free obj.  built: obj was made whole.  Returns 1, or -1 when memory ran
 * out (now or while obj was built). */
static int emit(cJSON *obj, int built, cJSON *out)
{
	if (!built) {
		cJSON_Delete(obj);
		return -1;
	}
	char *txt = cJSON_PrintUnformatted(obj);
	if (txt && strlen(txt) > HIST_MARK_MAX) {
		free(txt);
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "message");
		txt = cJSON_PrintUnformatted(obj);
	}
	int r = -1;
	if (txt && strlen(txt) <= HIST_MARK_MAX) {
		cJSON *s = cJSON_CreateString(txt);
		if (s) {
			cJSON_AddItemToArray(out, s);
			r = 1;
		}
	} else if (txt) {
		r = 0; /* cannot happen with the cuts above; never a cut JSON */
	}
	free(txt);
	cJSON_Delete(obj);
	return r;
}

/* Has alert id changed state?  Records the new one. */
static int changed(marks_state *ms, const char *id, const char *state)
{
	for (unsigned i = 0; i < MARKS_SEEN; i++) {
		alert_seen *a = &ms->seen[i];
		if (a->id[0] && !strncmp(a->id, id, sizeof a->id - 1)) {
			if (!strncmp(a->state, state, sizeof a->state - 1))
				return 0;
			snprintf(a->state, sizeof a->state, "%s", state);
			return 1;
		}
	}
	alert_seen *a = &ms->seen[ms->next++ % MARKS_SEEN];
	snprintf(a->id, sizeof a->id, "%s", id);
	snprintf(a->state, sizeof a->state, "%s", state);
	return 1;
}

int marks_from_message(marks_state *ms, const cJSON *msg, cJSON *out)
{
	const char *type = js_str(msg, "type");
	int added = 0;
	if (type && !strcmp(type, "system_alert")) {
		const cJSON *al;
		cJSON_ArrayForEach(al, cJSON_GetObjectItemCaseSensitive(msg, "alerts"))
		{
			const char *state = js_str(al, "state");
			if (!state)
				state = js_str(msg, "state");
			if (!state)
				state = "firing";
			const char *id = js_str(al, "id");
			if (!id)
				id = js_str(msg, "id");
			if (id && !changed(ms, id, state))
				continue;
			cJSON *o = cJSON_CreateObject();
			int built = o && cJSON_AddStringToObject(o, "kind", "alert") &&
			            copy_str(o, al, "id", 63) == 0 &&
			            cJSON_AddStringToObject(o, "state", state) &&
			            copy_str(o, al, "level", 16) == 0 &&
			            copy_str(o, al, "type", 40) == 0 &&
			            copy_num(o, al, "value", NULL) == 0 &&
			            copy_num(o, al, "threshold", NULL) == 0 &&
			            copy_str(o, al, "container", 64) == 0 &&
			            copy_str(o, al, "source", 40) == 0 &&
			            copy_str(o, al, "message", 160) == 0;
			int r = emit(o, built, out);
			if (r < 0)
				return -1;
			added += r;
		}
	} else if (type && !strcmp(type, "session_event")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(msg, "data");
		cJSON *o = cJSON_CreateObject();
		int built = o && cJSON_AddStringToObject(o, "kind", "session") &&
		            copy_str(o, msg, "event_type", 40) == 0 &&
		            copy_num(o, d, "current_count", NULL) == 0 &&
		            copy_num(o, d, "previous_count", NULL) == 0 &&
		            copy_num(o, d, "delta", NULL) == 0 &&
		            copy_str(o, d, "session_id", 80) == 0;
		int r = emit(o, built, out);
		if (r < 0)
			return -1;
		added += r;
	}
	return added;
}
