/* report.c - docker-stats' JSON output; see report.h. */
#include "report.h"

#include "js.h"

#define MB (1024.0 * 1024.0)

static double mb(double bytes) { return js_round(bytes / MB, 2); }

cJSON *ds_entry(const char *id, const char *name, const char *host,
                const char *status, const ds_stats *s, const char *error,
                const char *ts)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", name);
	if (host)
		cJSON_AddStringToObject(o, "host", host);
	cJSON_AddStringToObject(o, "status", status);
	js_add_num(o, "cpu", s->have_cpu, js_round(s->cpu_percent, 2));

	cJSON *m = cJSON_AddObjectToObject(o, "memory");
	if (m) {
		int pct = s->have_mem && s->have_limit;
		js_add_num(m, "usage_bytes", s->have_mem, s->mem_used);
		js_add_num(m, "limit_bytes", s->have_limit, s->mem_limit);
		js_add_num(m, "usage_mb", s->have_mem, mb(s->mem_used));
		js_add_num(m, "limit_mb", s->have_limit, mb(s->mem_limit));
		js_add_num(m, "usage_percent", pct,
		           pct ? js_round(s->mem_used / s->mem_limit * 100, 2) : 0);
	}
	cJSON *n = cJSON_AddObjectToObject(o, "network");
	if (n) {
		js_add_num(n, "rx_bytes", s->have_net, s->rx_bytes);
		js_add_num(n, "tx_bytes", s->have_net, s->tx_bytes);
		js_add_num(n, "rx_mb", s->have_net, mb(s->rx_bytes));
		js_add_num(n, "tx_mb", s->have_net, mb(s->tx_bytes));
		js_add_num(n, "rx_bytes_per_s", s->have_net_rate,
		           js_round(s->rx_rate, 1));
		js_add_num(n, "tx_bytes_per_s", s->have_net_rate,
		           js_round(s->tx_rate, 1));
	}
	cJSON *b = cJSON_AddObjectToObject(o, "block_io");
	if (b) {
		js_add_num(b, "read_bytes", s->have_blk, s->read_bytes);
		js_add_num(b, "write_bytes", s->have_blk, s->write_bytes);
		js_add_num(b, "read_mb", s->have_blk, mb(s->read_bytes));
		js_add_num(b, "write_mb", s->have_blk, mb(s->write_bytes));
		js_add_num(b, "read_bytes_per_s", s->have_blk_rate,
		           js_round(s->read_rate, 1));
		js_add_num(b, "write_bytes_per_s", s->have_blk_rate,
		           js_round(s->write_rate, 1));
	}
	if (error)
		cJSON_AddStringToObject(o, "error", error);
	cJSON_AddStringToObject(o, "timestamp", ts);
	return o;
}

cJSON *ds_aggregate(const ds_stats *st, size_t n, const char *ts)
{
	double cpu = 0, used = 0, limit = 0, used_limited = 0;
	double rx = 0, tx = 0, rd = 0, wr = 0;
	int have_cpu = 0, have_mem = 0, have_limit = 0, running = 0;
	int have_net = 0, have_blk = 0;
	for (size_t i = 0; i < n; i++) {
		if (st[i].running)
			running++;
		if (st[i].have_cpu) {
			cpu += st[i].cpu_percent;
			have_cpu = 1;
		}
		if (st[i].have_mem) {
			used += st[i].mem_used;
			have_mem = 1;
			if (st[i].have_limit) {
				/* the percent is of the limited ones only: an
				 * unlimited container has no share of a limit */
				limit += st[i].mem_limit;
				used_limited += st[i].mem_used;
				have_limit = 1;
			}
		}
		if (st[i].have_net_rate) {
			rx += st[i].rx_rate;
			tx += st[i].tx_rate;
			have_net = 1;
		}
		if (st[i].have_blk_rate) {
			rd += st[i].read_rate;
			wr += st[i].write_rate;
			have_blk = 1;
		}
	}
	cJSON *a = cJSON_CreateObject();
	if (!a)
		return NULL;
	js_add_num(a, "total_cpu_percent", have_cpu, js_round(cpu, 2));
	js_add_num(a, "total_memory_mb", have_mem, mb(used));
	js_add_num(a, "total_memory_limit_mb", have_limit, mb(limit));
	js_add_num(a, "total_memory_percent", have_limit && limit > 0,
	           limit > 0 ? js_round(used_limited / limit * 100, 2) : 0);
	js_add_num(a, "total_rx_bytes_per_s", have_net, js_round(rx, 1));
	js_add_num(a, "total_tx_bytes_per_s", have_net, js_round(tx, 1));
	js_add_num(a, "total_read_bytes_per_s", have_blk, js_round(rd, 1));
	js_add_num(a, "total_write_bytes_per_s", have_blk, js_round(wr, 1));
	cJSON_AddNumberToObject(a, "container_count", (double)n);
	cJSON_AddNumberToObject(a, "running_count", running);
	cJSON_AddStringToObject(a, "timestamp", ts);
	return a;
}

