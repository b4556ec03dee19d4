/* splice.h - add a member to an object inside a JSON text without
 * printing the text again.
 *
 * kato-alerts copies every frame with data.thresholds added.  Parsing a
 * frame of 3,000 containers is needed anyway (the rules read it); printing
 * it back is not: the member is spliced into the line as it came.
 *
 * splice_open finds, in the JSON object text s (n bytes, already accepted
 * by js_parse), the top-level member named key (compared byte for byte)
 * and, when its value is an object, returns the offset just past that
 * object's '{'; else -1, also when a top-level name before it holds an
 * escape (it might decode to key, and a parser take that member).  It
 * reads nothing past s + n and never fails on other input than a JSON
 * object: it returns -1.
 *
 * splice_member writes into out the text s with "name":value (value: a
 * JSON text) inserted as the first member of the object opening at
 * offset at, and a ',' after it unless that object is empty.  out must
 * hold n + strlen(name) + strlen(value) + 4 bytes; returns the length
 * written (no NUL).
 *
 * Pure: never prints, never allocates.
 */
#ifndef KA_SPLICE_H
#define KA_SPLICE_H

#include <stddef.h>

long splice_open(const char *s, size_t n, const char *key);

size_t splice_member(char *out, const char *s, size_t n, long at,
                     const char *name, const char *value);

#endif
