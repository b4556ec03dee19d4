/* answer.c - see answer.h. */
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "answer.h"
#include "cgi.h"
#include "clock.h"
#include "js.h"

#define VALUE_MAX 4096 /* longest query value, decoded */

enum route answer_route(const char *path)
{
	if (!strcmp(path, "/api/v1/history"))
		return ROUTE_HISTORY;
	if (!strcmp(path, "/api/v1/events") || !strcmp(path, "/api/v1/history/events"))
		return ROUTE_EVENTS;
	return ROUTE_NONE;
}

void sbuf_free(sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

static int room(sbuf *b, size_t n);

static void put(sbuf *b, const char *s, size_t n)
{
	if (room(b, n) < 0)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sbuf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Make room for n more bytes.  Returns 0, or -1 (b->oom set). */
static int room(sbuf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *ns = realloc(b->s, cap);
	if (!ns) {
		b->oom = 1;
		return -1;
	}
	b->s = ns;
	b->cap = cap;
	return 0;
}

/* A number as %.7g does (values are float32: 7 digits is all they
 * hold), whole numbers without printf: a 1 h answer has ~200,000. */
static void put_num(sbuf *b, double v)
{
	if (room(b, 32) < 0)
		return;
	char *p = b->s + b->len;
	if (v == (double)(int64_t)v && v > -1e15 && v < 1e15 && !(v == 0 && signbit(v))) {
		int64_t x = (int64_t)v;
		char tmp[24];
		int n = 0, neg = x < 0;
		uint64_t u = neg ? (uint64_t)(-x) : (uint64_t)x;
		do
			tmp[n++] = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (neg)
			*p++ = '-';
		while (n)
			*p++ = tmp[--n];
		b->len = (size_t)(p - b->s);
	} else if (fabs(v) >= 1e-4 && fabs(v) < 1e7) {
		/* 7 significant digits as fixed point, trailing zeros cut:
		 * what %.7g prints in this range, without printf's bignums. */
		int e = (int)floor(log10(fabs(v)));
		int dec = 6 - e;
		double scaled = fabs(v) * pow(10, dec);
		uint64_t x = (uint64_t)llround(scaled);
		if (x >= 10000000ull) { /* rounding carried into a new digit */
			dec--;
			x = (uint64_t)llround(fabs(v) * pow(10, dec));
		}
		if (dec < 0)
			dec = 0;
		char dig[32];
		int n = 0;
		do
			dig[n++] = (char)('0' + x % 10);
		while ((x /= 10) != 0);
		while (n <= dec)
			dig[n++] = '0';
		int cut = 0; /* trailing zeros of the fraction */
		while (cut < dec && dig[cut] == '0')
			cut++;
		if (v < 0)
			*p++ = '-';
		for (int i = n - 1; i >= dec; i--)
			*p++ = dig[i];
		if (cut < dec) {
			*p++ = '.';
			for (int i = dec - 1; i >= cut; i--)
				*p++ = dig[i];
		}
		b->len = (size_t)(p - b->s);
	} else {
		int n = snprintf(p, 32, "%.7g", v);
		b->len += n > 0 && n < 32 ? (size_t)n : 0;
	}
	b->s[b->len] = '\0';
}

/* A JSON string (names come from the store: escaped all the same). */
static void put_str(sbuf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			putf(b, "\\%c", c);
		else if (c < 0x20)
			putf(b, "\\u%04x", c);
		else
			put(b, s, 1);
	}
	put(b, "\"", 1);
}

/* Seconds with the milliseconds that matter. */
static void put_secs(sbuf *b, int64_t ms)
{
	if (ms % 1000 == 0)
		putf(b, "%lld", (long long)(ms / 1000));
	else
		putf(b, "%.3f", (double)ms / 1000);
}

int answer_time(const char *s, int64_t now_ms, int64_t *ms)
{
	if (strchr(s, 'T'))
		return clock_parse_iso(s, ms);
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v > 1e11 || v < -1e10)
		return -1;
	*ms = v < 0 ? now_ms + (int64_t)llround(v * 1000) : (int64_t)llround(v * 1000);
	return 0;
}

typedef struct want {
	int col;
	enum hist_agg agg;
	char label[HIST_NAME_MAX + 5];
} want;

/* Add the series a pattern names to w (no repeats).  Returns 0, or -1
 * when there are too many. */
static int select_series(hist *h, const char *pat, want *w, size_t *n)
{
	char base[HIST_NAME_MAX + 5];
	snprintf(base, sizeof base, "%s", pat);
	enum hist_agg agg = HIST_AVG;
	const char *suffix = "";
	size_t bl = strlen(base);
	if (bl > 4 && !strcmp(base + bl - 4, ":min")) {
		agg = HIST_MIN, suffix = ":min", base[bl - 4] = '\0';
	} else if (bl > 4 && !strcmp(base + bl - 4, ":max")) {
		agg = HIST_MAX, suffix = ":max", base[bl - 4] = '\0';
	}
	for (uint32_t i = 0; i < hist_nseries(h); i++) {
		const char *name = hist_series_name(h, i);
		if (!name || fnmatch(base, name, 0) != 0)
			continue;
		char label[sizeof w->label];
		snprintf(label, sizeof label, "%s%s", name, suffix);
		int dup = 0;
		for (size_t k = 0; k < *n && !dup; k++)
			dup = !strcmp(w[k].label, label);
		if (dup)
			continue;
		if (*n >= ANSWER_MAX_SERIES)
			return -1;
		w[*n].col = (int)i;
		w[*n].agg = agg;
		memcpy(w[*n].label, label, sizeof label);
		++*n;
	}
	return 0;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const want *)a)->label, ((const want *)b)->label);
}

typedef struct params {
	char since[64], until[64], step[64];
	char series[VALUE_MAX];
	int has_since, has_until, has_step, has_series;
} params;

static int parse_query(const char *q, enum route route, params *p,
                       char err[ANSWER_ERR_LEN])
{
	memset(p, 0, sizeof *p);
	if (!q)
		return 0;
	if (strlen(q) > 2 * VALUE_MAX) {
		snprintf(err, ANSWER_ERR_LEN, "query string longer than %d bytes",
		         2 * VALUE_MAX);
		return 400;
	}
	const char *k, *v;
	size_t kl, vl;
	while (cgi_param(&q, &k, &kl, &v, &vl)) {
		char *dst = NULL;
		size_t dl = 0;
		int *flag = NULL;
#define KEY(name) (kl == strlen(name) && !memcmp(k, name, kl))
		if (KEY("since"))
			dst = p->since, dl = sizeof p->since, flag = &p->has_since;
		else if (KEY("until"))
			dst = p->until, dl = sizeof p->until, flag = &p->has_until;
		else if (KEY("step") && route == ROUTE_HISTORY)
			dst = p->step, dl = sizeof p->step, flag = &p->has_step;
		else if (KEY("series") && route == ROUTE_HISTORY)
			dst = p->series, dl = sizeof p->series, flag = &p->has_series;
		else if (!KEY("_") && !KEY("t") && kl) {
			snprintf(err, ANSWER_ERR_LEN, "unknown query key '%.*s': want %s",
			         (int)(kl < 40 ? kl : 40), k,
			         route == ROUTE_HISTORY ? "since, until, step, series"
			                                : "since, until");
			return 400;
		}
#undef KEY
		if (dst && cgi_unescape(v, vl, dst, dl) < 0) {
			snprintf(err, ANSWER_ERR_LEN, "bad value for '%.*s'", (int)kl, k);
			return 400;
		}
		if (flag)
			*flag = 1;
	}
	return 0;
}

static int range(const params *p, int64_t now_ms, int64_t *since, int64_t *until,
                 char err[ANSWER_ERR_LEN])
{
	*until = now_ms;
	if (p->has_until && answer_time(p->until, now_ms, until) < 0) {
		snprintf(err, ANSWER_ERR_LEN, "bad until '%s': want unix seconds, "
		         "ISO 8601, or -SECONDS", p->until);
		return 400;
	}
	*since = *until - 3600 * 1000;
	if (p->has_since && answer_time(p->since, now_ms, since) < 0) {
		snprintf(err, ANSWER_ERR_LEN, "bad since '%s': want unix seconds, "
		         "ISO 8601, or -SECONDS", p->since);
		return 400;
	}
	if (*since > *until) {
		snprintf(err, ANSWER_ERR_LEN, "since is after until");
		return 400;
	}
	return 0;
}

static int history(hist *h, const params *p, int64_t now_ms, sbuf *out,
                   char err[ANSWER_ERR_LEN])
{
	int64_t since, until, step_ms = 0;
	int st = range(p, now_ms, &since, &until, err);
	if (st)
		return st;
	if (p->has_step) {
		char *end;
		double s = strtod(p->step, &end);
		if (end == p->step || *end || !(s > 0) || s > 86400 * 366) {
			snprintf(err, ANSWER_ERR_LEN, "bad step '%s': want seconds > 0", p->step);
			return 400;
		}
		step_ms = (int64_t)llround(s * 1000);
	}
	want *w = malloc(ANSWER_MAX_SERIES * sizeof *w);
	if (!w) {
		snprintf(err, ANSWER_ERR_LEN, "out of memory");
		return 500;
	}
	size_t n = 0;
	const char *list = p->has_series ? p->series : "*";
	while (*list) {
		size_t l = strcspn(list, ",");
		char pat[HIST_NAME_MAX + 5];
		if (l == 0 || l >= sizeof pat) {
			free(w);
			snprintf(err, ANSWER_ERR_LEN, "bad series: empty or longer than %d bytes",
			         HIST_NAME_MAX + 4);
			return 400;
		}
		memcpy(pat, list, l);
		pat[l] = '\0';
		if (select_series(h, pat, w, &n) < 0) {
			free(w);
			snprintf(err, ANSWER_ERR_LEN, "more than %d series asked for",
			         ANSWER_MAX_SERIES);
			return 400;
		}
		list += l;
		if (*list == ',')
			list++;
	}
	qsort(w, n, sizeof *w, label_cmp);
	int *cols = malloc((n ? n : 1) * sizeof *cols);
	enum hist_agg *aggs = malloc((n ? n : 1) * sizeof *aggs);
	if (!cols || !aggs) {
		free(w), free(cols), free(aggs);
		snprintf(err, ANSWER_ERR_LEN, "out of memory");
		return 500;
	}
	for (size_t i = 0; i < n; i++)
		cols[i] = w[i].col, aggs[i] = w[i].agg;
	hist_query q = {.since_ms = since, .until_ms = until, .step_ms = step_ms,
	                .now_ms = now_ms, .n = n, .cols = cols, .aggs = aggs};
	char herr[HIST_ERR_LEN];
	if (hist_read(h, &q, herr) < 0) {
		free(w), free(cols), free(aggs);
		snprintf(err, ANSWER_ERR_LEN, "%s", herr);
		return 500;
	}
	puts_(out, "{\"step\":");
	put_secs(out, q.step_out_ms);
	puts_(out, ",\"time\":[");
	for (size_t k = 0; k < q.npoints; k++) {
		if (k)
			put(out, ",", 1);
		int64_t t = q.first_ms + (int64_t)k * q.step_out_ms;
		if (t % 1000 == 0)
			put_num(out, (double)(t / 1000));
		else
			put_secs(out, t);
	}
	puts_(out, "],\"series\":{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(out, ",", 1);
		put_str(out, w[i].label);
		put(out, ":[", 2);
		const double *v = q.values + i * q.npoints;
		/* A series often holds one value for a while: its text is
		 * copied, not made again. */
		size_t prev_at = 0, prev_len = 0;
		for (size_t k = 0; k < q.npoints; k++) {
			if (k)
				put(out, ",", 1);
			if (!isfinite(v[k])) {
				put(out, "null", 4);
			} else if (prev_len && v[k] == v[k - 1] && room(out, prev_len) == 0) {
				memmove(out->s + out->len, out->s + prev_at, prev_len);
				out->len += prev_len;
				out->s[out->len] = '\0';
			} else {
				prev_at = out->len;
				put_num(out, v[k]);
				prev_len = out->len - prev_at;
				continue;
			}
			if (!isfinite(v[k]))
				prev_len = 0;
		}
		put(out, "]", 1);
	}
	puts_(out, "},\"since\":");
	put_secs(out, since);
	puts_(out, ",\"until\":");
	put_secs(out, until);
	puts_(out, q.tier == HIST_FINE ? ",\"tier\":\"fine\"}\n"
	           : q.tier == HIST_MINUTE ? ",\"tier\":\"coarse\"}\n" : ",\"tier\":\"hour\"}\n");
	free(q.values);
	free(w), free(cols), free(aggs);
	if (out->oom) {
		snprintf(err, ANSWER_ERR_LEN, "out of memory");
		return 500;
	}
	return 200;
}

static int events(hist *h, const params *p, int64_t now_ms, sbuf *out,
                  char err[ANSWER_ERR_LEN])
{
	int64_t since, until;
	int st = range(p, now_ms, &since, &until, err);
	if (st)
		return st;
	hist_mark_rec *m;
	size_t n;
	char herr[HIST_ERR_LEN];
	if (hist_marks(h, since, until, &m, &n, herr) < 0) {
		snprintf(err, ANSWER_ERR_LEN, "%s", herr);
		return 500;
	}
	puts_(out, "{\"events\":[");
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		/* A record's checksum held, but it is still parsed before use. */
		char why[64];
		cJSON *j = js_parse(m[i].json, strlen(m[i].json), why, sizeof why);
		if (!cJSON_IsObject(j) || !j->child) {
			cJSON_Delete(j);
			continue;
		}
		cJSON_Delete(j);
		if (!first)
			put(out, ",", 1);
		first = 0;
		puts_(out, "{\"time\":");
		put_secs(out, m[i].t_ms);
		put(out, ",", 1);
		puts_(out, m[i].json + 1);
	}
	free(m);
	puts_(out, "],\"since\":");
	put_secs(out, since);
	puts_(out, ",\"until\":");
	put_secs(out, until);
	puts_(out, "}\n");
	if (out->oom) {
		snprintf(err, ANSWER_ERR_LEN, "out of memory");
		return 500;
	}
	return 200;
}

int answer(hist *h, enum route route, const char *query, int64_t now_ms,
           sbuf *out, char err[ANSWER_ERR_LEN])
{
	params *p = malloc(sizeof *p);
	if (!p) {
		snprintf(err, ANSWER_ERR_LEN, "out of memory");
		return 500;
	}
	int st = parse_query(query, route, p, err);
	if (!st)
		st = route == ROUTE_HISTORY ? history(h, p, now_ms, out, err)
		                            : events(h, p, now_ms, out, err);
	free(p);
	return st;
}
