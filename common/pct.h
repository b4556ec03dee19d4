/* pct.h - %-decoding, the one decoder for URLs' userinfo (REDIS_URL) and
 * for query values (the CGIs).
 *
 * pct_decode copies n bytes of s into out (cap bytes, NUL-terminated),
 * turning each "%XX" (two hex digits, either case) into its byte.  It
 * returns 0, or -1 when a '%' is not followed by two hex digits, when a
 * byte decodes to NUL, or when the result does not fit; out is then
 * unspecified.  With PCT_FORM, as in a form-encoded query, '+' is a space
 * and a control character (below 0x20, or 0x7f), escaped or not, is
 * refused too.  Pure: never prints, never allocates.
 */
#ifndef KL_PCT_H
#define KL_PCT_H

#include <stddef.h>

#define PCT_FORM 1 /* '+' is a space; control characters are refused */

int pct_decode(const char *s, size_t n, char *out, size_t cap, int flags);

#endif
