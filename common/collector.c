#include "collector.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "exitcode.h"
#include "log.h"
#include "ndj.h"
#include "rec.h"
#include "sig.h"

void collector_init(collector *c, const char *source)
{
	memset(c, 0, sizeof *c);
	c->source = source;
	c->interval_ns = 3000000000LL;
	c->sigfd = sig_setup();
	if (c->sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s",
		        strerror(errno));
}

/* The collector's host name in rec, when it has one to give. */
static void add_host(const collector *c, cJSON *rec)
{
	if (c->host && *c->host && !cJSON_HasObjectItem(rec, "host"))
		cJSON_AddStringToObject(rec, "host", c->host);
}

int collector_emit(collector *c, cJSON *rec)
{
	if (!rec) {
		log_warn("out of memory building a record");
		return 0;
	}
	add_host(c, rec);
	char *text = cJSON_PrintUnformatted(rec);
	int r;
	if (!text) {
		log_warn("out of memory printing a record");
		cJSON_Delete(rec);
		return 0;
	}
	size_t len = strlen(text);
	if (len > NDJ_LINE_MAX) {
		/* Said in the stream, so that the source is failing, not dark. */
		char err[160];
		snprintf(err, sizeof err,
		         "record of %zu bytes is over the %u-byte line limit: not sent",
		         len, NDJ_LINE_MAX);
		if (strncmp(c->last_err, "record of ", 10) != 0)
			log_warn("%s", err); /* said once while it lasts */
		snprintf(c->last_err, sizeof c->last_err, "%s", err);
		cJSON_free(text);
		cJSON_Delete(rec);
		cJSON *f = rec_fail(c->source, err);
		if (!f)
			return 1;
		add_host(c, f);
		r = ndj_write(stdout, f);
		cJSON_Delete(f);
		if (r == 0)
			return 1;
	} else {
		r = ndj_write_line(stdout, text, len);
		cJSON_free(text);
		cJSON_Delete(rec);
	}
	if (r < 0) {
		if (errno != EPIPE)
			log_warn("unable to write to stdout: %s", strerror(errno));
		c->output_closed = 1;
		return -1;
	}
	return 0;
}

/* One sample, its record, its log lines.  Returns 0 ok, -1 failed,
 * -2 stop. */
static int sample_once(collector *c)
{
	cJSON *data = NULL;
	char err[COLLECTOR_ERR_LEN] = "";
	int r = c->sample(c, &data, err);
	if (r == -2 || c->output_closed) {
		cJSON_Delete(data);
		return -2;
	}
	if (r == 0) {
		int e = collector_emit(c, rec_ok(c->source, data));
		if (e < 0)
			return -2;
		if (e > 0) {
			c->failures++; /* what was sent says it failed */
			return -1;
		}
		if (c->failures > 0 && !c->once)
			log_info("recovered after %u failed samples",
			         c->failures);
		c->failures = 0;
		c->last_err[0] = '\0';
		return 0;
	}
	c->failures++;
	if (!err[0])
		snprintf(err, sizeof err, "sample failed");
	if (c->once || strcmp(err, c->last_err) != 0)
		log_warn("%s", err);
	snprintf(c->last_err, sizeof c->last_err, "%s", err);
	cJSON *rec = rec_fail(c->source, err);
	if (rec && data)
		cJSON_AddItemToObject(rec, "data", data); /* what was known */
	else
		cJSON_Delete(data);
	if (collector_emit(c, rec) < 0)
		return -2;
	return -1;
}

int collector_run(collector *c)
{
	if (c->once) {
		int r = sample_once(c);
		return r == 0 ? KL_EXIT_OK : KL_EXIT_NO;
	}
	tick_t t;
	tick_init_aligned(&t, c->interval_ns);
	/* The first sample is taken at once, the next ones on the ticks,
	 * failed or not: the backoff is capped at one tick, so that a target
	 * back is seen within a tick and a failing target still gives a
	 * record every tick (a source reporting "down" is not stale). */
	for (;;) {
		int r = sample_once(c);
		if (r == -2)
			return KL_EXIT_OK;
		do {
			if (sig_sleep_ms(c->sigfd, tick_timeout_ms(&t)) != 0)
				return KL_EXIT_OK;
		} while (!tick_take(&t));
	}
}
