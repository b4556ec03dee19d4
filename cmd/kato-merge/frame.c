/* frame.c - see frame.h. */
#include "frame.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "js.h"
#include "rec.h"

enum kind { K_METRICS, K_CONTAINERS, K_SESSIONS, K_OTHER, K_RSESS };

/* The built-in sources, in frame order, and the sections they feed. */
static const struct builtin {
	const char *source;
	enum kind kind;
	const char *sect[2];
} builtins[] = {
    {"kato-metrics", K_METRICS, {"metrics", "health"}},
    {"docker-stats", K_CONTAINERS, {"containers", NULL}},
    {"session-summary", K_SESSIONS, {"sessions", NULL}},
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

static const struct builtin *builtin_of(const source *s)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (builtins[i].kind == (enum kind)s->kind)
			return &builtins[i];
	return NULL;
}

/* Print a JSON value to new text, or NULL when memory runs out. */
static char *print(const cJSON *j) { return cJSON_PrintUnformatted(j); }

/* {"error":"<msg>"} as text. */
static char *error_section(const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *t = NULL;
	if (o && cJSON_AddStringToObject(o, "error", msg))
		t = print(o);
	cJSON_Delete(o);
	return t;
}

/* "<msg>" as a JSON string literal. */
static char *json_string(const char *msg)
{
	cJSON *s = cJSON_CreateString(msg);
	char *t = s ? print(s) : NULL;
	cJSON_Delete(s);
	return t;
}

static void source_clear(source *s)
{
	free(s->sect[0]);
	free(s->sect[1]);
	free(s->err_json);
	cJSON_Delete(s->data);
	s->sect[0] = s->sect[1] = s->err_json = NULL;
	s->data = NULL;
}

/* A built-in source before its first record: "no data yet" everywhere. */
static int source_nodata(source *s)
{
	char msg[SOURCE_NAME_MAX + 32];
	snprintf(msg, sizeof msg, "no data yet from %s", s->name);
	const struct builtin *b = builtin_of(s);
	for (int i = 0; i < 2; i++)
		if (b && b->sect[i] && !(s->sect[i] = error_section(msg)))
			return -1;
	s->err_json = json_string("no data yet");
	return s->err_json ? 0 : -1;
}

int merge_init(merge_state *m, int session_events, int legacy,
               int64_t interval_ms, int64_t stale_ms)
{
	memset(m, 0, sizeof *m);
	m->session_events = session_events;
	m->legacy = legacy;
	m->interval_ms = interval_ms;
	m->stale_ms = stale_ms;
	rsess_init(&m->rs, 11000, 5000); /* 5 s caches + 5 s settle + 1 s poll */
	m->started_wall_ms = clock_wall_ms();
	for (size_t i = 0; i < NBUILTIN; i++) {
		source *s = &m->src[m->n++];
		snprintf(s->name, sizeof s->name, "%s", builtins[i].source);
		s->kind = builtins[i].kind;
		if (source_nodata(s) < 0)
			return -1;
	}
	return 0;
}

void merge_free(merge_state *m)
{
	dhosts_free(&m->dh);
	for (size_t i = 0; i < m->n; i++)
		source_clear(&m->src[i]);
	free(m->buf);
	m->buf = NULL;
	m->n = 0;
}

/* Section names the built-in sources own: another source may not use them
 * as its name, or its data would take their place. */
static int reserved(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		for (int j = 0; j < 2; j++)
			if (builtins[i].sect[j] && !strcmp(builtins[i].sect[j], name))
				return 1;
	return 0;
}

static source *find(merge_state *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->src[i].name, name))
			return &m->src[i];
	return NULL;
}

static int is_builtin_name(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcmp(builtins[i].source, name))
			return 1;
	return 0;
}

/* A session event from session-summary: its current_count becomes the
 * retained sessions.active_count, so the next frame agrees with it. */
static void apply_session_event(merge_state *m, const cJSON *ev, int64_t ts)
{
	source *s = find(m, "session-summary");
	double cur;
	if (!s || !s->have || !s->ok || !s->data || ts < s->ts_ms ||
	    !js_num(ev, "data.current_count", &cur))
		return;
	cJSON *n = cJSON_CreateNumber(cur);
	if (!n)
		return;
	if (cJSON_GetObjectItemCaseSensitive(s->data, "active_count"))
		cJSON_ReplaceItemInObjectCaseSensitive(s->data, "active_count", n);
	else
		cJSON_AddItemToObject(s->data, "active_count", n);
	char *t = print(s->data);
	if (t) {
		free(s->sect[0]);
		s->sect[0] = t;
	}
}

/* --- wrong-typed numbers ---------------------------------------------------
 * A figure the page shows must be a number or null: anything else in a
 * built-in source's data is reported and replaced by null (unknown), never
 * passed on for the page to print as text or count as 0. */

/* Fields of obj, named in keys (NULL-ended; "*": every member but
 * "timestamp"), that must be numbers.  The first wrong one's path goes
 * into first (prefix + key) when first is still empty.  Returns how many
 * were made null. */
static int null_bad(cJSON *obj, const char *const *keys, const char *prefix,
                    char *first, size_t len)
{
	int n = 0;
	if (!cJSON_IsObject(obj))
		return 0;
	for (cJSON *c = obj->child; c; c = c->next) {
		int want = 0;
		for (const char *const *k = keys; *k && !want; k++)
			want = !strcmp(*k, c->string) ||
			       (!strcmp(*k, "*") && strcmp(c->string, "timestamp"));
		if (!want || cJSON_IsNumber(c) || cJSON_IsNull(c))
			continue;
		if (!*first)
			snprintf(first, len, "%s%s", prefix, c->string);
		/* The member keeps its name and place; only its value goes. */
		if (c->type & cJSON_IsReference)
			continue; /* (never so in a parsed tree) */
		cJSON_Delete(c->child);
		cJSON_free(c->valuestring);
		c->child = NULL;
		c->valuestring = NULL;
		c->type = cJSON_NULL | (c->type & cJSON_StringIsConst);
		n++;
	}
	return n;
}

/* Null every wrong-typed figure in a built-in source's data; first gets
 * the first one's path.  Returns how many. */
static int sanitize(enum kind kind, cJSON *data, char *first, size_t len)
{
	static const char *const all[] = {"*", NULL};
	static const char *const sess[] = {"active_count", "total_count", NULL};
	static const char *const met[] = {"uptime_seconds", "active_sessions",
	                                  "timestamp", NULL};
	static const char *const cont[] = {"cpu", NULL};
	int n = 0;
	first[0] = '\0';
	if (kind == K_SESSIONS)
		return null_bad(data, sess, "data.", first, len);
	if (kind == K_METRICS) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(data, "metrics");
		n += null_bad(m, met, "data.metrics.", first, len);
		static const char *const sect[] = {"performance", "resources", "rates",
		                                   "sessions"};
		for (size_t i = 0; i < sizeof sect / sizeof sect[0]; i++) {
			char pre[64];
			snprintf(pre, sizeof pre, "data.metrics.%s.", sect[i]);
			n += null_bad(cJSON_GetObjectItemCaseSensitive(m, sect[i]), all,
			              pre, first, len);
		}
		return n;
	}
	if (kind == K_CONTAINERS) {
		n += null_bad(cJSON_GetObjectItemCaseSensitive(data, "aggregated"), all,
		              "data.aggregated.", first, len);
		cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(data, "containers"))
		{
			n += null_bad(c, cont, "data.containers[].", first, len);
			static const char *const sub[] = {"memory", "network", "block_io"};
			for (size_t i = 0; i < 3; i++) {
				char pre[64];
				snprintf(pre, sizeof pre, "data.containers[].%s.", sub[i]);
				n += null_bad(cJSON_GetObjectItemCaseSensitive(c, sub[i]), all,
				              pre, first, len);
			}
		}
	}
	return n;
}

static enum merge_result bad(char err[FRAME_ERR_LEN], cJSON *j,
                             const char *fmt, const char *arg)
{
	snprintf(err, FRAME_ERR_LEN, fmt, arg);
	cJSON_Delete(j);
	return MERGE_BAD;
}

void merge_count_bad(merge_state *m) { m->bad_lines_total++; }

/* Null the wrong-typed figures of a built-in source's data; the first one
 * is said in err when it is not the one said last time. */
static void check_figures(enum kind kind, source *s, cJSON *data,
                          const char *name, char err[FRAME_ERR_LEN])
{
	char first[128];
	int nbad = sanitize(kind, data, first, sizeof first);
	if (nbad && s && strcmp(s->bad_field, first) != 0)
		snprintf(err, FRAME_ERR_LEN,
		         "record from %s: %s%s is not a number: shown as null "
		         "(unknown)",
		         name, first, nbad > 1 ? " (and others)" : "");
	if (s)
		snprintf(s->bad_field, sizeof s->bad_field, "%s", first);
}

/* A docker-stats record: kept per Docker host (dhosts.h); the source
 * itself stands for the youngest host, its section is built per frame. */
static enum merge_result take_docker(merge_state *m, source *s, cJSON *j,
                                     int ok, int64_t ts, int64_t order,
                                     int64_t mono_ms, int64_t wall_ms,
                                     char err[FRAME_ERR_LEN])
{
	const cJSON *hj = cJSON_GetObjectItemCaseSensitive(j, "host");
	const char *host = "";
	if (hj) {
		if (!cJSON_IsString(hj) || !rec_name_ok(hj->valuestring))
			return bad(err, j,
			           "bad \"host\" in a record from %s: want 1 to 64 of "
			           "A-Z a-z 0-9 . _ -",
			           s->name);
		host = hj->valuestring;
	}
	cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
	const char *error = js_str(j, "error");
	if (ok) {
		if (!data)
			return bad(err, j, "ok record from %s has no \"data\"", s->name);
		if (!cJSON_IsObject(data))
			return bad(err, j, "\"data\" from %s is not an object", s->name);
		check_figures(K_CONTAINERS, s, data, s->name, err);
	} else if (!error) {
		return bad(err, j, "failed record from %s has no \"error\" string",
		           s->name);
	}
	char herr[FRAME_ERR_LEN];
	enum dh_result r = dhosts_take(&m->dh, host, ok, data, error, ts, order,
	                               mono_ms, wall_ms - order, herr, sizeof herr);
	cJSON_Delete(j);
	if (r == DH_BAD) {
		snprintf(err, FRAME_ERR_LEN, "%s", herr);
		return MERGE_BAD;
	}
	if (r == DH_OLDER)
		return MERGE_OLDER;
	if (!s->have || order >= s->order_ms) {
		s->ts_ms = ts;
		s->order_ms = order;
	}
	s->have = 1;
	return MERGE_KEPT;
}

/* The docker-stats source as of monotonic time mono_ms: its section from
 * every host, ok when a host's newest record is, its age the youngest
 * host's.  Returns 0, or -1 when memory runs out. */
static int docker_refresh(merge_state *m, int64_t mono_ms)
{
	source *s = find(m, "docker-stats");
	if (!s || !m->dh.n)
		return 0;
	char *sec = dhosts_section(&m->dh, mono_ms, m->stale_ms);
	if (!sec)
		return -1;
	free(s->sect[0]);
	s->sect[0] = sec;
	free(s->err_json);
	s->err_json = NULL;
	s->ok = dhosts_any_ok(&m->dh);
	if (!s->ok) {
		const char *e = dhosts_newest_error(&m->dh);
		if (!(s->err_json = strdup(e ? e : "\"no data\"")))
			return -1;
	}
	const dhost *y = dhosts_youngest(&m->dh, mono_ms);
	s->ts_ms = y->ts_ms;
	s->mono_ms = y->mono_ms;
	s->lag_ms = y->lag_ms;
	return 0;
}

static enum merge_result take(merge_state *m, const char *line, size_t len,
                              int64_t mono_ms, int64_t wall_ms, char **event,
                              char err[FRAME_ERR_LEN]);

enum merge_result merge_record(merge_state *m, const char *line, size_t len,
                               int64_t mono_ms, int64_t wall_ms,
                               char **event, char err[FRAME_ERR_LEN])
{
	enum merge_result r = take(m, line, len, mono_ms, wall_ms, event, err);
	if (r == MERGE_BAD)
		m->bad_lines_total++;
	else
		m->records_total++;
	return r;
}

static enum merge_result take(merge_state *m, const char *line, size_t len,
                              int64_t mono_ms, int64_t wall_ms, char **event,
                              char err[FRAME_ERR_LEN])
{
	char why[128];
	*event = NULL;
	err[0] = '\0';
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j)
		return bad(err, NULL, "not JSON (%s)", why);
	if (!cJSON_IsObject(j))
		return bad(err, j, "not a JSON object%s", "");
	const char *sname = js_str(j, "source");
	if (!sname)
		return bad(err, j, "no \"source\" string%s", "");
	if (!rec_name_ok(sname))
		return bad(err, j,
		           "bad source name \"%.80s\": want 1 to 64 of A-Z a-z 0-9 . _ -",
		           sname);
	/* A copy: the record is freed before the source takes its name. */
	char name[SOURCE_NAME_MAX + 1];
	snprintf(name, sizeof name, "%s", sname);
	if (!is_builtin_name(name) && reserved(name))
		return bad(err, j, "source name \"%s\" is reserved for a section", name);

	int64_t ts;
	const cJSON *tsj = cJSON_GetObjectItemCaseSensitive(j, "ts");
	if (!tsj)
		ts = wall_ms;
	else if (!cJSON_IsString(tsj) || clock_parse_iso(tsj->valuestring, &ts) < 0)
		return bad(err, j, "bad \"ts\" in a record from %s: want UTC ISO 8601",
		           name);

	/* kato-sessions' list changes and events go on at once. */
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "event");
	if (!strcmp(name, RSESS_SOURCE) &&
	    (ev || cJSON_GetObjectItemCaseSensitive(j, "session"))) {
		char tsb[CLOCK_ISO_LEN];
		*event = rsess_message(&m->rs, j, tsj ? tsj->valuestring
		                                      : clock_iso_ms(tsb, ts),
		                       clock_mono_ms(), err, FRAME_ERR_LEN);
		cJSON_Delete(j);
		if (!*event)
			return MERGE_BAD;
		if (ev && !m->session_events) {
			free(*event);
			*event = NULL;
			return MERGE_DROPPED;
		}
		return MERGE_EVENT;
	}

	/* Events go on at once. */
	if (ev) {
		const char *type = js_str(ev, "type");
		if (!cJSON_IsObject(ev) || !type)
			return bad(err, j, "\"event\" from %s is not an object with a \"type\"",
			           name);
		int session = !strcmp(type, "session_event");
		if (session && !strcmp(name, "session-summary"))
			apply_session_event(m, ev, ts);
		/* With kato-sessions there, its events (each session, at once)
		 * stand for session-summary's (a count change, 5-11 s late). */
		const source *rs = find(m, RSESS_SOURCE);
		if (session && !strcmp(name, "session-summary") && rs && rs->have) {
			cJSON_Delete(j);
			return MERGE_DROPPED;
		}
		if (session && !m->session_events) {
			cJSON_Delete(j);
			return MERGE_DROPPED;
		}
		*event = print(ev);
		cJSON_Delete(j);
		if (!*event) {
			snprintf(err, FRAME_ERR_LEN, "out of memory printing an event");
			return MERGE_BAD;
		}
		return MERGE_EVENT;
	}

	const cJSON *okj = cJSON_GetObjectItemCaseSensitive(j, "ok");
	if (!cJSON_IsBool(okj))
		return bad(err, j, "record from %s has neither \"event\" nor a boolean \"ok\"",
		           name);
	int ok = cJSON_IsTrue(okj);

	/* A stamp ahead of our clock counts as "now" for ordering, so the
	 * next correctly stamped record still replaces it. */
	int64_t order = ts < wall_ms ? ts : wall_ms;
	source *s = find(m, name);
	if (s && s->have && order < s->order_ms && s->kind != K_CONTAINERS) {
		cJSON_Delete(j);
		return MERGE_OLDER;
	}
	if (!s && m->n == SOURCES_MAX)
		return bad(err, j, "too many sources: %s is one past the limit of 64",
		           name);
	enum kind kind = s                                ? (enum kind)s->kind
	                 : !strcmp(name, RSESS_SOURCE) ? K_RSESS
	                                                  : K_OTHER;
	if (kind == K_CONTAINERS)
		return take_docker(m, s, j, ok, ts, order, mono_ms, wall_ms, err);

	/* Build the new texts first: a bad record leaves the source as it was. */
	cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
	const char *error = js_str(j, "error");
	char *sect[2] = {NULL, NULL}, *errj = NULL;
	cJSON *keep = NULL;
	if (ok) {
		if (!data)
			return bad(err, j, "ok record from %s has no \"data\"", name);
		if (kind != K_OTHER && !cJSON_IsObject(data))
			return bad(err, j, "\"data\" from %s is not an object", name);
		check_figures(kind, s, data, name, err);
		if (kind == K_METRICS) {
			const cJSON *met = cJSON_GetObjectItemCaseSensitive(data, "metrics");
			const cJSON *hl = cJSON_GetObjectItemCaseSensitive(data, "health");
			if (!cJSON_IsObject(met))
				return bad(err, j, "\"data.metrics\" from %s is not an object",
				           name);
			const char *herr = js_str(data, "health_error");
			sect[0] = print(met);
			sect[1] = cJSON_IsObject(hl)
			              ? print(hl)
			              : error_section(herr ? herr
			                                   : "KATO /health gave no answer");
		} else if (kind == K_SESSIONS) {
			keep = cJSON_DetachItemViaPointer(j, data);
			sect[0] = print(keep);
		} else if (kind == K_RSESS) {
			double n;
			if (!js_num(data, "active_count", &n))
				return bad(err, j, "ok record from %s has no \"active_count\"",
				           name);
			rsess_count(&m->rs, n, clock_mono_ms());
			sect[0] = print(data); /* no section: feeds data.sessions */
		} else {
			sect[0] = print(data);
		}
	} else {
		if (!error)
			return bad(err, j, "failed record from %s has no \"error\" string",
			           name);
		sect[0] = error_section(error);
		errj = json_string(error);
		if (kind == K_METRICS) {
			/* A failed sample may still say what /health said, or why
			 * it said nothing. */
			const cJSON *hl = js_path(j, "data.health");
			const char *herr = js_str(j, "data.health_error");
			sect[1] = cJSON_IsObject(hl) ? print(hl)
			                             : error_section(herr ? herr : error);
		}
	}
	cJSON_Delete(j);
	if (!sect[0] || (kind == K_METRICS && !sect[1]) || (!ok && !errj)) {
		free(sect[0]);
		free(sect[1]);
		free(errj);
		cJSON_Delete(keep);
		snprintf(err, FRAME_ERR_LEN, "out of memory keeping a record from %s",
		         name);
		return MERGE_BAD;
	}

	if (kind == K_RSESS) {
		free(sect[0]);
		sect[0] = NULL;
	}
	if (!s) {
		s = &m->src[m->n++];
		memset(s, 0, sizeof *s);
		snprintf(s->name, sizeof s->name, "%s", name);
		s->kind = kind;
	}
	source_clear(s);
	s->have = 1;
	s->ok = ok;
	s->ts_ms = ts;
	s->order_ms = order;
	s->mono_ms = mono_ms;
	s->lag_ms = wall_ms - order;
	s->sect[0] = sect[0];
	s->sect[1] = sect[1];
	s->err_json = errj;
	s->data = keep;
	return MERGE_KEPT;
}

/* --- building a frame ---------------------------------------------------- */

static int put(merge_state *m, const char *s, size_t n)
{
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->len + n + 1)
			cap *= 2;
		char *b = realloc(m->buf, cap);
		if (!b)
			return -1;
		m->buf = b;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
	return 0;
}

static int puts_(merge_state *m, const char *s) { return put(m, s, strlen(s)); }

static int putf(merge_state *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int putf(merge_state *m, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -1;
	return put(m, tmp, (size_t)n);
}

/* "key":text, with a comma before all but the first. */
static int member(merge_state *m, int *first, const char *key, const char *text)
{
	int r = puts_(m, *first ? "\"" : ",\"") | puts_(m, key) | puts_(m, "\":") |
	        puts_(m, text);
	*first = 0;
	return r;
}

/* Time since the record arrived, on the monotonic clock, plus how old it
 * was then. */
static int64_t age_of(const source *s, int64_t mono_ms)
{
	return dh_age(s->mono_ms, s->lag_ms, mono_ms);
}

static int stale(const merge_state *m, const source *s, int64_t mono_ms)
{
	return !s->have || age_of(s, mono_ms) > m->stale_ms;
}

/* With kato-sessions in the pipeline: session-summary's section with
 * Redis's active_count and the cross-check (rsess.h), as new text; NULL
 * to use the section as it is. */
static char *sessions_text(merge_state *m, const source *ss, int64_t now_ms,
                          int64_t mono_ms)
{
	const source *rs = find(m, RSESS_SOURCE);
	if (!rs || !rs->have)
		return NULL;
	int redis_ok = rs->ok && !stale(m, rs, mono_ms);
	int kato_ok = ss->have && ss->ok && ss->data && !stale(m, ss, mono_ms);
	if (!redis_ok && !kato_ok)
		return NULL;
	double kato = 0;
	int have_kato = kato_ok && js_num(ss->data, "active_count", &kato);
	cJSON *sec = kato_ok ? cJSON_Duplicate(ss->data, 1) : cJSON_CreateObject();
	if (!sec)
		return NULL;
	if (!kato_ok)
		cJSON_AddNullToObject(sec, "total_count");
	rsess_section(&m->rs, sec, redis_ok, have_kato, kato, clock_mono_ms(),
	              now_ms);
	char *t = print(sec);
	cJSON_Delete(sec);
	return t;
}

static const char *build(merge_state *m, int64_t now_ms, int64_t mono_ms,
                         double late_ms, const unsigned char *cut,
                         size_t max_len, size_t *len);

/* The section text to put in a frame: the kept one, or, when it was cut
 * to keep the frame under its limit, an error saying so. */
static char *cut_text(const source *s, int k, size_t max_len)
{
	char msg[256];
	snprintf(msg, sizeof msg,
	         "%s: section of %zu bytes left out: the frame would be over "
	         "its limit of %zu bytes",
	         s->name, strlen(s->sect[k]), max_len);
	return error_section(msg);
}

const char *merge_frame(merge_state *m, int64_t now_ms, int64_t mono_ms,
                        double late_ms, size_t max_len, size_t *len)
{
	unsigned char cut[SOURCES_MAX * 2] = {0};
	m->frames_total++;
	if (!m->legacy && docker_refresh(m, mono_ms) < 0)
		return NULL;
	const char *f = build(m, now_ms, mono_ms, late_ms, cut, max_len, len);
	int was_cut = 0;
	while (f && *len > max_len) {
		/* Leave out the largest section still in, and try again. */
		size_t best = 0, bestlen = 0;
		for (size_t i = 0; i < m->n * 2; i++) {
			const char *t = m->src[i / 2].sect[i % 2];
			if (!cut[i] && t && strlen(t) > bestlen) {
				best = i;
				bestlen = strlen(t);
			}
		}
		if (bestlen < 64)
			break; /* nothing large left: the frame cannot shrink */
		cut[best] = 1;
		was_cut = 1;
		f = build(m, now_ms, mono_ms, late_ms, cut, max_len, len);
	}
	if (was_cut)
		m->oversize_total++;
	return f;
}

static const char *build(merge_state *m, int64_t now_ms, int64_t mono_ms,
                         double late_ms, const unsigned char *cut,
                         size_t max_len, size_t *len)
{
	char ts[CLOCK_ISO_LEN];
	int r = 0, first;
	m->len = 0;
	clock_iso_ms(ts, now_ms);

	if (m->legacy) {
		source *s = find(m, "kato-metrics");
		r |= putf(m, "{\"type\":\"metrics_update\",\"timestamp\":\"%s\",\"data\":",
		          ts);
		if (cut[0]) {
			char *t = cut_text(s, 0, max_len);
			r |= t ? puts_(m, t) : -1;
			free(t);
		} else {
			r |= puts_(m, s->sect[0]);
		}
		r |= puts_(m, "}");
		*len = m->len;
		return r ? NULL : m->buf;
	}

	r |= putf(m, "{\"type\":\"realtime_update\",\"timestamp\":\"%s\","
	             "\"interval_ms\":%" PRId64 ",\"data\":{",
	          ts, m->interval_ms);
	first = 1;
	for (size_t i = 0; i < m->n; i++) {
		source *s = &m->src[i];
		const struct builtin *b = builtin_of(s);
		char *own = s->kind == K_SESSIONS ? sessions_text(m, s, now_ms, mono_ms) : NULL;
		for (int k = 0; k < 2; k++) {
			if (!s->sect[k])
				continue;
			const char *key = b ? b->sect[k] : s->name;
			if (cut[i * 2 + k]) {
				char *t = cut_text(s, k, max_len);
				r |= t ? member(m, &first, key, t) : -1;
				free(t);
			} else {
				r |= member(m, &first, key, k == 0 && own ? own : s->sect[k]);
			}
		}
		free(own);
	}
	r |= puts_(m, "},\"stale\":[");
	first = 1;
	for (size_t i = 0; i < m->n; i++)
		if (stale(m, &m->src[i], mono_ms)) {
			r |= putf(m, "%s\"%s\"", first ? "" : ",", m->src[i].name);
			first = 0;
		}
	/* With two or more Docker hosts, each one that stopped on its own. */
	for (size_t i = 0; m->dh.n > 1 && i < m->dh.n; i++) {
		const dhost *h = &m->dh.h[i];
		if (*h->name && dhost_stale(h, mono_ms, m->stale_ms)) {
			r |= putf(m, "%s\"docker-stats@%s\"", first ? "" : ",", h->name);
			first = 0;
		}
	}
	r |= puts_(m, "],\"sources\":{");
	for (size_t i = 0; i < m->n; i++) {
		source *s = &m->src[i];
		r |= putf(m, "%s\"%s\":{\"ok\":%s,", i ? "," : "", s->name,
		          s->have && s->ok ? "true" : "false");
		if (s->have) {
			char sts[CLOCK_ISO_LEN];
			r |= putf(m, "\"ts\":\"%s\",\"age_ms\":%" PRId64,
			          clock_iso_ms(sts, s->ts_ms), age_of(s, mono_ms));
		} else {
			r |= puts_(m, "\"ts\":null,\"age_ms\":null");
		}
		if (s->err_json)
			r |= puts_(m, ",\"error\":") | puts_(m, s->err_json);
		r |= puts_(m, "}");
	}
	char started[CLOCK_ISO_LEN];
	r |= putf(m, "},\"pipeline\":{\"merge\":{\"started_at\":\"%s\","
	             "\"records_total\":%" PRIu64 ",\"bad_lines_total\":%" PRIu64
	             ",\"frames_total\":%" PRIu64 ",\"tick_late_ms\":%.3f}}}",
	          clock_iso_ms(started, m->started_wall_ms), m->records_total,
	          m->bad_lines_total, m->frames_total,
	          late_ms > 0 ? late_ms : 0.0);
	*len = m->len;
	return r ? NULL : m->buf;
}
