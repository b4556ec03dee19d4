/* filter.h - the loop of a filter tool: NDJSON lines from an fd, each
 * handed to a callback, until end of input, a stop signal, or a callback
 * says stop; and, if asked for, a tick callback every tick_ms on the
 * monotonic clock (absolute deadlines), whether lines come or not.
 *
 * Signals come through sig.h's signalfd (filter_run sets it up and
 * closes it): SIGTERM, SIGINT and SIGHUP stop the loop, others (SIGCHLD)
 * are consumed.  A line over line_max bytes is skipped and handed to
 * too_long (when set).  Lines already read are handed on before a stop
 * signal is looked at, so none read is lost; end of input hands on a
 * final line without '\n'.
 *
 * Never prints, never exits: the tool's callbacks say what they do, and
 * filter_run returns how the loop ended.
 */
#ifndef KL_FILTER_H
#define KL_FILTER_H

#include <stddef.h>

#define FILTER_ERR_LEN 256

typedef struct filter_ops {
	/* One line, without its '\n' and NUL-ended (valid until the callback
	 * returns; it may be changed in place), and its number (from 1).
	 * Return 0 to go on, -1 to stop (errno says why: EPIPE when the
	 * reader of the tool's output went away). */
	int (*line)(void *ctx, char *line, size_t len, unsigned long lineno);
	/* A line over line_max was skipped (NULL: skipped silently).  Returns
	 * as line does. */
	int (*too_long)(void *ctx, unsigned long lineno);
	/* Called every tick_ms (NULL, or tick_ms <= 0: never); a tick that
	 * falls due while lines are handled is called between two lines.
	 * Returns as line does. */
	int (*tick)(void *ctx);
	int tick_ms;
	void *ctx;          /* given to every callback */
	size_t line_max;    /* the longest line handed on (NDJ_LINE_MAX) */
	size_t chunk;       /* most bytes read at once (0: as many as fit) */
} filter_ops;

/* How filter_run ended. */
enum filter_end {
	FILTER_EOF = 0,     /* end of input: every line was handed on */
	FILTER_SIGNAL = 1,  /* a stop signal */
	FILTER_STOPPED = 2, /* a callback returned -1; errno is as it left it */
	FILTER_FAIL = -1,   /* reading, polling or setting up failed: err says */
};

/* Run the loop on fd (non-blocking or not).  Returns how it ended. */
enum filter_end filter_run(int fd, const filter_ops *ops, char err[FILTER_ERR_LEN]);

#endif
