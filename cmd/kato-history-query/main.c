/* kato-history-query - the history API: answers /api/v1/history and
 * /api/v1/events from the store kato-history keeps, as a CGI program
 * (websocketd --cgidir, or any CGI server) or from a shell.
 *
 * It only reads the store's files (no lock, no socket): a row being
 * written while it is read fails its checksum and reads as missing.
 * Status codes: 200; 400 bad query; 404 unknown path; 405 other methods;
 * 503 no store (yet).  See answer.h for the query and the answers.
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
    "                          [PATH[?QUERY]]\n"
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
    "  -h, --help           show this text\n";

int main(int argc, char **argv)
{
	log_init(argv[0]);
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"env-file", required_argument, NULL, 'e'},
	    {"now", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *env_file = NULL, *now_s = getenv("KATO_HISTORY_NOW");
	int o;
	while ((o = getopt_long(argc, argv, "d:e:n:h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir_opt = optarg; break;
		case 'e': env_file = optarg; break;
		case 'n': now_s = optarg; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		log_usage("one PATH at most");
	const char *arg = optind < argc ? argv[optind] : NULL;
	const char *method = getenv("REQUEST_METHOD");
	if (!arg && !method)
		log_usage("not run as CGI (no REQUEST_METHOD) and no PATH given");
	int64_t now_ms = clock_wall_ms();
	if (now_s && *now_s && (answer_time(now_s, 0, &now_ms) < 0 || now_ms < 0))
		log_usage("bad --now '%s': want unix seconds or ISO 8601", now_s);

	char cerr[CFG_ERR_LEN];
	int cfg_ok = env_file ? cfg_load_file(env_file, cerr) : cfg_init(cerr);
	char dir[PATH_MAX - 64] = "";
	const char *d = dir_opt ? dir_opt : cfg_get("KATO_LIVE_HISTORY_DIR");
	if (d && *d)
		snprintf(dir, sizeof dir, "%s", d);
	else if (hist_default_dir(dir, sizeof dir) < 0)
		dir[0] = '\0';

	char path[256], err[ANSWER_ERR_LEN > HIST_ERR_LEN ? ANSWER_ERR_LEN : HIST_ERR_LEN];
	sbuf body = {0};
	const char *allow = NULL;
	int status = 200, head = 0;
	enum route route = ROUTE_NONE;
	if (cgi_path(path, sizeof path, arg) < 0 || !(route = answer_route(path))) {
		status = 404;
		snprintf(err, sizeof err, "no such path: want /api/v1/history or /api/v1/events");
	} else if (method && strcmp(method, "GET") && strcmp(method, "HEAD")) {
		allow = "GET, HEAD, OPTIONS";
		status = strcmp(method, "OPTIONS") ? 405 : 204;
		snprintf(err, sizeof err, "method not allowed: use GET");
	} else if (cfg_ok < 0) {
		log_warn("%s", cerr);
		status = 500;
		snprintf(err, sizeof err, "kato-history-query is misconfigured: %s", cerr);
	} else if (!dir[0]) {
		status = 500;
		snprintf(err, sizeof err, "no history folder: set KATO_LIVE_HISTORY_DIR");
	} else {
		head = method && !strcmp(method, "HEAD");
		hist *h = hist_open(dir, NULL, 0, err);
		if (!h)
			status = 503;
		else
			status = answer(h, route, cgi_query(arg), now_ms, &body, err);
		hist_close(h);
	}
	cfg_free();
	if (status != 200 && status != 204) {
		char now[CLOCK_ISO_LEN];
		cJSON *e = cJSON_CreateObject();
		char *txt = NULL;
		if (e && cJSON_AddStringToObject(e, "error", err) &&
		    cJSON_AddStringToObject(e, "timestamp", clock_iso_now(now)))
			txt = cJSON_PrintUnformatted(e);
		cJSON_Delete(e);
		sbuf_free(&body);
		if (!txt)
			log_die(KL_EXIT_TEMP, "out of memory");
		body.s = txt;
		body.len = strlen(txt);
		/* room for the '\n' the body ends with */
		char *nb = realloc(body.s, body.len + 2);
		if (!nb)
			log_die(KL_EXIT_TEMP, "out of memory");
		body.s = nb;
		memcpy(body.s + body.len, "\n", 2);
		body.len++;
	}
	int rc = KL_EXIT_OK;
	if (arg) {
		if (fwrite(body.s, 1, body.len, stdout) != body.len || fflush(stdout) != 0)
			rc = KL_EXIT_TEMP;
		else if (status != 200) {
			log_warn("%s: %d %s", path, status, cgi_reason(status));
			rc = KL_EXIT_NO;
		}
	} else if (cgi_respond(status, status == 204 ? NULL : body.s,
	                       status == 204 ? 0 : body.len, head, allow) < 0) {
		rc = KL_EXIT_TEMP;
	}
	sbuf_free(&body);
	return rc;
}
