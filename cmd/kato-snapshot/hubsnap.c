#include "hubsnap.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "hubsock.h"
#include "js.h"

void hubsnap_free(hubsnap *s)
{
	cJSON_Delete(s->frame);
	cJSON_Delete(s->legacy);
	cJSON_Delete(s->alerts);
	s->frame = s->legacy = s->alerts = NULL;
}

/* Keep one line if it is a message we answer from. */
static void keep(hubsnap *s, const char *line, size_t len)
{
	char why[64];
	cJSON *j = js_parse(line, len, why, sizeof why);
	const char *type = j ? js_str(j, "type") : NULL;
	cJSON **slot = NULL;
	if (type && !strcmp(type, "realtime_update"))
		slot = &s->frame;
	else if (type && !strcmp(type, "metrics_update"))
		slot = &s->legacy;
	else if (type && !strcmp(type, "active_alerts"))
		slot = &s->alerts;
	if (!slot || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return;
	}
	cJSON_Delete(*slot);
	*slot = j;
}

/* Connect to the hub at path with the hello mode and read its answer
 * until it closes, within timeout_ms and max_bytes.  Returns an enum
 * hubsnap_status; on HUBSNAP_OK *buf (NUL-ended, caller frees) and *len
 * hold the answer. */
static int slurp(const char *path, const char *mode, int timeout_ms,
                 size_t max_bytes, char **bufp, size_t *lenp,
                 char err[HUBSNAP_ERR_LEN])
{
	char cerr[HUBSOCK_ERR_LEN];
	int fd = hubsock_connect(path, mode, cerr);
	if (fd < 0) {
		snprintf(err, HUBSNAP_ERR_LEN, "%s", cerr);
		return HUBSNAP_DOWN;
	}
	char *buf = malloc(max_bytes + 1);
	if (!buf) {
		close(fd);
		snprintf(err, HUBSNAP_ERR_LEN, "out of memory");
		return HUBSNAP_FAIL;
	}
	size_t len = 0;
	int rc = HUBSNAP_OK;
	int64_t deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			snprintf(err, HUBSNAP_ERR_LEN,
			         "read from %s: the hub sent no end of its %s "
			         "answer within %d ms", path, mode, timeout_ms);
			rc = HUBSNAP_FAIL;
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, HUBSNAP_ERR_LEN, "poll: %s", strerror(errno));
			rc = HUBSNAP_FAIL;
			break;
		}
		if (n == 0)
			continue; /* the deadline check above ends it */
		if (len == max_bytes) {
			snprintf(err, HUBSNAP_ERR_LEN,
			         "read from %s: %s answer larger than %zu bytes",
			         path, mode, max_bytes);
			rc = HUBSNAP_FAIL;
			break;
		}
		ssize_t r = read(fd, buf + len, max_bytes - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, HUBSNAP_ERR_LEN, "read from %s: %s", path,
			         strerror(errno));
			rc = HUBSNAP_FAIL;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (rc != HUBSNAP_OK) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return HUBSNAP_OK;
}

int hubsnap_fetch(const char *path, int timeout_ms, size_t max_bytes,
                  hubsnap *s, char err[HUBSNAP_ERR_LEN])
{
	s->frame = s->legacy = s->alerts = NULL;
	char *buf;
	size_t len;
	int rc = slurp(path, "snap", timeout_ms, max_bytes, &buf, &len, err);
	if (rc != HUBSNAP_OK)
		return rc;
	char *p = buf, *end = buf + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l)
			keep(s, p, l);
		p += l + 1;
	}
	free(buf);
	return HUBSNAP_OK;
}

int hubsnap_stats(const char *path, int timeout_ms, cJSON **stats,
                  char err[HUBSNAP_ERR_LEN])
{
	*stats = NULL;
	char *buf;
	size_t len;
	int rc = slurp(path, "stats", timeout_ms, HUBSNAP_STATS_MAX, &buf, &len,
	               err);
	if (rc != HUBSNAP_OK)
		return rc;
	char why[64];
	size_t l = strcspn(buf, "\n");
	cJSON *j = l ? js_parse(buf, l, why, sizeof why) : NULL;
	const char *type = js_str(j, "type");
	if (j && cJSON_IsObject(j) && type && !strcmp(type, "hub_stats"))
		*stats = j;
	else
		cJSON_Delete(j);
	free(buf);
	return HUBSNAP_OK;
}
