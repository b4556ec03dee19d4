/* docker-stats - container stats from the Docker Engine API.
 *
 *   {"source":"docker-stats","ts":ISO,"ok":true,
 *    "data":{"containers":[{"id","name","status","cpu",
 *                           "memory":{usage_bytes,limit_bytes,usage_mb,limit_mb,usage_percent},
 *                           "network":{rx_bytes,tx_bytes,rx_mb,tx_mb,
 *                                      rx_bytes_per_s,tx_bytes_per_s},
 *                           "block_io":{read_bytes,write_bytes,read_mb,write_mb,
 *                                       read_bytes_per_s,write_bytes_per_s},
 *                           "timestamp"},...],
 *            "aggregated":{total_cpu_percent,total_memory_mb,total_memory_limit_mb,
 *                          total_memory_percent,container_count,running_count,timestamp},
 *            "engine":"docker"|"podman"|"unknown","api_version":"1.41"}}
 *
 * Every record and every container entry also carry "host": this Docker
 * host's name (--host-name), so that kato-merge can hold several hosts'
 * containers side by side.
 *
 * Each sample lists the containers (GET /containers/json?all=1), keeps
 * those whose name matches, and asks for every running one's stats,
 * --max-requests at a time (curl multi, one-shot where the API has it).  The API version
 * comes from GET /_ping's Api-Version header and is asked again whenever
 * the engine stops answering.  CPU% needs two samples: the tool keeps
 * each container's previous counters (calc.h has the formulas).
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "calc.h"
#include "list.h"
#include "report.h"
#include "cfg.h"
#include "clock.h"
#include "collector.h"
#include "exitcode.h"
#include "http.h"
#include "redact.h"
#include "js.h"
#include "log.h"
#include "opt.h"
#include "rec.h"
#include "sig.h"

#define SOURCE "docker-stats"
#define DEFAULT_HOST "unix:///var/run/docker.sock"
#define DEFAULT_NAME "^kato(-.*)?$"
#define DEFAULT_MAX_REQUESTS 8 /* stats requests in flight at once */

static const char usage_text[] =
    "usage: docker-stats [--host ADDRESS] [--host-name NAME]\n"
    "                    [--name REGEX | --all]\n"
    "                    [--interval SECONDS] [--timeout SECONDS] [--once]\n"
    "                    [--once-gap SECONDS] [--max-requests N]\n"
    "\n"
    "Read container stats from the Docker Engine API (Docker or Podman); write\n"
    "one JSON record per sample on stdout: every selected container and a total.\n"
    "\n"
    "  -H, --host ADDRESS     the engine: unix:///path or tcp://host:port (default\n"
    "                         $DOCKER_HOST, else " DEFAULT_HOST ")\n"
    "      --host-name NAME   the name of this Docker host in every record and\n"
    "                         container entry (\"host\"; default\n"
    "                         $KATO_LIVE_HOST_NAME, else the machine's host name)\n"
    "  -n, --name REGEX       containers whose name matches this POSIX extended\n"
    "                         regular expression (default $DOCKER_STATS_NAME, else\n"
    "                         '" DEFAULT_NAME "': kato and kato-*)\n"
    "  -a, --all              every container, whatever its name\n"
    "  -i, --interval SECONDS time between samples (default 3,\n"
    "                         $DOCKER_STATS_INTERVAL)\n"
    "  -t, --timeout SECONDS  give up on a request after this long (default 5,\n"
    "                         $DOCKER_TIMEOUT)\n"
    "      --once             take one sample (CPU included), exit 0 if it\n"
    "                         succeeded, else 1\n"
    "      --once-gap SECONDS with --once, the time between the two readings\n"
    "                         CPU% is computed from (default 0.5)\n"
    "      --max-requests N   stats requests to the engine at once (default 8,\n"
    "                         $DOCKER_STATS_MAX_REQUESTS)\n"
    "  -h, --help             show this text\n";

/* One container's counters, kept for the next sample's deltas. */
typedef struct prev_ent {
	char id[80];
	ds_sample s;
} prev_ent;

typedef struct ds_ctx {
	http_client http;
	char version[32];   /* negotiated API version; "" until /_ping answers */
	int one_shot;       /* the API has one-shot=true (>= 1.41) */
	ds_engine engine;   /* from GET /libpod/_ping */
	regex_t re;         /* name filter */
	int all;            /* --all: no filter */
	int once;           /* --once */
	int primed;         /* --once: the first reading was taken */
	int64_t once_gap_ns;
	const char *host_name; /* --host-name: "host" in each entry */
	size_t max_requests; /* stats requests in flight at once */
	double host_mem;    /* the engine host's memory (GET /info), 0 unknown */
	int sigfd;
	prev_ent *prev;     /* previous sample, per container id */
	size_t nprev;
} ds_ctx;

/* "1.41" -> 1041; -1 if it is not major.minor. */
static int version_num(const char *v)
{
	int maj, min, n = 0;
	if (sscanf(v, "%d.%d%n", &maj, &min, &n) != 2 || v[n] != '\0' ||
	    maj < 0 || min < 0 || min > 999)
		return -1;
	return maj * 1000 + min;
}

static const char *engine_name(ds_engine e)
{
	return e == DS_ENGINE_PODMAN ? "podman"
	     : e == DS_ENGINE_DOCKER ? "docker" : "unknown";
}

/* GET /_ping for the API version, and /libpod/_ping to tell Podman (which
 * answers it, quickly) from Docker (404).  /version would say too, but
 * Podman takes half a second to answer it.  Returns 0, -1 with err, -2 on
 * a stop signal. */
static int negotiate(ds_ctx *x, char err[COLLECTOR_ERR_LEN])
{
	http_req r[3] = {{.path = "/_ping"}, {.path = "/libpod/_ping"},
	                 {.path = "/info"}};
	int rc = -1;
	if (http_get_all(&x->http, r, 3) < 0) {
		rc = -2;
		goto out;
	}
	char w[600];
	http_where(&x->http, &r[0], w, sizeof w);
	if (r[0].status == 0) {
		snprintf(err, COLLECTOR_ERR_LEN, "%s", r[0].err);
		goto out;
	}
	if (r[0].status != 200) {
		http_status_error(&x->http, &r[0], err);
		goto out;
	}
	int vn = version_num(r[0].api_version);
	if (vn < 0) {
		snprintf(err, COLLECTOR_ERR_LEN,
		         "GET %s: not a Docker engine: no usable Api-Version header "
		         "(got '%s')", w, r[0].api_version);
		goto out;
	}
	snprintf(x->version, sizeof x->version, "%s", r[0].api_version);
	x->one_shot = vn >= 1041;
	if (r[1].status == 200 && r[1].len == 2 && !memcmp(r[1].body, "OK", 2))
		x->engine = DS_ENGINE_PODMAN;
	else if (r[1].status == 404)
		x->engine = DS_ENGINE_DOCKER;
	else
		x->engine = DS_ENGINE_UNKNOWN; /* calc.c guesses from the stats */
	/* The host's memory: a container "limited" to it has no limit. */
	x->host_mem = 0;
	if (r[2].status == 200) {
		char why[64];
		cJSON *info = js_parse(r[2].body, r[2].len, why, sizeof why);
		double mt;
		if (js_num(info, "MemTotal", &mt) && mt > 0)
			x->host_mem = mt;
		cJSON_Delete(info);
	}
	rc = 0;
out:
	http_req_free(&r[0]);
	http_req_free(&r[1]);
	http_req_free(&r[2]);
	return rc;
}

/* The selected containers from a /containers/json body, sorted by name.
 * Returns how many (*out owned by the caller), or -1 with err. */
static long select_containers(ds_ctx *x, const http_req *r, ds_cont **out,
                              char err[COLLECTOR_ERR_LEN])
{
	char w[600], why[64];
	long n = ds_list_parse(r->body, r->len, x->all ? NULL : &x->re, out, why,
	                       sizeof why);
	if (n == DS_LIST_NOMEM) {
		snprintf(err, COLLECTOR_ERR_LEN, "out of memory");
		return -1;
	}
	if (n < 0) {
		http_where(&x->http, r, w, sizeof w);
		snprintf(err, COLLECTOR_ERR_LEN,
		         "GET %s: answer is not a list of containers (%s)", w, why);
		return -1;
	}
	return n;
}

static const ds_sample *prev_find(const ds_ctx *x, const char *id)
{
	for (size_t i = 0; i < x->nprev; i++)
		if (!strcmp(x->prev[i].id, id))
			return &x->prev[i].s;
	return NULL;
}

/* Keep this sample's counters (of containers that were read) for the
 * next one; containers that stopped or vanished are forgotten. */
static void remember(ds_ctx *x, const ds_cont *cs, const ds_stats *st, size_t n)
{
	prev_ent *p = calloc(n ? n : 1, sizeof *p);
	if (!p)
		return; /* keep the old ones: deltas get longer, not wrong */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!st[i].now.valid)
			continue;
		snprintf(p[k].id, sizeof p[k].id, "%s", cs[i].id);
		p[k++].s = st[i].now;
	}
	free(x->prev);
	x->prev = p;
	x->nprev = k;
}

/* One reading.  With data NULL only the counters are kept (the first
 * reading of --once).  Returns 0, -1 with err, -2 on a stop signal. */
static int take(ds_ctx *x, cJSON **data, char err[COLLECTOR_ERR_LEN])
{
	if (!x->version[0]) {
		int r = negotiate(x, err);
		if (r < 0)
			return r;
	}
	char path[128];
	snprintf(path, sizeof path, "/v%s/containers/json?all=1", x->version);
	http_req lr = {.path = path};
	ds_cont *cs = NULL;
	http_req *reqs = NULL;
	ds_stats *st = NULL;
	cJSON *list = NULL;
	size_t nreq = 0;
	long n = 0;
	int rc = -1;
	if (http_get(&x->http, &lr) < 0) {
		rc = -2;
		goto out;
	}
	if (lr.status != 200) {
		if (lr.status == 0)
			snprintf(err, COLLECTOR_ERR_LEN, "%s", lr.err);
		else
			http_status_error(&x->http, &lr, err);
		x->version[0] = '\0'; /* ask again when it answers */
		goto out;
	}
	n = select_containers(x, &lr, &cs, err);
	if (n < 0) {
		x->version[0] = '\0';
		goto out;
	}

	/* Every running (or paused) container's stats, all at once. */
	reqs = calloc(n ? (size_t)n : 1, sizeof *reqs);
	st = calloc(n ? (size_t)n : 1, sizeof *st);
	if (!reqs || !st) {
		snprintf(err, COLLECTOR_ERR_LEN, "out of memory");
		goto out;
	}
	for (long i = 0; i < n; i++) {
		ds_cont *c = &cs[i];
		if (strcmp(c->state, "running") != 0 && strcmp(c->state, "paused") != 0)
			continue;
		snprintf(c->path, sizeof c->path,
		         "/v%s/containers/%s/stats?stream=false%s", x->version, c->id,
		         x->one_shot ? "&one-shot=true" : "");
		c->asked = 1;
		reqs[nreq++].path = c->path;
	}
	/* At most max_requests at once: the engine computes each. */
	int answered = 0;
	for (size_t off = 0; off < nreq; off += x->max_requests) {
		size_t k = nreq - off < x->max_requests ? nreq - off : x->max_requests;
		int a = http_get_all(&x->http, reqs + off, k);
		if (a < 0) {
			rc = -2;
			goto out;
		}
		answered += a;
	}
	if (nreq > 0 && answered == 0) {
		/* The engine went away mid-sample. */
		snprintf(err, COLLECTOR_ERR_LEN, "%s", reqs[0].err);
		x->version[0] = '\0';
		goto out;
	}

	char ts[CLOCK_ISO_LEN];
	clock_iso_now(ts);
	if (data && !(list = cJSON_CreateArray())) {
		snprintf(err, COLLECTOR_ERR_LEN, "out of memory");
		goto out;
	}
	/* Results in name order; a container that vanished since the list
	 * (404) is left out. */
	size_t kept = 0, ri = 0;
	for (long i = 0; i < n; i++) {
		ds_cont *c = &cs[i];
		char ebuf[COLLECTOR_ERR_LEN] = "";
		ds_stats s;
		ds_calc(NULL, NULL, x->engine, &s); /* nothing measured */
		if (c->asked) {
			http_req *r = &reqs[ri++];
			if (r->status == 404)
				continue;
			if (r->status == 200) {
				/* Podman answers a stopped container with no body. */
				cJSON *body = NULL;
				if (r->len > 0) {
					char why[64];
					body = js_parse(r->body, r->len, why, sizeof why);
					if (!body) {
						char w[600];
						http_where(&x->http, r, w, sizeof w);
						snprintf(ebuf, sizeof ebuf,
						         "GET %s: answer is not JSON (%s)", w, why);
					}
				}
				ds_calc(body, prev_find(x, c->id), x->engine, &s);
				ds_unlimited(&s, x->host_mem);
				cJSON_Delete(body);
				if (c->no_net)
					s.have_net = s.have_net_rate = 0;
			} else if (r->status == 0) {
				snprintf(ebuf, sizeof ebuf, "%s", r->err);
			} else {
				http_status_error(&x->http, r, ebuf);
			}
		}
		if (kept != (size_t)i) /* close the gaps 404s left */
			cs[kept] = *c;
		st[kept] = s;
		if (list)
			cJSON_AddItemToArray(list, ds_entry(cs[kept].id, cs[kept].name,
			                                    x->host_name, cs[kept].state,
			                                    &s, ebuf[0] ? ebuf : NULL, ts));
		kept++;
	}
	remember(x, cs, st, kept);
	if (data) {
		cJSON *d = cJSON_CreateObject();
		cJSON *agg = ds_aggregate(st, kept, ts);
		if (!d || !agg) {
			cJSON_Delete(d);
			cJSON_Delete(agg);
			snprintf(err, COLLECTOR_ERR_LEN, "out of memory");
			goto out;
		}
		cJSON_AddItemToObject(d, "containers", list);
		list = NULL;
		cJSON_AddItemToObject(d, "aggregated", agg);
		cJSON_AddStringToObject(d, "engine", engine_name(x->engine));
		cJSON_AddStringToObject(d, "api_version", x->version);
		*data = d;
	}
	rc = 0;
out:
	cJSON_Delete(list);
	for (size_t i = 0; i < nreq; i++)
		http_req_free(&reqs[i]);
	http_req_free(&lr);
	free(cs);
	free(st);
	free(reqs);
	return rc;
}

static int sample(collector *c, cJSON **data, char err[COLLECTOR_ERR_LEN])
{
	ds_ctx *x = c->ctx;
	if (x->once && !x->primed) {
		/* CPU% needs two readings: take one, wait, then the real one. */
		x->primed = 1;
		int r = take(x, NULL, err);
		if (r == -2)
			return -2;
		if (r == 0 &&
		    sig_sleep_ms(x->sigfd, (int)(x->once_gap_ns / 1000000)) != 0)
			return -2;
		err[0] = '\0';
	}
	return take(x, data, err);
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);

	const char *host = cfg_get("DOCKER_HOST");
	const char *name = cfg_get("DOCKER_STATS_NAME");
	int once = 0, all = 0;
	int64_t interval = 3000000000LL, timeout = 5000000000LL;
	int64_t gap = 500000000LL;
	interval = opt_seconds_setting("DOCKER_STATS_INTERVAL", interval);
	timeout = opt_seconds_setting("DOCKER_TIMEOUT", timeout);

	double maxreq = DEFAULT_MAX_REQUESTS;
	const char *mr = cfg_get("DOCKER_STATS_MAX_REQUESTS");
	const char *host_name = cfg_get("KATO_LIVE_HOST_NAME");
	enum { OPT_ONCE = 256, OPT_GAP, OPT_MAXREQ, OPT_HOSTNAME };
	static const struct option opts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"host-name", required_argument, NULL, OPT_HOSTNAME},
	    {"name", required_argument, NULL, 'n'},
	    {"all", no_argument, NULL, 'a'},
	    {"interval", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"once", no_argument, NULL, OPT_ONCE},
	    {"once-gap", required_argument, NULL, OPT_GAP},
	    {"max-requests", required_argument, NULL, OPT_MAXREQ},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "H:n:ai:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'H': host = optarg; break;
		case 'n': name = optarg; break;
		case 'a': all = 1; break;
		case 'i': interval = opt_seconds("--interval", optarg); break;
		case 't': timeout = opt_seconds("--timeout", optarg); break;
		case OPT_ONCE: once = 1; break;
		case OPT_GAP: gap = opt_seconds("--once-gap", optarg); break;
		case OPT_MAXREQ: mr = optarg; break;
		case OPT_HOSTNAME: host_name = optarg; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument '%s'", argv[optind]);
	if (mr) {
		char *end;
		maxreq = strtod(mr, &end);
		if (end == mr || *end || !(maxreq >= 1 && maxreq <= 1000) ||
		    maxreq != (double)(long)maxreq)
			log_usage("bad --max-requests '%s': want a whole number from 1 "
			          "to 1000", mr);
	}
	if (!host || !*host)
		host = DEFAULT_HOST;
	if (!name || !*name)
		name = DEFAULT_NAME;
	char machine[256];
	if (!host_name || !*host_name) {
		if (gethostname(machine, sizeof machine) < 0)
			log_die(KL_EXIT_TEMP, "unable to read the host name: %s "
			        "(give --host-name)", strerror(errno));
		machine[sizeof machine - 1] = '\0';
		host_name = machine;
		if (!rec_name_ok(host_name))
			log_usage("the machine's host name '%.80s' is not 1 to %d of "
			          "A-Z a-z 0-9 . _ -: give --host-name", host_name,
			          REC_NAME_MAX);
	}
	if (!rec_name_ok(host_name))
		log_usage("bad --host-name '%.80s': want 1 to %d of A-Z a-z 0-9 . _ -",
		          host_name, REC_NAME_MAX);

	ds_ctx x = {.all = all, .once = once, .once_gap_ns = gap,
	            .host_name = host_name,
	            .max_requests = (size_t)maxreq};
	int rerr = regcomp(&x.re, name, REG_EXTENDED | REG_NOSUB);
	if (rerr != 0) {
		char why[128];
		regerror(rerr, &x.re, why, sizeof why);
		log_usage("bad --name '%s': %s", name, why);
	}
	char herr[HTTP_ERR_LEN];
	http_target t;
	if (strncmp(host, "unix://", 7) != 0 && strncmp(host, "tcp://", 6) != 0) {
		char shown[512];
		log_usage("bad engine address '%s': want unix:///path or tcp://host:port",
		          redact_url(host, shown, sizeof shown));
	}
	if (http_target_parse(&t, host, herr) < 0)
		log_usage("bad engine address %s", herr);

	collector c;
	collector_init(&c, SOURCE);
	c.host = host_name;
	if (http_client_init(&x.http, &t, herr) < 0)
		log_die(KL_EXIT_TEMP, "%s", herr);
	x.http.timeout_ms = (long)((timeout + 999999) / 1000000);
	if (x.http.connect_ms > x.http.timeout_ms)
		x.http.connect_ms = x.http.timeout_ms;
	x.http.sigfd = c.sigfd;
	x.sigfd = c.sigfd;
	c.interval_ns = interval;
	c.once = once;
	c.sample = sample;
	c.ctx = &x;
	int rc = collector_run(&c);
	http_client_free(&x.http);
	regfree(&x.re);
	free(x.prev);
	cfg_free();
	return rc;
}
