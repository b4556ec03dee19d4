/* http.h - HTTP GET with libcurl, over TCP or a Unix socket, many at once.
 *
 * A target names where requests go:
 *   http://host[:port][/prefix]   https://...   plain HTTP(S)
 *   tcp://host:port                the Docker convention, same as http://
 *   unix:///path/to/socket         HTTP over a Unix socket
 * Requests on one client run concurrently (curl multi) and share its
 * connection cache, so keep-alive connections are reused between samples.
 *
 * Nothing here logs or exits.  Every message names the target without
 * its userinfo and with token-like query values REDACTED (redact.h): the
 * credentials in a URL go to the server and nowhere else.  A request that
 * gets no HTTP answer has status 0 and err filled with "GET <where>:
 * <why>" ("Connection
 * refused", "timed out after 2000 ms", "No such file or directory"...).
 * A request that gets any HTTP answer has its status and body; whether a
 * status is an error is the caller's call (http_status_error helps).
 */
#ifndef KL_HTTP_H
#define KL_HTTP_H

#include <stddef.h>

#define HTTP_ERR_LEN 512

typedef struct http_target {
	char base[512];      /* URL prefix requests are appended to */
	char unix_path[256]; /* Unix socket path, or "" for TCP */
	char display[512];   /* the target as the user wrote it, redacted */
} http_target;

/* Parse spec (see above) into t.  Returns 0, or -1 with err filled
 * ("<spec redacted>: why"): an address libcurl would not take, or one with
 * a query or fragment (paths are appended to it), is refused here. */
int http_target_parse(http_target *t, const char *spec, char err[HTTP_ERR_LEN]);

typedef struct http_req {
	const char *path;          /* in: path and query, e.g. "/metrics" */
	long status;               /* out: HTTP status, 0 when none came */
	char *body;                /* out: NUL-terminated body (owned) */
	size_t len;                /* out: body length */
	char api_version[32];      /* out: the Api-Version header ('?' for a
	                            * byte not printable ASCII), or "" */
	char err[HTTP_ERR_LEN];    /* out: why status is 0 */
	double seconds;            /* out: time the request took */
	size_t cap;                /* private: allocated size of body */
	size_t max;                /* private: copied from the client */
	int too_big;               /* private: the body passed max */
} http_req;

typedef struct http_client {
	void *multi;         /* private: the CURLM handle */
	http_target target;  /* where requests go */
	long timeout_ms;     /* whole-request timeout (default 5000) */
	long connect_ms;     /* connect timeout (default 2000) */
	size_t max_body;     /* a longer body is an error (default 16 MiB) */
	int sigfd;           /* if >= 0, a stop signal here aborts requests */
	int stop_signal;     /* out: the signal that aborted, else 0 */
} http_client;

/* Set up a client for target (copied).  Returns 0, or -1 with err. */
int http_client_init(http_client *c, const http_target *target,
                     char err[HTTP_ERR_LEN]);

/* Free the client and close its connections. */
void http_client_free(http_client *c);

/* Run n GET requests concurrently and wait for all.  Each request's
 * previous body is freed first.  Returns how many got an HTTP answer, or
 * -1 if a stop signal arrived on c->sigfd (c->stop_signal says which). */
int http_get_all(http_client *c, http_req *reqs, size_t n);

/* One request; same as http_get_all(c, r, 1). */
int http_get(http_client *c, http_req *r);

/* Free a request's body. */
void http_req_free(http_req *r);

/* Where r goes, as a user would name it, into buf: the URL redacted
 * ("http://kato:8000/metrics"), or "unix:///path /route". */
void http_where(const http_client *c, const http_req *r, char *buf,
                size_t len);

/* The start of r's body on one line (control characters made spaces,
 * whole UTF-8 characters only, '?' for a byte that is not one), so that
 * it can go into JSON; NUL-terminated in buf (len bytes).  Returns its
 * length. */
size_t http_body_excerpt(const http_req *r, char *buf, size_t len);

/* "GET <where>: HTTP <status>: <start of body>" into err, for a status
 * the caller does not accept. */
void http_status_error(const http_client *c, const http_req *r,
                       char err[HTTP_ERR_LEN]);

#endif
