/* rec.h - the records collectors write and kato-merge reads.
 *
 *   {"source":S,"ts":ISO,"ok":true,"data":{...}}
 *   {"source":S,"ts":ISO,"ok":false,"error":"what: why"}
 *   {"source":S,"ts":ISO,"event":{...}}
 *
 * All constructors return a new cJSON object the caller owns, or NULL when
 * memory runs out (in which case any data passed in has been freed).
 */
#ifndef KL_REC_H
#define KL_REC_H

#include <cjson/cJSON.h>

/* A successful sample; takes ownership of data. */
cJSON *rec_ok(const char *source, cJSON *data);

/* A failed sample with its reason. */
cJSON *rec_fail(const char *source, const char *error);

/* An event (session_created...); takes ownership of event. */
cJSON *rec_event(const char *source, cJSON *event);

#endif
