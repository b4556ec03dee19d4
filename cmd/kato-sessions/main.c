/* kato-sessions - KATO's sessions from its Redis: the list, and each
 * session's start and end as it happens.
 *
 *   {"source":"kato-sessions","ts":ISO,"ok":true,
 *    "data":{"active_count":N,"notifications":true|false}}     per tick
 *   {"source":"kato-sessions","ts":ISO,"ok":false,"error":"..."}
 *   {"source":"kato-sessions","ts":ISO,"session":{"op":"added"|"updated"|
 *    "removed","session_id","node_id","created_at","last_accessed",
 *    "expires_at","ttl_ms","access_count"[,"reason":"ended"|"expired"]}}
 *   {"source":"kato-sessions","ts":ISO,"event":{"event_type":
 *    "session_created"|"session_destroyed"|"session_expired","session_id",
 *    "node_id","current_count","previous_count","delta"}}
 *
 * On start the whole list goes out as "added" records; then only the
 * changes.  Redis is read with read-only commands (watch.h).  While it
 * cannot be reached each tick says ok:false, and the list last sent is
 * stale; once it is back, the list is read again and the differences go
 * out as changes.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backoff.h"
#include "cfg.h"
#include "clock.h"
#include "collector.h"
#include "exitcode.h"
#include "log.h"
#include "opt.h"
#include "rec.h"
#include "redisurl.h"
#include "sig.h"
#include "watch.h"

#define SOURCE "kato-sessions"
#define RETRY_BASE_MS 250
#define RETRY_MAX_MS 10000

static const char usage_text[] =
    "usage: kato-sessions [--redis URL] [--interval SECONDS] [--timeout SECONDS]\n"
    "                     [--max-sessions N] [--max-value BYTES]\n"
    "                     [--enable-notifications] [--once]\n"
    "\n"
    "List KATO's sessions from its Redis and report each change as it\n"
    "happens (keyspace notifications, else a SCAN every tick), as JSON\n"
    "records on stdout: the list, the changes, one count per tick.\n"
    "\n"
    "  -r, --redis URL        KATO's Redis: redis://[USER:PASSWORD@]HOST[:PORT][/DB]\n"
    "                         or unix:///PATH[?db=DB] (default $REDIS_URL)\n"
    "  -i, --interval SECONDS time between counts and, without notifications,\n"
    "                         SCANs (default 3, $KATO_SESSIONS_INTERVAL, else\n"
    "                         $KATO_LIVE_INTERVAL)\n"
    "  -t, --timeout SECONDS  connect and command timeout (default 2,\n"
    "                         $REDIS_TIMEOUT)\n"
    "      --max-sessions N   most sessions kept (default 100000)\n"
    "      --max-value BYTES  most bytes of a session's value read (default\n"
    "                         65536; past it access_count is null)\n"
    "      --enable-notifications\n"
    "                         turn Redis keyspace notifications on if they\n"
    "                         are off (CONFIG SET: the one write this does)\n"
    "      --once             print the list and one count, exit 0 (1 if\n"
    "                         Redis could not be read)\n"
    "  -h, --help             show this text\n";

/* A whole number lo..hi, or a usage error. */
static size_t count_opt(const char *name, const char *v, size_t lo, size_t hi)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (!*v || *end || *v == '-' || errno || n < lo || n > hi)
		log_usage("bad %s '%s': want a whole number from %zu to %zu", name, v,
		          lo, hi);
	return (size_t)n;
}

static int tick_record(collector *c, watch *w, const char *err)
{
	if (err)
		return collector_emit(c, rec_fail(SOURCE, err));
	cJSON *d = cJSON_CreateObject();
	if (!d || !cJSON_AddNumberToObject(d, "active_count", (double)w->tab.good) ||
	    !cJSON_AddBoolToObject(d, "notifications", w->notif == NOTIF_ON)) {
		cJSON_Delete(d);
		log_warn("out of memory building a record");
		return 0;
	}
	return collector_emit(c, rec_ok(SOURCE, d));
}

/* Log a failure when it starts or changes, and recovery once. */
static void note(char last[WATCH_ERR_LEN], const char *err)
{
	if (err && strcmp(err, last) != 0)
		log_warn("%s", err);
	else if (!err && last[0])
		log_info("reading Redis again");
	snprintf(last, WATCH_ERR_LEN, "%s", err ? err : "");
}

static int run_once(collector *c, watch *w)
{
	char err[WATCH_ERR_LEN];
	w->quiet = 1;
	int r = watch_connect(w, 0, err);
	if (r == -2)
		return KL_EXIT_OK;
	if (r < 0)
		log_warn("%s", err);
	tick_record(c, w, r < 0 ? err : NULL);
	return r < 0 ? KL_EXIT_NO : KL_EXIT_OK;
}

static int run(collector *c, watch *w)
{
	char err[WATCH_ERR_LEN], last[WATCH_ERR_LEN] = "";
	backoff bo;
	backoff_init(&bo, RETRY_BASE_MS, RETRY_MAX_MS);
	tick_t t;
	tick_init_aligned(&t, c->interval_ns);
	int64_t retry_at = clock_mono_ms(); /* connect at once */
	int first = 1;
	/* Whatever a reader kept from an earlier run may be gone by now. */
	if (watch_reset(w) < 0)
		return KL_EXIT_OK;
	for (;;) {
		if (!w->connected && clock_mono_ms() >= retry_at) {
			int r = watch_connect(w, 1, err);
			if (r == -2)
				return KL_EXIT_OK;
			if (r < 0) {
				note(last, err);
				retry_at = clock_mono_ms() + backoff_next(&bo);
			} else {
				note(last, NULL);
				backoff_reset(&bo);
			}
			if (first && tick_record(c, w, r < 0 ? err : NULL) < 0)
				return KL_EXIT_OK;
			first = 0;
		}

		int64_t left = tick_left_ns(&t) / 1000000;
		if (!w->connected) {
			int64_t l = retry_at - clock_mono_ms();
			if (l < left)
				left = l < 0 ? 0 : l;
		}
		struct pollfd p[2] = {{.fd = c->sigfd, .events = POLLIN},
		                      {.fd = watch_sub_fd(w), .events = POLLIN}};
		int n = poll(p, p[1].fd >= 0 ? 2 : 1, (int)left + (left < 0 ? 0 : 1));
		if (n < 0 && errno != EINTR)
			log_die(KL_EXIT_TEMP, "unable to poll: %s", strerror(errno));
		if (n > 0 && p[0].revents) {
			int s;
			while ((s = sig_read(c->sigfd)) > 0)
				if (sig_is_stop(s))
					return KL_EXIT_OK;
		}
		if (n > 0 && p[1].fd >= 0 && p[1].revents) {
			int r = watch_notified(w, err);
			if (r == -2)
				return KL_EXIT_OK;
			if (r < 0) {
				note(last, err);
				retry_at = clock_mono_ms() + backoff_next(&bo);
			}
		}
		if (tick_take(&t)) {
			const char *fail = NULL;
			if (w->connected) {
				int r = watch_tick(w, err);
				if (r == -2)
					return KL_EXIT_OK;
				if (r < 0) {
					note(last, err);
					retry_at = clock_mono_ms() + backoff_next(&bo);
					fail = last;
				}
			} else {
				fail = last[0] ? last : "not connected yet";
			}
			if (tick_record(c, w, fail) < 0)
				return KL_EXIT_OK;
		}
	}
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char cerr[CFG_ERR_LEN];
	if (cfg_init(cerr) < 0)
		log_die(KL_EXIT_USAGE, "%s", cerr);

	const char *url = cfg_get("REDIS_URL");
	int once = 0, enable = 0;
	int64_t interval = 3000000000LL, timeout = 2000000000LL;
	size_t max_sessions = 100000, max_value = 65536;
	interval = opt_seconds_setting("KATO_LIVE_INTERVAL", interval);
	interval = opt_seconds_setting("KATO_SESSIONS_INTERVAL", interval);
	timeout = opt_seconds_setting("REDIS_TIMEOUT", timeout);

	enum { O_MAXS = 256, O_MAXV, O_ENABLE, O_ONCE };
	static const struct option opts[] = {
	    {"redis", required_argument, NULL, 'r'},
	    {"interval", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"max-sessions", required_argument, NULL, O_MAXS},
	    {"max-value", required_argument, NULL, O_MAXV},
	    {"enable-notifications", no_argument, NULL, O_ENABLE},
	    {"once", no_argument, NULL, O_ONCE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "r:i:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'r': url = optarg; break;
		case 'i': interval = opt_seconds("--interval", optarg); break;
		case 't': timeout = opt_seconds("--timeout", optarg); break;
		case O_MAXS:
			max_sessions = count_opt("--max-sessions", optarg, 1, 10000000);
			break;
		case O_MAXV:
			max_value = count_opt("--max-value", optarg, 256, 64 << 20);
			break;
		case O_ENABLE: enable = 1; break;
		case O_ONCE: once = 1; break;
		case 'h': fputs(usage_text, stdout); cfg_free(); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument '%s'", argv[optind]);
	if (!url || !*url)
		log_usage("no Redis to read: set REDIS_URL or give --redis URL");
	rurl u;
	char uerr[RURL_ERR_LEN];
	if (rurl_parse(&u, url, uerr) < 0)
		log_usage("%s", uerr);

	collector c;
	collector_init(&c, SOURCE);
	c.interval_ns = interval;
	watch w;
	if (watch_init(&w, &u, max_sessions, &c) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
	w.timeout_ms = (int)((timeout + 999999) / 1000000);
	w.max_value = max_value;
	w.enable_notif = enable;
	int rc = once ? run_once(&c, &w) : run(&c, &w);
	watch_free(&w);
	cfg_free();
	return rc;
}
