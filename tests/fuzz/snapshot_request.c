/* kato-snapshot's request parser (cmd/kato-snapshot/request.c): the path
 * and query string of an HTTP request, as a browser or anyone on the
 * network sends them.  Input: "PATH[?QUERY]", as on kato-snapshot's
 * command line, and also as CGI's PATH_INFO and QUERY_STRING. */
#include "cgi.h"
#include "fuzz.h"
#include "request.h"

static void check_request(const request *rq, int st)
{
	if (st != 0)
		return;
	fuzz_check(rq->route != R_NONE);
	if (rq->route == R_CONTAINER) {
		size_t n = strlen(rq->name);
		fuzz_check(n > 0 && n <= REQ_NAME_MAX);
		fuzz_check(strspn(rq->name, "abcdefghijklmnopqrstuvwxyz"
		                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n);
	}
}

static void one(const char *arg, const char *query)
{
	char path[REQ_PATH_MAX + 1], err[REQ_ERR_LEN];
	request rq;
	if (cgi_path(path, sizeof path, arg) < 0)
		return;
	fuzz_check(strlen(path) <= REQ_PATH_MAX);
	fuzz_check(!strstr(path, "//"));
	int st = request_route(path, &rq, err);
	fuzz_check(st == 0 || st == 400 || st == 404);
	if (st == 0) {
		st = request_query(query, &rq, err);
		fuzz_check(st == 0 || st == 400);
	}
	check_request(&rq, st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char *q = strchr(s, '?');
	one(s, q ? q + 1 : NULL);

	/* The same through the CGI environment websocketd sets.  putenv of
	 * one buffer, rewritten each time: setenv would keep every old value
	 * (glibc never frees them) and grow without bound. */
	static char pi[8192] = "PATH_INFO=";
	static int once;
	if (!once++) {
		putenv("SCRIPT_NAME=/");
		putenv(pi);
	}
	if (q)
		*q = '\0';
	size_t n = strlen(s);
	if (n < sizeof pi - 10) {
		memcpy(pi + 10, s, n + 1);
		one(NULL, q ? q + 1 : NULL);
	}
	free(s);
	return 0;
}
