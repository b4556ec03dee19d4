#include "kato.h"

#include <stdio.h>

#include "cfg.h"
#include "js.h"

int kato_client_init(http_client *c, const char *url, long timeout_ms,
                     int sigfd, char err[HTTP_ERR_LEN])
{
	if (!url || !*url)
		url = cfg_get("KATO_API_URL");
	if (!url || !*url)
		url = KATO_DEFAULT_URL;
	http_target t;
	char why[HTTP_ERR_LEN];
	if (http_target_parse(&t, url, why) < 0) {
		/* why names the URL, redacted; url itself may hold a password. */
		snprintf(err, HTTP_ERR_LEN, "bad KATO URL %s", why);
		return -1;
	}
	if (http_client_init(c, &t, err) < 0)
		return -1;
	c->timeout_ms = timeout_ms;
	if (c->connect_ms > timeout_ms)
		c->connect_ms = timeout_ms;
	c->sigfd = sigfd;
	return 0;
}

cJSON *kato_json(const http_client *c, const http_req *r,
                 char err[HTTP_ERR_LEN])
{
	if (r->status == 0) {
		snprintf(err, HTTP_ERR_LEN, "%s", r->err);
		return NULL;
	}
	if (r->status < 200 || r->status > 299) {
		http_status_error(c, r, err);
		return NULL;
	}
	char w[600], why[128];
	http_where(c, r, w, sizeof w);
	cJSON *j = js_parse(r->body ? r->body : "", r->len, why, sizeof why);
	if (!j) {
		/* The start of the body, on one line, says what answered. */
		char excerpt[64];
		size_t n = http_body_excerpt(r, excerpt, sizeof excerpt);
		snprintf(err, HTTP_ERR_LEN, "GET %s: answer is not JSON (%s)%s%s", w,
		         why, n ? ": " : "", excerpt);
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		snprintf(err, HTTP_ERR_LEN, "GET %s: answer is not a JSON object", w);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}
