#include "js.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t js_utf8_seq(const unsigned char *s, size_t len)
{
	if (len == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (len <= n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= n; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return n + 1;
}

/* The offset of the first byte that cannot be in JSON text, or len: a
 * control character other than the white space \t \n \r (RFC 8259 wants
 * them escaped in strings and allows no others between tokens), or a
 * byte that is not part of well-formed UTF-8.  cJSON takes both as they
 * are: a NUL cuts a string short without a word, and malformed UTF-8
 * passed on to a browser in a WebSocket text message ends its
 * connection. */
static size_t bad_byte(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return i;
		size_t n = js_utf8_seq(s + i, len - i);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

cJSON *js_parse(const char *text, size_t len, char *err, size_t errlen)
{
	size_t bad = bad_byte((const unsigned char *)text, len);
	if (bad < len) {
		snprintf(err, errlen, "invalid JSON at byte %zu: %s", bad,
		         (unsigned char)text[bad] < 0x20 ? "a control character"
		                                         : "not UTF-8");
		return NULL;
	}
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = (at && at >= text && at <= text + len)
		                 ? (size_t)(at - text) : 0;
		snprintf(err, errlen, "invalid JSON at byte %zu", off);
		return NULL;
	}
	/* Only white space may follow the value. */
	if (end) {
		while (end < text + len &&
		       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
			end++;
		if (end < text + len && *end != '\0') {
			snprintf(err, errlen, "invalid JSON: trailing data at byte %zu",
			         (size_t)(end - text));
			cJSON_Delete(j);
			return NULL;
		}
	}
	return j;
}

const cJSON *js_path(const cJSON *obj, const char *dotted)
{
	char key[128];
	const char *p = dotted;
	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l >= sizeof key)
			return NULL;
		memcpy(key, p, l);
		key[l] = '\0';
		if (!cJSON_IsObject(obj))
			return NULL;
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		p = dot ? dot + 1 : p + l;
	}
	return obj;
}

int js_num(const cJSON *obj, const char *dotted, double *out)
{
	const cJSON *v = js_path(obj, dotted);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return 0;
	*out = v->valuedouble;
	return 1;
}

const char *js_str(const cJSON *obj, const char *dotted)
{
	const cJSON *v = js_path(obj, dotted);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *js_add_num(cJSON *obj, const char *key, int have, double v)
{
	if (have && isfinite(v))
		return cJSON_AddNumberToObject(obj, key, v);
	return cJSON_AddNullToObject(obj, key);
}

/* round() without libm, so that a tool that never rounds does not map it:
 * x - trunc(x) is exact below 2^52, and at or above it x is integral. */
double js_round(double v, int decimals)
{
	double f = 1;
	for (int i = 0; i < decimals; i++)
		f *= 10;
	double x = v * f;
	if (!(x > -0x1p52 && x < 0x1p52))
		return v;
	double r = (double)(int64_t)x, frac = x - r;
	if (frac >= 0.5)
		r += 1;
	else if (frac <= -0.5)
		r -= 1;
	return r / f;
}
