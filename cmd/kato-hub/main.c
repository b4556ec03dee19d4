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
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

enum kind { K_STDIN, K_LISTEN, K_SIG, K_SUB };

/* What epoll_event.data.ptr points at: every watched fd starts with it. */
typedef struct watch {
	enum kind kind;
	int fd;
} watch;

enum substate {
	S_HELLO, /* waiting for "sub\n" or "snap\n" */
	S_SUB,   /* retained, then live */
	S_SNAP,  /* retained, then close */
};

typedef struct sub {
	watch w;              /* kind K_SUB and the connection */
	unsigned long id;     /* for log lines */
	enum substate state;  /* see above */
	char hello[8];        /* the hello line so far */
	size_t hello_len;     /* bytes in hello */
	msgq q;               /* messages still to write to it */
	int want_out;         /* EPOLLOUT is armed */
	int rd_eof;           /* it shut down its sending side */
	int dead;             /* closed; freed after the current batch */
	struct sub *prev, *next; /* list of live subscribers */
	struct sub *next_dead;   /* list of subscribers to free */
} sub;

static struct {
	int ep;                      /* the epoll fd */
	watch in, lsn, sig;          /* stdin, listening socket, signalfd */
	lsock ls;                    /* the listening socket (fd in lsn too) */
	int spare_fd;                /* kept to shed a connection at EMFILE */
	size_t max_queue;            /* --max-queue */
	size_t max_line;             /* --max-line */
	retain_tab kept;             /* --retain types, the latest of each */
	sub *subs;                   /* live subscribers */
	sub *dead;                   /* closed, to free after the batch */
	unsigned long nsubs;         /* live subscribers */
	unsigned long next_id;       /* id of the next subscriber */
} hub;

/* Stop watching s and close it; memory goes at the end of the batch. */
static void sub_close(sub *s)
{
	if (s->dead)
		return;
	s->dead = 1;
	close(s->w.fd); /* also leaves the epoll set */
	if (s->prev)
		s->prev->next = s->next;
	else
		hub.subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next_dead = hub.dead;
	hub.dead = s;
	hub.nsubs--;
}

static void free_dead(void)
{
	while (hub.dead) {
		sub *s = hub.dead;
		hub.dead = s->next_dead;
		msgq_clear(&s->q);
		free(s);
	}
}

/* Watch s for input (until it has shut its side) and, if out, for room
 * to write. */
static void sub_events(sub *s, int out, int force)
{
	if (s->want_out == out && !force)
		return;
	struct epoll_event ev = {.events = (s->rd_eof ? 0u : EPOLLIN | EPOLLRDHUP) |
	                                   (out ? EPOLLOUT : 0u),
	                         .data.ptr = s};
	if (epoll_ctl(hub.ep, EPOLL_CTL_MOD, s->w.fd, &ev) == 0)
		s->want_out = out;
}

/* Write what is queued until done or the socket is full.  A snapshot
 * subscriber is closed once it has it all.  Returns -1 if s was closed. */
static int sub_flush(sub *s)
{
	while (s->q.n > 0) {
		if (msgq_write(&s->q, s->w.fd) >= 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			sub_events(s, 1, 0);
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EPIPE && errno != ECONNRESET)
			log_warn("subscriber %lu: write: %s", s->id, strerror(errno));
		sub_close(s);
		return -1;
	}
	sub_events(s, 0, 0);
	if (s->state == S_SNAP) {
		sub_close(s);
		return -1;
	}
	return 0;
}

/* Queue m to s, or cut s off if that would pass the bound (a subscriber
 * with nothing queued always takes one message, however long; force: the
 * retained messages for a newcomer, which always go).  Returns -1 if s
 * was closed. */
static int sub_queue(sub *s, msg *m, int force)
{
	int r = msgq_push(&s->q, m, hub.max_queue, force);
	if (r == MSGQ_OVER)
		log_warn("subscriber %lu cut off: %zu bytes queued, over "
		         "--max-queue %zu (it reads too slowly)",
		         s->id, s->q.queued, hub.max_queue);
	else if (r == MSGQ_NOMEM)
		log_warn("subscriber %lu cut off: out of memory", s->id);
	if (r != MSGQ_OK) {
		sub_close(s);
		return -1;
	}
	return 0;
}

/* The hello line: queue the retained messages and start. */
static void sub_hello(sub *s)
{
	char *line = s->hello;
	size_t n = s->hello_len - 1; /* without '\n' */
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n == 3 && !memcmp(line, "sub", 3)) {
		s->state = S_SUB;
	} else if (n == 4 && !memcmp(line, "snap", 4)) {
		s->state = S_SNAP;
	} else {
		log_warn("subscriber %lu: bad hello (want \"sub\" or \"snap\"), "
		         "closing it", s->id);
		sub_close(s);
		return;
	}
	for (int i = 0; i < hub.kept.n; i++)
		if (hub.kept.kept[i] && sub_queue(s, hub.kept.kept[i], 1) < 0)
			return;
	sub_flush(s);
}

static void sub_readable(sub *s)
{
	char buf[256];
	for (;;) {
		ssize_t r = read(s->w.fd, buf, sizeof buf);
		if (r == 0 && s->state != S_HELLO) {
			/* It has said all it had to say (printf 'sub\n' |
			 * socat ...): keep sending; a full hang-up shows as
			 * EPOLLHUP or a failed write. */
			s->rd_eof = 1;
			sub_events(s, s->want_out, 1);
			return;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			sub_close(s); /* it hung up */
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (s->state != S_HELLO)
			continue; /* nothing more is expected: ignore it */
		for (ssize_t i = 0; i < r; i++) {
			if (s->hello_len == sizeof s->hello) {
				log_warn("subscriber %lu: bad hello (too long), "
				         "closing it", s->id);
				sub_close(s);
				return;
			}
			s->hello[s->hello_len++] = buf[i];
			if (buf[i] == '\n') {
				sub_hello(s);
				if (s->dead)
					return;
				break; /* bytes after the hello are ignored */
			}
		}
	}
}

static void accept_all(void)
{
	for (;;) {
		int fd = accept4(hub.ls.fd, NULL, NULL,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: take the connection with
				 * the spare one and drop it, or the listening
				 * socket stays readable and the loop spins. */
				log_warn("accept: %s: refusing a subscriber "
				         "(%lu connected)", strerror(errno),
				         hub.nsubs);
				if (hub.spare_fd >= 0) {
					close(hub.spare_fd);
					int c = accept(hub.ls.fd, NULL, NULL);
					if (c >= 0)
						close(c);
					hub.spare_fd = open("/dev/null",
					                    O_RDONLY | O_CLOEXEC);
				}
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		sub *s = calloc(1, sizeof *s);
		if (!s) {
			log_warn("refusing a subscriber: out of memory");
			close(fd);
			continue;
		}
		s->w.kind = K_SUB;
		s->w.fd = fd;
		s->id = ++hub.next_id;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
		                         .data.ptr = s};
		if (epoll_ctl(hub.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl: %s: refusing a subscriber",
			         strerror(errno));
			close(fd);
			free(s);
			continue;
		}
		s->next = hub.subs;
		if (hub.subs)
			hub.subs->prev = s;
		hub.subs = s;
		hub.nsubs++;
	}
}

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
	for (sub *s = hub.subs, *next; s; s = next) {
		next = s->next;
		if (s->state != S_SUB)
			continue;
		int was_empty = s->q.n == 0;
		if (sub_queue(s, m, 0) == 0 && was_empty)
			sub_flush(s);
	}
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

static void watch_add(watch *w, int fd, enum kind kind)
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
	hub.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

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
			int pending = 0;
			for (sub *s = hub.subs; s && !pending; s = s->next)
				pending = s->q.n > 0;
			if (!pending || left <= 0)
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
					accept_all();
				break;
			case K_SIG: {
				int s;
				while ((s = sig_read(sigfd)) > 0)
					if (sig_is_stop(s))
						stop = 1;
				break;
			}
			case K_SUB: {
				sub *s = (sub *)w;
				if (s->dead)
					break;
				if (e & (EPOLLHUP | EPOLLERR)) {
					sub_close(s); /* gone both ways */
					break;
				}
				if (e & (EPOLLIN | EPOLLRDHUP))
					sub_readable(s);
				if (!s->dead && (e & EPOLLOUT))
					sub_flush(s);
				break;
			}
			}
		}
		free_dead();
		if (!input_open && hub.ls.fd >= 0) {
			/* The feeder is gone: no newcomers; drain and go. */
			lsock_close(&hub.ls);
			flush_deadline = clock_mono_ms() + FLUSH_MS;
		}
	}

	lsock_close(&hub.ls);
	while (hub.subs)
		sub_close(hub.subs);
	free_dead();
	retain_clear(&hub.kept);
	ndj_reader_free(&in);
	cfg_free();
	return KL_EXIT_OK;
}
