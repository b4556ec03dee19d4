/* kato.h - talking to KATO's HTTP API: the target and its JSON answers.
 *
 * Shared by the collectors that poll KATO (kato-metrics, session-summary).
 * KATO answers every route with a JSON object and HTTP 200; anything else
 * is an error that says what came back and from where.  Nothing here logs
 * or exits.
 */
#ifndef KL_KATO_H
#define KL_KATO_H

#include <cjson/cJSON.h>

#include "http.h"

#define KATO_DEFAULT_URL "http://localhost:8000"

/* Set up c for KATO at url; url NULL means $KATO_API_URL (environment or
 * env file, see cfg.h), else KATO_DEFAULT_URL.  timeout_ms bounds each
 * request (connecting included); sigfd (or -1) aborts requests on a stop
 * signal.  Returns 0, or -1 with err filled ("bad KATO URL <url>: why", the
 * URL without credentials). */
int kato_client_init(http_client *c, const char *url, long timeout_ms,
                     int sigfd, char err[HTTP_ERR_LEN]);

/* The JSON object r brought back from KATO, or NULL with err filled:
 *   "GET <where>: Connection refused"            no HTTP answer (r->err)
 *   "GET <where>: HTTP 500: {"detail":...}"      a status other than 2xx
 *   "GET <where>: answer is not JSON (invalid JSON at byte 0): <html>..."
 *   "GET <where>: answer is not a JSON object"
 * The caller frees the tree with cJSON_Delete. */
cJSON *kato_json(const http_client *c, const http_req *r,
                 char err[HTTP_ERR_LEN]);

#endif
