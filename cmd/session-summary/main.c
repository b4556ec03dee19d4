/* session-summary - KATO's session counts, and an event when they change.
 *
 *   {"source":"session-summary","ts":ISO,"ok":true,
 *    "data":{"active_count":N,"total_count":N|null}}
 *   {"source":"session-summary","ts":ISO,"event":{"type":"session_event",
 *    "event_type":"session_created"|"session_destroyed","timestamp":ISO,
 *    "data":{"current_count":N,"previous_count":N,"delta":N}}}
 *
 * GET /sessions/count and GET /status go out together each poll.  The
 * active count passes through a settle filter (common/settle.h): KATO's
 * workers each cache the count, so reads can flip between old and new; a
 * new count is accepted, reported in the records and announced by an
 * event, only once reads have agreed on it for --settle seconds.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "collector.h"
#include "count.h"
#include "exitcode.h"
#include "http.h"
#include "js.h"
#include "kato.h"
#include "log.h"
#include "opt.h"
#include "rec.h"
#include "settle.h"

#define SOURCE "session-summary"

static const char usage_text[] =
    "usage: session-summary [--url URL] [--interval SECONDS] [--settle SECONDS]\n"
    "                       [--timeout SECONDS] [--once]\n"
    "\n"
    "Poll KATO's GET /sessions/count and GET /status; write the session\n"
    "counts as one JSON record per poll, and a session_event record when the\n"
    "active count changes.\n"
    "\n"
    "  -u, --url URL          KATO's base URL (default $KATO_API_URL, else\n"
    "                         " KATO_DEFAULT_URL ")\n"
    "  -i, --interval SECONDS time between polls (default 1,\n"
    "                         $SESSION_POLL_INTERVAL)\n"
    "  -s, --settle SECONDS   a new count must be read for this long before it\n"
    "                         is accepted (default 5, $SESSION_SETTLE_SECONDS)\n"
    "  -t, --timeout SECONDS  give up on a request after this long (default 2,\n"
    "                         $KATO_TIMEOUT)\n"
    "      --once             poll once, exit 0 if it succeeded, else 1\n"
    "  -h, --help             show this text\n";

typedef struct sessions_ctx {
	http_client http;
	settle active;                 /* the settled active count */
	char status_err[HTTP_ERR_LEN]; /* why /status failed last, or "" */
} sessions_ctx;

/* Log /status's trouble when it starts or changes, and its end. */
static void note_status(sessions_ctx *x, const char *err)
{
	if (err && strcmp(err, x->status_err) != 0)
		log_warn("%s (reporting total_count null)", err);
	else if (!err && x->status_err[0])
		log_info("GET /status answers again");
	snprintf(x->status_err, sizeof x->status_err, "%s", err ? err : "");
}

/* The session_event client message for a change prev -> cur. */
static cJSON *session_event(double prev, double cur)
{
	char ts[CLOCK_ISO_LEN];
	cJSON *e = cJSON_CreateObject();
	cJSON *d = cJSON_CreateObject();
	if (!e || !d) {
		cJSON_Delete(e);
		cJSON_Delete(d);
		return NULL;
	}
	cJSON_AddStringToObject(e, "type", "session_event");
	cJSON_AddStringToObject(e, "event_type", cur > prev ? "session_created"
	                                                    : "session_destroyed");
	cJSON_AddStringToObject(e, "timestamp", clock_iso_now(ts));
	cJSON_AddNumberToObject(d, "current_count", cur);
	cJSON_AddNumberToObject(d, "previous_count", prev);
	cJSON_AddNumberToObject(d, "delta", cur - prev);
	cJSON_AddItemToObject(e, "data", d);
	return e;
}

static int sample(collector *c, cJSON **data, char err[COLLECTOR_ERR_LEN])
{
	sessions_ctx *x = c->ctx;
	http_req reqs[2] = {{.path = "/sessions/count"}, {.path = "/status"}};
	int rc = -1;
	if (http_get_all(&x->http, reqs, 2) < 0) {
		rc = -2;
		goto out;
	}
	int64_t now = clock_mono_ms();

	double active, total = 0;
	char aerr[HTTP_ERR_LEN] = "", terr[HTTP_ERR_LEN] = "";
	int have_active = count_at(&x->http, &reqs[0], "active_session_count",
	                           &active, aerr) == 0;
	int have_total = count_at(&x->http, &reqs[1], "sessions.total_sessions",
	                          &total, terr) == 0;
	if (!have_active) {
		settle_break(&x->active);
		snprintf(err, COLLECTOR_ERR_LEN, "%s", aerr);
		goto out;
	}
	note_status(x, have_total ? NULL : terr);

	double prev;
	if (settle_feed(&x->active, active, now, &prev) == SETTLE_CHANGED) {
		cJSON *ev = session_event(prev, x->active.value);
		if (collector_emit(c, rec_event(SOURCE, ev)) < 0) {
			rc = -2;
			goto out;
		}
	}

	cJSON *d = cJSON_CreateObject();
	if (!d || !cJSON_AddNumberToObject(d, "active_count", x->active.value) ||
	    !js_add_num(d, "total_count", have_total, total)) {
		cJSON_Delete(d);
		snprintf(err, COLLECTOR_ERR_LEN, "out of memory building a record");
		goto out;
	}
	*data = d;
	rc = 0;
out:
	http_req_free(&reqs[0]);
	http_req_free(&reqs[1]);
	return rc;
}

/* --settle may be 0 (accept every new read at once). */
static int64_t settle_opt(const char *name, const char *v)
{
	char *end;
	double s = strtod(v, &end);
	if (!*v || *end || !isfinite(s) || s < 0 || s > 3600)
		log_usage("bad %s '%s': want seconds from 0 to 3600", name, v);
	return (int64_t)llround(s * 1000);
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);

	const char *url = NULL;
	const char *v;
	int once = 0;
	int64_t interval = 1000000000LL, timeout = 2000000000LL;
	int64_t settle_ms = 5000;
	interval = opt_seconds_setting("SESSION_POLL_INTERVAL", interval);
	if ((v = cfg_get("SESSION_SETTLE_SECONDS")) && *v)
		settle_ms = settle_opt("SESSION_SETTLE_SECONDS", v);
	timeout = opt_seconds_setting("KATO_TIMEOUT", timeout);

	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"interval", required_argument, NULL, 'i'},
	    {"settle", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'},
	    {"once", no_argument, NULL, '1'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "u:i:s:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u': url = optarg; break;
		case 'i': interval = opt_seconds("--interval", optarg); break;
		case 's': settle_ms = settle_opt("--settle", optarg); break;
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
	sessions_ctx x = {0};
	settle_init(&x.active, settle_ms);
	char herr[HTTP_ERR_LEN];
	long tmo_ms = (long)((timeout + 999999) / 1000000);
	if (kato_client_init(&x.http, url, tmo_ms, c.sigfd, herr) < 0) {
		if (strncmp(herr, "bad KATO URL", 12) == 0)
			log_usage("%s", herr);
		log_die(KL_EXIT_TEMP, "%s", herr);
	}
	c.interval_ns = interval;
	c.once = once;
	c.sample = sample;
	c.ctx = &x;
	int rc = collector_run(&c);
	http_client_free(&x.http);
	cfg_free();
	return rc;
}
