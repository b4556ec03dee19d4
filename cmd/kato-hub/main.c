/* kato-hub - fan the message stream on stdin out to subscribers on a Unix
 * socket and to every WebSocket client's pipe, keeping the latest message
 * of each retained type (and every session, by id) for newcomers.
 *
 * One thread, one epoll loop, nothing blocks:
 *   - stdin is read one read(2) per readiness, so no reader can ever hold
 *     the input back;
 *   - each input line is parsed once (a JSON object with a "type"),
 *     copied once into a refcounted buffer, and that same buffer is queued
 *     to every reader and written with writev(2); a realtime_update is
 *     printed again only for a topic set that needs sections cut, once
 *     per set (views.h);
 *   - a reader whose queue passes --max-queue bytes, or that takes
 *     nothing for --slow-timeout, is cut off.  Since no reader holds more
 *     than that, the messages alive at any time are at most the last
 *     --max-queue bytes of the stream plus the retained ones: memory is
 *     bounded however many readers lag.
 *
 * WebSocket clients: kato-sub, run by websocketd once per connection,
 * hands the hub the pipe websocketd reads (SCM_RIGHTS) and parses what
 * the browser sends; the hub is the only writer of that pipe and only
 * ever reads kato-sub's fixed-grammar commands (cmd.h).  Browser input
 * never reaches this process.
 *
 * Protocol: common/hubsock.h.  On stdin EOF the hub stops accepting,
 * removes its socket, gives readers up to a second to take what is
 * queued, and exits 0: its feeder is gone and whoever supervises the
 * pipeline restarts it; subscribers reconnect to the new hub.
 *
 * Here: options, setup, input and the loop.  msgq.h holds the messages,
 * the queues and the retained table; keyed.h the sessions by id; views.h
 * the frame per topic set; subs.h the connections; cmd.h what they may
 * say; reply.h the hub's own messages; lsock.h the listening socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsock.h"
#include "js.h"
#include "keyed.h"
#include "log.h"
#include "lsock.h"
#include "msgq.h"
#include "ndj.h"
#include "opt.h"
#include "reply.h"
#include "sig.h"
#include "subs.h"
#include "topics.h"
#include "views.h"

#define DEFAULT_RETAIN "realtime_update,metrics_update,active_alerts"
#define DEFAULT_MAX_QUEUE (1024 * 1024)
#define DEFAULT_MAX_SESSIONS 100000
#define DEFAULT_SLOW_NS (30 * 1000000000LL)
#define FLUSH_MS 1000 /* how long subscribers get to drain after stdin EOF */

static const char usage_text[] =
    "usage: kato-hub [--socket PATH] [--retain TYPES] [--max-queue BYTES]\n"
    "                [--max-line BYTES] [--max-sessions N]\n"
    "                [--slow-timeout SECONDS]\n"
    "\n"
    "Read messages (one JSON object per line) on stdin and serve them on a\n"
    "Unix socket to any number of subscribers, and to the WebSocket clients\n"
    "whose output kato-sub hands over.  Newcomers first get the latest\n"
    "message of each retained type, then every session's session_update.\n"
    "\n"
    "  -s, --socket PATH      the socket (default $KATO_HUB_SOCKET, else\n"
    "                         $XDG_RUNTIME_DIR/kato-live/hub.sock, else\n"
    "                         /tmp/kato-live-UID/hub.sock)\n"
    "  -r, --retain TYPES     comma-separated message types to keep for\n"
    "                         newcomers (default " DEFAULT_RETAIN ")\n"
    "  -q, --max-queue BYTES  cut off a subscriber with more than this\n"
    "                         queued (default 1048576)\n"
    "  -l, --max-line BYTES   longest input line accepted (default 16777216)\n"
    "  -k, --max-sessions N   session_update messages kept, one per session\n"
    "                         (default 100000)\n"
    "  -t, --slow-timeout SECONDS  cut off a reader that took nothing for\n"
    "                         this long (default 30, $KATO_HUB_SLOW_TIMEOUT)\n"
    "  -h, --help             show this text\n";

static struct {
	int ep;                      /* the epoll fd */
	watch in, lsn, sig;          /* stdin, listening socket, signalfd */
	lsock ls;                    /* the listening socket (fd in lsn too) */
	size_t max_queue;            /* --max-queue */
	size_t max_line;             /* --max-line */
	retain_tab kept;             /* --retain types, the latest of each */
	keyed sessions;              /* session_update, the latest per id */
	views frames;                /* the latest frame, per topic set */
	hub_stats st;                /* counters for hub_stats */
	subs subs;                   /* the connections */
} hub;

/* A session_update: keep it under its session_id, or forget the id when
 * the session was removed, or forget every session on "reset" (a new
 * kato-sessions: the whole list follows). */
static void keep_session(const cJSON *j, msg *m, unsigned long lineno)
{
	const char *id = js_str(j, "session.session_id");
	const char *op = js_str(j, "op");
	if (op && !strcmp(op, "reset")) {
		keyed_free(&hub.sessions);
		return;
	}
	if (!id) {
		log_warn("stdin line %lu: session_update without "
		         "session.session_id: relayed, not kept", lineno);
		return;
	}
	if (op && !strcmp(op, "removed")) {
		keyed_del(&hub.sessions, id);
		return;
	}
	switch (keyed_set(&hub.sessions, id, m)) {
	case KEYED_EVICTED:
		log_warn("more than %zu sessions: the oldest one is no longer "
		         "kept for newcomers", hub.sessions.max);
		break;
	case KEYED_NOMEM:
		log_warn("stdin line %lu: out of memory: session not kept",
		         lineno);
		break;
	case KEYED_BADKEY:
		log_warn("stdin line %lu: session_id empty or longer than %d "
		         "bytes: relayed, not kept", lineno, KEYED_KEY_MAX);
		break;
	}
}

/* One input line: check it, retain it, send it to every reader. */
static void input_line(const char *line, size_t len, unsigned long lineno)
{
	char why[128];
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j) {
		hub.st.bad_lines++;
		log_warn("stdin line %lu: not JSON (%s), skipped", lineno, why);
		return;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (!cJSON_IsObject(j) || !cJSON_IsString(t) || !t->valuestring[0]) {
		hub.st.bad_lines++;
		log_warn("stdin line %lu: no \"type\" string in the message, "
		         "skipped", lineno);
		cJSON_Delete(j);
		return;
	}
	int slot = retain_slot(&hub.kept, t->valuestring);
	unsigned topic = topics_of_type(t->valuestring);
	int is_session = !strcmp(t->valuestring, "session_update");

	msg *m = msg_new(line, len); /* ours until the end of this function */
	if (!m) {
		cJSON_Delete(j);
		hub.st.bad_lines++;
		log_warn("stdin line %lu: out of memory, skipped", lineno);
		return;
	}
	hub.st.messages_in++;
	if (is_session)
		keep_session(j, m, lineno);
	if (topic == T_FRAME) {
		m->frame = 1;
		views_set(&hub.frames, j, m); /* j is the views' now */
		j = NULL;
	}
	cJSON_Delete(j);
	if (slot >= 0)
		retain_keep(&hub.kept, slot, m);
	subs_send(&hub.subs, m, topic);
	msg_unref(m);
}

/* Returns 0 at end of input. */
static int input_readable(ndj_reader *r)
{
	long n = ndj_fill(r);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		log_warn("read stdin: %s: treating it as end of input",
		         strerror(errno));
		r->eof = 1;
	}
	for (;;) {
		char *line;
		size_t len;
		enum ndj_status st = ndj_next(r, &line, &len);
		if (st == NDJ_LINE) {
			if (len > 0)
				input_line(line, len, r->lineno);
		} else if (st == NDJ_TOOLONG) {
			hub.st.bad_lines++;
			log_warn("stdin line %lu: longer than %zu bytes, skipped",
			         r->lineno, hub.max_line);
		} else if (st == NDJ_EOF) {
			return 0;
		} else {
			return r->eof ? 0 : 1;
		}
	}
}

static size_t parse_count(const char *opt, const char *s,
                          unsigned long long min, unsigned long long max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || *s == '-')
		log_usage("%s: not a number from %llu to %llu: %s", opt, min,
		          max, s);
	return (size_t)v;
}

static size_t parse_bytes(const char *opt, const char *s)
{
	return parse_count(opt, s, 64, 1ULL << 32);
}

static int flag(const char *key, int def)
{
	char err[CFG_ERR_LEN];
	int v;
	if (cfg_bool(key, def, &v, err) < 0)
		log_usage("%s", err);
	return v;
}

/* What WebSocket clients are offered: the feature flags, the interval. */
static reply_cfg ws_settings(void)
{
	reply_cfg rc = {.selective = flag("WEBSOCKET_SELECTIVE_SUBSCRIPTIONS", 1)};
	for (size_t i = 0; i < NTOPICS; i++)
		if (!topics[i].flag || flag(topics[i].flag, 1))
			rc.avail |= topics[i].bit;
	double interval = 3;
	char err[CFG_ERR_LEN];
	if (cfg_double("KATO_LIVE_INTERVAL", 3, &interval, err) < 0 ||
	    interval <= 0)
		log_usage("KATO_LIVE_INTERVAL: not a number of seconds");
	rc.interval_ms = (long)(interval * 1000 + 0.5);
	return rc;
}

static void log_stats(void)
{
	char line[SUBS_STATS_LEN];
	subs_stats_line(&hub.subs, line);
	log_info("%s", line);
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("unable to raise the open-file limit: %s",
			         strerror(errno));
	}
}

static void watch_add(watch *w, int fd, enum watch_kind kind)
{
	w->kind = kind;
	w->fd = fd;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
	if (epoll_ctl(hub.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_die(KL_EXIT_TEMP, "unable to watch fd %d: %s", fd,
		        strerror(errno));
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	char err[CFG_ERR_LEN];
	if (cfg_init(err) < 0)
		log_die(KL_EXIT_USAGE, "%s", err);

	char path[LSOCK_PATH_LEN];
	if (hubsock_default_path(path, sizeof path) < 0)
		log_die(KL_EXIT_USAGE, "the default socket path is too long");
	const char *retain = cfg_get("KATO_HUB_RETAIN");
	if (!retain || !*retain)
		retain = DEFAULT_RETAIN;
	hub.max_queue = DEFAULT_MAX_QUEUE;
	hub.max_line = NDJ_LINE_MAX;
	size_t max_sessions = DEFAULT_MAX_SESSIONS;
	int64_t slow_ns = opt_seconds_setting("KATO_HUB_SLOW_TIMEOUT",
	                                      DEFAULT_SLOW_NS);

	static const struct option opts[] = {
	    {"socket", required_argument, 0, 's'},
	    {"retain", required_argument, 0, 'r'},
	    {"max-queue", required_argument, 0, 'q'},
	    {"max-line", required_argument, 0, 'l'},
	    {"max-sessions", required_argument, 0, 'k'},
	    {"slow-timeout", required_argument, 0, 't'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "s:r:q:l:k:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof path)
				log_usage("--socket: path too long: %s", optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'r': retain = optarg; break;
		case 'q': hub.max_queue = parse_bytes("--max-queue", optarg); break;
		case 'l': hub.max_line = parse_bytes("--max-line", optarg); break;
		case 'k':
			max_sessions = parse_count("--max-sessions", optarg, 1,
			                           100000000);
			break;
		case 't': slow_ns = opt_seconds("--slow-timeout", optarg); break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument: %s", argv[optind]);
	char rerr[RETAIN_ERR_LEN];
	if (retain_parse(&hub.kept, retain, rerr) < 0)
		log_usage("--retain: %s", rerr);

	reply_cfg rc = ws_settings();
	gid_t group;
	char gerr[HUBSOCK_ERR_LEN];
	int have_group = hubsock_group(&group, gerr);
	if (have_group < 0)
		log_usage("%s", gerr);

	raise_nofile();
	int sigfd = sig_setup();
	/* SIGUSR1 too, on the same signalfd: it logs the statistics. */
	sigset_t ss;
	if (sigfd >= 0 && (sigemptyset(&ss), sigaddset(&ss, SIGUSR1),
	                   sigprocmask(SIG_BLOCK, &ss, NULL)) == 0) {
		sigprocmask(SIG_BLOCK, NULL, &ss);
		if (signalfd(sigfd, &ss, 0) < 0)
			sigfd = -1;
	}
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s",
		        strerror(errno));
	hub.ep = epoll_create1(EPOLL_CLOEXEC);
	if (hub.ep < 0)
		log_die(KL_EXIT_TEMP, "epoll_create1: %s", strerror(errno));
	hub.st.started_ms = clock_wall_ms();
	keyed_init(&hub.sessions, max_sessions);
	subs_init(&hub.subs, hub.ep, hub.max_queue, slow_ns / 1000000, &rc,
	          &hub.kept, &hub.sessions, &hub.frames, &hub.st);

	ndj_reader in;
	if (ndj_reader_init(&in, STDIN_FILENO, hub.max_line) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
	in.chunk = 64 * 1024; /* only what long lines need stays resident */
	/* A regular file cannot be watched (EPERM): it is always readable,
	 * so read it between waits instead. */
	hub.in.kind = K_STDIN;
	hub.in.fd = STDIN_FILENO;
	struct epoll_event iev = {.events = EPOLLIN, .data.ptr = &hub.in};
	int in_polled = epoll_ctl(hub.ep, EPOLL_CTL_ADD, STDIN_FILENO, &iev) == 0;
	if (!in_polled && errno != EPERM)
		log_die(KL_EXIT_TEMP, "unable to watch stdin: %s",
		        strerror(errno));
	watch_add(&hub.sig, sigfd, K_SIG);
	char lerr[LSOCK_ERR_LEN];
	int lr = lsock_open(&hub.ls, path, have_group ? (int)group : -1, lerr);
	if (lr != LSOCK_OK)
		log_die(lr == LSOCK_EUSAGE ? KL_EXIT_USAGE : KL_EXIT_TEMP, "%s",
		        lerr);
	watch_add(&hub.lsn, hub.ls.fd, K_LISTEN);

	int input_open = 1, stop = 0;
	int64_t flush_deadline = 0;
	while (!stop) {
		int64_t now = clock_mono_ms();
		if (now >= hub.subs.next_scan)
			subs_scan(&hub.subs, now);
		int timeout = (int)(hub.subs.next_scan - now);
		if (timeout < 0)
			timeout = 0;
		if (input_open && !in_polled)
			timeout = 0;
		if (!input_open) {
			int64_t left = flush_deadline - clock_mono_ms();
			if (!subs_pending(&hub.subs) || left <= 0)
				break;
			if (left < timeout)
				timeout = (int)left;
		}
		struct epoll_event evs[256];
		int n = epoll_wait(hub.ep, evs, 256, timeout);
		if (n < 0 && errno != EINTR)
			log_die(KL_EXIT_TEMP, "epoll_wait: %s", strerror(errno));
		if (input_open && !in_polled && !input_readable(&in))
			input_open = 0;
		for (int i = 0; i < n; i++) {
			watch *w = evs[i].data.ptr;
			uint32_t e = evs[i].events;
			switch (w->kind) {
			case K_STDIN:
				if (input_open && !input_readable(&in)) {
					input_open = 0;
					epoll_ctl(hub.ep, EPOLL_CTL_DEL,
					          STDIN_FILENO, NULL);
				}
				break;
			case K_LISTEN:
				if (hub.ls.fd >= 0)
					subs_accept(&hub.subs, hub.ls.fd);
				break;
			case K_SIG: {
				int s;
				while ((s = sig_read(sigfd)) > 0)
					if (sig_is_stop(s))
						stop = 1;
					else if (s == SIGUSR1)
						log_stats();
				break;
			}
			case K_SUB:
			case K_PIPE:
				subs_event(&hub.subs, w, e);
				break;
			}
		}
		subs_reap(&hub.subs);
		if (!input_open && hub.ls.fd >= 0) {
			/* The feeder is gone: no newcomers; drain and go. */
			lsock_close(&hub.ls);
			flush_deadline = clock_mono_ms() + FLUSH_MS;
		}
	}

	lsock_close(&hub.ls);
	subs_free(&hub.subs);
	retain_clear(&hub.kept);
	keyed_free(&hub.sessions);
	views_clear(&hub.frames);
	ndj_reader_free(&in);
	cfg_free();
	return KL_EXIT_OK;
}
