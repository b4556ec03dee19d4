/* collector.h - the loop every collector runs.
 *
 * A collector samples its target once per tick (aligned to the wall
 * clock, drift-free) and writes one record per sample on stdout.  When a
 * sample fails it writes an ok:false record and tries again at the next
 * tick: its backoff is capped at one tick (a request's own timeout bounds
 * its cost), so a failing target still gives a record each tick and a
 * target that is back is seen within one.  It logs a failure on stderr
 * when it starts or its reason changes, and logs recovery once.
 * It never exits because its target is down.
 *
 * SIGTERM/SIGINT/SIGHUP stop it at once (even mid-request, through
 * collector.sigfd); a closed stdout (EPIPE) stops it quietly.
 *
 * --once: one sample; exit 0 when it succeeded, 1 (after saying why on
 * stderr) when it did not.  The record is written in both cases.
 */
#ifndef KL_COLLECTOR_H
#define KL_COLLECTOR_H

#include <stdint.h>

#include <cjson/cJSON.h>

#define COLLECTOR_ERR_LEN 512

typedef struct collector collector;

/* Take one sample.  On success return 0 and set *data (a new object the
 * loop takes).  On failure return -1 with err filled; it may also set
 * *data to what was known despite the failure, which the loop puts in the
 * ok:false record as "data" (and frees otherwise).  Return -2 if a
 * stop signal interrupted the sample.  It may write extra records (events)
 * with collector_emit. */
typedef int (*collector_sample_fn)(collector *c, cJSON **data,
                                   char err[COLLECTOR_ERR_LEN]);

struct collector {
	const char *source;         /* record "source", e.g. "kato-metrics" */
	const char *host;           /* record "host" (the machine sampled from),
	                             * NULL or "" for none; collector_emit adds
	                             * it to every record that has none */
	int64_t interval_ns;        /* sampling period */
	int once;                   /* --once: one sample, then exit */
	int sigfd;                  /* set by collector_init: stop signals */
	collector_sample_fn sample; /* the tool's sampler */
	void *ctx;                  /* the tool's state */
	unsigned failures;          /* consecutive failed samples */
	int output_closed;          /* stdout's reader went away */
	char last_err[COLLECTOR_ERR_LEN]; /* last failure logged */
};

/* Set defaults (3 s, not once) and take signals over.  Exits with 111 if
 * signals cannot be set up. */
void collector_init(collector *c, const char *source);

/* Write a record to stdout, flushed, and free it.  A record over
 * NDJ_LINE_MAX is not sent: an ok:false record saying so goes instead.
 * Returns 0, 1 when it sent that failure instead, or -1 when stdout is
 * closed (c->output_closed is then set; the loop ends). */
int collector_emit(collector *c, cJSON *rec);

/* Run until stopped.  Returns the exit code for main. */
int collector_run(collector *c);

#endif
