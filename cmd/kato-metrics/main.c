/* kato-metrics - poll KATO's /metrics and /health, one record per sample.
 *
 *   {"source":"kato-metrics","ts":ISO,"ok":true,
 *    "data":{"metrics":<GET /metrics body>,"health":<GET /health body>|null,
 *            "health_error":"why /health gave nothing" (when health is null),
 *            "status":"healthy"|"degraded"|"unhealthy"|"unknown"}}
 *   {"source":"kato-metrics","ts":ISO,"ok":false,"error":"what: why"}
 *
 * Both requests go out together each tick.  /metrics decides whether the
 * sample is good: a /health that fails only makes "health" null and
 * "status" "unknown" (logged when it starts, changes and ends).  A /metrics
 * body carrying KATO's own "error" is a failed sample; its record then
 * carries what /health said, when it said something.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "collector.h"
#include "exitcode.h"
#include "http.h"
#include "js.h"
#include "kato.h"
#include "log.h"
#include "opt.h"

#define SOURCE "kato-metrics"

static const char usage_text[] =
    "usage: kato-metrics [--url URL] [--interval SECONDS] [--timeout SECONDS] [--once]\n"
    "\n"
    "Poll KATO's GET /metrics and GET /health; write one JSON record per\n"
    "sample on stdout.\n"
    "\n"
    "  -u, --url URL          KATO's base URL (default $KATO_API_URL, else\n"
    "                         " KATO_DEFAULT_URL ")\n"
    "  -i, --interval SECONDS time between samples (default 3,\n"
    "                         $KATO_METRICS_INTERVAL)\n"
    "  -t, --timeout SECONDS  give up on a request after this long (default 2,\n"
    "                         $KATO_TIMEOUT)\n"
    "      --once             take one sample, exit 0 if it succeeded, else 1\n"
    "  -h, --help             show this text\n";

typedef struct metrics_ctx {
	http_client http;
	char health_err[HTTP_ERR_LEN]; /* why /health failed last, or "" */
} metrics_ctx;

/* KATO's health status word, or "unknown" for anything else. */
static const char *health_status(const cJSON *health)
{
	const char *s = js_str(health, "status");
	if (s && (!strcmp(s, "healthy") || !strcmp(s, "degraded") ||
	          !strcmp(s, "unhealthy")))
		return s;
	return "unknown";
}

/* /health's body if it is KATO's health object, else NULL with err.  KATO
 * answers 200 even when unhealthy; a proxy may say 503 with the same
 * body, which is still an answer. */
static cJSON *read_health(const http_client *c, http_req *r,
                          char err[HTTP_ERR_LEN])
{
	if (r->status == 503) {
		char why[64];
		cJSON *j = js_parse(r->body ? r->body : "", r->len, why, sizeof why);
		if (j && strcmp(health_status(j), "unknown") != 0)
			return j;
		cJSON_Delete(j);
	}
	cJSON *j = kato_json(c, r, err);
	if (!j)
		return NULL;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "status"))) {
		char w[600];
		http_where(c, r, w, sizeof w);
		snprintf(err, HTTP_ERR_LEN, "GET %s: answer has no \"status\"", w);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* Log /health's trouble once when it starts or changes, and its end. */
static void note_health(metrics_ctx *m, const char *err)
{
	if (err && strcmp(err, m->health_err) != 0)
		log_warn("%s (reporting health null, status unknown)", err);
	else if (!err && m->health_err[0])
		log_info("GET /health answers again");
	snprintf(m->health_err, sizeof m->health_err, "%s", err ? err : "");
}

/* data: {"metrics","health","status"} and, when health is NULL (then
 * null), "health_error": why /health gave nothing; takes metrics (may be
 * NULL: left out) and health. */
static cJSON *make_data(cJSON *metrics, cJSON *health, const char *herr)
{
	cJSON *d = cJSON_CreateObject();
	if (!d) {
		cJSON_Delete(metrics);
		cJSON_Delete(health);
		return NULL;
	}
	if (metrics)
		cJSON_AddItemToObject(d, "metrics", metrics);
	const char *st = health ? health_status(health) : "unknown";
	cJSON_AddItemToObject(d, "health", health ? health : cJSON_CreateNull());
	if (!health && herr && *herr &&
	    !cJSON_AddStringToObject(d, "health_error", herr)) {
		cJSON_Delete(d);
		return NULL;
	}
	if (!cJSON_AddStringToObject(d, "status", st)) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static int sample(collector *c, cJSON **data, char err[COLLECTOR_ERR_LEN])
{
	metrics_ctx *m = c->ctx;
	http_req reqs[2] = {{.path = "/metrics"}, {.path = "/health"}};
	int rc = -1;
	if (http_get_all(&m->http, reqs, 2) < 0) {
		rc = -2;
		goto out;
	}

	char herr[HTTP_ERR_LEN] = "";
	cJSON *health = read_health(&m->http, &reqs[1], herr);

	char merr[HTTP_ERR_LEN] = "";
	cJSON *metrics = kato_json(&m->http, &reqs[0], merr);
	const cJSON *kerr = metrics ? cJSON_GetObjectItemCaseSensitive(metrics, "error")
	                            : NULL;
	if (metrics && kerr && !cJSON_IsNull(kerr)) {
		/* KATO's own error shape: {"error":"...", sections null}. */
		const char *why = cJSON_IsString(kerr) ? kerr->valuestring : NULL;
		char *printed = why ? NULL : cJSON_PrintUnformatted(kerr);
		snprintf(merr, sizeof merr, "KATO /metrics reports an error: %s",
		         why ? why : printed ? printed : "(unprintable)");
		free(printed);
		cJSON_Delete(metrics);
		metrics = NULL;
	}
	/* /health's own trouble is news only while /metrics answers. */
	if (metrics || health)
		note_health(m, health ? NULL : herr);
	if (!metrics) {
		snprintf(err, COLLECTOR_ERR_LEN, "%s", merr);
		/* What /health said (or why it said nothing) is still worth
		 * passing on: the health section then names /health, not
		 * /metrics. */
		*data = make_data(NULL, health, herr);
		goto out;
	}
	*data = make_data(metrics, health, herr);
	if (!*data) {
		snprintf(err, COLLECTOR_ERR_LEN, "out of memory building a record");
		goto out;
	}
	rc = 0;
out:
	http_req_free(&reqs[0]);
	http_req_free(&reqs[1]);
	return rc;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);

	const char *url = NULL;
	int once = 0;
	int64_t interval = 3000000000LL, timeout = 2000000000LL;
	interval = opt_seconds_setting("KATO_METRICS_INTERVAL", interval);
	timeout = opt_seconds_setting("KATO_TIMEOUT", timeout);

	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"interval", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"once", no_argument, NULL, '1'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "u:i:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u': url = optarg; break;
		case 'i': interval = opt_seconds("--interval", optarg); break;
		case 't': timeout = opt_seconds("--timeout", optarg); break;
		case '1': once = 1; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument '%s'", argv[optind]);

	collector c;
	collector_init(&c, SOURCE);
	metrics_ctx m = {0};
	char herr[HTTP_ERR_LEN];
	long tmo_ms = (long)((timeout + 999999) / 1000000);
	if (kato_client_init(&m.http, url, tmo_ms, c.sigfd, herr) < 0) {
		if (strncmp(herr, "bad KATO URL", 12) == 0)
			log_usage("%s", herr);
		log_die(KL_EXIT_TEMP, "%s", herr);
	}
	c.interval_ns = interval;
	c.once = once;
	c.sample = sample;
	c.ctx = &m;
	int rc = collector_run(&c);
	http_client_free(&m.http);
	cfg_free();
	return rc;
}
