/* kato-snapshot - the HTTP fallback: the latest state as plain JSON, as a
 * CGI program (websocketd --cgidir, or any CGI server), or from a shell.
 *
 * Each request asks kato-hub for a "snap" (its retained messages) and
 * answers from the newest realtime_update frame at the old backend's
 * paths:
 *   /api/v1/health                        KATO /health + sources, stale
 *   /api/v1/system/metrics                KATO /metrics body
 *   /api/v1/system/container-stats        {"containers","aggregated"}
 *   /api/v1/system/container-stats/NAME   one container (also ?name=NAME)
 *   /api/v1/sessions/count                {"active_count","total_count",
 *                                          "active_session_count"}
 *   /api/v1/sessions/list?limit=&offset=  {"sessions":[...],"total",...}
 *                                         newest first, from the hub's
 *                                         retained session_update messages
 *                                         (also /api/v1/sessions where the
 *                                         server routes it)
 *   /metrics                              the same, and kato-live's own
 *                                          counters, for Prometheus
 *   /api/v1/alerts                        {"alerts":[firing...],"timestamp",
 *                                          "stale","age_ms"}: kato-alerts'
 *                                          latest active_alerts
 * Status codes: 200; 400 bad name or query; 404 unknown path or
 * container; 405 other methods; 503 no data yet, a section in error, or
 * no hub.  Nothing from the request is passed to a shell or a program:
 * the path and query are matched against fixed tables here.
 *
 * websocketd 0.4.1 gives CGI children neither --passenv variables nor a
 * PATH_INFO below the script (a request for .../container-stats/NAME
 * looks for a file of that name), so settings come as options from the
 * wrapper scripts kato-live writes, and one container is asked for with
 * ?name=NAME there.  Under a server that passes PATH_INFO, the
 * /container-stats/NAME form works as well.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "cgi.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsnap.h"
#include "hubsock.h"
#include "js.h"
#include "log.h"
#include "promcgi.h"
#include "ndj.h"
#include "request.h"

#define MAX_SNAP NDJ_LINE_MAX /* the longest retained message */
#define STALE_INTERVALS 3 /* a frame older than this many intervals is stale */

static const char usage_text[] =
    "usage: kato-snapshot [--socket PATH] [--env-file FILE] [--timeout SECONDS]\n"
    "                     [--cors-origin ORIGIN] [PATH]\n"
    "\n"
    "Answer the HTTP fallback's requests (/api/v1/health, /api/v1/system/metrics,\n"
    "/api/v1/system/container-stats[/NAME], /api/v1/sessions/count,\n"
    "/api/v1/sessions/list, /api/v1/alerts; /metrics for Prometheus) from the\n"
    "latest frame and the sessions kato-hub holds.  Run as a CGI program it reads the request\n"
    "from the CGI environment; given a PATH it prints that path's JSON body.\n"
    "\n"
    "  -s, --socket PATH      the hub's socket (default $KATO_HUB_SOCKET, else\n"
    "                         $XDG_RUNTIME_DIR/kato-live/hub.sock, else\n"
    "                         /tmp/kato-live-UID/hub.sock)\n"
    "  -e, --env-file FILE    read settings from FILE (default\n"
    "                         $KATO_LIVE_ENV_FILE)\n"
    "  -t, --timeout SECONDS  give up on the hub after this long (default 2)\n"
    "  -c, --cors-origin ORIGIN  allow cross-origin reads from ORIGIN\n"
    "                         (http(s)://host[:port], or *; default\n"
    "                         $KATO_LIVE_CORS_ORIGIN, else none)\n"
    "  -h, --help             show this text\n";

/* An answer: status and body (owned). */
typedef struct reply {
	int status;
	cJSON *body;
	char data_ts[CLOCK_ISO_LEN]; /* the frame's timestamp, or "" */
} reply;

static void *need(void *p)
{
	if (!p)
		log_die(KL_EXIT_TEMP, "out of memory");
	return p;
}

/* reply with {"error":msg,"timestamp":now}. */
static void fail(reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(reply *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON_Delete(r->body);
	r->status = status;
	r->body = need(cgi_error_obj(msg));
}

/* What kato-snapshot knows about the frame it answers from. */
typedef struct frame_info {
	const cJSON *frame;  /* the realtime_update */
	const cJSON *data;   /* its "data" */
	int64_t age_ms;      /* now - its timestamp, or -1 if unknown */
	int old;             /* the whole frame is older than its allowance */
} frame_info;

/* Is source stale in this frame? */
static int is_stale(const frame_info *f, const char *source)
{
	if (f->old)
		return 1;
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f->frame, "stale"))
		if (cJSON_IsString(s) && !strcmp(s->valuestring, source))
			return 1;
	return 0;
}

/* Add "timestamp" (the frame's), "age_ms" and "stale" (the given sources
 * that are stale) to obj. */
static void add_freshness(cJSON *obj, const frame_info *f,
                          const char *const *sources, size_t n)
{
	const char *ts = js_str(f->frame, "timestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "stale");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "timestamp");
	need(ts ? cJSON_AddStringToObject(obj, "timestamp", ts)
	        : cJSON_AddNullToObject(obj, "timestamp"));
	need(js_add_num(obj, "age_ms", f->age_ms >= 0, (double)f->age_ms));
	cJSON *st = need(cJSON_AddArrayToObject(obj, "stale"));
	for (size_t i = 0; i < n; i++)
		if (is_stale(f, sources[i]))
			cJSON_AddItemToArray(st, need(cJSON_CreateString(sources[i])));
}

/* The frame's section key as a copy, or NULL with r set (503: absent or
 * {"error":...}). */
static cJSON *section(const frame_info *f, const char *key, const char *source,
                      reply *r)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(f->data, key);
	if (!cJSON_IsObject(s)) {
		fail(r, 503, "the pipeline sends no %s section", key);
		return NULL;
	}
	const char *e = js_str(s, "error");
	if (e) {
		fail(r, 503, "%s: %s", source, e);
		need(cJSON_AddStringToObject(r->body, "source", source));
		need(cJSON_AddBoolToObject(r->body, "stale", is_stale(f, source)));
		/* with several Docker hosts, each one's state and error */
		const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(s, "hosts");
		if (cJSON_IsObject(hosts))
			cJSON_AddItemToObject(r->body, "hosts", need(cJSON_Duplicate(hosts, 1)));
		return NULL;
	}
	return need(cJSON_Duplicate(s, 1));
}

static void answer_health(const frame_info *f, reply *r)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(f->data, "health");
	const char *st = js_str(h, "status");
	if (!st || js_str(h, "error") ||
	    (strcmp(st, "healthy") && strcmp(st, "degraded") &&
	     strcmp(st, "unhealthy")))
		st = "unknown";
	r->body = need(cJSON_CreateObject());
	need(cJSON_AddStringToObject(r->body, "status", st));
	cJSON_AddItemToObject(r->body, "kato",
	                      need(h ? cJSON_Duplicate(h, 1) : cJSON_CreateNull()));
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(f->frame, "sources");
	cJSON_AddItemToObject(r->body, "sources",
	                      need(cJSON_IsObject(src) ? cJSON_Duplicate(src, 1)
	                                               : cJSON_CreateObject()));
	/* every source the frame names may be stale */
	const char *names[16];
	size_t n = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, src)
		if (n < 16 && s->string)
			names[n++] = s->string;
	add_freshness(r->body, f, names, n);
	r->status = 200;
}

static void answer(const frame_info *f, enum route route, const char *name,
                   reply *r)
{
	static const char *const k[] = {"kato-metrics"};
	static const char *const d[] = {"docker-stats"};
	static const char *const s[] = {"session-summary"};
	cJSON *sec;
	switch (route) {
	case R_HEALTH:
		answer_health(f, r);
		return;
	case R_METRICS:
		if (!(sec = section(f, "metrics", "kato-metrics", r)))
			return;
		/* KATO's body as it was, with only "stale" added: its own
		 * "timestamp" keeps its meaning.  The frame's is a header. */
		cJSON *st = need(cJSON_AddArrayToObject(sec, "stale"));
		if (is_stale(f, k[0]))
			cJSON_AddItemToArray(st, need(cJSON_CreateString(k[0])));
		break;
	case R_CONTAINERS:
	case R_CONTAINER:
		if (!(sec = section(f, "containers", "docker-stats", r)))
			return;
		if (route == R_CONTAINER) {
			cJSON *c, *found = NULL;
			cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(sec, "containers")) {
				const char *cn = js_str(c, "name");
				if (cn && *cn == '/')
					cn++;
				if (cn && !strcmp(cn, name)) {
					found = c;
					break;
				}
			}
			if (!found) {
				cJSON_Delete(sec);
				fail(r, 404, "no container named %s", name);
				return;
			}
			cJSON *one = need(cJSON_Duplicate(found, 1));
			cJSON_Delete(sec);
			sec = one;
			/* the entry keeps its own sample "timestamp" */
			cJSON *stl = need(cJSON_AddArrayToObject(sec, "stale"));
			if (is_stale(f, d[0]))
				cJSON_AddItemToArray(stl, need(cJSON_CreateString(d[0])));
			need(js_add_num(sec, "age_ms", f->age_ms >= 0, (double)f->age_ms));
			break;
		}
		add_freshness(sec, f, d, 1);
		break;
	case R_SESSIONS:
		if (!(sec = section(f, "sessions", "session-summary", r)))
			return;
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(sec, "active_count");
		cJSON_DeleteItemFromObjectCaseSensitive(sec, "active_session_count");
		cJSON_AddItemToObject(sec, "active_session_count",
		                      need(cJSON_IsNumber(a) ? cJSON_CreateNumber(a->valuedouble)
		                                             : cJSON_CreateNull()));
		add_freshness(sec, f, s, 1);
		break;
	default:
		fail(r, 404, "no such path");
		return;
	}
	r->status = 200;
	r->body = sec;
}

/* Answer a metrics request from a legacy metrics_update. */
static void answer_legacy(const cJSON *legacy, enum route route, reply *r)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(legacy, "data");
	if (route != R_METRICS) {
		fail(r, 503, "no data yet: the pipeline sends legacy "
		     "metrics_update frames, which hold KATO metrics only");
		return;
	}
	if (!cJSON_IsObject(m) || js_str(m, "error")) {
		fail(r, 503, "kato-metrics: %s",
		     js_str(m, "error") ? js_str(m, "error") : "no metrics");
		return;
	}
	r->status = 200;
	r->body = need(cJSON_Duplicate(m, 1));
	const char *ts = js_str(legacy, "timestamp");
	snprintf(r->data_ts, sizeof r->data_ts, "%s", ts ? ts : "");
}

/* A snap from the hub into *s (with the sessions: every session_update
 * read too); or -1 with r set to a 503 saying why. */
static int fetch(const char *sock, int timeout_ms, int sessions, hubsnap *s,
                 reply *r)
{
	char err[HUBSNAP_ERR_LEN];
	int rc = sessions ? hubsnap_fetch_sessions(sock, timeout_ms, MAX_SNAP, s, err)
	                  : hubsnap_fetch(sock, timeout_ms, MAX_SNAP, s, err);
	if (rc == HUBSNAP_OK)
		return 0;
	if (rc == HUBSNAP_DOWN)
		fail(r, 503, "no data: kato-live's hub is not running (%s)", err);
	else
		fail(r, 503, "no data: %s", err);
	hubsnap_free(s);
	return -1;
}

/* Fill f for frame; returns the frame's timestamp text, or NULL. */
static const char *frame_of(const cJSON *frame, frame_info *f)
{
	*f = (frame_info){.frame = frame, .age_ms = -1};
	f->data = cJSON_GetObjectItemCaseSensitive(frame, "data");
	int64_t ts;
	const char *t = js_str(frame, "timestamp");
	double iv = 3000;
	js_num(frame, "interval_ms", &iv);
	if (t && clock_parse_iso(t, &ts) == 0) {
		f->age_ms = clock_wall_ms() - ts;
		if (f->age_ms < 0)
			f->age_ms = 0;
		f->old = f->age_ms > (int64_t)(iv * STALE_INTERVALS);
	}
	return t;
}

/* Newest first: created_at descending (ISO text in UTC sorts as time),
 * unknown ones last, then by id. */
static int newest_first(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const char *cx = js_str(x, "created_at"), *cy = js_str(y, "created_at");
	int c = cx && cy ? strcmp(cy, cx) : (cx ? -1 : cy ? 1 : 0);
	return c ? c : strcmp(js_str(x, "session_id"), js_str(y, "session_id"));
}

/* /api/v1/sessions/list: a page of the sessions the hub retains (one
 * session_update each, from kato-sessions), newest first. */
static void lookup_sessions(const char *sock, int timeout_ms,
                            const request *rq, reply *r)
{
	static const char *const src[] = {"kato-sessions"};
	hubsnap s;
	if (fetch(sock, timeout_ms, 1, &s, r) < 0)
		return;
	frame_info f;
	const char *t = s.frame ? frame_of(s.frame, &f) : NULL;
	const cJSON *ks = s.frame ? js_path(s.frame, "sources.kato-sessions") : NULL;
	if (!s.sessions && !ks) {
		fail(r, 503, "no session list: kato-sessions is not running "
		     "(set REDIS_URL to KATO's Redis)");
		hubsnap_free(&s);
		return;
	}
	int n = s.sessions ? cJSON_GetArraySize(s.sessions) : 0;
	const cJSON **all = need(calloc((size_t)n + 1, sizeof *all));
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, s.sessions)
		all[i++] = e;
	qsort(all, (size_t)n, sizeof *all, newest_first);
	r->body = need(cJSON_CreateObject());
	cJSON *page = need(cJSON_AddArrayToObject(r->body, "sessions"));
	for (long k = rq->offset; k < n && k < rq->offset + rq->limit; k++)
		cJSON_AddItemToArray(page, need(cJSON_Duplicate(all[k], 1)));
	free(all);
	need(cJSON_AddNumberToObject(r->body, "total", (double)n + (double)s.sessions_over));
	need(cJSON_AddNumberToObject(r->body, "limit", (double)rq->limit));
	need(cJSON_AddNumberToObject(r->body, "offset", (double)rq->offset));
	if (s.frame) {
		add_freshness(r->body, &f, src, 1);
		cJSON *st = cJSON_GetObjectItemCaseSensitive(r->body, "stale");
		/* Redis unreachable: the list is what it was, and says so */
		if (cJSON_GetArraySize(st) == 0 && !cJSON_IsTrue(js_path(ks, "ok")))
			cJSON_AddItemToArray(st, need(cJSON_CreateString(src[0])));
		snprintf(r->data_ts, sizeof r->data_ts, "%s", t ? t : "");
	} else {
		need(cJSON_AddNullToObject(r->body, "timestamp"));
		need(cJSON_AddNullToObject(r->body, "age_ms"));
		cJSON *st = need(cJSON_AddArrayToObject(r->body, "stale"));
		cJSON_AddItemToArray(st, need(cJSON_CreateString(src[0])));
	}
	r->status = 200;
	hubsnap_free(&s);
}

/* The alerts firing now, from kato-alerts' latest active_alerts: said
 * stale (and with its age) when the frames behind it have stopped, since
 * nothing is then known about what fires now. */
static void answer_alerts(const hubsnap *s, const frame_info *f, reply *r)
{
	if (!s->alerts) {
		fail(r, 503, "no alert state: kato-alerts has sent none (alerts are "
		     "off, or it is not running)");
		return;
	}
	cJSON *b = need(cJSON_CreateObject());
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(s->alerts, "alerts");
	cJSON_AddItemToObject(b, "alerts", need(cJSON_IsArray(list)
	                                            ? cJSON_Duplicate(list, 1)
	                                            : cJSON_CreateArray()));
	const char *ts = js_str(s->alerts, "timestamp");
	need(cJSON_AddStringToObject(b, "timestamp", ts ? ts : ""));
	need(cJSON_AddBoolToObject(b, "stale", !f || f->old));
	need(js_add_num(b, "age_ms", f && f->age_ms >= 0,
	                f ? (double)f->age_ms : 0));
	r->status = 200;
	r->body = b;
}

static void lookup(const char *sock, int timeout_ms, enum route route,
                   const char *name, reply *r)
{
	hubsnap s;
	if (fetch(sock, timeout_ms, 0, &s, r) < 0)
		return;
	if (route == R_ALERTS && !s.frame) {
		answer_alerts(&s, NULL, r);
	} else if (!s.frame && s.legacy) {
		answer_legacy(s.legacy, route, r);
	} else if (!s.frame) {
		fail(r, 503, "no data yet: the hub has had no frame from kato-merge");
	} else {
		frame_info f;
		const char *t = frame_of(s.frame, &f);
		if (route == R_ALERTS)
			answer_alerts(&s, &f, r);
		else if (!cJSON_IsObject(f.data))
			fail(r, 503, "no data: the hub's frame has no data");
		else
			answer(&f, route, name, r);
		snprintf(r->data_ts, sizeof r->data_ts, "%s", t ? t : "");
	}
	hubsnap_free(&s);
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"env-file", required_argument, NULL, 'e'},
	    {"timeout", required_argument, NULL, 't'},
	    {"cors-origin", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock_opt = NULL, *env_file = NULL, *cors_opt = NULL;
	int64_t timeout_ns = 2000000000LL;
	int o;
	while ((o = getopt_long(argc, argv, "s:e:t:c:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': sock_opt = optarg; break;
		case 'c': cors_opt = optarg; break;
		case 'e': env_file = optarg; break;
		case 't':
			if (clock_parse_seconds(optarg, &timeout_ns) < 0)
				log_usage("--timeout %s: not a number of seconds", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		log_usage("one PATH at most");
	cgi_req rq;
	if (cgi_begin(&rq, optind < argc ? argv[optind] : NULL) < 0)
		log_usage("not run as CGI (no REQUEST_METHOD) and no PATH given");

	reply r = {0};
	char cors[256], why[256];
	int setup = cgi_settings(env_file, cors_opt, cors, why);
	char sock[512];
	if (sock_opt)
		snprintf(sock, sizeof sock, "%s", sock_opt);
	else if (cfg_get("KATO_HUB_SOCKET") && *cfg_get("KATO_HUB_SOCKET"))
		snprintf(sock, sizeof sock, "%s", cfg_get("KATO_HUB_SOCKET"));
	else if (hubsock_default_path(sock, sizeof sock) < 0)
		sock[0] = '\0';

	char rwhy[REQ_ERR_LEN];
	request rq_route = {R_NONE, ""};
	const char *allow = NULL;
	int st;
	if (!rq.path_ok)
		fail(&r, 404, "no such path");
	else if ((st = request_route(rq.path, &rq_route, rwhy)) != 0)
		fail(&r, st, "%s", rwhy);
	else if ((st = cgi_method(&rq)) != 0) {
		allow = CGI_ALLOW;
		if (st == 204)
			r.status = 204;
		else
			fail(&r, 405, "method not allowed: use GET");
	} else if ((st = request_query(rq.query, &rq_route, rwhy)) != 0) {
		fail(&r, st, "%s", rwhy);
	} else if (setup < 0) {
		log_warn("%s", why);
		fail(&r, 500, "kato-snapshot is misconfigured: %s", why);
	} else if (!sock[0]) {
		fail(&r, 500, "kato-snapshot is misconfigured: hub socket path too long");
	} else if (rq_route.route == R_PROM) {
		cfg_free();
		return promcgi_serve(sock, (int)(timeout_ns / 1000000), rq.head, !rq.arg);
	} else if (rq_route.route == R_SESSION_LIST) {
		lookup_sessions(sock, (int)(timeout_ns / 1000000), &rq_route, &r);
	} else {
		lookup(sock, (int)(timeout_ns / 1000000), rq_route.route, rq_route.name, &r);
	}
	cfg_free();

	size_t len = 0;
	char *text = r.body ? need(cgi_json_text(r.body, &len)) : NULL;
	cgi_resp resp = {r.status, text, len, allow, cors, r.data_ts};
	int rc = cgi_finish(&rq, &resp);
	if (rc == KL_EXIT_NO)
		log_warn("%s: %d %s", rq.path, r.status, cgi_reason(r.status));
	free(text);
	cJSON_Delete(r.body);
	return rc;
}
