#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"

static const struct {
	const char *path;
	enum route route;
} routes[] = {
    {"/api/v1/health", R_HEALTH},
    {"/api/v1/system/metrics", R_METRICS},
    {"/api/v1/system/container-stats", R_CONTAINERS},
    {"/api/v1/sessions/count", R_SESSIONS},
    {"/api/v1/sessions/list", R_SESSION_LIST},
    {"/api/v1/sessions", R_SESSION_LIST},
    {"/metrics", R_PROM},
    {"/api/v1/alerts", R_ALERTS},
};

#define CONTAINER_PREFIX "/api/v1/system/container-stats/"
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
#define KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* len bytes of s, all from set (and none of them NUL). */
static int all_of(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || !strchr(set, s[i]))
			return 0;
	return 1;
}

/* A container name: 1..REQ_NAME_MAX of [A-Za-z0-9_.-]. */
static int valid_name(const char *s, size_t len)
{
	return len > 0 && len <= REQ_NAME_MAX && all_of(s, len, NAME_CHARS);
}

static int bad_name(char err[REQ_ERR_LEN])
{
	snprintf(err, REQ_ERR_LEN,
	         "bad container name: 1 to %d of A-Z a-z 0-9 _ . -", REQ_NAME_MAX);
	return 400;
}

int request_route(const char *path, request *rq, char err[REQ_ERR_LEN])
{
	rq->route = R_NONE;
	rq->name[0] = '\0';
	rq->limit = REQ_LIMIT_DEFAULT;
	rq->offset = 0;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (!strcmp(path, routes[i].path)) {
			rq->route = routes[i].route;
			return 0;
		}
	size_t pl = strlen(CONTAINER_PREFIX);
	if (strncmp(path, CONTAINER_PREFIX, pl) != 0) {
		snprintf(err, REQ_ERR_LEN,
		         "no such path (try /api/v1/health, /api/v1/system/metrics, "
		         "/api/v1/system/container-stats, /api/v1/sessions/count, "
		         "/api/v1/sessions/list, /api/v1/alerts, /metrics)");
		return 404;
	}
	const char *n = path + pl;
	if (!valid_name(n, strlen(n)))
		return bad_name(err);
	strcpy(rq->name, n);
	rq->route = R_CONTAINER;
	return 0;
}

int request_query(const char *q, request *rq, char err[REQ_ERR_LEN])
{
	if (!q || !*q)
		return 0;
	if (strlen(q) > REQ_QUERY_MAX) {
		snprintf(err, REQ_ERR_LEN, "query string longer than %d bytes",
		         REQ_QUERY_MAX);
		return 400;
	}
	const char *p, *v;
	size_t klen, vlen;
	while (cgi_param(&q, &p, &klen, &v, &vlen)) {
		if (klen == 0 && v == p) {
			/* an empty segment ("a=1&&b=2"): nothing to check */
		} else if (klen == 4 && !strncmp(p, "name", 4)) {
			if (rq->route != R_CONTAINERS && rq->route != R_CONTAINER) {
				snprintf(err, REQ_ERR_LEN, "query parameter name is "
				         "for /api/v1/system/container-stats only");
				return 400;
			}
			if (rq->route == R_CONTAINER) {
				snprintf(err, REQ_ERR_LEN, "container name given twice");
				return 400;
			}
			if (!valid_name(v, vlen))
				return bad_name(err);
			memcpy(rq->name, v, vlen);
			rq->name[vlen] = '\0';
			rq->route = R_CONTAINER;
		} else if ((klen == 5 && !strncmp(p, "limit", 5)) ||
		           (klen == 6 && !strncmp(p, "offset", 6))) {
			int is_limit = klen == 5;
			if (rq->route != R_SESSION_LIST) {
				snprintf(err, REQ_ERR_LEN, "query parameter %.*s is for "
				         "/api/v1/sessions/list only", (int)klen, p);
				return 400;
			}
			long n = -1;
			if (vlen >= 1 && vlen <= 8 && all_of(v, vlen, "0123456789")) {
				n = 0;
				for (size_t i = 0; i < vlen; i++)
					n = n * 10 + (v[i] - '0');
			}
			if (n < 0 || (is_limit && (n < 1 || n > REQ_LIMIT_MAX))) {
				if (is_limit)
					snprintf(err, REQ_ERR_LEN, "bad limit: want 1 to %d",
					         REQ_LIMIT_MAX);
				else
					snprintf(err, REQ_ERR_LEN, "bad offset: want 0 to 99999999");
				return 400;
			}
			if (is_limit)
				rq->limit = n;
			else
				rq->offset = n;
		} else if (klen == 1 && (*p == '_' || *p == 't') && vlen > 0 &&
		           vlen <= 20 && all_of(v, vlen, "0123456789")) {
			/* a cache buster */
		} else {
			if (klen > 0 && klen <= 32 && all_of(p, klen, KEY_CHARS))
				snprintf(err, REQ_ERR_LEN, "bad query parameter %.*s "
				         "(allowed: name on container-stats, _ and t "
				         "with digits)", (int)klen, p);
			else
				snprintf(err, REQ_ERR_LEN, "bad query string");
			return 400;
		}
	}
	return 0;
}
