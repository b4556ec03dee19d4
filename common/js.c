#include "js.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

cJSON *js_parse(const char *text, size_t len, char *err, size_t errlen)
{
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
