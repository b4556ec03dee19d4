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
#include "ndj.h"

void hubsnap_free(hubsnap *s)
{
	cJSON_Delete(s->frame);
	cJSON_Delete(s->legacy);
	s->frame = s->legacy = NULL;
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
	if (!slot || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return;
	}
	cJSON_Delete(*slot);
	*slot = j;
}

int hubsnap_fetch(const char *path, int timeout_ms, size_t max_line,
                  hubsnap *s, char err[HUBSNAP_ERR_LEN])
{
	s->frame = s->legacy = NULL;
	char cerr[HUBSOCK_ERR_LEN];
	int fd = hubsock_connect(path, "snap", cerr);
	if (fd < 0) {
		snprintf(err, HUBSNAP_ERR_LEN, "%s", cerr);
		return HUBSNAP_DOWN;
	}
	/* Line by line, keeping only what is answered from: the hub also
	 * sends every open session's session_update, which may add up to
	 * far more than any one message. */
	ndj_reader r;
	if (ndj_reader_init(&r, fd, max_line) < 0) {
		close(fd);
		snprintf(err, HUBSNAP_ERR_LEN, "out of memory");
		return HUBSNAP_FAIL;
	}
	r.chunk = 64 * 1024;
	int rc = HUBSNAP_OK;
	int64_t deadline = clock_mono_ms() + timeout_ms;
	for (int done = 0; !done;) {
		char *line;
		size_t len;
		enum ndj_status st = ndj_next(&r, &line, &len);
		if (st == NDJ_LINE) {
			if (len)
				keep(s, line, len);
			continue;
		}
		if (st == NDJ_TOOLONG) {
			snprintf(err, HUBSNAP_ERR_LEN,
			         "read from %s: a retained message longer than %zu "
			         "bytes", path, max_line);
			rc = HUBSNAP_FAIL;
			break;
		}
		if (st == NDJ_EOF)
			break;
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
		if (n < 0 && errno != EINTR) {
			snprintf(err, HUBSNAP_ERR_LEN, "poll: %s", strerror(errno));
			rc = HUBSNAP_FAIL;
			break;
		}
		if (n <= 0)
			continue; /* the deadline check above ends it */
		if (ndj_fill(&r) < 0 && errno != EINTR) {
			snprintf(err, HUBSNAP_ERR_LEN, "read from %s: %s", path,
			         strerror(errno));
			rc = HUBSNAP_FAIL;
			done = 1;
		}
	}
	close(fd);
	ndj_reader_free(&r);
	if (rc != HUBSNAP_OK)
		hubsnap_free(s);
	return rc;
}
