/* calc.c - docker-stats' arithmetic; see calc.h. */
#include "calc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "js.h"

int ds_parse_read(const char *s, int64_t *ns)
{
	if (!s)
		return -1;
	struct tm tm = {0};
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return -1;
	/* Docker's "never read" is Go's zero time, year 1.  Past 2262 the
	 * nanoseconds overflow int64_t: not a time an engine measured.  Out
	 * of range fields are refused, not carried over by timegm. */
	if (tm.tm_year < 1970 || tm.tm_year > 2261 || tm.tm_mon < 1 ||
	    tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -1;
	const char *p = s + n;
	int64_t frac = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*ns = (int64_t)t * 1000000000LL + frac;
	return 0;
}

/* Podman's stats carry its own "cpu" figure in cpu_stats; Docker's never. */
static ds_engine guess_engine(const cJSON *body)
{
	return js_path(body, "cpu_stats.cpu") ? DS_ENGINE_PODMAN : DS_ENGINE_DOCKER;
}

static void calc_cpu(const cJSON *body, const ds_sample *prev, ds_stats *o)
{
	const ds_sample *now = &o->now;
	if (!prev || !prev->valid || !now->valid)
		return;
	double dtotal = now->cpu_total - prev->cpu_total;
	if (dtotal < 0)
		return; /* the counter went down: a restart, skip this delta */
	if (o->engine == DS_ENGINE_PODMAN) {
		int64_t dread = now->read_ns - prev->read_ns;
		if (dread <= 0)
			return;
		o->cpu_percent = dtotal / (double)dread * 100.0;
		o->have_cpu = 1;
		return;
	}
	if (!now->have_system || !prev->have_system)
		return;
	double dsys = now->cpu_system - prev->cpu_system;
	if (dsys <= 0)
		return;
	double cpus = 0;
	if (!js_num(body, "cpu_stats.online_cpus", &cpus) || cpus <= 0) {
		const cJSON *per = js_path(body, "cpu_stats.cpu_usage.percpu_usage");
		cpus = cJSON_IsArray(per) ? cJSON_GetArraySize(per) : 0;
	}
	if (cpus <= 0)
		return;
	o->cpu_percent = dtotal / dsys * cpus * 100.0;
	o->have_cpu = 1;
}

static void calc_mem(const cJSON *body, ds_stats *o)
{
	double usage, v;
	if (!js_num(body, "memory_stats.usage", &usage))
		return;
	double used = usage;
	if (js_num(body, "memory_stats.stats.total_inactive_file", &v)) {
		if (v < usage)
			used = usage - v; /* cgroup v1 */
	} else if (js_num(body, "memory_stats.stats.inactive_file", &v)) {
		if (v < usage)
			used = usage - v; /* cgroup v2 */
	}
	o->mem_used = used;
	o->have_mem = 1;
	if (js_num(body, "memory_stats.limit", &v) && v > 0) {
		o->mem_limit = v;
		o->have_limit = 1;
	}
}

static void calc_net(const cJSON *body, ds_stats *o)
{
	const cJSON *nets = js_path(body, "networks");
	if (!cJSON_IsObject(nets))
		return;
	double rx = 0, tx = 0, v;
	int any = 0;
	const cJSON *n;
	cJSON_ArrayForEach(n, nets) {
		if (js_num(n, "rx_bytes", &v)) {
			rx += v;
			any = 1;
		}
		if (js_num(n, "tx_bytes", &v)) {
			tx += v;
			any = 1;
		}
	}
	if (!any)
		return;
	o->rx_bytes = rx;
	o->tx_bytes = tx;
	o->have_net = 1;
	o->now.have_net = 1;
	o->now.rx = rx;
	o->now.tx = tx;
}

static void calc_blk(const cJSON *body, ds_stats *o)
{
	const cJSON *list = js_path(body, "blkio_stats.io_service_bytes_recursive");
	if (!cJSON_IsArray(list))
		return; /* null: the engine could not measure it */
	double rd = 0, wr = 0, v;
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		const char *op = js_str(e, "op");
		if (!op || !js_num(e, "value", &v))
			continue;
		if (!strcasecmp(op, "read"))
			rd += v;
		else if (!strcasecmp(op, "write"))
			wr += v;
	}
	o->read_bytes = rd;
	o->write_bytes = wr;
	o->have_blk = 1;
	o->now.have_blk = 1;
	o->now.rd = rd;
	o->now.wr = wr;
}

/* Bytes per second from two readings of a pair of counters, over dt
 * seconds; 0 (not measured) when a counter went down (a restart). */
static int rates(double a0, double a1, double b0, double b1, double dt,
                 double *ra, double *rb)
{
	if (a1 < a0 || b1 < b0 || dt <= 0)
		return 0;
	*ra = (a1 - a0) / dt;
	*rb = (b1 - b0) / dt;
	return 1;
}

static void calc_rates(const ds_sample *prev, ds_stats *o)
{
	const ds_sample *now = &o->now;
	if (!prev || !prev->valid)
		return;
	double dt = (double)(now->read_ns - prev->read_ns) / 1e9;
	if (now->have_net && prev->have_net)
		o->have_net_rate = rates(prev->rx, now->rx, prev->tx, now->tx, dt,
		                         &o->rx_rate, &o->tx_rate);
	if (now->have_blk && prev->have_blk)
		o->have_blk_rate = rates(prev->rd, now->rd, prev->wr, now->wr, dt,
		                         &o->read_rate, &o->write_rate);
}

void ds_unlimited(ds_stats *s, double host_mem)
{
	if (!s->have_limit)
		return;
	if ((host_mem > 0 && s->mem_limit >= host_mem) || s->mem_limit >= 0x1p60)
		s->have_limit = 0;
}

void ds_calc(const cJSON *body, const ds_sample *prev, ds_engine engine,
             ds_stats *out)
{
	memset(out, 0, sizeof *out);
	out->engine = engine;
	if (!cJSON_IsObject(body) || !body->child)
		return;
	int64_t read_ns;
	if (ds_parse_read(js_str(body, "read"), &read_ns) < 0)
		return; /* stopped: Docker's zero time, or no time at all */
	out->running = 1;
	if (engine == DS_ENGINE_UNKNOWN)
		out->engine = guess_engine(body);

	ds_sample *s = &out->now;
	s->read_ns = read_ns;
	s->valid = js_num(body, "cpu_stats.cpu_usage.total_usage", &s->cpu_total);
	s->have_system = js_num(body, "cpu_stats.system_cpu_usage", &s->cpu_system);

	calc_cpu(body, prev, out);
	calc_mem(body, out);
	calc_net(body, out);
	calc_blk(body, out);
	calc_rates(prev, out);
}
