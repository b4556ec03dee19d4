/* request.h - what a kato-snapshot request asks for, checked against
 * fixed tables.  Nothing here runs anything: the path and the query
 * string are only compared and copied.  Never prints, never exits.
 */
#ifndef KS_REQUEST_H
#define KS_REQUEST_H

#include <stddef.h>

#define REQ_PATH_MAX 256  /* longer request paths are unknown paths */
#define REQ_QUERY_MAX 512 /* longer query strings are refused */
#define REQ_NAME_MAX 128  /* longest container name accepted */
#define REQ_ERR_LEN 256

enum route {
	R_NONE,       /* not one of ours */
	R_HEALTH,     /* /api/v1/health */
	R_METRICS,    /* /api/v1/system/metrics */
	R_CONTAINERS, /* /api/v1/system/container-stats */
	R_CONTAINER,  /* .../container-stats/NAME or ?name=NAME */
	R_SESSIONS,   /* /api/v1/sessions/count */
	R_SESSION_LIST, /* /api/v1/sessions/list (or /api/v1/sessions where
	                 * the server routes it: websocketd cannot have a file
	                 * "sessions" beside the folder "sessions/") */
	R_PROM,       /* /metrics: Prometheus exposition (prom.h) */
	R_ALERTS,     /* /api/v1/alerts: the alerts firing now */
};

#define REQ_LIMIT_DEFAULT 100  /* sessions per page */
#define REQ_LIMIT_MAX 1000

typedef struct request {
	enum route route;             /* what is asked for */
	char name[REQ_NAME_MAX + 1]; /* the container, for R_CONTAINER */
	long limit;                  /* R_SESSION_LIST: page size */
	long offset;                 /* R_SESSION_LIST: sessions skipped */
} request;

/* Match path against the routes and fill rq.  Returns 0, or an HTTP
 * status (404 unknown path, 400 bad container name) with err filled. */
int request_route(const char *path, request *rq, char err[REQ_ERR_LEN]);

/* Check the query string (NULL or "" is fine): "name=NAME" on
 * container-stats, "limit=1..1000" and "offset=N" on the session list,
 * and the cache busters "_=DIGITS" and "t=DIGITS";
 * nothing else.  A name turns R_CONTAINERS into R_CONTAINER.  Returns 0,
 * or 400 with err filled. */
int request_query(const char *query, request *rq, char err[REQ_ERR_LEN]);

#endif
