/* cgi.c - see cgi.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "cgi.h"
#include "clock.h"
#include "exitcode.h"

#include "pct.h"

int cgi_path(char *buf, size_t len, const char *arg)
{
	const char *sn = getenv("SCRIPT_NAME"), *pi = getenv("PATH_INFO");
	int n;
	if (arg)
		n = snprintf(buf, len, "%.*s", (int)strcspn(arg, "?"), arg);
	else if (!sn || !*sn || !strcmp(sn, "/"))
		n = snprintf(buf, len, "%s", pi ? pi : "");
	else
		n = snprintf(buf, len, "%s%s", sn, pi ? pi : "");
	if (n < 0 || (size_t)n >= len)
		return -1;
	char *w = buf;
	for (const char *r = buf; *r; r++)
		if (*r != '/' || w == buf || w[-1] != '/')
			*w++ = *r;
	while (w > buf + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return 0;
}

const char *cgi_query(const char *arg)
{
	if (arg) {
		const char *q = strchr(arg, '?');
		return q ? q + 1 : NULL;
	}
	return getenv("QUERY_STRING");
}

int cgi_unescape(const char *s, size_t len, char *out, size_t outlen)
{
	return pct_decode(s, len, out, outlen, PCT_FORM);
}

int cgi_param(const char **q, const char **key, size_t *klen,
              const char **val, size_t *vlen)
{
	const char *p = *q;
	if (!*p)
		return 0;
	size_t n = strcspn(p, "&");
	const char *eq = memchr(p, '=', n);
	*key = p;
	*klen = eq ? (size_t)(eq - p) : n;
	*val = eq ? eq + 1 : p + n;
	*vlen = (size_t)(p + n - *val);
	*q = p[n] == '&' ? p + n + 1 : p + n;
	return 1;
}

const char *cgi_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Error";
}

int cgi_begin(cgi_req *rq, const char *arg)
{
	memset(rq, 0, sizeof *rq);
	rq->arg = arg;
	rq->method = getenv("REQUEST_METHOD");
	if (!arg && !rq->method)
		return -1;
	rq->path_ok = cgi_path(rq->path, sizeof rq->path, arg) == 0;
	if (!rq->path_ok)
		rq->path[0] = '\0';
	rq->query = cgi_query(arg);
	rq->head = rq->method && !strcmp(rq->method, "HEAD");
	return 0;
}

int cgi_method(const cgi_req *rq)
{
	if (!rq->method || !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD"))
		return 0;
	return strcmp(rq->method, "OPTIONS") ? 405 : 204;
}

/* Is origin fit for an Access-Control-Allow-Origin header: "*", or
 * http(s)://host[:port] with nothing that could end the header line? */
static int origin_ok(const char *origin)
{
	if (!strcmp(origin, "*"))
		return 1;
	const char *h = !strncmp(origin, "http://", 7)    ? origin + 7
	              : !strncmp(origin, "https://", 8) ? origin + 8 : NULL;
	if (!h || !*h || strlen(origin) > 255)
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || strchr(".-:[]", *h)))
			return 0;
	return 1;
}

int cgi_settings(const char *env_file, const char *cors_opt, char cors[256],
                 char why[256])
{
	_Static_assert(CFG_ERR_LEN == 256, "why holds a cfg error");
	cors[0] = '\0';
	if ((env_file ? cfg_load_file(env_file, why) : cfg_init(why)) < 0)
		return -1;
	const char *v = cors_opt ? cors_opt : cfg_get("KATO_LIVE_CORS_ORIGIN");
	if (!v || !*v)
		return 0;
	if (!origin_ok(v)) {
		snprintf(why, 256, "KATO_LIVE_CORS_ORIGIN: not an origin "
		         "(http(s)://host[:port] or *)");
		return -1;
	}
	snprintf(cors, 256, "%s", v);
	return 0;
}

cJSON *cgi_error_obj(const char *msg)
{
	char now[CLOCK_ISO_LEN];
	cJSON *e = cJSON_CreateObject();
	if (!e || !cJSON_AddStringToObject(e, "error", msg) ||
	    !cJSON_AddStringToObject(e, "timestamp", clock_iso_now(now))) {
		cJSON_Delete(e);
		return NULL;
	}
	return e;
}

char *cgi_json_text(const cJSON *j, size_t *len)
{
	char *t = cJSON_PrintUnformatted(j);
	if (!t)
		return NULL;
	size_t n = strlen(t);
	char *nt = realloc(t, n + 2);
	if (!nt) {
		free(t);
		return NULL;
	}
	memcpy(nt + n, "\n", 2);
	*len = n + 1;
	return nt;
}

int cgi_finish(const cgi_req *rq, const cgi_resp *r)
{
	if (rq->arg) {
		if (r->body)
			fwrite(r->body, 1, r->len, stdout);
		if (fflush(stdout) != 0 || ferror(stdout))
			return KL_EXIT_TEMP;
		return r->status == 200 ? KL_EXIT_OK : KL_EXIT_NO;
	}
	printf("Status: %d %s\r\n", r->status, cgi_reason(r->status));
	if (r->body)
		printf("Content-Type: application/json\r\nContent-Length: %zu\r\n", r->len);
	printf("Cache-Control: no-store\r\n"
	       "X-Content-Type-Options: nosniff\r\n");
	int cors = r->cors && *r->cors;
	if (cors)
		printf("Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n", r->cors);
	if (r->allow)
		printf("Allow: %s\r\n", r->allow);
	if (r->allow && cors)
		printf("Access-Control-Allow-Methods: %s\r\n"
		       "Access-Control-Allow-Headers: Accept, Content-Type\r\n",
		       r->allow);
	/* the frame's own timestamp, which came from upstream: sent only
	 * when it is one (no CR, LF or anything else to add a header with) */
	int64_t ms;
	if (r->data_ts && *r->data_ts && clock_parse_iso(r->data_ts, &ms) == 0 &&
	    strspn(r->data_ts, "0123456789-:.TZ+") == strlen(r->data_ts))
		printf("X-Data-Timestamp: %s\r\n", r->data_ts);
	printf("\r\n");
	if (r->body && !rq->head)
		fwrite(r->body, 1, r->len, stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? KL_EXIT_OK : KL_EXIT_TEMP;
}
