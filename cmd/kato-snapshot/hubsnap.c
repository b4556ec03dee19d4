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

int hubsnap_fetch(const char *path, int timeout_ms, size_t max_bytes,
                  hubsnap *s, char err[HUBSNAP_ERR_LEN])
{
	s->frame = s->legacy = s->alerts = NULL;
	char cerr[HUBSOCK_ERR_LEN];
	int fd = hubsock_connect(path, "snap", cerr);
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
			         "read from %s: the hub sent no end of snapshot "
			         "within %d ms", path, timeout_ms);
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
			         "read from %s: snapshot larger than %zu bytes",
			         path, max_bytes);
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
	if (rc == HUBSNAP_OK) {
		buf[len] = '\0';
		char *p = buf, *end = buf + len;
		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (l)
				keep(s, p, l);
			p += l + 1;
		}
	}
	free(buf);
	return rc;
}
