/* kato-alerts - a filter: copy frames through, add system alerts.
 *
 * Reads NDJSON on stdin (kato-merge's output) and writes every line to
 * stdout at once: unchanged, except that each realtime_update frame gains
 * data.thresholds (the thresholds in force, for the page's colours).
 * After each frame it writes the system_alert and active_alerts messages
 * that frame calls for (rules.h).  A line that is not JSON is still copied
 * through, and said on stderr; a line over NDJ_LINE_MAX is replaced by an
 * error message in the stream.  With WEBSOCKET_SYSTEM_ALERTS=false it only
 * copies (thresholds included).
 *
 * --once: read one frame (the last realtime_update of the input, a file or
 * stdin), print a system_alert for each alert that holds in it, exit 1 if
 * any does, else 0.
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

#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "filter.h"
#include "js.h"
#include "log.h"
#include "ndj.h"
#include "rules.h"
#include "splice.h"

static const char usage_text[] =
    "usage: kato-alerts [--cpu PCT] [--cpu-error PCT] [--memory PCT]\n"
    "                   [--memory-error PCT] [--error-rate FRAC]\n"
    "                   [--error-rate-error FRAC] [--consecutive N]\n"
    "                   [--hysteresis PCT] [--cooldown SECONDS]\n"
    "                   [--clear-frames N] [--host-cpu PCT]\n"
    "                   [--host-memory PCT] [--containers PATTERNS]\n"
    "       kato-alerts --once [options] [FRAME-FILE]\n"
    "\n"
    "Copy realtime_update frames from stdin to stdout (adding the thresholds\n"
    "in force as data.thresholds) and add system_alert and active_alerts\n"
    "messages when thresholds are crossed and when they clear.\n"
    "\n"
    "  -c, --cpu PCT               high_cpu over this aggregated CPU % (80,\n"
    "                              $ALERT_CPU_THRESHOLD)\n"
    "      --cpu-error PCT         high_cpu is an error from here (90,\n"
    "                              $ALERT_CPU_ERROR_THRESHOLD)\n"
    "  -m, --memory PCT            high_memory over this memory % (85,\n"
    "                              $ALERT_MEMORY_THRESHOLD)\n"
    "      --memory-error PCT      an error from here (95,\n"
    "                              $ALERT_MEMORY_ERROR_THRESHOLD)\n"
    "  -e, --error-rate FRAC       high_error_rate over this KATO error rate\n"
    "                              (0.05, $ALERT_ERROR_RATE_THRESHOLD)\n"
    "      --error-rate-error FRAC an error from here (0.10,\n"
    "                              $ALERT_ERROR_RATE_ERROR_THRESHOLD)\n"
    "      --host-cpu PCT          kato_host_cpu over this KATO host CPU %\n"
    "                              (90, $ALERT_HOST_CPU_THRESHOLD; error\n"
    "                              from $ALERT_HOST_CPU_ERROR_THRESHOLD, 95)\n"
    "      --host-memory PCT       kato_host_memory over this KATO host\n"
    "                              memory % (90, $ALERT_HOST_MEMORY_THRESHOLD;\n"
    "                              error from\n"
    "                              $ALERT_HOST_MEMORY_ERROR_THRESHOLD, 95)\n"
    "  -n, --consecutive N         frames over before an alert fires (1,\n"
    "                              $ALERT_CONSECUTIVE_FRAMES)\n"
    "      --clear-frames N        frames clear in a row before a firing\n"
    "                              alert resolves (2, $ALERT_CLEAR_FRAMES)\n"
    "  -H, --hysteresis PCT        clear only under threshold minus PCT % of\n"
    "                              it (5, $ALERT_HYSTERESIS_PERCENT)\n"
    "  -C, --cooldown SECONDS      re-send a firing alert at most this often\n"
    "                              (60, $ALERT_COOLDOWN_SECONDS)\n"
    "      --containers PATTERNS   comma-separated globs of the containers\n"
    "                              container_down watches (all,\n"
    "                              $ALERT_CONTAINERS)\n"
    "      --once                  judge one frame: print the alerts that\n"
    "                              hold, exit 1 if any, else 0\n"
    "  -h, --help                  show this text\n";

enum {
	OPT_CPU_ERROR = 256,
	OPT_MEM_ERROR,
	OPT_RATE_ERROR,
	OPT_CONTAINERS,
	OPT_ONCE,
	OPT_CLEAR,
	OPT_HOST_CPU,
	OPT_HOST_MEM,
};

static const struct option long_opts[] = {
    {"cpu", required_argument, NULL, 'c'},
    {"cpu-error", required_argument, NULL, OPT_CPU_ERROR},
    {"memory", required_argument, NULL, 'm'},
    {"memory-error", required_argument, NULL, OPT_MEM_ERROR},
    {"error-rate", required_argument, NULL, 'e'},
    {"error-rate-error", required_argument, NULL, OPT_RATE_ERROR},
    {"consecutive", required_argument, NULL, 'n'},
    {"hysteresis", required_argument, NULL, 'H'},
    {"cooldown", required_argument, NULL, 'C'},
    {"containers", required_argument, NULL, OPT_CONTAINERS},
    {"clear-frames", required_argument, NULL, OPT_CLEAR},
    {"host-cpu", required_argument, NULL, OPT_HOST_CPU},
    {"host-memory", required_argument, NULL, OPT_HOST_MEM},
    {"once", no_argument, NULL, OPT_ONCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A number >= 0 (and <= max) from an option or setting, or a usage error
 * naming where it came from. */
static double number(const char *what, const char *s, double max)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0 || v > max)
		log_usage("%s: not a number from 0 to %g: '%s'", what, max, s);
	return v;
}

/* A setting from the env file or the environment, if set. */
static void setting(const char *key, double *out, double max)
{
	const char *s = cfg_get(key);
	if (s)
		*out = number(key, s, max);
}

/* Settings: defaults < env file < environment < options.  Returns the
 * index of the first operand. */
static int configure(int argc, char **argv, alerts_cfg *c, int *enabled,
                     int *once)
{
	char err[CFG_ERR_LEN];
	if (cfg_init(err) < 0)
		log_die(KL_EXIT_USAGE, "%s", err);
	if (cfg_bool("WEBSOCKET_SYSTEM_ALERTS", 1, enabled, err) < 0)
		log_usage("%s", err);
	double consec = c->consecutive, hyst = c->hysteresis * 100,
	       cool = (double)c->cooldown_ms / 1000, clear = c->clear_frames;
	setting("ALERT_CPU_THRESHOLD", &c->cpu, 1e9);
	setting("ALERT_CPU_ERROR_THRESHOLD", &c->cpu_error, 1e9);
	setting("ALERT_MEMORY_THRESHOLD", &c->mem, 1e9);
	setting("ALERT_MEMORY_ERROR_THRESHOLD", &c->mem_error, 1e9);
	setting("ALERT_ERROR_RATE_THRESHOLD", &c->err_rate, 1e9);
	setting("ALERT_ERROR_RATE_ERROR_THRESHOLD", &c->err_rate_error, 1e9);
	setting("ALERT_HOST_CPU_THRESHOLD", &c->host_cpu, 1e9);
	setting("ALERT_HOST_CPU_ERROR_THRESHOLD", &c->host_cpu_error, 1e9);
	setting("ALERT_HOST_MEMORY_THRESHOLD", &c->host_mem, 1e9);
	setting("ALERT_HOST_MEMORY_ERROR_THRESHOLD", &c->host_mem_error, 1e9);
	setting("ALERT_CONSECUTIVE_FRAMES", &consec, 1e6);
	setting("ALERT_CLEAR_FRAMES", &clear, 1e6);
	setting("ALERT_HYSTERESIS_PERCENT", &hyst, 99);
	setting("ALERT_COOLDOWN_SECONDS", &cool, 1e7);
	const char *pats = cfg_get("ALERT_CONTAINERS");

	int o;
	while ((o = getopt_long(argc, argv, "c:m:e:n:H:C:h", long_opts, NULL)) != -1) {
		switch (o) {
		case 'c': c->cpu = number("--cpu", optarg, 1e9); break;
		case OPT_CPU_ERROR: c->cpu_error = number("--cpu-error", optarg, 1e9); break;
		case 'm': c->mem = number("--memory", optarg, 1e9); break;
		case OPT_MEM_ERROR: c->mem_error = number("--memory-error", optarg, 1e9); break;
		case 'e': c->err_rate = number("--error-rate", optarg, 1e9); break;
		case OPT_RATE_ERROR:
			c->err_rate_error = number("--error-rate-error", optarg, 1e9);
			break;
		case 'n': consec = number("--consecutive", optarg, 1e6); break;
		case 'H': hyst = number("--hysteresis", optarg, 99); break;
		case 'C': cool = number("--cooldown", optarg, 1e7); break;
		case OPT_CONTAINERS: pats = optarg; break;
		case OPT_CLEAR: clear = number("--clear-frames", optarg, 1e6); break;
		case OPT_HOST_CPU: c->host_cpu = number("--host-cpu", optarg, 1e9); break;
		case OPT_HOST_MEM:
			c->host_mem = number("--host-memory", optarg, 1e9);
			break;
		case OPT_ONCE: *once = 1; break;
		case 'h': fputs(usage_text, stdout); exit(KL_EXIT_OK);
		default: log_usage("unknown option");
		}
	}
	if (consec < 1 || consec != floor(consec))
		log_usage("consecutive frames: a whole number from 1 is needed, not %g",
		          consec);
	c->consecutive = (unsigned)consec;
	if (clear < 1 || clear != floor(clear))
		log_usage("clear frames: a whole number from 1 is needed, not %g",
		          clear);
	c->clear_frames = (unsigned)clear;
	c->hysteresis = hyst / 100;
	c->cooldown_ms = (int64_t)llround(cool * 1000);
	if (pats) {
		if (strlen(pats) >= sizeof c->containers)
			log_usage("container patterns: longer than %zu bytes",
			          sizeof c->containers - 1);
		snprintf(c->containers, sizeof c->containers, "%s", pats);
	}
	return optind;
}

/* The frame's time (for cooldowns) into *ms and iso; the clock's when the
 * frame has none, said once. */
static void frame_time(const cJSON *frame, int64_t *ms, char iso[CLOCK_ISO_LEN])
{
	static int warned;
	const char *ts = js_str(frame, "timestamp");
	if (ts && strlen(ts) < CLOCK_ISO_LEN && clock_parse_iso(ts, ms) == 0) {
		snprintf(iso, CLOCK_ISO_LEN, "%s", ts);
		return;
	}
	if (!warned++)
		log_warn("a realtime_update frame has no valid \"timestamp\": "
		         "timing alerts by the clock instead");
	*ms = clock_wall_ms();
	clock_iso_ms(iso, *ms);
}

/* Write each message of list to stdout.  Returns 0, or -1 (errno set). */
static int write_all(const cJSON *list)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, list)
	{
		if (ndj_write(stdout, m) < 0)
			return -1;
	}
	return 0;
}

static int is_type(const cJSON *j, const char *type)
{
	const char *t = js_str(j, "type");
	return t && !strcmp(t, type);
}

/* --- --once ---------------------------------------------------------------- */

static int run_once(alerts_cfg *c, const char *path)
{
	int fd = 0;
	const char *name = "stdin";
	if (path && strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			log_die(errno == ENOENT || errno == ENOTDIR || errno == EACCES
			            ? KL_EXIT_USAGE : KL_EXIT_TEMP,
			        "unable to open %s: %s", path, strerror(errno));
		name = path;
	}
	/* Read it all: one frame, pretty-printed or not, or NDJSON. */
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			log_die(KL_EXIT_TEMP, "out of memory reading %s", name);
		if (len + 1 >= cap) {
			if (cap >= (size_t)64 << 20)
				log_die(KL_EXIT_TEMP, "unable to read %s: longer than 64 MiB", name);
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
			continue;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_die(KL_EXIT_TEMP, "unable to read %s: %s", name, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (fd != 0)
		close(fd);

	char why[128];
	cJSON *frame = js_parse(buf, len, why, sizeof why);
	if (frame && !is_type(frame, "realtime_update")) {
		cJSON_Delete(frame);
		frame = NULL;
	}
	if (!frame) {
		/* NDJSON: the last realtime_update line. */
		for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
			nl = memchr(line, '\n', (size_t)(buf + len - line));
			if (!nl)
				nl = buf + len;
			cJSON *j = js_parse(line, (size_t)(nl - line), why, sizeof why);
			if (j && is_type(j, "realtime_update")) {
				cJSON_Delete(frame);
				frame = j;
			} else {
				cJSON_Delete(j);
			}
		}
	}
	free(buf);
	if (!frame)
		log_die(KL_EXIT_USAGE, "no realtime_update frame in %s", name);

	c->consecutive = 1;
	alerts *a = alerts_new(c);
	cJSON *out = cJSON_CreateArray();
	char err[ALERTS_ERR_LEN], iso[CLOCK_ISO_LEN];
	int64_t ms;
	frame_time(frame, &ms, iso);
	if (!a || !out || alerts_eval(a, frame, ms, iso, out, err) < 0)
		log_die(KL_EXIT_TEMP, "out of memory evaluating alerts");
	size_t firing = alerts_firing(a);
	const cJSON *m;
	int rc = 0;
	cJSON_ArrayForEach(m, out)
	{
		if (is_type(m, "system_alert") && ndj_write(stdout, m) < 0) {
			rc = errno == EPIPE ? 0 : -1;
			break;
		}
	}
	int werr = errno;
	cJSON_Delete(out);
	cJSON_Delete(frame);
	alerts_free(a);
	if (rc < 0)
		log_die(KL_EXIT_TEMP, "unable to write to stdout: %s", strerror(werr));
	return firing ? KL_EXIT_NO : KL_EXIT_OK;
}

/* --- the filter ------------------------------------------------------------ */

/* {"cpu_percent",...}: the thresholds in force, as the page colours by
 * them.  NULL when memory runs out. */
static cJSON *thresholds(const alerts_cfg *c)
{
	cJSON *t = cJSON_CreateObject();
	if (!t || !cJSON_AddNumberToObject(t, "cpu_percent", c->cpu) ||
	    !cJSON_AddNumberToObject(t, "memory_percent", c->mem) ||
	    !cJSON_AddNumberToObject(t, "error_rate", c->err_rate) ||
	    !cJSON_AddNumberToObject(t, "host_cpu_percent", c->host_cpu) ||
	    !cJSON_AddNumberToObject(t, "host_memory_percent", c->host_mem)) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

/* Write frame j with data.thresholds set; the line as it came when that
 * cannot be done (no data object, no memory, too long).  The thresholds
 * are spliced into the line as it came (splice.h); only a frame that
 * already carries data.thresholds, or whose "data" is not where the text
 * says, is printed again.  Returns 0, or -1 (errno set). */
static int write_frame(cJSON *j, const alerts_cfg *c, const char *line,
                       size_t len)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
	cJSON *t = cJSON_IsObject(data) ? thresholds(c) : NULL;
	if (!t)
		return ndj_write_line(stdout, line, len);
	int r;
	long at = cJSON_GetObjectItemCaseSensitive(data, "thresholds")
	              ? -1 : splice_open(line, len, "data");
	char *tt = at >= 0 ? cJSON_PrintUnformatted(t) : NULL;
	char *buf = tt ? malloc(len + strlen(tt) + sizeof "thresholds" + 4) : NULL;
	if (buf) {
		size_t m = splice_member(buf, line, len, at, "thresholds", tt);
		r = m <= NDJ_LINE_MAX ? ndj_write_line(stdout, buf, m)
		                      : ndj_write_line(stdout, line, len);
		free(buf);
		cJSON_free(tt);
		cJSON_Delete(t);
		return r;
	}
	cJSON_free(tt);
	cJSON_DeleteItemFromObjectCaseSensitive(data, "thresholds");
	cJSON_AddItemToObject(data, "thresholds", t);
	char *out = cJSON_PrintUnformatted(j);
	if (out && strlen(out) <= NDJ_LINE_MAX)
		r = ndj_write_line(stdout, out, strlen(out));
	else
		r = ndj_write_line(stdout, line, len);
	cJSON_free(out);
	return r;
}

/* One input line: copy it, then judge it.  Returns 0, or -1 when stdout
 * is gone (EPIPE) or failing (errno set). */
static int handle_line(alerts *a, const alerts_cfg *c, const char *line,
                       size_t len, unsigned long lineno)
{
	char why[128];
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j || !is_type(j, "realtime_update")) {
		cJSON_Delete(j);
		if (ndj_write_line(stdout, line, len) < 0)
			return -1;
		if (!j && a)
			log_warn("line %lu: not JSON (%s): copied through, not judged",
			         lineno, why);
		return 0;
	}
	if (write_frame(j, c, line, len) < 0) {
		cJSON_Delete(j);
		return -1;
	}
	int r = 0;
	if (a) {
		char err[ALERTS_ERR_LEN], iso[CLOCK_ISO_LEN];
		int64_t ms;
		frame_time(j, &ms, iso);
		cJSON *out = cJSON_CreateArray();
		if (!out || alerts_eval(a, j, ms, iso, out, err) < 0)
			log_warn("line %lu: %s", lineno,
			         out ? err : "out of memory evaluating alerts");
		if (out)
			r = write_all(out);
		cJSON_Delete(out);
	}
	cJSON_Delete(j);
	return r;
}

/* Say in the stream that a line was dropped, so that readers see why
 * nothing came rather than a dark feed.  Returns 0, or -1 (errno set). */
static int too_long(unsigned long lineno)
{
	char iso[CLOCK_ISO_LEN], msg[512];
	clock_iso_now(iso);
	snprintf(msg, sizeof msg,
	         "{\"type\":\"error\",\"timestamp\":\"%s\",\"error\":"
	         "{\"code\":\"line_too_long\",\"message\":\"input line %lu "
	         "was over %u bytes and was dropped\"}}",
	         iso, lineno, NDJ_LINE_MAX);
	return ndj_write_line(stdout, msg, strlen(msg));
}

/* The filter's state, for its callbacks. */
typedef struct filter_state {
	alerts *a;
	const alerts_cfg *c;
} filter_state;

static int on_line(void *ctx, char *line, size_t len, unsigned long lineno)
{
	filter_state *fs = ctx;
	return handle_line(fs->a, fs->c, line, len, lineno);
}

static int on_too_long(void *ctx, unsigned long lineno)
{
	(void)ctx;
	log_warn("line %lu: longer than %u bytes: dropped", lineno, NDJ_LINE_MAX);
	return too_long(lineno);
}

static int run_filter(const alerts_cfg *c, int enabled)
{
	filter_state fs = {NULL, c};
	if (enabled && !(fs.a = alerts_new(c)))
		log_die(KL_EXIT_TEMP, "out of memory");
	/* frames are small: read 64 kB at once, keep resident what they need */
	filter_ops ops = {.line = on_line, .too_long = on_too_long, .ctx = &fs,
	                  .line_max = NDJ_LINE_MAX, .chunk = 64 << 10};
	char err[FILTER_ERR_LEN];
	int rc = KL_EXIT_OK;
	enum filter_end end = filter_run(0, &ops, err);
	if (end == FILTER_FAIL) {
		log_warn("%s", err);
		rc = KL_EXIT_TEMP;
	} else if (end == FILTER_STOPPED && errno != EPIPE) {
		log_warn("unable to write to stdout: %s", strerror(errno));
		rc = KL_EXIT_TEMP;
	}
	alerts_free(fs.a);
	return rc;
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	alerts_cfg c;
	alerts_cfg_defaults(&c);
	int enabled = 1, once = 0;
	int first = configure(argc, argv, &c, &enabled, &once);
	int rc;
	if (once) {
		if (argc - first > 1)
			log_usage("--once takes at most one frame file");
		rc = run_once(&c, first < argc ? argv[first] : NULL);
	} else {
		if (first < argc)
			log_usage("unexpected argument '%s' (frames come on stdin)",
			          argv[first]);
		rc = run_filter(&c, enabled);
	}
	cfg_free();
	return rc;
}
