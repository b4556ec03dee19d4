/* kato-history-query - the history API: answers /api/v1/history and
 * /api/v1/events from the store kato-history keeps, as a CGI program
 * (websocketd --cgidir, or any CGI server) or from a shell.
 *
 * It only reads the store's files (no lock, no socket): a row being
 * written while it is read fails its checksum and reads as missing.
 * Status codes: 200; 400 bad query; 404 unknown path; 405 other methods;
 * 500 misconfigured; 503 no store (yet).  The request and the response
 * are cgi.h's, as kato-snapshot's are (CORS only when configured).  See answer.h for the query and the answers.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "answer.h"
#include "cfg.h"
#include "cgi.h"
#include "clock.h"
#include "exitcode.h"
#include "hist.h"
#include "log.h"

static const char usage_text[] =
    "usage: kato-history-query [--dir DIR] [--env-file FILE] [--now TIME]\n"
    "                          [--cors-origin ORIGIN] [PATH[?QUERY]]\n"
    "\n"
    "Answer /api/v1/history?since=&until=&step=&series= and\n"
    "/api/v1/events?since=&until= from the history store.  Run as a CGI\n"
    "program it reads the request from the CGI environment; given a PATH\n"
    "it prints that request's JSON body.\n"
    "\n"
    "  -d, --dir DIR        the store (default $KATO_LIVE_HISTORY_DIR, else as\n"
    "                       kato-history chooses)\n"
    "  -e, --env-file FILE  read settings from FILE (default $KATO_LIVE_ENV_FILE)\n"
    "  -n, --now TIME       the clock: unix seconds or ISO 8601 (default the\n"
    "                       system's, or $KATO_HISTORY_NOW)\n"
    "  -c, --cors-origin ORIGIN  allow cross-origin reads from ORIGIN\n"
    "                       (http(s)://host[:port], or *; default\n"
    "                       $KATO_LIVE_CORS_ORIGIN, else none)\n"
    "  -h, --help           show this text\n";

int main(int argc, char **argv)
{
	log_init(argv[0]);
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"env-file", required_argument, NULL, 'e'},
	    {"now", required_argument, NULL, 'n'},
	    {"cors-origin", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *env_file = NULL, *cors_opt = NULL;
	const char *now_s = getenv("KATO_HISTORY_NOW");
	int o;
	while ((o = getopt_long(argc, argv, "d:e:n:c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir_opt = optarg; break;
		case 'e': env_file = optarg; break;
		case 'n': now_s = optarg; break;
		case 'c': cors_opt = optarg; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		log_usage("one PATH at most");
	cgi_req rq;
	if (cgi_begin(&rq, optind < argc ? argv[optind] : NULL) < 0)
		log_usage("not run as CGI (no REQUEST_METHOD) and no PATH given");
	int64_t now_ms = clock_wall_ms();
	if (now_s && *now_s && (answer_time(now_s, 0, &now_ms) < 0 || now_ms < 0))
		log_usage("bad --now '%s': want unix seconds or ISO 8601", now_s);

	char cors[256], why[256];
	int setup = cgi_settings(env_file, cors_opt, cors, why);
	char dir[PATH_MAX - 64] = "";
	const char *d = dir_opt ? dir_opt : cfg_get("KATO_LIVE_HISTORY_DIR");
	if (d && *d)
		snprintf(dir, sizeof dir, "%s", d);
	else if (hist_default_dir(dir, sizeof dir) < 0)
		dir[0] = '\0';

	char err[ANSWER_ERR_LEN > HIST_ERR_LEN ? ANSWER_ERR_LEN : HIST_ERR_LEN];
	sbuf body = {0};
	const char *allow = NULL;
	int status = 200;
	enum route route = ROUTE_NONE;
	if (!rq.path_ok || !(route = answer_route(rq.path))) {
		status = 404;
		snprintf(err, sizeof err, "no such path: want /api/v1/history or /api/v1/events");
	} else if ((status = cgi_method(&rq)) != 0) {
		allow = CGI_ALLOW;
		snprintf(err, sizeof err, "method not allowed: use GET");
	} else if (setup < 0) {
		log_warn("%s", why);
		status = 500;
		snprintf(err, sizeof err, "kato-history-query is misconfigured: %s", why);
	} else if (!dir[0]) {
		status = 500;
		snprintf(err, sizeof err, "no history folder: set KATO_LIVE_HISTORY_DIR");
	} else {
		hist *h = hist_open(dir, NULL, 0, err);
		status = h ? answer(h, route, rq.query, now_ms, &body, err) : 503;
		hist_close(h);
	}
	cfg_free();
	if (status != 200 && status != 204) {
		cJSON *e = cgi_error_obj(err);
		size_t len = 0;
		char *txt = e ? cgi_json_text(e, &len) : NULL;
		cJSON_Delete(e);
		if (!txt)
			log_die(KL_EXIT_TEMP, "out of memory");
		sbuf_free(&body);
		body.s = txt;
		body.len = len;
	}
	cgi_resp resp = {status, status == 204 ? NULL : body.s, status == 204 ? 0 : body.len,
	                 allow, cors, NULL};
	int rc = cgi_finish(&rq, &resp);
	if (rc == KL_EXIT_NO)
		log_warn("%s: %d %s", rq.path, status, cgi_reason(status));
	sbuf_free(&body);
	return rc;
}
