/* filter.c - see filter.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "filter.h"
#include "ndj.h"
#include "sig.h"

/* Call the tick when due; advance its deadline past now.  Returns 0, or
 * -1 when the tick says stop. */
static int tick_due(const filter_ops *ops, int64_t *next_ms)
{
	if (!ops->tick || ops->tick_ms <= 0)
		return 0;
	int64_t now = clock_mono_ms();
	if (now < *next_ms)
		return 0;
	/* absolute deadlines; ticks missed (a long line, a stopped process)
	 * are one tick, not a burst */
	*next_ms += ops->tick_ms;
	if (*next_ms <= now)
		*next_ms = now + ops->tick_ms;
	return ops->tick(ops->ctx);
}

enum filter_end filter_run(int fd, const filter_ops *ops, char err[FILTER_ERR_LEN])
{
	int sigfd = sig_setup();
	if (sigfd < 0) {
		snprintf(err, FILTER_ERR_LEN, "unable to set up signals: %s", strerror(errno));
		return FILTER_FAIL;
	}
	ndj_reader r;
	if (ndj_reader_init(&r, fd, ops->line_max) < 0) {
		snprintf(err, FILTER_ERR_LEN, "out of memory");
		close(sigfd);
		return FILTER_FAIL;
	}
	r.chunk = ops->chunk;
	int ticking = ops->tick && ops->tick_ms > 0;
	int64_t next_ms = ticking ? clock_mono_ms() + ops->tick_ms : 0;
	enum filter_end end = FILTER_EOF;
	int saved = 0;
	for (;;) {
		char *line;
		size_t len;
		enum ndj_status s;
		while ((s = ndj_next(&r, &line, &len)) == NDJ_LINE || s == NDJ_TOOLONG) {
			int w = s == NDJ_LINE ? ops->line(ops->ctx, line, len, r.lineno)
			        : ops->too_long ? ops->too_long(ops->ctx, r.lineno) : 0;
			if (w == 0)
				w = tick_due(ops, &next_ms);
			if (w < 0) {
				saved = errno;
				end = FILTER_STOPPED;
				goto out;
			}
		}
		if (s == NDJ_EOF)
			break;
		int timeout = -1;
		if (ticking) {
			int64_t left = next_ms - clock_mono_ms();
			timeout = left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
		}
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = sigfd, .events = POLLIN}};
		int n = poll(p, 2, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, FILTER_ERR_LEN, "poll: %s", strerror(errno));
			end = FILTER_FAIL;
			break;
		}
		if (p[1].revents && sig_is_stop(sig_read(sigfd))) {
			end = FILTER_SIGNAL;
			break;
		}
		if (p[0].revents) {
			long got = ndj_fill(&r);
			if (got < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(err, FILTER_ERR_LEN, "unable to read input: %s", strerror(errno));
				end = FILTER_FAIL;
				break;
			}
		}
		if (tick_due(ops, &next_ms) < 0) {
			saved = errno;
			end = FILTER_STOPPED;
			break;
		}
	}
out:
	ndj_reader_free(&r);
	close(sigfd);
	if (end == FILTER_STOPPED)
		errno = saved;
	return end;
}
