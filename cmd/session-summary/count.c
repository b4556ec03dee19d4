/* count.c - a session count out of KATO's answer.  See count.h. */
#include "count.h"

#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "js.h"
#include "kato.h"

/* A count KATO sent: a whole number >= 0 (as a double: cJSON's valueint
 * saturates). */
static int read_count(const cJSON *obj, const char *path, double *out)
{
	double v;
	if (!js_num(obj, path, &v) || v < 0 || v != floor(v) || v > 9e15)
		return 0;
	*out = v;
	return 1;
}

int count_at(const http_client *c, const http_req *r, const char *path,
             double *out, char err[HTTP_ERR_LEN])
{
	cJSON *j = kato_json(c, r, err);
	if (!j)
		return -1;
	int ok = read_count(j, path, out);
	cJSON_Delete(j);
	if (!ok) {
		char w[600];
		http_where(c, r, w, sizeof w);
		snprintf(err, HTTP_ERR_LEN, "GET %s: answer has no whole \"%s\"", w,
		         path);
		return -1;
	}
	return 0;
}
