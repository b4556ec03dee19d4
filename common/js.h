/* js.h - small helpers over cJSON for reading foreign JSON safely.
 *
 * Counters from Docker and KATO can exceed INT_MAX: read them as doubles
 * (cJSON's valueint saturates).  A value that is absent or of the wrong
 * type is "not measured", which the caller turns into JSON null, never 0.
 */
#ifndef KL_JS_H
#define KL_JS_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Parse len bytes of text: one JSON value (RFC 8259), white space around
 * it, in UTF-8.  Control characters other than \t \n \r (NUL included)
 * and malformed UTF-8 are refused, wherever they are.  Returns the tree
 * (caller frees with cJSON_Delete), or NULL with err filled ("invalid
 * JSON at byte N", "invalid JSON at byte N: not UTF-8"). */
cJSON *js_parse(const char *text, size_t len, char *err, size_t errlen);

/* The length (1 to 4) of the well-formed UTF-8 sequence that starts s
 * (len bytes available), or 0 if none does there: a stray continuation
 * byte, a cut or overlong sequence, a surrogate, past U+10FFFF. */
size_t js_utf8_seq(const unsigned char *s, size_t len);

/* Follow a dotted path ("memory_stats.stats.inactive_file") from obj.
 * Returns the item or NULL. */
const cJSON *js_path(const cJSON *obj, const char *dotted);

/* If the item at path is a number, store it and return 1; else return 0
 * and leave *out alone. */
int js_num(const cJSON *obj, const char *dotted, double *out);

/* The string at path, or NULL. */
const char *js_str(const cJSON *obj, const char *dotted);

/* Add key: v to obj when have is nonzero, else key: null.  Returns the
 * added item or NULL when memory runs out. */
cJSON *js_add_num(cJSON *obj, const char *key, int have, double v);

/* Round v to decimals >= 0 places, halves away from zero, as round()
 * does (for MB and percent fields).  Needs no libm. */
double js_round(double v, int decimals);

#endif
