/* kato-history - a filter: copy the stream through, keep its numbers on
 * disk.
 *
 * Reads NDJSON on stdin (kato-alerts' output), writes every line to
 * stdout unchanged and at once, then stores the numbers of each
 * realtime_update frame (points.h) in the history store (hist.h) at the
 * frame's own timestamp, and keeps system_alert and session_event
 * messages as marks.  The store's clock is the frames' timestamps: a
 * recorded or simulated week replayed through it is stored as that week.
 *
 * Why a filter and not a hub subscriber: it sees every message in order
 * (the hub cuts off a subscriber that falls behind, and hands a newcomer
 * its retained messages again), needs no reconnect logic, and its writes
 * are one pwrite per block into the page cache, after the line has been
 * passed on.  When the store cannot be opened or written, it says so and
 * keeps copying: history is never worth stopping the live stream for.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "filter.h"
#include "hist.h"
#include "js.h"
#include "log.h"
#include "ndj.h"
#include "points.h"

static const char usage_text[] =
    "usage: kato-history [--dir DIR] [--sink] [--fine-step SECONDS]\n"
    "                    [--fine-span SECONDS] [--coarse-span SECONDS]\n"
    "                    [--hour-span SECONDS] [--max-series N] [--max-marks N]\n"
    "\n"
    "Copy NDJSON from stdin to stdout unchanged and keep the numbers of\n"
    "every realtime_update frame, and the alerts and session events, in a\n"
    "history store on disk (read it with kato-history-query).\n"
    "\n"
    "  -d, --dir DIR            the store (default $KATO_LIVE_HISTORY_DIR, else\n"
    "                           $STATE_DIRECTORY/history, else\n"
    "                           /var/lib/kato-live/history for root, else\n"
    "                           $XDG_STATE_HOME/kato-live/history)\n"
    "  -s, --sink               write nothing to stdout (store only)\n"
    "      --print-dir          print the store's folder and exit\n"
    "      --fine-step SECONDS  fine tier step (3)\n"
    "      --fine-span SECONDS  fine tier kept for (3600)\n"
    "      --coarse-span SECONDS  per-minute min/avg/max kept for (604800)\n"
    "      --hour-span SECONDS  per-hour min/avg/max kept for (7776000, 90 d):\n"
    "                           whole hours, at least the coarse span\n"
    "      --max-series N       most series, a multiple of 64 (1024)\n"
    "      --max-marks N        alert and session marks kept (4096)\n"
    "  -h, --help               show this text\n"
    "\n"
    "Tiers and bounds are fixed when a store is made.\n";

enum { OPT_FSTEP = 256, OPT_FSPAN, OPT_CSPAN, OPT_HSPAN, OPT_SERIES, OPT_MARKS, OPT_PRINT };

static const struct option long_opts[] = {
    {"dir", required_argument, NULL, 'd'},
    {"sink", no_argument, NULL, 's'},
    {"print-dir", no_argument, NULL, OPT_PRINT},
    {"fine-step", required_argument, NULL, OPT_FSTEP},
    {"fine-span", required_argument, NULL, OPT_FSPAN},
    {"coarse-span", required_argument, NULL, OPT_CSPAN},
    {"hour-span", required_argument, NULL, OPT_HSPAN},
    {"max-series", required_argument, NULL, OPT_SERIES},
    {"max-marks", required_argument, NULL, OPT_MARKS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A whole number from lo to hi, or a usage error. */
static int64_t whole(const char *what, const char *s, int64_t lo, int64_t hi)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi)
		log_usage("bad %s '%s': want a whole number from %lld to %lld", what, s,
		          (long long)lo, (long long)hi);
	return v;
}

typedef struct state {
	hist *h;                /* NULL: the store is unavailable */
	points pts;
	marks_state marks;
	unsigned long dropped, old, bad, failures;
	int64_t warned_ms;      /* last "unable to write" said */
	int sink;
} state;

/* Say a store failure, at most once a minute. */
static void store_failed(state *st, const char *err)
{
	st->failures++;
	int64_t now = clock_mono_ms();
	if (st->warned_ms && now - st->warned_ms < 60000)
		return;
	st->warned_ms = now;
	log_warn("history not stored (%lu failures so far): %s", st->failures, err);
}

static void store(state *st, const char *line, size_t len, unsigned long lineno)
{
	char why[128], err[HIST_ERR_LEN];
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j) {
		if (!st->bad++)
			log_warn("line %lu: not JSON (%s): copied through, not stored",
			         lineno, why);
		return;
	}
	const char *type = js_str(j, "type");
	const char *ts = js_str(j, "timestamp");
	int64_t ms;
	if (!type || (strcmp(type, "realtime_update") && strcmp(type, "system_alert") &&
	              strcmp(type, "session_event"))) {
		cJSON_Delete(j);
		return;
	}
	if (!ts || strlen(ts) >= CLOCK_ISO_LEN || clock_parse_iso(ts, &ms) < 0 || ms < 0) {
		if (!st->bad++)
			log_warn("line %lu: a %s without a valid \"timestamp\": not stored",
			         lineno, type);
		cJSON_Delete(j);
		return;
	}
	if (!strcmp(type, "realtime_update")) {
		unsigned long bad_names = st->pts.bad_names;
		if (points_from_frame(j, &st->pts) < 0) {
			store_failed(st, "out of memory");
		} else {
			unsigned long dropped = st->dropped;
			enum hist_put_status r =
			    hist_put(st->h, ms, st->pts.p, st->pts.n, &st->dropped, err);
			if (r == HIST_FAIL)
				store_failed(st, err);
			else if (r == HIST_BACK)
				log_warn("line %lu: frame at %s is more than the fine span before the "
				         "last one stored: the clock went back; storing from here",
				         lineno, ts);
			else if (r == HIST_OLD && !st->old++)
				log_warn("line %lu: frame at %s is older than the last one stored: "
				         "skipped (said once)", lineno, ts);
			if (st->dropped > dropped && dropped == 0)
				log_warn("more series than --max-series %u: new ones not stored",
				         hist_config(st->h)->max_series);
			if (st->pts.bad_names > bad_names && bad_names == 0)
				log_warn("line %lu: a container name that is not [A-Za-z0-9_.-]{1,%d}: "
				         "not stored (said once)", lineno, POINTS_NAME_MAX);
		}
	} else {
		cJSON *out = cJSON_CreateArray();
		if (!out || marks_from_message(&st->marks, j, out) < 0) {
			store_failed(st, "out of memory");
		} else {
			const cJSON *m;
			cJSON_ArrayForEach(m, out)
				if (hist_mark(st->h, ms, m->valuestring, strlen(m->valuestring), err) < 0)
					store_failed(st, err);
		}
		cJSON_Delete(out);
	}
	cJSON_Delete(j);
}

/* Each line: passed on at once, then stored. */
static int on_line(void *ctx, char *line, size_t len, unsigned long lineno)
{
	state *st = ctx;
	if (!st->sink && ndj_write_line(stdout, line, len) < 0)
		return -1;
	if (st->h)
		store(st, line, len, lineno);
	return 0;
}

static int on_too_long(void *ctx, unsigned long lineno)
{
	(void)ctx;
	log_warn("line %lu: longer than %u bytes: dropped", lineno, NDJ_LINE_MAX);
	return 0;
}

static int run(state *st)
{
	/* frames are small: read 64 kB at once, keep resident what they need */
	filter_ops ops = {.line = on_line, .too_long = on_too_long, .ctx = st,
	                  .line_max = NDJ_LINE_MAX, .chunk = 64 << 10};
	char err[FILTER_ERR_LEN];
	enum filter_end end = filter_run(0, &ops, err);
	if (end == FILTER_FAIL) {
		log_warn("%s", err);
		return KL_EXIT_TEMP;
	}
	if (end == FILTER_STOPPED && errno != EPIPE) {
		log_warn("unable to write to stdout: %s", strerror(errno));
		return KL_EXIT_TEMP;
	}
	return KL_EXIT_OK;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char err[HIST_ERR_LEN > CFG_ERR_LEN ? HIST_ERR_LEN : CFG_ERR_LEN];
	if (cfg_init(err) < 0)
		log_die(KL_EXIT_USAGE, "%s", err);
	hist_cfg c;
	hist_cfg_defaults(&c);
	state st;
	memset(&st, 0, sizeof st);
	char dir[PATH_MAX - 64] = "";
	const char *d = cfg_get("KATO_LIVE_HISTORY_DIR");
	if (d && *d)
		snprintf(dir, sizeof dir, "%s", d);
	int o, print = 0;
	while ((o = getopt_long(argc, argv, "d:sh", long_opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			if (!*optarg || strlen(optarg) >= sizeof dir)
				log_usage("bad --dir: empty or too long");
			snprintf(dir, sizeof dir, "%s", optarg);
			break;
		case 's': st.sink = 1; break;
		case OPT_PRINT: print = 1; break;
		case OPT_FSTEP: c.fine_step_ms = whole("--fine-step", optarg, 1, 3600) * 1000; break;
		case OPT_FSPAN: c.fine_span_ms = whole("--fine-span", optarg, 60, 86400 * 7) * 1000; break;
		case OPT_CSPAN: c.coarse_span_ms = whole("--coarse-span", optarg, 60, 86400 * 3660) * 1000; break;
		case OPT_HSPAN: c.hour_span_ms = whole("--hour-span", optarg, 3600, 86400LL * 3660) * 1000; break;
		case OPT_SERIES: c.max_series = (uint32_t)whole("--max-series", optarg, 64, 65536); break;
		case OPT_MARKS: c.max_marks = (uint32_t)whole("--max-marks", optarg, 16, 1000000); break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument '%s' (the stream comes on stdin)", argv[optind]);
	if (hist_cfg_check(&c, err) < 0)
		log_usage("%s", err);
	if (!*dir && hist_default_dir(dir, sizeof dir) < 0)
		log_usage("no history folder: set --dir or KATO_LIVE_HISTORY_DIR");
	if (print) {
		printf("%s\n", dir);
		cfg_free();
		return fflush(stdout) == 0 ? KL_EXIT_OK : KL_EXIT_TEMP;
	}
	st.h = hist_open(dir, &c, 1, err);
	if (!st.h) {
		if (st.sink)
			log_die(KL_EXIT_TEMP, "unable to open the history store: %s", err);
		log_warn("unable to open the history store: %s: copying the stream "
		         "through without keeping it", err);
	}
	int rc = run(&st);
	points_free(&st.pts);
	hist_close(st.h);
	cfg_free();
	return rc;
}
