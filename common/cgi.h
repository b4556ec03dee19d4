/* cgi.h - the CGI side of a request (RFC 3875): where it goes and the
 * response's head.  Nothing from the request is run or passed to a
 * shell: the path and query string are only copied and compared.
 * Never exits; cgi_finish writes the response to stdout (that is its
 * job), nothing else prints.
 */
#ifndef KL_CGI_H
#define KL_CGI_H

#include <stddef.h>

/* The request path, without its query and without repeated '/': arg up to
 * its '?' when given (shell use), else SCRIPT_NAME + PATH_INFO from the
 * CGI environment (websocketd gives SCRIPT_NAME "/" and the whole path in
 * PATH_INFO).  Returns 0, or -1 if it does not fit in len. */
int cgi_path(char *buf, size_t len, const char *arg);

/* The query string: after arg's '?' when arg is given, else
 * $QUERY_STRING; NULL when there is none. */
const char *cgi_query(const char *arg);

/* Decode one %XX / '+' encoded query value of len bytes into out (size
 * outlen, NUL-ended).  Returns 0, or -1 if it is malformed, holds a NUL
 * or a control character, or does not fit. */
int cgi_unescape(const char *s, size_t len, char *out, size_t outlen);

/* The parameter at *q of a query string ("key=value&key=value..."): its
 * key (klen bytes, up to '=' or '&') and its value (vlen bytes: after the
 * '=', up to '&'; *val points just past the key when there is no '='),
 * neither decoded.  *q moves past the parameter and its '&'.  Returns 0
 * when *q is at the end, else 1.  An empty segment ("a=1&&b=2") is a
 * parameter with klen 0 and *val == *key. */
int cgi_param(const char **q, const char **key, size_t *klen,
              const char **val, size_t *vlen);

/* The reason phrase of an HTTP status. */
const char *cgi_reason(int status);

/* --- one request, the same way in every CGI tool ---------------------
 *
 * A tool runs as a CGI program (REQUEST_METHOD set) or from a shell with
 * PATH[?QUERY] as its argument.  cgi_begin says which and where the
 * request goes; cgi_method checks its method; the tool answers; then
 * cgi_finish writes the response: CGI headers and the body, or, from a
 * shell, the body alone. */

#define CGI_PATH_MAX 255
#define CGI_ALLOW "GET, HEAD, OPTIONS"

typedef struct cgi_req {
	const char *arg;              /* PATH[?QUERY] from argv, or NULL (CGI) */
	const char *method;           /* $REQUEST_METHOD, NULL from a shell */
	char path[CGI_PATH_MAX + 1];  /* as cgi_path makes it ("" if too long) */
	const char *query;            /* as cgi_query finds it, or NULL */
	int head;                     /* HEAD: the headers only */
	int path_ok;                  /* 0: the path did not fit (answer 404) */
} cgi_req;

/* Fill rq for arg (NULL when run as CGI).  Returns 0, or -1 when there is
 * neither an arg nor a REQUEST_METHOD (a usage error for the tool). */
int cgi_begin(cgi_req *rq, const char *arg);

/* The method: 0 for GET, HEAD and a shell; 204 for OPTIONS, 405 for the
 * others (answer with Allow: CGI_ALLOW). */
int cgi_method(const cgi_req *rq);

/* The settings every CGI tool reads: the env file (env_file, else as
 * cfg_init finds it, so that cfg_get answers from it afterwards), and
 * the origin allowed to read answers cross-site: cors_opt when given,
 * else $KATO_LIVE_CORS_ORIGIN, into cors ("" when none: no CORS header
 * at all, so that other sites' pages cannot read the feed through an
 * operator's browser).  Returns 0, or -1 with why filled when the env
 * file cannot be read or the origin is not "*" or http(s)://host[:port]
 * (the tool then answers 500). */
int cgi_settings(const char *env_file, const char *cors_opt, char cors[256],
                 char why[256]);

/* {"error":msg,"timestamp":now} (cJSON; NULL when memory runs out). */
struct cJSON *cgi_error_obj(const char *msg);

/* j as compact JSON text ending in '\n' (malloc'd; NULL when memory
 * runs out), its length in *len. */
char *cgi_json_text(const struct cJSON *j, size_t *len);

/* What cgi_finish sends. */
typedef struct cgi_resp {
	int status;
	const char *body;             /* JSON ending in '\n', or NULL (204) */
	size_t len;
	const char *allow;            /* Allow (204/405), or NULL */
	const char *cors;             /* Access-Control-Allow-Origin, or NULL/"" */
	const char *data_ts;          /* X-Data-Timestamp, or NULL/"" */
} cgi_resp;

/* Send r for rq: as CGI, Status, Content-Type, Content-Length, no
 * caching, nosniff, CORS headers when r->cors is set, Allow, then the
 * body unless HEAD; from a shell, the body alone.  Returns 0; 1
 * (KL_EXIT_NO) from a shell when the status is not 200; 111
 * (KL_EXIT_TEMP) when stdout fails. */
int cgi_finish(const cgi_req *rq, const cgi_resp *r);

#endif
