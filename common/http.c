#include "http.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "redact.h"
#include "js.h"
#include "sig.h"

static int global_ready;

int http_target_parse(http_target *t, const char *spec, char err[HTTP_ERR_LEN])
{
	memset(t, 0, sizeof *t);
	if (!spec || !*spec) {
		snprintf(err, HTTP_ERR_LEN, "empty address");
		return -1;
	}
	/* Messages name the target without its credentials, always. */
	const char *shown = redact_url(spec, t->display, sizeof t->display);
	size_t n;
	if (strncmp(spec, "unix://", 7) == 0) {
		const char *path = spec + 7;
		if (path[0] != '/') {
			snprintf(err, HTTP_ERR_LEN,
			         "%s: a unix:// address needs an absolute path", shown);
			return -1;
		}
		if (strlen(path) >= sizeof t->unix_path) {
			snprintf(err, HTTP_ERR_LEN, "%s: socket path too long", shown);
			return -1;
		}
		strcpy(t->unix_path, path);
		strcpy(t->base, "http://localhost");
		return 0;
	}
	if (strncmp(spec, "tcp://", 6) == 0) {
		n = (size_t)snprintf(t->base, sizeof t->base, "http://%s", spec + 6);
	} else if (strncmp(spec, "http://", 7) == 0 ||
	           strncmp(spec, "https://", 8) == 0) {
		n = (size_t)snprintf(t->base, sizeof t->base, "%s", spec);
	} else {
		snprintf(err, HTTP_ERR_LEN,
		         "%s: not an address (http://, https://, tcp:// or unix://)",
		         shown);
		return -1;
	}
	if (n >= sizeof t->base) {
		snprintf(err, HTTP_ERR_LEN, "%s: address too long", shown);
		return -1;
	}
	/* Paths are appended to the base: a query or fragment would swallow
	 * them. */
	if (strpbrk(t->base, "?#")) {
		snprintf(err, HTTP_ERR_LEN,
		         "%s: an address takes no query (?) or fragment (#)", shown);
		return -1;
	}
	/* Paths are appended with their own leading slash. */
	while (n > 0 && t->base[n - 1] == '/')
		t->base[--n] = '\0';
	const char *host = strstr(t->base, "://") + 3;
	if (!*host) {
		snprintf(err, HTTP_ERR_LEN, "%s: no host", shown);
		return -1;
	}
	/* Refuse now what libcurl would refuse at every request. */
	CURLU *u = curl_url();
	if (!u) {
		snprintf(err, HTTP_ERR_LEN, "out of memory");
		return -1;
	}
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, t->base, 0);
	curl_url_cleanup(u);
	if (uc != CURLUE_OK) {
		snprintf(err, HTTP_ERR_LEN, "%s: not a valid address: %s", shown,
		         curl_url_strerror(uc));
		return -1;
	}
	return 0;
}

int http_client_init(http_client *c, const http_target *target,
                     char err[HTTP_ERR_LEN])
{
	memset(c, 0, sizeof *c);
	if (!global_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, HTTP_ERR_LEN, "cannot initialise libcurl");
			return -1;
		}
		global_ready = 1;
	}
	c->multi = curl_multi_init();
	if (!c->multi) {
		snprintf(err, HTTP_ERR_LEN, "cannot initialise libcurl");
		return -1;
	}
	/* Concurrent requests to one host each get a connection of their
	 * own; the cache keeps them for the next round. */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 256L);
	c->target = *target;
	c->timeout_ms = 5000;
	c->connect_ms = 2000;
	c->max_body = 16u << 20;
	c->sigfd = -1;
	return 0;
}

void http_client_free(http_client *c)
{
	if (c->multi)
		curl_multi_cleanup(c->multi);
	c->multi = NULL;
}

void http_req_free(http_req *r)
{
	free(r->body);
	r->body = NULL;
	r->len = r->cap = 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	http_req *r = arg;
	size_t n = size * nmemb;
	if (r->len + n > r->max) {
		r->too_big = 1;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *b = realloc(r->body, cap);
		if (!b)
			return 0;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	http_req *r = arg;
	size_t n = size * nmemb;
	static const char name[] = "Api-Version:";
	if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
		const char *v = data + sizeof name - 1;
		const char *end = data + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
		                   end[-1] == ' '))
			end--;
		size_t l = (size_t)(end - v);
		if (l >= sizeof r->api_version)
			l = sizeof r->api_version - 1;
		/* It may be quoted in an error text: printable ASCII only. */
		for (size_t i = 0; i < l; i++)
			r->api_version[i] = v[i] > ' ' && v[i] < 0x7f ? v[i] : '?';
		r->api_version[l] = '\0';
	}
	return n;
}

/* Where a request went, as a user would name it: never with the
 * credentials or tokens the URL may hold. */
static void where(const http_client *c, const http_req *r, char *buf,
                  size_t len)
{
	char url[sizeof c->target.base + 1024];
	if (c->target.unix_path[0]) {
		snprintf(url, sizeof url, "%s", r->path);
		size_t n = (size_t)snprintf(buf, len, "%s ", c->target.display);
		if (n < len)
			redact_url(url, buf + n, len - n);
	} else {
		snprintf(url, sizeof url, "%s%s", c->target.base, r->path);
		redact_url(url, buf, len);
	}
}

static void fail(const http_client *c, http_req *r, CURL *e, CURLcode code,
                 const char *ebuf)
{
	char w[600];
	where(c, r, w, sizeof w);
	long oserr = 0;
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
	const char *why;
	char tmp[128];
	if (code == CURLE_OPERATION_TIMEDOUT) {
		snprintf(tmp, sizeof tmp, "timed out after %ld ms", c->timeout_ms);
		why = tmp;
	} else if (code == CURLE_WRITE_ERROR && r->too_big) {
		snprintf(tmp, sizeof tmp, "response larger than %zu bytes", r->max);
		why = tmp;
	} else if (oserr != 0 && (code == CURLE_COULDNT_CONNECT ||
	                          code == CURLE_RECV_ERROR ||
	                          code == CURLE_SEND_ERROR)) {
		why = strerror((int)oserr);
	} else if (ebuf[0]) {
		why = ebuf;
	} else {
		why = curl_easy_strerror(code);
	}
	snprintf(r->err, HTTP_ERR_LEN, "GET %s: %s", w, why);
}

int http_get_all(http_client *c, http_req *reqs, size_t n)
{
	CURLM *m = c->multi;
	CURL **easy = calloc(n ? n : 1, sizeof *easy);
	char (*ebuf)[CURL_ERROR_SIZE] = calloc(n ? n : 1, CURL_ERROR_SIZE);
	if (!easy || !ebuf) {
		free(easy);
		free(ebuf);
		for (size_t i = 0; i < n; i++) {
			reqs[i].status = 0;
			snprintf(reqs[i].err, HTTP_ERR_LEN, "out of memory");
		}
		return 0;
	}
	c->stop_signal = 0;
	char url[2048];
	for (size_t i = 0; i < n; i++) {
		http_req *r = &reqs[i];
		http_req_free(r);
		r->status = 0;
		r->err[0] = '\0';
		r->api_version[0] = '\0';
		r->seconds = 0;
		r->max = c->max_body;
		r->too_big = 0;
		CURL *e = curl_easy_init();
		if (!e) {
			snprintf(r->err, HTTP_ERR_LEN, "cannot initialise libcurl");
			continue;
		}
		snprintf(url, sizeof url, "%s%s", c->target.base, r->path);
		curl_easy_setopt(e, CURLOPT_URL, url);
		if (c->target.unix_path[0])
			curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH,
			                 c->target.unix_path);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf[i]);
		curl_easy_setopt(e, CURLOPT_PRIVATE, r);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "kato-live/1");
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
		curl_multi_add_handle(m, e);
		easy[i] = e;
	}

	int running = 1;
	int answered = 0;
	int aborted = 0;
	while (running && !aborted) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (!running)
			break;
		struct curl_waitfd extra = {.fd = c->sigfd, .events = CURL_WAIT_POLLIN};
		int nfds = 0;
		curl_multi_poll(m, c->sigfd >= 0 ? &extra : NULL,
		                c->sigfd >= 0 ? 1 : 0, 1000, &nfds);
		if (c->sigfd >= 0 && (extra.revents & CURL_WAIT_POLLIN)) {
			int s;
			while ((s = sig_read(c->sigfd)) > 0)
				if (sig_is_stop(s)) {
					c->stop_signal = s;
					aborted = 1;
				}
		}
	}

	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		http_req *r;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		size_t i = (size_t)(r - reqs);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME, &r->seconds);
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
			                  &r->status);
			if (!r->body) {
				r->body = calloc(1, 1);
				r->cap = r->body ? 1 : 0;
			}
			answered++;
		} else {
			r->status = 0;
			fail(c, r, msg->easy_handle, msg->data.result, ebuf[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!easy[i])
			continue;
		http_req *r = &reqs[i];
		if (r->status == 0 && !r->err[0]) {
			char w[600];
			where(c, r, w, sizeof w);
			snprintf(r->err, HTTP_ERR_LEN, "GET %s: %s", w,
			         aborted ? "interrupted" : "no answer");
		}
		curl_multi_remove_handle(m, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	free(easy);
	free(ebuf);
	return aborted ? -1 : answered;
}

int http_get(http_client *c, http_req *r) { return http_get_all(c, r, 1); }

void http_where(const http_client *c, const http_req *r, char *buf,
                size_t len)
{
	where(c, r, buf, len);
}

size_t http_body_excerpt(const http_req *r, char *buf, size_t len)
{
	size_t j = 0;
	const unsigned char *b = (const unsigned char *)r->body;
	for (size_t i = 0; b && i < r->len && j + 1 < len;) {
		/* The text goes into JSON: whole UTF-8 characters only, '?'
		 * for a byte that is not one. */
		size_t n = js_utf8_seq(b + i, r->len - i);
		if (n > 1 && j + n < len) {
			memcpy(buf + j, b + i, n);
			j += n;
			i += n;
			continue;
		}
		if (n > 1)
			break; /* a character that does not fit: stop before it */
		unsigned char ch = b[i++];
		buf[j++] = n == 0 ? '?' : (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	if (len)
		buf[j] = '\0';
	return j;
}

void http_status_error(const http_client *c, const http_req *r,
                       char err[HTTP_ERR_LEN])
{
	char w[600];
	where(c, r, w, sizeof w);
	/* The start of the body, on one line, says what the server meant. */
	char excerpt[120];
	size_t j = http_body_excerpt(r, excerpt, sizeof excerpt);
	if (j)
		snprintf(err, HTTP_ERR_LEN, "GET %s: HTTP %ld: %s", w, r->status,
		         excerpt);
	else
		snprintf(err, HTTP_ERR_LEN, "GET %s: HTTP %ld", w, r->status);
}
