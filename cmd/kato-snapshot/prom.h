/* prom.h - what the hub holds, in Prometheus' text exposition format
 * (version 0.0.4), for GET /metrics.
 *
 * The numbers are the ones the page gets: the newest realtime_update
 * frame (KATO's metrics and health, containers, sessions, each source's
 * state, kato-merge's own counters), the retained active_alerts message,
 * and the hub's "stats" answer.  A value the input does not hold, or holds
 * as null, is left out, never written as 0.  A section whose source is
 * stale, and everything from a frame older than its allowance, is left out
 * too (Prometheus would store an old number as a current one): the
 * kato_live_source_* and kato_live_frame_* series say why it is missing.
 *
 * Names follow Prometheus' conventions (units in the name, counters end
 * in _total); label values are escaped as the format wants (\\, \", \n)
 * and bytes that are not UTF-8 become U+FFFD.  No label carries a session
 * id.  Never prints and never exits: it writes to the stream it is given.
 */
#ifndef KS_PROM_H
#define KS_PROM_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A frame older than this many of its intervals is stale as a whole
 * (kato-snapshot's HTTP fallback uses the same allowance). */
#define PROM_STALE_INTERVALS 3

/* What to expose.  Every pointer may be NULL: that part is then missing
 * (the hub retained no frame, no active_alerts, did not answer stats). */
typedef struct prom_input {
	int hub_up;             /* the hub answered the snapshot request */
	const cJSON *frame;     /* newest {"type":"realtime_update",...} */
	const cJSON *alerts;    /* newest {"type":"active_alerts",...} */
	const cJSON *hub_stats; /* {"type":"hub_stats",...} */
	int64_t now_ms;         /* wall clock, epoch ms: ages are from here */
} prom_input;

/* Write the exposition of in to f.  Returns 0, or -1 if writing to f
 * failed (errno as the stream left it). */
int prom_write(FILE *f, const prom_input *in);

/* Write s to f as a label value: UTF-8 checked (a bad byte becomes
 * U+FFFD), backslash, double quote and newline escaped.  Exposed for the
 * unit tests.  Returns 0, or -1 on a write error. */
int prom_label_value(FILE *f, const char *s);

/* Format v as Prometheus reads it: an integer below 2^53 in full, else
 * the shorter of %.15g / %.17g that reads back as v; "+Inf", "-Inf" or
 * "NaN".  buf holds at least 32 bytes.  Returns buf. */
char *prom_number(char *buf, double v);

#endif
