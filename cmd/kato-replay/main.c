/* kato-replay - play a recorded NDJSON stream at its original pace.
 *
 * A recording is what any stage wrote (`tee` of kato-alerts' output, or
 * of a collector's).  Each line's time is its top-level "timestamp"
 * (messages) or "ts" (collector records); line k is written when
 * (t_k - t_0) / speed has passed since the first, so an incident replays
 * through kato-hub and the page as it happened.  Lines without a time,
 * and lines whose time goes backwards, follow the previous one at once.
 * Lines are copied byte for byte unless --retime rewrites their time to
 * the moment they are written (so kato-snapshot and the page take them
 * as live).  Waits are on CLOCK_MONOTONIC from one start: a late line
 * never shifts the ones after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "exitcode.h"
#include "js.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"

static const char usage_text[] =
    "usage: kato-replay [--speed N] [--retime] FILE\n"
    "\n"
    "Write the lines of a recorded NDJSON stream (FILE, or - for stdin) to\n"
    "stdout at the pace of their timestamps.\n"
    "\n"
    "  -s, --speed N   play N times as fast (1; 0 = no waiting)\n"
    "  -r, --retime    rewrite each line's \"timestamp\" or \"ts\" to the time\n"
    "                  it is written\n"
    "  -h, --help      show this text\n";

/* The line's time field ("timestamp" or "ts") as epoch ms; the parsed
 * line in *json when it is JSON (the caller frees).  Returns 0 or -1. */
static int line_time(const char *line, size_t len, int64_t *ms, cJSON **json)
{
	char why[64];
	*json = js_parse(line, len, why, sizeof why);
	if (!cJSON_IsObject(*json))
		return -1;
	const char *t = js_str(*json, "timestamp");
	if (!t)
		t = js_str(*json, "ts");
	if (!t || strlen(t) >= CLOCK_ISO_LEN)
		return -1;
	return clock_parse_iso(t, ms);
}

/* Replace the time field of j with iso and write it. */
static int write_retimed(cJSON *j, const char *iso)
{
	const char *key = cJSON_GetObjectItemCaseSensitive(j, "timestamp") ? "timestamp" : "ts";
	cJSON *s = cJSON_CreateString(iso);
	if (!s || !cJSON_ReplaceItemInObjectCaseSensitive(j, key, s)) {
		cJSON_Delete(s);
		errno = ENOMEM;
		return -1;
	}
	return ndj_write(stdout, j);
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	static const struct option opts[] = {
	    {"speed", required_argument, NULL, 's'},
	    {"retime", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	double speed = 1;
	int retime = 0, o;
	while ((o = getopt_long(argc, argv, "s:rh", opts, NULL)) != -1) {
		switch (o) {
		case 's': {
			char *end;
			errno = 0;
			speed = strtod(optarg, &end);
			if (end == optarg || *end || errno || !isfinite(speed) || speed < 0 ||
			    speed > 1e6)
				log_usage("bad --speed '%s': want a number from 0 to 1000000", optarg);
			break;
		}
		case 'r': retime = 1; break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (argc - optind != 1)
		log_usage("one FILE to replay (- for stdin)");
	const char *path = argv[optind];
	int fd = 0;
	if (strcmp(path, "-") && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		log_die(KL_EXIT_TEMP, "unable to open %s: %s", path, strerror(errno));
	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s", strerror(errno));
	ndj_reader r;
	if (ndj_reader_init(&r, fd, NDJ_LINE_MAX) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
	r.chunk = 64 << 10;

	int rc = KL_EXIT_OK, have_base = 0, stop = 0;
	int64_t t0 = 0, start_mono = 0, start_wall = 0, last_off = 0;
	unsigned long untimed = 0;
	for (;;) {
		char *line;
		size_t len;
		int st = ndj_getline(&r, &line, &len);
		if (st == NDJ_EOF)
			break;
		if (st < 0) {
			log_warn("unable to read %s: %s", path, strerror(errno));
			rc = KL_EXIT_TEMP;
			break;
		}
		if (st == NDJ_TOOLONG) {
			log_warn("line %lu: longer than %u bytes: skipped", r.lineno, NDJ_LINE_MAX);
			continue;
		}
		int64_t t;
		cJSON *j = NULL;
		int timed = line_time(line, len, &t, &j) == 0;
		if (!timed && !untimed++)
			log_warn("line %lu: no \"timestamp\" or \"ts\": written at once (said once)",
			         r.lineno);
		int64_t off = last_off; /* ms after the start, in replay time */
		if (timed && !have_base) {
			have_base = 1;
			t0 = t;
			start_mono = clock_mono_ms();
			start_wall = clock_wall_ms();
			off = 0;
		} else if (timed && speed > 0) {
			off = (int64_t)llround((double)(t - t0) / speed);
			if (off < last_off)
				off = last_off; /* backwards: at once, after the previous */
		}
		last_off = off;
		if (timed && speed > 0) {
			int64_t wait = start_mono + off - clock_mono_ms();
			if (wait > 0 && sig_is_stop(sig_sleep_ms(sigfd, wait > 86400000 ? 86400000 : (int)wait)))
				stop = 1;
		}
		if (stop) {
			cJSON_Delete(j);
			break;
		}
		int w;
		if (retime && timed) {
			char iso[CLOCK_ISO_LEN];
			w = write_retimed(j, clock_iso_ms(iso, start_wall + off));
		} else {
			w = ndj_write_line(stdout, line, len);
		}
		cJSON_Delete(j);
		if (w < 0) {
			if (errno != EPIPE) {
				log_warn("unable to write to stdout: %s", strerror(errno));
				rc = KL_EXIT_TEMP;
			}
			break;
		}
		/* a stop signal between lines */
		int s;
		while ((s = sig_read(sigfd)) != 0)
			if (sig_is_stop(s))
				stop = 1;
		if (stop)
			break;
	}
	ndj_reader_free(&r);
	close(sigfd);
	if (fd > 0)
		close(fd);
	return rc;
}
