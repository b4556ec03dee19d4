/* ks.c - see ks.h. */
#include "ks.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "js.h"
#include "log.h"
#include "ndj.h"

void trouble_note(trouble *t, const char *err)
{
	if (strcmp(err, t->last) != 0)
		log_warn("%s (retrying)", err);
	snprintf(t->last, sizeof t->last, "%s", err);
}

void trouble_over(trouble *t, const rconn *r, const char *what)
{
	if (!t->last[0])
		return;
	if (t->dropped)
		log_info("%s %s again (%lu lines dropped meanwhile)", what, r->where,
		         t->dropped);
	else
		log_info("%s %s again", what, r->where);
	t->last[0] = 0;
	t->dropped = 0;
}

cJSON *line_parse(const char *line, size_t len, char *why, size_t n)
{
	if (len > NDJ_LINE_MAX) {
		snprintf(why, n, "longer than %u bytes", NDJ_LINE_MAX);
		return NULL;
	}
	if (memchr(line, '\n', len) || memchr(line, '\0', len)) {
		snprintf(why, n, "holds a newline or NUL byte");
		return NULL;
	}
	cJSON *j = js_parse(line, len, why, n);
	if (j && !cJSON_IsObject(j)) {
		snprintf(why, n, "not a JSON object");
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

int line_ok(const char *line, size_t len, char *why, size_t n)
{
	cJSON *j = line_parse(line, len, why, n);
	cJSON_Delete(j);
	return j != NULL;
}

/* Connect and check the key.  Returns 0, or -1 with err. */
int open_stream(rconn *r, const char *key, char err[RC_ERR_LEN])
{
	if (rconn_open(r, err) < 0)
		return -1;
	if (rstream_check(r, key, err) < 0) {
		rconn_close(r);
		return -1;
	}
	return 0;
}

