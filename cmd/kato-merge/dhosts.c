/* dhosts.c - see dhosts.h. */
#include "dhosts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "js.h"

static const char *const agg_key[DH_NAGG] = {
    [DH_CPU] = "total_cpu_percent",       [DH_MEM] = "total_memory_mb",
    [DH_LIMIT] = "total_memory_limit_mb", [DH_PCT] = "total_memory_percent",
    [DH_RX] = "total_rx_bytes_per_s",     [DH_TX] = "total_tx_bytes_per_s",
    [DH_READ] = "total_read_bytes_per_s", [DH_WRITE] = "total_write_bytes_per_s",
    [DH_COUNT] = "container_count",       [DH_RUNNING] = "running_count",
};

static void data_clear(dhost *h)
{
	free(h->entries);
	free(h->entries_stale);
	free(h->agg);
	free(h->engine_json);
	h->entries = h->entries_stale = h->agg = h->engine_json = NULL;
}

void dhosts_free(dhosts *d)
{
	for (size_t i = 0; i < d->n; i++) {
		data_clear(&d->h[i]);
		free(d->h[i].err_json);
		d->h[i].err_json = NULL;
	}
	d->n = 0;
}

int64_t dh_age(int64_t arrived_mono_ms, int64_t lag_ms, int64_t mono_ms)
{
	int64_t a = mono_ms - arrived_mono_ms;
	return (a < 0 ? 0 : a) + lag_ms;
}

int dhost_stale(const dhost *h, int64_t mono_ms, int64_t stale_ms)
{
	return dh_age(h->mono_ms, h->lag_ms, mono_ms) > stale_ms;
}

int dhost_fresh(const dhost *h, int64_t mono_ms, int64_t stale_ms)
{
	return h->ok && !dhost_stale(h, mono_ms, stale_ms);
}

/* The text of a printed array or object without its brackets: "[a,b]"
 * becomes "a,b" in place. */
static char *inner(char *t)
{
	if (!t)
		return NULL;
	size_t n = strlen(t);
	if (n < 2)
		return t;
	memmove(t, t + 1, n - 2);
	t[n - 2] = '\0';
	return t;
}

/* Set key to a new item in obj, in place of one it has.  Returns 0 or -1. */
static int set_item(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item) ? 0 : -1;
	return cJSON_AddItemToObject(obj, key, item) ? 0 : -1;
}

/* The texts an ok record gives its host, into n (fields it owns). */
static int data_texts(dhost *n, const char *host, cJSON *data, char *err,
                      size_t errlen)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(data, "containers");
	if (!cJSON_IsArray(list)) {
		snprintf(err, errlen, "docker-stats%s%s: \"data.containers\" is not an array",
		         *host ? "@" : "", host);
		return -1;
	}
	cJSON *c;
	cJSON_ArrayForEach(c, list)
	{
		if (!cJSON_IsObject(c)) {
			snprintf(err, errlen,
			         "docker-stats%s%s: a container entry is not an object",
			         *host ? "@" : "", host);
			return -1;
		}
		/* The record's host is the one that counts. */
		if (*host && set_item(c, "host", cJSON_CreateString(host)) < 0)
			goto oom;
	}
	if (!(n->entries = inner(cJSON_PrintUnformatted(list))))
		goto oom;
	cJSON_ArrayForEach(c, list)
	{
		if (set_item(c, "stale", cJSON_CreateTrue()) < 0)
			goto oom;
	}
	if (!(n->entries_stale = inner(cJSON_PrintUnformatted(list))))
		goto oom;

	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(data, "aggregated");
	if (cJSON_IsObject(agg)) {
		if (!(n->agg = cJSON_PrintUnformatted(agg)))
			goto oom;
		for (int k = 0; k < DH_NAGG; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(agg, agg_key[k]);
			n->have[k] = cJSON_IsNumber(v);
			n->aggv[k] = n->have[k] ? v->valuedouble : 0;
		}
	}

	cJSON *info = cJSON_CreateObject();
	if (!info)
		goto oom;
	static const char *const ikeys[] = {"engine", "api_version"};
	for (size_t i = 0; i < 2; i++) {
		const char *s = js_str(data, ikeys[i]);
		if (s && !cJSON_AddStringToObject(info, ikeys[i], s)) {
			cJSON_Delete(info);
			goto oom;
		}
	}
	n->engine_json = inner(cJSON_PrintUnformatted(info));
	cJSON_Delete(info);
	if (!n->engine_json)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "out of memory keeping a record from docker-stats%s%s",
	         *host ? "@" : "", host);
	return -1;
}

enum dh_result dhosts_take(dhosts *d, const char *host, int ok, cJSON *data,
                           const char *error, int64_t ts_ms, int64_t order_ms,
                           int64_t mono_ms, int64_t lag_ms, char *err,
                           size_t errlen)
{
	dhost *h = NULL;
	for (size_t i = 0; i < d->n && !h; i++)
		if (!strcmp(d->h[i].name, host))
			h = &d->h[i];
	if (h && order_ms < h->order_ms)
		return DH_OLDER;
	if (!h && d->n == DHOSTS_MAX) {
		snprintf(err, errlen,
		         "too many Docker hosts: %s is one past the limit of %d "
		         "(its records are refused)",
		         *host ? host : "(unnamed)", DHOSTS_MAX);
		return DH_BAD;
	}

	/* Build the new texts first: a bad record leaves the host as it was. */
	dhost n;
	memset(&n, 0, sizeof n);
	if (ok) {
		if (data_texts(&n, host, data, err, errlen) < 0) {
			data_clear(&n);
			return DH_BAD;
		}
		n.data_ts_ms = ts_ms;
	} else {
		cJSON *s = cJSON_CreateString(error);
		n.err_json = s ? cJSON_PrintUnformatted(s) : NULL;
		cJSON_Delete(s);
		if (!n.err_json) {
			snprintf(err, errlen, "out of memory keeping a record from docker-stats");
			return DH_BAD;
		}
	}

	if (!h) {
		/* Kept in name order: frames list hosts the same way whatever
		 * order their records came in. */
		size_t at = 0;
		while (at < d->n && strcmp(d->h[at].name, host) < 0)
			at++;
		memmove(&d->h[at + 1], &d->h[at], (d->n - at) * sizeof d->h[0]);
		d->n++;
		h = &d->h[at];
		memset(h, 0, sizeof *h);
		snprintf(h->name, sizeof h->name, "%s", host);
	}
	free(h->err_json);
	h->err_json = n.err_json;
	if (ok) {
		/* A failed record keeps the last containers seen: shown stale. */
		data_clear(h);
		h->entries = n.entries;
		h->entries_stale = n.entries_stale;
		h->agg = n.agg;
		h->engine_json = n.engine_json;
		memcpy(h->aggv, n.aggv, sizeof h->aggv);
		memcpy(h->have, n.have, sizeof h->have);
		h->data_ts_ms = n.data_ts_ms;
	}
	h->ok = ok;
	h->ts_ms = ts_ms;
	h->order_ms = order_ms;
	h->mono_ms = mono_ms;
	h->lag_ms = lag_ms;
	return DH_KEPT;
}

const dhost *dhosts_youngest(const dhosts *d, int64_t mono_ms)
{
	const dhost *best = NULL;
	for (size_t i = 0; i < d->n; i++)
		if (!best || dh_age(d->h[i].mono_ms, d->h[i].lag_ms, mono_ms) <
		                 dh_age(best->mono_ms, best->lag_ms, mono_ms))
			best = &d->h[i];
	return best;
}

const char *dhosts_newest_error(const dhosts *d)
{
	const dhost *best = NULL;
	for (size_t i = 0; i < d->n; i++)
		if (!d->h[i].ok && (!best || d->h[i].order_ms > best->order_ms))
			best = &d->h[i];
	return best ? best->err_json : NULL;
}

int dhosts_any_ok(const dhosts *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->h[i].ok)
			return 1;
	return 0;
}

/* The sum of the counted hosts' aggregates, printed to f.  Memory percent
 * is weighted by each host's limit, as docker-stats weights containers. */
static void print_sum(FILE *f, const dhosts *d, const unsigned char *counted)
{
	size_t one = 0, n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (counted[i]) {
			one = i;
			n++;
		}
	if (n == 1 && d->h[one].agg) {
		fputs(d->h[one].agg, f); /* as its host said it */
		return;
	}
	double sum[DH_NAGG] = {0}, pct_used = 0, pct_limit = 0;
	int have[DH_NAGG] = {0}, have_pct = 0;
	int64_t newest = 0;
	for (size_t i = 0; i < d->n; i++) {
		const dhost *h = &d->h[i];
		if (!counted[i] || !h->agg)
			continue;
		for (int k = 0; k < DH_NAGG; k++)
			if (h->have[k]) {
				sum[k] += h->aggv[k];
				have[k] = 1;
			}
		if (h->have[DH_PCT] && h->have[DH_LIMIT] && h->aggv[DH_LIMIT] > 0) {
			pct_used += h->aggv[DH_PCT] / 100 * h->aggv[DH_LIMIT];
			pct_limit += h->aggv[DH_LIMIT];
			have_pct = 1;
		}
		if (h->data_ts_ms > newest)
			newest = h->data_ts_ms;
	}
	sum[DH_PCT] = have_pct ? pct_used / pct_limit * 100 : 0;
	have[DH_PCT] = have_pct;
	cJSON *a = cJSON_CreateObject();
	for (int k = 0; a && k < DH_NAGG; k++) {
		int dec = k >= DH_RX && k <= DH_WRITE ? 1 : 2;
		js_add_num(a, agg_key[k], have[k],
		           k >= DH_COUNT ? sum[k] : js_round(sum[k], dec));
	}
	char ts[CLOCK_ISO_LEN];
	if (a && n)
		cJSON_AddStringToObject(a, "timestamp", clock_iso_ms(ts, newest));
	else if (a)
		cJSON_AddNullToObject(a, "timestamp");
	char *t = a ? cJSON_PrintUnformatted(a) : NULL;
	fputs(t ? t : "null", f);
	free(t);
	cJSON_Delete(a);
}

static void print_hosts(FILE *f, const dhosts *d, int64_t mono_ms,
                        int64_t stale_ms)
{
	fputs("\"hosts\":{", f);
	for (size_t i = 0; i < d->n; i++) {
		const dhost *h = &d->h[i];
		char ts[CLOCK_ISO_LEN];
		fprintf(f, "%s\"%s\":{\"ok\":%s,\"stale\":%s,\"ts\":\"%s\",\"age_ms\":%" PRId64,
		        i ? "," : "", h->name, h->ok ? "true" : "false",
		        dhost_stale(h, mono_ms, stale_ms) ? "true" : "false",
		        clock_iso_ms(ts, h->ts_ms), dh_age(h->mono_ms, h->lag_ms, mono_ms));
		if (h->engine_json && *h->engine_json)
			fprintf(f, ",%s", h->engine_json);
		fprintf(f, ",\"aggregated\":%s", h->agg ? h->agg : "null");
		if (!h->ok && h->err_json)
			fprintf(f, ",\"error\":%s", h->err_json);
		fputc('}', f);
	}
	fputc('}', f);
}

char *dhosts_section(const dhosts *d, int64_t mono_ms, int64_t stale_ms)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	if (!dhosts_any_ok(d)) {
		const char *e = dhosts_newest_error(d);
		fprintf(f, "{\"error\":%s,", e ? e : "\"no data\"");
		print_hosts(f, d, mono_ms, stale_ms);
		fputc('}', f);
	} else {
		unsigned char counted[DHOSTS_MAX] = {0};
		int recent = 0; /* a host whose newest record is not stale */
		for (size_t i = 0; i < d->n; i++) {
			counted[i] = (unsigned char)dhost_fresh(&d->h[i], mono_ms, stale_ms);
			recent |= !dhost_stale(&d->h[i], mono_ms, stale_ms);
		}
		/* Every host stale (the section is, as a whole): the last word of
		 * each host that had one.  Else only the fresh ones: a failing
		 * host's old figures are not summed beside live ones, nor instead
		 * of them (nothing fresh to sum is null, not the past). */
		if (!recent)
			for (size_t i = 0; i < d->n; i++)
				counted[i] = (unsigned char)d->h[i].ok;
		fputs("{\"containers\":[", f);
		int first = 1;
		for (size_t i = 0; i < d->n; i++) {
			const dhost *h = &d->h[i];
			const char *e = dhost_fresh(h, mono_ms, stale_ms) ? h->entries
			                                                 : h->entries_stale;
			if (!e || !*e)
				continue;
			if (!first)
				fputc(',', f);
			fputs(e, f);
			first = 0;
		}
		fputs("],\"aggregated\":", f);
		print_sum(f, d, counted);
		fputc(',', f);
		print_hosts(f, d, mono_ms, stale_ms);
		fputc('}', f);
	}
	int failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		free(text);
		return NULL;
	}
	return text;
}
