/* kato-hub - fan the message stream on stdin out to subscribers on a Unix
 * socket, keeping the latest message of each retained type for newcomers.
 *
 * One thread, one epoll loop, nothing blocks:
 *   - stdin is read one read(2) per readiness, so a subscriber can never
 *     hold the input back;
 *   - each input line is checked once (JSON object with a "type"), copied
 *     once into a refcounted buffer, and that same buffer is queued to
 *     every subscriber and written with writev(2);
 *   - a subscriber whose queue passes --max-queue bytes is cut off.  Since
 *     no subscriber holds more than that, the messages alive at any time
 *     are at most the last --max-queue bytes of the stream plus the
 *     retained ones: memory is bounded however many subscribers lag.
 *
 * Protocol: common/hubsock.h.  On stdin EOF the hub stops accepting,
 * removes its socket, gives subscribers up to a second to take what is
 * queued, and exits 0: its feeder is gone and whoever supervises the
 * pipeline restarts it; subscribers reconnect to the new hub.
 *
 * Here: options, setup, input and the loop.  msgq.h holds the messages,
 * the per-subscriber queues and the retained table; subs.h the
 * subscribers; lsock.h the listening socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsock.h"
#include "js.h"
#include "log.h"
#include "lsock.h"
#include "msgq.h"
#include "ndj.h"
#include "sig.h"
#include "subs.h"

#define DEFAULT_RETAIN "realtime_update,metrics_update,active_alerts"
#define DEFAULT_MAX_QUEUE (1024 * 1024)
#define DEFAULT_MAX_LINE (1024 * 1024)
#define FLUSH_MS 1000 /* how long subscribers get to drain after stdin EOF */

static const char usage_text[] =
    "usage: kato-hub [--socket PATH] [--retain TYPES] [--max-queue BYTES]\n"
    "                [--max-line BYTES]\n"
    "\n"
    "Read messages (one JSON object per line) on stdin and serve them on a\n"
    "Unix socket to any number of subscribers.  Newcomers first get the\n"
    "latest message of each retained type.\n"
    "\n"
    "  -s, --socket PATH      the socket (default $KATO_HUB_SOCKET, else\n"
    "                         $XDG_RUNTIME_DIR/kato-live/hub.sock, else\n"
    "                         /tmp/kato-live-UID/hub.sock)\n"
    "  -r, --retain TYPES     comma-separated message types to keep for\n"
    "                         newcomers (default " DEFAULT_RETAIN ")\n"
    "  -q, --max-queue BYTES  cut off a subscriber with more than this\n"
    "                         queued (default 1048576)\n"
    "  -l, --max-line BYTES   longest input line accepted (default 1048576)\n"
    "  -h, --help             show this text\n";

static struct {
	int ep;                      /* the epoll fd */
	watch in, lsn, sig;          /* stdin, listening socket, signalfd */
	lsock ls;                    /* the listening socket (fd in lsn too) */
	size_t max_queue;            /* --max-queue */
	size_t max_line;             /* --max-line */
	retain_tab kept;             /* --retain types, the latest of each */
	subs subs;                   /* the subscribers */
} hub;

/* One input line: check it, retain it, send it to every subscriber. */
static void input_line(const char *line, size_t len, unsigned long lineno)
{
	char why[128];
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j) {
		log_warn("stdin line %lu: not JSON (%s), skipped", lineno, why);
		return;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (!cJSON_IsObject(j) || !cJSON_IsString(t) || !t->valuestring[0]) {
		log_warn("stdin line %lu: no \"type\" string in the message, "
		         "skipped", lineno);
		cJSON_Delete(j);
		return;
	}
	int slot = retain_slot(&hub.kept, t->valuestring);
	cJSON_Delete(j);

	msg *m = msg_new(line, len); /* ours until the end of this function */
	if (!m) {
		log_warn("stdin line %lu: out of memory, skipped", lineno);
		return;
	}
	if (slot >= 0)
		retain_keep(&hub.kept, slot, m);
	subs_send(&hub.subs, m);
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
			log_warn("stdin line %lu: longer than %zu bytes, skipped",
			         r->lineno, hub.max_line);
		} else if (st == NDJ_EOF) {
			return 0;
		} else {
			return r->eof ? 0 : 1;
		}
	}
}

static size_t parse_bytes(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 64 || v > (1ULL << 32) ||
	    *s == '-')
		log_usage("%s: not a byte count from 64 to 4294967296: %s", opt,
		          s);
	return (size_t)v;
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
	hub.max_line = DEFAULT_MAX_LINE;

	static const struct option opts[] = {
	    {"socket", required_argument, 0, 's'},
	    {"retain", required_argument, 0, 'r'},
	    {"max-queue", required_argument, 0, 'q'},
	    {"max-line", required_argument, 0, 'l'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "s:r:q:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof path)
				log_usage("--socket: path too long: %s", optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'r': retain = optarg; break;
		case 'q': hub.max_queue = parse_bytes("--max-queue", optarg); break;
		case 'l': hub.max_line = parse_bytes("--max-line", optarg); break;
		case 'h': fputs(usage_text, stdout); return KL_EXIT_OK;
		default: log_usage("unknown option");
		}
	}
	if (optind < argc)
		log_usage("unexpected argument: %s", argv[optind]);
	char rerr[RETAIN_ERR_LEN];
	if (retain_parse(&hub.kept, retain, rerr) < 0)
		log_usage("--retain: %s", rerr);

	raise_nofile();
	int sigfd = sig_setup();
	if (sigfd < 0)
		log_die(KL_EXIT_TEMP, "unable to set up signals: %s",
		        strerror(errno));
	hub.ep = epoll_create1(EPOLL_CLOEXEC);
	if (hub.ep < 0)
		log_die(KL_EXIT_TEMP, "epoll_create1: %s", strerror(errno));
	subs_init(&hub.subs, hub.ep, hub.max_queue, &hub.kept);

	ndj_reader in;
	if (ndj_reader_init(&in, STDIN_FILENO, hub.max_line) < 0)
		log_die(KL_EXIT_TEMP, "out of memory");
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
	int lr = lsock_open(&hub.ls, path, lerr);
	if (lr != LSOCK_OK)
		log_die(lr == LSOCK_EUSAGE ? KL_EXIT_USAGE : KL_EXIT_TEMP, "%s",
		        lerr);
	watch_add(&hub.lsn, hub.ls.fd, K_LISTEN);

	int input_open = 1, stop = 0;
	int64_t flush_deadline = 0;
	while (!stop) {
		int timeout = -1;
		if (input_open && !in_polled)
			timeout = 0;
		if (!input_open) {
			int64_t left = flush_deadline - clock_mono_ms();
			if (!subs_pending(&hub.subs) || left <= 0)
				break;
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
				break;
			}
			case K_SUB:
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
	ndj_reader_free(&in);
	cfg_free();
	return KL_EXIT_OK;
}
