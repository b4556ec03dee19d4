#include "prom.h"

#include <math.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "js.h"

/* The stream and whether a write to it failed. */
typedef struct out {
	FILE *f;
	int err;
} out;

/* A metric family: its HELP and TYPE lines go out before its first
 * sample, so a family with nothing to say leaves no trace. */
typedef struct fam {
	const char *name; /* full name, _total included for counters */
	const char *type; /* "gauge" or "counter" */
	const char *help; /* one line, no backslash */
	int shown;        /* HELP and TYPE written */
} fam;

/* One label; a NULL value leaves the label out. */
typedef struct lbl {
	const char *name;
	const char *value;
} lbl;

char *prom_number(char *buf, double v)
{
	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(int64_t)v) {
		/* an integer (bytes, counts: most samples): exact, and far
		 * cheaper than printf's float path and a strtod to check it */
		char tmp[24], *t = tmp + sizeof tmp;
		int64_t n = (int64_t)v;
		uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
		*--t = '\0';
		do
			*--t = (char)('0' + u % 10);
		while (u /= 10);
		if (n < 0)
			*--t = '-';
		return strcpy(buf, t);
	}
	snprintf(buf, 32, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, 32, "%.17g", v);
	return buf;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if there is none
 * (a stray continuation byte, an overlong form, a surrogate, > U+10FFFF,
 * or a sequence cut short). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	unsigned cp = c & (0x3fu >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int prom_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	int r = 0;
	/* write runs of bytes that need nothing done at once */
	for (;;) {
		size_t n = *p ? utf8_len(p) : 0;
		if (n && *p != '\\' && *p != '"' && *p != '\n') {
			p += n;
			continue;
		}
		if (p > run)
			r |= fwrite(run, 1, (size_t)(p - run), f) != (size_t)(p - run);
		if (!*p)
			break;
		if (n == 0)
			r |= fputs("\xef\xbf\xbd", f) == EOF; /* U+FFFD */
		else if (*p == '\n')
			r |= fputs("\\n", f) == EOF;
		else
			r |= putc('\\', f) == EOF || putc(*p, f) == EOF;
		run = ++p;
	}
	return r ? -1 : 0;
}

static void sample(out *o, fam *fm, const lbl *l, size_t nl, double v)
{
	char num[32];
	FILE *f = o->f;
	if (!fm->shown) {
		if (fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fm->name, fm->help,
		            fm->name, fm->type) < 0)
			o->err = 1;
		fm->shown = 1;
	}
	int r = fputs(fm->name, f) == EOF, first = 1;
	for (size_t i = 0; i < nl; i++) {
		if (!l[i].value)
			continue;
		r |= putc(first ? '{' : ',', f) == EOF;
		r |= fputs(l[i].name, f) == EOF;
		r |= fputs("=\"", f) == EOF;
		r |= prom_label_value(f, l[i].value) < 0;
		r |= putc('"', f) == EOF;
		first = 0;
	}
	if (!first)
		r |= putc('}', f) == EOF;
	r |= putc(' ', f) == EOF;
	r |= fputs(prom_number(num, v), f) == EOF;
	r |= putc('\n', f) == EOF;
	o->err |= r;
}

/* A sample with no labels, if obj has a number at path (times scale). */
static void sample_at(out *o, fam *fm, const cJSON *obj, const char *path,
                      double scale)
{
	double v;
	if (js_num(obj, path, &v))
		sample(o, fm, NULL, 0, v * scale);
}

/* An ISO timestamp at path as epoch ms: 1, or 0 if there is none. */
static int iso_ms(const cJSON *obj, const char *path, int64_t *ms)
{
	const char *s = js_str(obj, path);
	return s && clock_parse_iso(s, ms) == 0;
}

/* Seconds from epoch ms t to now, never below 0 (a clock ahead of ours
 * is as fresh as can be). */
static double age_s(int64_t now_ms, int64_t t)
{
	return now_ms > t ? (double)(now_ms - t) / 1000.0 : 0;
}

/* A numeric field of a JSON object, exposed as one family. */
struct field {
	const char *name;
	const char *type;
	const char *path;
	double scale;
	const char *help;
};

/* Each field of the table that obj holds as a number, as its family. */
static void fields(out *o, const cJSON *obj, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fam fm = {f[i].name, f[i].type, f[i].help, 0};
		sample_at(o, &fm, obj, f[i].path, f[i].scale);
	}
}
#define FIELDS(o, obj, tab) fields(o, obj, tab, sizeof tab / sizeof tab[0])

/* A stage's "started_at" as name (epoch seconds): its counters start
 * over then, so a restart shows. */
static void start_time(out *o, const cJSON *obj, const char *name,
                       const char *help)
{
	int64_t t;
	if (iso_ms(obj, "started_at", &t)) {
		fam fm = {name, "gauge", help, 0};
		sample(o, &fm, NULL, 0, (double)t / 1000.0);
	}
}

/* --- the frame --------------------------------------------------------- */

typedef struct ctx {
	out o;
	const prom_input *in;
	const cJSON *data;    /* the frame's "data" */
	const cJSON *sources; /* the frame's "sources" */
	int old;              /* the frame is older than its allowance */
} ctx;

static int in_stale_list(const ctx *c, const char *source)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c->in->frame, "stale"))
		if (cJSON_IsString(s) && !strcmp(s->valuestring, source))
			return 1;
	return 0;
}

/* The section key of the frame's data if it can be trusted now: an
 * object without a non-null "error", in a frame that is not old, fed by at least
 * one of the named sources that is not stale (when the frame names any
 * of them).  Else NULL. */
static const cJSON *section(const ctx *c, const char *key,
                            const char *const *srcs, size_t n)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(c->data, key);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "error");
	/* KATO's /metrics body has "error":null when all is well */
	if (c->old || !cJSON_IsObject(s) || (e && !cJSON_IsNull(e)))
		return NULL;
	int named = 0, fresh = 0;
	for (size_t i = 0; i < n; i++)
		if (cJSON_GetObjectItemCaseSensitive(c->sources, srcs[i])) {
			named = 1;
			fresh |= !in_stale_list(c, srcs[i]);
		}
	return named && !fresh ? NULL : s;
}

static const struct field kato_fields[] = {
    {"kato_uptime_seconds", "gauge", "uptime_seconds", 1,
     "Seconds since KATO started."},
    {"kato_sessions_created_total", "counter", "sessions.total_created", 1,
     "Sessions KATO created since it started."},
    {"kato_sessions_deleted_total", "counter", "sessions.total_deleted", 1,
     "Sessions KATO deleted since it started."},
    {"kato_sessions_active", "gauge", "sessions.active", 1,
     "Sessions active, as KATO's /metrics counts them."},
    {"kato_session_operations_total", "counter", "sessions.operations_total", 1,
     "Session operations KATO served since it started."},
    {"kato_requests_total", "counter", "performance.total_requests", 1,
     "Requests KATO served since it started."},
    {"kato_errors_total", "counter", "performance.total_errors", 1,
     "Requests that failed since KATO started."},
    {"kato_error_ratio", "gauge", "performance.error_rate", 1,
     "KATO's error rate: failed requests over all requests (0 to 1)."},
    {"kato_response_time_average_seconds", "gauge",
     "performance.average_response_time", 1,
     "KATO's average response time in seconds."},
    {"kato_cpu_percent", "gauge", "resources.cpu_percent", 1,
     "CPU use of KATO's host as KATO reports it, percent."},
    {"kato_memory_percent", "gauge", "resources.memory_percent", 1,
     "Memory use of KATO's host as KATO reports it, percent."},
    {"kato_disk_percent", "gauge", "resources.disk_percent", 1,
     "Disk use of KATO's host as KATO reports it, percent."},
    {"kato_requests_per_second", "gauge", "rates.requests_per_second", 1,
     "Requests per second, as KATO computes it."},
    {"kato_requests_per_minute", "gauge", "rates.requests_per_minute", 1,
     "Requests per minute, as KATO computes it."},
    {"kato_errors_per_minute", "gauge", "rates.errors_per_minute", 1,
     "Failed requests per minute, as KATO computes it."},
    {"kato_processors_active", "gauge", "processor_manager.active_processors", 1,
     "Processors KATO's processor manager holds."},
};

static void kato_metrics(ctx *c)
{
	static const char *const src[] = {"kato-metrics"};
	const cJSON *m = section(c, "metrics", src, 1);
	if (!m)
		return;
	FIELDS(&c->o, m, kato_fields);
	/* KATO's counters restart with KATO: its start time shows when */
	double ts, up;
	if (js_num(m, "timestamp", &ts) && js_num(m, "uptime_seconds", &up)) {
		fam fm = {"kato_start_time_seconds", "gauge",
		          "When KATO started, seconds since the epoch "
		          "(its counters restart then).", 0};
		sample(&c->o, &fm, NULL, 0, ts - up);
	}
	fam db = {"kato_database_status", "gauge",
	          "1 for the status KATO reports for each of its databases.", 0};
	const cJSON *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(m, "databases"))
	{
		const char *st = js_str(d, "status");
		if (d->string && st) {
			lbl l[] = {{"database", d->string}, {"status", st}};
			sample(&c->o, &db, l, 2, 1);
		}
	}
}

static void kato_health(ctx *c)
{
	static const char *const src[] = {"kato-metrics"};
	static const char *const states[] = {"healthy", "degraded", "unhealthy",
	                                     "unknown"};
	const cJSON *h = section(c, "health", src, 1);
	if (!h)
		return;
	const char *st = js_str(h, "status");
	size_t is = 3;
	for (size_t i = 0; st && i < 3; i++)
		if (!strcmp(st, states[i]))
			is = i;
	fam fm = {"kato_health_status", "gauge",
	          "1 for the status of KATO's /health (healthy, degraded, "
	          "unhealthy; unknown when it says something else).", 0};
	for (size_t i = 0; i < 4; i++) {
		lbl l[] = {{"status", states[i]}};
		sample(&c->o, &fm, l, 1, i == is);
	}
	const cJSON *issues = cJSON_GetObjectItemCaseSensitive(h, "issues");
	if (cJSON_IsArray(issues)) {
		fam fi = {"kato_health_issues", "gauge",
		          "Issues KATO's /health lists.", 0};
		sample(&c->o, &fi, NULL, 0, cJSON_GetArraySize(issues));
	}
}

/* --- containers -------------------------------------------------------- */

typedef struct ent {
	const char *name; /* without Docker's leading '/' */
	const char *host; /* or NULL */
	const cJSON *c;
} ent;

static int ent_cmp(const void *a, const void *b)
{
	const ent *x = a, *y = b;
	if (!x->host != !y->host)
		return x->host ? 1 : -1; /* no host first */
	int h = x->host ? strcmp(x->host, y->host) : 0;
	return h ? h : strcmp(x->name, y->name);
}

static const struct field ctr_fields[] = {
    {"kato_live_container_cpu_percent", "gauge", "cpu", 1,
     "Container CPU use, percent of one core (200 = two cores busy)."},
    {"kato_live_container_memory_usage_bytes", "gauge", "memory.usage_bytes", 1,
     "Container memory in use, as the docker CLI counts it."},
    {"kato_live_container_memory_limit_bytes", "gauge", "memory.limit_bytes", 1,
     "Container memory limit (absent when it has none)."},
    {"kato_live_container_memory_percent", "gauge", "memory.usage_percent", 1,
     "Container memory in use, percent of its limit."},
    {"kato_live_container_network_receive_bytes_total", "counter",
     "network.rx_bytes", 1, "Bytes the container received on all its networks."},
    {"kato_live_container_network_transmit_bytes_total", "counter",
     "network.tx_bytes", 1, "Bytes the container sent on all its networks."},
    {"kato_live_container_block_read_bytes_total", "counter",
     "block_io.read_bytes", 1, "Bytes the container read from block devices."},
    {"kato_live_container_block_write_bytes_total", "counter",
     "block_io.write_bytes", 1, "Bytes the container wrote to block devices."},
};

/* One sample of f per Docker host in hosts (the frame's hosts block):
 * up ? fresh and good : stale. */
static void host_gauge(ctx *c, fam *f, const cJSON *hosts, int up)
{
	const cJSON *h;
	cJSON_ArrayForEach(h, hosts)
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(h, "stale");
		if (!h->string || !*h->string || !cJSON_IsBool(st))
			continue;
		lbl l[] = {{"host", h->string}};
		int v = up ? cJSON_IsFalse(st) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "ok"))
		           : cJSON_IsTrue(st);
		sample(&c->o, f, l, 1, v);
	}
}

static void containers(ctx *c)
{
	static const char *const src[] = {"docker-stats"};
	const cJSON *sec = section(c, "containers", src, 1);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(sec, "containers");
	if (!cJSON_IsArray(list))
		return;
	size_t n = (size_t)cJSON_GetArraySize(list), k = 0;
	ent *v = malloc((n ? n : 1) * sizeof *v);
	if (!v) {
		c->o.err = 1;
		return;
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		const char *name = js_str(e, "name");
		if (name && *name == '/')
			name++;
		if (!name || !*name)
			continue; /* nothing to label it with */
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "stale")))
			continue; /* a stopped host's last word, not now */
		v[k++] = (ent){name, js_str(e, "host"), e};
	}
	qsort(v, k, sizeof *v, ent_cmp);
	/* two entries with the same labels would be one series twice: keep
	 * the first */
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || ent_cmp(&v[u - 1], &v[i]) != 0)
			v[u++] = v[i];
	fam cnt = {"kato_live_containers", "gauge",
	           "Containers in the latest docker-stats sample.", 0};
	sample(&c->o, &cnt, NULL, 0, (double)u);
	for (size_t f = 0; f < sizeof ctr_fields / sizeof ctr_fields[0]; f++) {
		fam fm = {ctr_fields[f].name, ctr_fields[f].type, ctr_fields[f].help, 0};
		for (size_t i = 0; i < u; i++) {
			double x;
			if (!js_num(v[i].c, ctr_fields[f].path, &x))
				continue;
			lbl l[] = {{"container", v[i].name}, {"host", v[i].host}};
			sample(&c->o, &fm, l, 2, x * ctr_fields[f].scale);
		}
	}
	fam run = {"kato_live_container_running", "gauge",
	           "1 if the container's status is running, else 0.", 0};
	for (size_t i = 0; i < u; i++) {
		const char *st = js_str(v[i].c, "status");
		if (!st)
			continue;
		lbl l[] = {{"container", v[i].name}, {"host", v[i].host}};
		sample(&c->o, &run, l, 2, !strcmp(st, "running"));
	}
	free(v);
	fam hs = {"kato_live_docker_host_stale", "gauge",
	          "1 if the Docker host's container stats are too old to show as "
	          "current (its containers are then left out).", 0};
	fam hu = {"kato_live_docker_host_up", "gauge",
	          "1 if the Docker host's newest stats are fresh and good; 0 when "
	          "they are stale or its engine fails (its containers are then "
	          "left out).", 0};
	const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(sec, "hosts");
	host_gauge(c, &hs, hosts, 0);
	host_gauge(c, &hu, hosts, 1);
}

static void sessions(ctx *c)
{
	static const char *const src[] = {"session-summary", "kato-sessions"};
	const cJSON *s = section(c, "sessions", src, 2);
	if (!s)
		return;
	fam a = {"kato_live_sessions_active", "gauge",
	         "Active KATO sessions, as the dashboard shows them.", 0};
	fam t = {"kato_live_sessions_stored", "gauge",
	         "Sessions KATO's store holds, active or not (its /status).", 0};
	sample_at(&c->o, &a, s, "active_count", 1);
	sample_at(&c->o, &t, s, "total_count", 1);
}

/* --- alerts ------------------------------------------------------------ */

/* Both NULL, or equal strings. */
static int same_str(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

static void alerts(ctx *c)
{
	const cJSON *th = cJSON_GetObjectItemCaseSensitive(c->data, "thresholds");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->in->alerts, "alerts");
	if (c->old)
		return; /* kato-alerts judges frames; none came lately */
	fam thr = {"kato_live_alert_threshold", "gauge",
	           "kato-alerts' thresholds, by setting.", 0};
	const cJSON *t, *tho = cJSON_IsObject(th) ? th : NULL;
	cJSON_ArrayForEach(t, tho)
		if (t->string && cJSON_IsNumber(t)) {
			lbl l[] = {{"setting", t->string}};
			sample(&c->o, &thr, l, 1, t->valuedouble);
		}
	/* No active_alerts message means none fired yet only if kato-alerts
	 * is in the pipeline, which its thresholds in the frame say. */
	if (!cJSON_IsArray(list) && !cJSON_IsObject(th))
		return;
	fam act = {"kato_live_alert_active", "gauge",
	           "1 for each alert firing now.", 0};
	size_t n = 0;
	const cJSON *a, *arr = cJSON_IsArray(list) ? list : NULL;
	cJSON_ArrayForEach(a, arr)
	{
		const char *type = js_str(a, "type"), *level = js_str(a, "level");
		if (!type || !level)
			continue;
		lbl l[] = {{"type", type},
		           {"level", level},
		           {"container", js_str(a, "container")},
		           {"source", js_str(a, "source")}};
		/* the same labels twice would be one series twice (a handful
		 * of alerts: looking back is cheap) */
		const cJSON *b;
		int dup = 0;
		for (b = arr->child; b != a && !dup; b = b->next)
			dup = same_str(js_str(b, "type"), type) &&
			      same_str(js_str(b, "level"), level) &&
			      same_str(js_str(b, "container"), l[2].value) &&
			      same_str(js_str(b, "source"), l[3].value);
		if (!dup) {
			sample(&c->o, &act, l, 4, 1);
			n++;
		}
	}
	fam cnt = {"kato_live_alerts_firing", "gauge", "Alerts firing now.", 0};
	sample(&c->o, &cnt, NULL, 0, (double)n);
}

/* --- kato-live itself -------------------------------------------------- */

static void sources(ctx *c)
{
	fam up = {"kato_live_source_up", "gauge",
	          "1 if the source's latest record was a good sample, else 0.", 0};
	fam st = {"kato_live_source_stale", "gauge",
	          "1 if the source's data is too old to show as current.", 0};
	fam age = {"kato_live_source_age_seconds", "gauge",
	           "Seconds since the source's latest record (absent: none yet).", 0};
	const cJSON *s;
	cJSON_ArrayForEach(s, c->sources)
	{
		if (!s->string)
			continue;
		lbl l[] = {{"source", s->string}};
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(s, "ok");
		if (cJSON_IsBool(ok))
			sample(&c->o, &up, l, 1, cJSON_IsTrue(ok));
	}
	cJSON_ArrayForEach(s, c->sources)
		if (s->string) {
			lbl l[] = {{"source", s->string}};
			sample(&c->o, &st, l, 1, c->old || in_stale_list(c, s->string));
		}
	cJSON_ArrayForEach(s, c->sources)
	{
		int64_t t;
		if (s->string && iso_ms(s, "ts", &t)) {
			lbl l[] = {{"source", s->string}};
			sample(&c->o, &age, l, 1, age_s(c->in->now_ms, t));
		}
	}
}

static const struct field merge_fields[] = {
    {"kato_live_merge_records_total", "counter", "records_total", 1,
     "Records kato-merge read from its sources."},
    {"kato_live_merge_bad_lines_total", "counter", "bad_lines_total", 1,
     "Input lines kato-merge refused."},
    {"kato_live_merge_frames_total", "counter", "frames_total", 1,
     "Frames kato-merge wrote."},
    {"kato_live_merge_tick_late_seconds", "gauge", "tick_late_ms", 0.001,
     "How late kato-merge's latest tick left, seconds."},
};

static void merge_stats(ctx *c)
{
	const cJSON *m = js_path(c->in->frame, "pipeline.merge");
	if (c->old || !cJSON_IsObject(m))
		return;
	start_time(&c->o, m, "kato_live_merge_start_time_seconds",
	           "When kato-merge started, seconds since the epoch "
	           "(its counters restart then).");
	FIELDS(&c->o, m, merge_fields);
}

static const struct field hub_fields[] = {
    {"kato_live_hub_clients", "gauge", "clients", 1,
     "WebSocket clients the hub writes to."},
    {"kato_live_hub_subscribers", "gauge", "subscribers", 1,
     "Plain socket subscribers of the hub."},
    {"kato_live_hub_messages_in_total", "counter", "messages_in_total", 1,
     "Messages the hub read from the pipeline."},
    {"kato_live_hub_bad_lines_total", "counter", "bad_lines_total", 1,
     "Input lines the hub refused."},
    {"kato_live_hub_frames_sent_total", "counter", "frames_sent_total", 1,
     "Frames the hub wrote to clients and subscribers."},
    {"kato_live_hub_messages_sent_total", "counter", "messages_sent_total", 1,
     "Messages the hub wrote to clients and subscribers."},
    {"kato_live_hub_sent_bytes_total", "counter", "bytes_sent_total", 1,
     "Bytes the hub wrote to clients and subscribers."},
    {"kato_live_hub_serializations_total", "counter", "serializations_total", 1,
     "Messages the hub built, once per topic set in use."},
    {"kato_live_hub_topic_sets", "gauge", "topic_sets", 1,
     "Distinct topic sets clients subscribe to."},
    {"kato_live_hub_queue_bytes", "gauge", "queue_bytes", 1,
     "Bytes queued in the hub for slow readers."},
};

static void hub(ctx *c)
{
	fam up = {"kato_live_hub_up", "gauge",
	          "1 if kato-hub answered this scrape, else 0.", 0};
	sample(&c->o, &up, NULL, 0, c->in->hub_up);
	const cJSON *h = c->in->hub_stats;
	if (!h)
		return;
	start_time(&c->o, h, "kato_live_hub_start_time_seconds",
	           "When kato-hub started, seconds since the epoch "
	           "(its counters restart then).");
	FIELDS(&c->o, h, hub_fields);
	fam cut = {"kato_live_hub_cutoffs_total", "counter",
	           "Clients and subscribers the hub cut off, by reason.", 0};
	const cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(h, "cutoffs_total"))
		if (r->string && cJSON_IsNumber(r)) {
			lbl l[] = {{"reason", r->string}};
			sample(&c->o, &cut, l, 1, r->valuedouble);
		}
}

static void frame_age(ctx *c)
{
	fam fa = {"kato_live_frame_age_seconds", "gauge",
	          "Seconds since kato-merge wrote the frame the hub holds.", 0};
	fam fs = {"kato_live_frame_stale", "gauge",
	          "1 if that frame is older than three intervals: its values "
	          "are left out.", 0};
	fam fi = {"kato_live_frame_interval_seconds", "gauge",
	          "kato-merge's tick interval.", 0};
	int64_t t;
	if (iso_ms(c->in->frame, "timestamp", &t))
		sample(&c->o, &fa, NULL, 0, age_s(c->in->now_ms, t));
	sample(&c->o, &fs, NULL, 0, c->old);
	sample_at(&c->o, &fi, c->in->frame, "interval_ms", 0.001);
}

int prom_write(FILE *f, const prom_input *in)
{
	ctx c = {.o = {f, 0}, .in = in};
	__fsetlocking(f, FSETLOCKING_BYCALLER); /* one thread writes it */
	hub(&c);
	if (in->frame) {
		c.data = cJSON_GetObjectItemCaseSensitive(in->frame, "data");
		c.sources = cJSON_GetObjectItemCaseSensitive(in->frame, "sources");
		if (!cJSON_IsObject(c.sources))
			c.sources = NULL;
		int64_t t;
		double iv = 3000;
		js_num(in->frame, "interval_ms", &iv);
		/* a frame whose time we cannot read cannot be vouched for */
		c.old = !iso_ms(in->frame, "timestamp", &t) ||
		        (double)(in->now_ms - t) > iv * PROM_STALE_INTERVALS;
		frame_age(&c);
		sources(&c);
		merge_stats(&c);
		kato_health(&c);
		kato_metrics(&c);
		containers(&c);
		sessions(&c);
		alerts(&c);
	}
	if (fflush(f) != 0)
		c.o.err = 1;
	return c.o.err ? -1 : 0;
}
