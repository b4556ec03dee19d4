/* rec.h - the records collectors write and kato-merge reads.
 *
 *   {"source":S,"ts":ISO,"ok":true,"data":{...}}
 *   {"source":S,"ts":ISO,"ok":false,"error":"what: why"}
 *   {"source":S,"ts":ISO,"event":{...}}
 *
 * A collector that samples one machine among several (docker-stats on
 * each Docker host) adds "host":NAME to each of its records.
 *
 * All constructors return a new cJSON object the caller owns, or NULL when
 * memory runs out (in which case any data passed in has been freed).
 */
#ifndef KL_REC_H
#define KL_REC_H

#include <cjson/cJSON.h>

#define REC_NAME_MAX 64 /* longest source or host name, bytes */

/* Whether s is a good source or host name: 1 to REC_NAME_MAX of
 * [A-Za-z0-9._-], so that it is a JSON key and a file-name part as it is
 * (nothing in it needs escaping). */
int rec_name_ok(const char *s);

/* A successful sample; takes ownership of data. */
cJSON *rec_ok(const char *source, cJSON *data);

/* A failed sample with its reason. */
cJSON *rec_fail(const char *source, const char *error);

/* An event (session_created...); takes ownership of event. */
cJSON *rec_event(const char *source, cJSON *event);

#endif
