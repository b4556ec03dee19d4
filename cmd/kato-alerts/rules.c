/* rules.c - kato-alerts' rule engine.  See rules.h for the rules.
 *
 * Each rule turns a frame into an observation per alert id: over (with a
 * level), under (clear), in between, or unknown.  step() runs one alert's
 * small state machine on it (pending streak, firing, level, last sent) and
 * appends the system_alert messages it calls for.
 */
#include "rules.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "js.h"

enum level { LV_WARNING, LV_ERROR };
static const char *const level_name[] = {"warning", "error"};

/* What one frame says about one alert. */
enum verdict {
	V_HOLD,  /* unknown (null, section missing): change nothing */
	V_BAND,  /* not over, not clear (hysteresis band): a pending streak
	            restarts, a firing alert keeps firing */
	V_OVER,  /* over the threshold */
	V_UNDER, /* clear: a firing alert resolves */
};

typedef struct obs {
	enum verdict v;
	enum level level;      /* for V_OVER */
	int vkind;             /* value: 0 null, 1 number, 2 string */
	double num;
	char str[128];
	int have_threshold;
	double threshold;
	char message[512];
	char cause[160];       /* what is wrong, without changing numbers: a
	                          firing alert whose cause changes is re-sent */
	char container[192];   /* the container to point at, or "" */
} obs;

typedef struct alert {
	char id[224];          /* "<type>" or "<type>:<name>" */
	char type[32];         /* rule name */
	const char *key;       /* "container", "source" or NULL */
	char name[192];        /* the container or source, or "" */
	int firing;            /* fires now */
	unsigned streak;       /* frames over in a row while not firing */
	unsigned clear;        /* frames clear in a row while firing */
	int64_t since_ms;      /* frame time it started firing */
	char cause[160];       /* the cause last sent while firing */
	char fired[512];       /* the message last sent while firing */
	enum level level;      /* level while firing */
	int64_t last_sent_ms;  /* frame time of the last firing message */
	char since[CLOCK_ISO_LEN]; /* frame timestamp it started firing */
	cJSON *obj;            /* the alert object last sent while firing */
	int seen;              /* observed in the current frame */
} alert;

struct alerts {
	alerts_cfg cfg;
	alert *v;              /* tracked alerts: firing or pending */
	size_t n, cap;
	int started;           /* a frame was evaluated */
	int64_t first_ms;      /* time of the first frame */
	int changed;           /* the firing set changed in this frame */
	int oom;               /* memory ran out in this frame */
	char (*known)[192];    /* containers listed so far: one that leaves the
	                          list is missing, not fine */
	size_t nknown, capknown;
	const cJSON *stale;    /* this frame's "stale" list */
	int multi;             /* containers of several hosts: named
	                          HOST/NAME (-1 before the first list) */
};

#define KNOWN_MAX 4096 /* containers remembered */

void alerts_cfg_defaults(alerts_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->cpu = 80;
	c->cpu_error = 90;
	c->mem = 85;
	c->mem_error = 95;
	c->err_rate = 0.05;
	c->err_rate_error = 0.10;
	c->host_cpu = 90;
	c->host_cpu_error = 95;
	c->host_mem = 90;
	c->host_mem_error = 95;
	c->hysteresis = 0.05;
	c->consecutive = 1;
	c->clear_frames = 2;
	c->cooldown_ms = 60000;
}

alerts *alerts_new(const alerts_cfg *cfg)
{
	alerts *a = calloc(1, sizeof *a);
	if (a) {
		a->cfg = *cfg;
		a->multi = -1;
	}
	return a;
}

void alerts_free(alerts *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		cJSON_Delete(a->v[i].obj);
	free(a->v);
	free(a->known);
	free(a);
}

size_t alerts_firing(const alerts *a)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++)
		k += a->v[i].firing != 0;
	return k;
}

static void make_id(char *id, size_t len, const char *type, const char *name)
{
	if (name && *name)
		snprintf(id, len, "%s:%s", type, name);
	else
		snprintf(id, len, "%s", type);
}

static alert *find(alerts *a, const char *type, const char *name)
{
	char id[sizeof a->v[0].id];
	make_id(id, sizeof id, type, name);
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].id, id))
			return &a->v[i];
	return NULL;
}

/* A new tracked alert, or NULL when memory runs out.  Pointers into a->v
 * are invalid after this. */
static alert *add(alerts *a, const char *type, const char *key,
                  const char *name)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		alert *v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	alert *al = &a->v[a->n++];
	memset(al, 0, sizeof *al);
	make_id(al->id, sizeof al->id, type, name);
	snprintf(al->type, sizeof al->type, "%s", type);
	al->key = key;
	snprintf(al->name, sizeof al->name, "%s", name ? name : "");
	return al;
}

/* The alert object: {"id","level","type","message","value","threshold",
 * "container"|"source","state","since"}; NULL when memory runs out. */
static cJSON *build_obj(const alert *al, const obs *o, const char *state)
{
	cJSON *j = cJSON_CreateObject();
	if (!j)
		return NULL;
	int ok = 1;
	ok &= cJSON_AddStringToObject(j, "id", al->id) != NULL;
	ok &= cJSON_AddStringToObject(j, "level", strcmp(state, "resolved")
	                                  ? level_name[al->level] : "info") != NULL;
	ok &= cJSON_AddStringToObject(j, "type", al->type) != NULL;
	ok &= cJSON_AddStringToObject(j, "message", o->message) != NULL;
	if (o->vkind == 2)
		ok &= cJSON_AddStringToObject(j, "value", o->str) != NULL;
	else
		ok &= js_add_num(j, "value", o->vkind == 1, o->num) != NULL;
	ok &= js_add_num(j, "threshold", o->have_threshold, o->threshold) != NULL;
	if (al->key)
		ok &= cJSON_AddStringToObject(j, al->key, al->name) != NULL;
	else if (o->container[0])
		ok &= cJSON_AddStringToObject(j, "container", o->container) != NULL;
	ok &= cJSON_AddStringToObject(j, "state", state) != NULL;
	ok &= cJSON_AddStringToObject(j, "since", al->since) != NULL;
	if (!ok) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* Append {"type":"system_alert","id","timestamp","state","alerts":[obj]}
 * for al (obj built from o, or, when o is NULL, the last one sent).  A
 * firing object is kept for active_alerts. */
static void emit(alerts *a, alert *al, const obs *o, const char *state,
                 const char *iso, cJSON *out)
{
	cJSON *obj = o ? build_obj(al, o, state) : cJSON_Duplicate(al->obj, 1);
	cJSON *msg = cJSON_CreateObject();
	cJSON *list = cJSON_CreateArray();
	cJSON *keep = NULL;
	if (obj && !strcmp(state, "firing"))
		keep = cJSON_Duplicate(obj, 1);
	if (!obj || !msg || !list || (!strcmp(state, "firing") && !keep) ||
	    !cJSON_AddStringToObject(msg, "type", "system_alert") ||
	    !cJSON_AddStringToObject(msg, "id", al->id) ||
	    !cJSON_AddStringToObject(msg, "timestamp", iso) ||
	    !cJSON_AddStringToObject(msg, "state", state)) {
		cJSON_Delete(obj);
		cJSON_Delete(msg);
		cJSON_Delete(list);
		cJSON_Delete(keep);
		a->oom = 1;
		return;
	}
	cJSON_AddItemToArray(list, obj);
	cJSON_AddItemToObject(msg, "alerts", list);
	cJSON_AddItemToArray(out, msg);
	if (keep) {
		cJSON_Delete(al->obj);
		al->obj = keep;
	}
}

/* "1 h 2 min", "3 min 4 s", "12 s": a duration for operators. */
static void say_duration(char *buf, size_t len, int64_t ms)
{
	int64_t t = ms < 0 ? 0 : (ms + 500) / 1000;
	if (t >= 3600)
		snprintf(buf, len, "%lld h %lld min", (long long)(t / 3600),
		         (long long)(t % 3600 / 60));
	else if (t >= 60)
		snprintf(buf, len, "%lld min %lld s", (long long)(t / 60),
		         (long long)(t % 60));
	else
		snprintf(buf, len, "%lld s", (long long)t);
}

static void start_firing(alerts *a, alert *al, const obs *o, int64_t now,
                         const char *iso)
{
	al->firing = 1;
	al->streak = 0;
	al->clear = 0;
	al->level = o->level;
	al->since_ms = now;
	snprintf(al->since, sizeof al->since, "%s", iso);
	al->last_sent_ms = now;
	a->changed = 1;
}

/* Send a firing message for al now, remembering its cause and text. */
static void send_firing(alerts *a, alert *al, const obs *o, int64_t now,
                        const char *iso, cJSON *out)
{
	al->last_sent_ms = now;
	snprintf(al->cause, sizeof al->cause, "%s", o->cause);
	snprintf(al->fired, sizeof al->fired, "%s", o->message);
	emit(a, al, o, "firing", iso, out);
}

/* Run one alert's state machine on what this frame says about it. */
static void step(alerts *a, const char *type, const char *key,
                 const char *name, const obs *o, int64_t now,
                 const char *iso, cJSON *out)
{
	alert *al = find(a, type, name);
	if (!al) {
		if (o->v != V_OVER)
			return; /* nothing to remember */
		if (!(al = add(a, type, key, name))) {
			a->oom = 1;
			return;
		}
	}
	al->seen = 1;
	switch (o->v) {
	case V_OVER:
		if (!al->firing) {
			if (++al->streak < a->cfg.consecutive)
				return;
			start_firing(a, al, o, now, iso);
			send_firing(a, al, o, now, iso, out);
			return;
		}
		al->clear = 0;
		if (o->level != al->level || strcmp(o->cause, al->cause) != 0) {
			/* warning <-> error, or another cause, is news: sent at
			 * once */
			al->level = o->level;
			a->changed = 1;
			send_firing(a, al, o, now, iso, out);
			return;
		}
		break;
	case V_BAND:
		if (!al->firing) {
			al->streak = 0;
			return;
		}
		al->clear = 0;
		break;
	case V_HOLD:
		if (!al->firing)
			return;
		break;
	case V_UNDER:
		al->streak = 0;
		if (!al->firing)
			return;
		if (++al->clear < a->cfg.clear_frames)
			break; /* clear, but not for long enough yet */
		al->firing = 0;
		al->clear = 0;
		a->changed = 1;
		{
			/* Say what fired and for how long. */
			obs r = *o;
			char d[64];
			int64_t ms = now - al->since_ms;
			say_duration(d, sizeof d, ms);
			snprintf(r.message, sizeof r.message, "Resolved after %s: %s. %s",
			         d, al->fired, o->message);
			emit(a, al, &r, "resolved", iso, out);
			cJSON *last = cJSON_GetArrayItem(out, cJSON_GetArraySize(out) - 1);
			cJSON *obj = cJSON_GetArrayItem(
			    cJSON_GetObjectItemCaseSensitive(last, "alerts"), 0);
			if (obj && !js_add_num(obj, "duration_s", 1,
			                       js_round((double)ms / 1000, 1)))
				a->oom = 1;
		}
		cJSON_Delete(al->obj);
		al->obj = NULL;
		return;
	}
	/* Still firing: a reminder once the cooldown has passed.  Frame time
	 * going backwards (a replay started over) restarts the cooldown. */
	if (now < al->last_sent_ms)
		al->last_sent_ms = now;
	if (now - al->last_sent_ms >= a->cfg.cooldown_ms) {
		if (o->v == V_HOLD || o->v == V_UNDER) {
			al->last_sent_ms = now;
			if (al->obj)
				emit(a, al, NULL, "firing", iso, out);
		} else {
			send_firing(a, al, o, now, iso, out);
		}
	}
}

/* --- the rules ----------------------------------------------------------- */

/* What an operator calls each built-in source's data. */
static const struct {
	const char *source;
	const char *what;
} source_words[] = {
    {"kato-metrics", "metrics from KATO"},
    {"docker-stats", "container stats"},
    {"session-summary", "session counts from KATO"},
    {"kato-sessions", "session list from KATO's Redis"},
};

static void source_what(char *buf, size_t len, const char *source)
{
	for (size_t i = 0; i < sizeof source_words / sizeof source_words[0]; i++)
		if (!strcmp(source_words[i].source, source)) {
			snprintf(buf, len, "%s", source_words[i].what);
			return;
		}
	if (!strncmp(source, "docker-stats@", 13))
		snprintf(buf, len, "container stats from host %s", source + 13);
	else
		snprintf(buf, len, "data from source %s", source);
}

/* Whether source is in this frame's "stale" list: its data is old, so
 * nothing judged on it is known now. */
static int is_stale(const alerts *a, const char *source)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, a->stale)
	{
		if (cJSON_IsString(s) && !strcmp(s->valuestring, source))
			return 1;
	}
	return 0;
}

/* Whether the frame holds the containers of two or more Docker hosts:
 * containers are then named "HOST/NAME". */
static int multi_host(const cJSON *frame)
{
	const cJSON *h = js_path(frame, "data.containers.hosts");
	return cJSON_IsObject(h) && h->child && h->child->next;
}

/* The key a container entry is known by, into key: "HOST/NAME" when the
 * entry names its host, else NAME (Docker's leading "/" stripped); the
 * known list keeps keys, so a container is the same one across a change
 * from one host to several.  Returns 0, or -1 when it has no name. */
static int container_key(const cJSON *c, char *key, size_t len)
{
	const char *name = js_str(c, "name");
	const char *host = js_str(c, "host");
	if (!name)
		return -1;
	if (*name == '/')
		name++;
	if (!*name)
		return -1;
	if (host && *host && !strchr(host, '/'))
		snprintf(key, len, "%s/%s", host, name);
	else
		snprintf(key, len, "%s", name);
	return 0;
}

/* How a container known by key is named in alerts: its key with several
 * hosts, its bare name with one. */
static const char *shown_name(const char *key, int multi)
{
	const char *slash = strchr(key, '/');
	return multi || !slash ? key : slash + 1;
}

/* The name of the container with the largest number at field (a dotted
 * path in each entry) into buf, or "".  A stale host's are not counted. */
static void top_container(const cJSON *frame, const char *field, char *buf,
                          size_t len)
{
	const cJSON *c;
	double best = -1;
	int multi = multi_host(frame);
	buf[0] = '\0';
	cJSON_ArrayForEach(c, js_path(frame, "data.containers.containers"))
	{
		double v;
		char key[192];
		if (container_key(c, key, sizeof key) < 0 ||
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "stale")) ||
		    !js_num(c, field, &v) || !isfinite(v) || v <= best)
			continue;
		best = v;
		snprintf(buf, len, "%s", shown_name(key, multi));
	}
}

/* A number at path over T fires (error at E and over); under T*(1-h) it
 * clears.  pct: value is a percent; else a fraction shown as a percent.
 * source: whose data it is (stale: unknown).  top: the per-container
 * field that names the container most to blame, or NULL. */
static void rule_numeric(alerts *a, const cJSON *frame, const char *type,
                         const char *path, double T, double E,
                         const char *what, int pct, const char *source,
                         const char *top, int64_t now, const char *iso,
                         cJSON *out)
{
	obs o = {.v = V_HOLD, .have_threshold = 1, .threshold = T};
	double v;
	if (js_num(frame, path, &v) && isfinite(v) && !is_stale(a, source)) {
		const alert *al = find(a, type, NULL);
		double h = a->cfg.hysteresis;
		int was_error = al && al->firing && al->level == LV_ERROR;
		o.vkind = 1;
		o.num = v;
		o.level = (v >= E || (was_error && v >= E * (1 - h))) ? LV_ERROR
		                                                       : LV_WARNING;
		o.v = v > T ? V_OVER : v < T * (1 - h) ? V_UNDER : V_BAND;
		double k = pct ? 1 : 100;
		int n = snprintf(o.message, sizeof o.message,
		                 "%s %s %.1f%% (threshold %g%%)", what,
		                 o.v == V_UNDER ? "back to" : "at", v * k, T * k);
		snprintf(o.cause, sizeof o.cause, "%s high", what);
		if (top && o.v != V_UNDER) {
			top_container(frame, top, o.container, sizeof o.container);
			if (o.container[0] && n > 0 && (size_t)n < sizeof o.message)
				snprintf(o.message + n, sizeof o.message - (size_t)n,
				         "; most in %s", o.container);
		}
	}
	step(a, type, NULL, NULL, &o, now, iso, out);
}

static int selected(const alerts *a, const char *name)
{
	const char *p = a->cfg.containers;
	if (!*p)
		return 1;
	while (*p) {
		size_t n = strcspn(p, ",");
		char pat[sizeof a->cfg.containers];
		snprintf(pat, sizeof pat, "%.*s", (int)n, p);
		if (n && fnmatch(pat, name, 0) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_known(const void *x, const void *y)
{
	return strcmp((const char *)x, (const char *)y);
}

/* Whether name is in the sorted list of n names. */
static int in_sorted(const char **list, size_t n, const char *name)
{
	return n && bsearch(&name, list, n, sizeof *list, cmp_str) != NULL;
}

/* Remember the containers listed now (names, sorted, n) among those known
 * (kept sorted; bounded: past KNOWN_MAX, or with a name of 192 bytes or
 * more, a container is not watched for going missing).  O(n log n): a
 * host may list thousands. */
static void know_all(alerts *a, const char **names, size_t n)
{
	size_t before = a->nknown;
	for (size_t i = 0; i < n; i++) {
		const char *name = names[i];
		if (strlen(name) >= sizeof a->known[0] || a->nknown == KNOWN_MAX)
			continue;
		if (before && bsearch(name, a->known, before, sizeof a->known[0],
		                      cmp_known))
			continue;
		if (i > 0 && !strcmp(names[i - 1], name))
			continue; /* the same name twice in one list */
		if (a->nknown == a->capknown) {
			size_t cap = a->capknown ? a->capknown * 2 : 16;
			char(*k)[192] = realloc(a->known, cap * sizeof *k);
			if (!k) {
				a->oom = 1;
				break;
			}
			a->known = k;
			a->capknown = cap;
		}
		snprintf(a->known[a->nknown++], sizeof a->known[0], "%s", name);
	}
	if (a->nknown != before)
		qsort(a->known, a->nknown, sizeof a->known[0], cmp_known);
}

/* With one Docker host a container is named NAME; with several,
 * HOST/NAME.  When the frame goes from one to several (or back), the
 * container alerts under the old names are withdrawn (the next
 * active_alerts leaves them out) and fire again under the new ones. */
static void rename_containers(alerts *a, int multi)
{
	if (a->multi == multi)
		return;
	if (a->multi >= 0)
		for (size_t i = 0; i < a->n; i++)
			if (!strcmp(a->v[i].type, "container_down")) {
				if (a->v[i].firing)
					a->changed = 1;
				a->v[i].firing = 0;
				a->v[i].streak = 0;
			}
	a->multi = multi;
}

static void rule_containers(alerts *a, const cJSON *frame, int64_t now,
                            const char *iso, cJSON *out)
{
	const cJSON *list = js_path(frame, "data.containers.containers");
	const cJSON *arr = cJSON_IsArray(list) ? list : NULL;
	if (is_stale(a, "docker-stats"))
		arr = NULL; /* an old list: nothing is known about them now */
	if (arr)
		rename_containers(a, multi_host(frame));
	int multi = a->multi > 0;
	const cJSON *c;
	size_t nnames = 0, cap = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
	const char **names = cap ? malloc(cap * sizeof *names) : NULL;
	char(*keys)[192] = cap ? malloc(cap * sizeof *keys) : NULL;
	if (cap && (!names || !keys)) {
		free(names);
		free(keys);
		a->oom = 1;
		return;
	}
	cJSON_ArrayForEach(c, arr)
	{
		char *key = keys[nnames];
		if (container_key(c, key, sizeof keys[0]) < 0)
			continue;
		const char *bare = shown_name(key, 0);
		if (!selected(a, bare))
			continue;
		names[nnames++] = key;
		/* A stale host's containers are its last word: not missing,
		 * not judged. */
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "stale")))
			continue;
		const char *name = shown_name(key, multi);
		const char *host = js_str(c, "host");
		int on = multi && host && *host; /* name the host in words */
		const char *st = js_str(c, "status");
		obs o = {.v = V_HOLD, .level = LV_ERROR};
		snprintf(o.container, sizeof o.container, "%s", name);
		if (st && !strcmp(st, "running")) {
			o.v = V_UNDER;
			o.vkind = 2;
			snprintf(o.str, sizeof o.str, "%s", st);
			snprintf(o.message, sizeof o.message,
			         "Container %s%s%s is running again", bare,
			         on ? " on host " : "", on ? host : "");
		} else if (st) {
			o.v = V_OVER;
			o.vkind = 2;
			snprintf(o.str, sizeof o.str, "%s", st);
			snprintf(o.message, sizeof o.message, "Container %s%s%s is %s",
			         bare, on ? " on host " : "", on ? host : "",
			         *st ? st : "not running");
			snprintf(o.cause, sizeof o.cause, "%s", o.str);
		}
		step(a, "container_down", "container", name, &o, now, iso, out);
	}
	/* A container listed before and gone from a good list is missing
	 * until it is back. */
	if (nnames)
		qsort(names, nnames, sizeof *names, cmp_str);
	size_t nknown = a->nknown; /* those known before this frame */
	for (size_t i = 0; arr && i < nknown; i++) {
		if (in_sorted(names, nnames, a->known[i]))
			continue;
		obs o = {.v = V_OVER, .level = LV_ERROR, .vkind = 2};
		snprintf(o.str, sizeof o.str, "missing");
		snprintf(o.cause, sizeof o.cause, "missing");
		char name[sizeof a->known[0]];
		snprintf(name, sizeof name, "%s", shown_name(a->known[i], multi));
		snprintf(o.container, sizeof o.container, "%s", name);
		const char *slash = strchr(a->known[i], '/');
		if (multi && slash)
			snprintf(o.message, sizeof o.message,
			         "Container %s on host %.*s is missing: the container "
			         "engine no longer lists it",
			         slash + 1, (int)(slash - a->known[i]), a->known[i]);
		else
			snprintf(o.message, sizeof o.message,
			         "Container %s is missing: the container engine no "
			         "longer lists it",
			         shown_name(a->known[i], 0));
		step(a, "container_down", "container", name, &o, now, iso, out);
	}
	know_all(a, names, nnames);
	free(names);
	free(keys);
}

static void rule_kato(alerts *a, const cJSON *frame, int64_t now,
                      const char *iso, cJSON *out)
{
	obs o = {.v = V_HOLD};
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(
	    js_path(frame, "sources"), "kato-metrics");
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(src, "ok");
	const char *merr = js_str(frame, "data.metrics.error");
	const char *serr = js_str(src, "error");
	int metrics_ok = cJSON_IsObject(js_path(frame, "data.metrics")) && !merr;
	/* Before kato-metrics' first record nothing is known (source_stale
	 * says so); after it, a failure is KATO unreachable or failing. */
	if (merr && !strncmp(merr, "no data yet", 11))
		merr = NULL;
	int failed = merr != NULL;
	if (cJSON_IsFalse(ok) && !(serr && !strncmp(serr, "no data yet", 11))) {
		failed = 1;
		if (!merr)
			merr = serr;
	}
	const char *hs = js_str(frame, "data.health.status");
	const alert *al = find(a, "kato_unhealthy", NULL);
	char age[64] = "";
	if (al && al->firing) {
		char d[48];
		say_duration(d, sizeof d, now - al->since_ms);
		snprintf(age, sizeof age, " for %s", d);
	}
	if (is_stale(a, "kato-metrics")) {
		/* Old news: KATO's state now is unknown (source_stale says
		 * why). */
	} else if (failed) {
		o.v = V_OVER;
		o.level = LV_ERROR;
		snprintf(o.cause, sizeof o.cause, "%s",
		         merr ? merr : "its metrics could not be read");
		snprintf(o.message, sizeof o.message,
		         "KATO is unreachable or failing%s: %s", age, o.cause);
	} else if (hs && (!strcmp(hs, "degraded") || !strcmp(hs, "unhealthy"))) {
		o.v = V_OVER;
		o.level = strcmp(hs, "degraded") ? LV_ERROR : LV_WARNING;
		o.vkind = 2;
		snprintf(o.str, sizeof o.str, "%s", hs);
		snprintf(o.cause, sizeof o.cause, "health %s", hs);
		int n = snprintf(o.message, sizeof o.message, "KATO health is %s", hs);
		const cJSON *issue;
		const char *sep = ": ";
		cJSON_ArrayForEach(issue, js_path(frame, "data.health.issues"))
		{
			if (!cJSON_IsString(issue) || n < 0 ||
			    (size_t)n >= sizeof o.message)
				continue;
			n += snprintf(o.message + n, sizeof o.message - (size_t)n, "%s%s",
			              sep, issue->valuestring);
			sep = "; ";
		}
	} else if (hs && !strcmp(hs, "healthy") && metrics_ok) {
		o.v = V_UNDER;
		o.vkind = 2;
		snprintf(o.str, sizeof o.str, "%s", hs);
		snprintf(o.message, sizeof o.message, "KATO is healthy again");
	}
	step(a, "kato_unhealthy", NULL, NULL, &o, now, iso, out);
}

/* What the frame says of a stale-list name: its sources entry, or for
 * "docker-stats@HOST" that host's block (data.containers.hosts), which
 * has the same "ok" and "age_ms". */
static const cJSON *source_info(const cJSON *frame, const char *name)
{
	if (!strncmp(name, "docker-stats@", 13))
		return cJSON_GetObjectItemCaseSensitive(
		    js_path(frame, "data.containers.hosts"), name + 13);
	return cJSON_GetObjectItemCaseSensitive(js_path(frame, "sources"), name);
}

static void rule_stale(alerts *a, const cJSON *frame, int64_t now,
                       const char *iso, cJSON *out)
{
	const cJSON *stale = cJSON_GetObjectItemCaseSensitive(frame, "stale");
	const cJSON *arr = cJSON_IsArray(stale) ? stale : NULL;
	/* A source that never sent anything is given what kato-merge gives it
	 * by default, three intervals, from the first frame seen here. */
	double interval = 3000;
	js_num(frame, "interval_ms", &interval);
	int64_t grace = isfinite(interval) && interval > 0 && interval < 864e5
	                    ? (int64_t)(3 * interval) : 9000;
	/* KATO known unreachable (not merely degraded) names the outage. */
	const alert *kato = find(a, "kato_unhealthy", NULL);
	int kato_down = kato && kato->firing && strncmp(kato->cause, "health ", 7);
	/* Every Docker host stopped ("docker-stats" itself stale): one alert,
	 * not one more per host (docker-stats@HOST). */
	int docker_down = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, arr)
		if (cJSON_IsString(s) && !strcmp(s->valuestring, "docker-stats"))
			docker_down = 1;
	cJSON_ArrayForEach(s, arr)
	{
		if (!cJSON_IsString(s) || !*s->valuestring)
			continue;
		const char *name = s->valuestring;
		const cJSON *src = source_info(frame, name);
		obs o = {.v = V_OVER, .level = LV_WARNING};
		char what[128];
		source_what(what, sizeof what, name);
		snprintf(o.cause, sizeof o.cause, "stale");
		double age;
		if (!js_num(src, "age_ms", &age) && now - a->first_ms < grace)
			o.v = V_HOLD; /* starting up: it may not have had time yet */
		if (!strcmp(name, "kato-metrics") && kato_down)
			o.v = V_HOLD; /* the outage is already named by its cause */
		if (!strncmp(name, "docker-stats@", 13) && docker_down)
			o.v = V_HOLD; /* ... by "docker-stats", for every host */
		if (js_num(src, "age_ms", &age) && isfinite(age)) {
			o.vkind = 1;
			o.num = js_round(age / 1000, 1);
			snprintf(o.message, sizeof o.message,
			         "No fresh %s for %.0f s", what, age / 1000);
		} else {
			snprintf(o.message, sizeof o.message, "No %s yet", what);
		}
		step(a, "source_stale", "source", name, &o, now, iso, out);
	}
	/* The tracked ones not in the list: resolved once their source sends
	 * good records again; a fresh failing record is no recovery. */
	for (size_t i = 0; arr && i < a->n; i++) {
		alert *al = &a->v[i];
		if (al->seen || strcmp(al->type, "source_stale") != 0)
			continue;
		const cJSON *src = source_info(frame, al->name);
		obs o = {.v = V_UNDER};
		char what[128];
		source_what(what, sizeof what, al->name);
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(src, "ok")))
			o.v = V_BAND;
		snprintf(o.message, sizeof o.message, "Fresh %s again", what);
		char name[sizeof al->name];
		snprintf(name, sizeof name, "%s", al->name);
		step(a, "source_stale", "source", name, &o, now, iso, out);
	}
}

/* {"type":"active_alerts","timestamp","alerts":[firing objects]} */
static void active(alerts *a, const char *iso, cJSON *out)
{
	cJSON *msg = cJSON_CreateObject();
	cJSON *list = cJSON_CreateArray();
	if (!msg || !list || !cJSON_AddStringToObject(msg, "type", "active_alerts") ||
	    !cJSON_AddStringToObject(msg, "timestamp", iso))
		goto oom;
	for (size_t i = 0; i < a->n; i++) {
		if (!a->v[i].firing || !a->v[i].obj)
			continue;
		cJSON *d = cJSON_Duplicate(a->v[i].obj, 1);
		if (!d)
			goto oom;
		cJSON_AddItemToArray(list, d);
	}
	cJSON_AddItemToObject(msg, "alerts", list);
	cJSON_AddItemToArray(out, msg);
	return;
oom:
	cJSON_Delete(msg);
	cJSON_Delete(list);
	a->oom = 1;
}

int alerts_eval(alerts *a, const cJSON *frame, int64_t now_ms,
                const char *iso, cJSON *out, char err[ALERTS_ERR_LEN])
{
	int before = cJSON_GetArraySize(out);
	a->changed = 0;
	a->oom = 0;
	if (!a->started)
		a->first_ms = now_ms;
	for (size_t i = 0; i < a->n; i++)
		a->v[i].seen = 0;
	const alerts_cfg *c = &a->cfg;
	const cJSON *stale = cJSON_GetObjectItemCaseSensitive(frame, "stale");
	a->stale = cJSON_IsArray(stale) ? stale : NULL;
	rule_numeric(a, frame, "high_cpu",
	             "data.containers.aggregated.total_cpu_percent", c->cpu,
	             c->cpu_error, "Container CPU", 1, "docker-stats", "cpu",
	             now_ms, iso, out);
	rule_numeric(a, frame, "high_memory",
	             "data.containers.aggregated.total_memory_percent", c->mem,
	             c->mem_error, "Container memory", 1, "docker-stats",
	             "memory.usage_percent", now_ms, iso, out);
	rule_numeric(a, frame, "high_error_rate",
	             "data.metrics.performance.error_rate", c->err_rate,
	             c->err_rate_error, "KATO error rate", 0, "kato-metrics", NULL,
	             now_ms, iso, out);
	rule_numeric(a, frame, "kato_host_cpu", "data.metrics.resources.cpu_percent",
	             c->host_cpu, c->host_cpu_error, "KATO host CPU", 1,
	             "kato-metrics", NULL, now_ms, iso, out);
	rule_numeric(a, frame, "kato_host_memory",
	             "data.metrics.resources.memory_percent", c->host_mem,
	             c->host_mem_error, "KATO host memory", 1, "kato-metrics", NULL,
	             now_ms, iso, out);
	rule_containers(a, frame, now_ms, iso, out);
	rule_kato(a, frame, now_ms, iso, out);
	rule_stale(a, frame, now_ms, iso, out);
	if (a->changed || !a->started)
		active(a, iso, out);
	a->started = 1;

	a->stale = NULL;
	/* Forget what neither fires nor is pending. */
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].firing || a->v[i].streak)
			a->v[k++] = a->v[i];
		else
			cJSON_Delete(a->v[i].obj);
	}
	a->n = k;

	if (a->oom) {
		snprintf(err, ALERTS_ERR_LEN, "out of memory evaluating alerts");
		return -1;
	}
	return cJSON_GetArraySize(out) - before;
}
