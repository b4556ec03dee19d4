/* count.h - session-summary's reading of KATO's answers: a session count
 * out of a GET /sessions/count or GET /status body.  No logging.
 */
#ifndef KL_SS_COUNT_H
#define KL_SS_COUNT_H

#include "http.h"

/* The whole number >= 0 (at most 9e15) at the dotted path in r's JSON
 * answer ("active_session_count" of /sessions/count,
 * "sessions.total_sessions" of /status) into *out.  Returns 0, or -1 with
 * err filled: what kato_json() says (no answer, a status other than 2xx,
 * not a JSON object), or "GET <where>: answer has no whole \"<path>\"". */
int count_at(const http_client *c, const http_req *r, const char *path,
             double *out, char err[HTTP_ERR_LEN]);

#endif
