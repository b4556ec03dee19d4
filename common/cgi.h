/* cgi.h - the CGI side of a request (RFC 3875): where it goes and the
 * response's head.  Nothing from the request is run or passed to a
 * shell: the path and query string are only copied and compared.
 * Never exits; cgi_respond writes to stdout (that is its job).
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

/* The reason phrase of an HTTP status. */
const char *cgi_reason(int status);

/* Write a JSON response to stdout: Status, Content-Type, Content-Length,
 * no caching, CORS *, nosniff, Allow (for 204/405) when allow is set,
 * then body (len bytes, which the caller ends with '\n') unless
 * head_only.  Returns 0, or -1 when stdout fails. */
int cgi_respond(int status, const char *body, size_t len, int head_only,
                const char *allow);

#endif
