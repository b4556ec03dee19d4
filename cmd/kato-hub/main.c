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
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "exitcode.h"
#include "hubsock.h"
#include "js.h"
#include "log.h"
#include "ndj.h"
#include "sig.h"

#define DEFAULT_RETAIN "realtime_update,metrics_update,active_alerts"
#define DEFAULT_MAX_QUEUE (1024 * 1024)
#define DEFAULT_MAX_LINE (1024 * 1024)
#define MAX_RETAIN 16
#define TYPE_LEN 64
#define FLUSH_MS 1000 /* how long subscribers get to drain after stdin EOF */
#define WRITEV_MAX 64

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

/* One input line and its '\n', shared by every queue that holds it. */
typedef struct msg {
	unsigned refs; /* queues and retain slots holding it */
	size_t len;    /* bytes in data, '\n' included */
	char data[];   /* the line */
} msg;

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
	msg **q;              /* ring of queued messages */
	size_t qcap;          /* slots in q (a power of two) */
	size_t qhead;         /* index of the oldest */
	size_t qn;            /* messages queued */
	size_t off;           /* bytes of the oldest already written */
	size_t queued;        /* bytes still to write */
	int want_out;         /* EPOLLOUT is armed */
	int rd_eof;           /* it shut down its sending side */
	int dead;             /* closed; freed after the current batch */
	struct sub *prev, *next; /* list of live subscribers */
	struct sub *next_dead;   /* list of subscribers to free */
} sub;

static struct {
	int ep;                      /* the epoll fd */
	watch in, lsn, sig;          /* stdin, listening socket, signalfd */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* socket */
	dev_t sock_dev;              /* the socket file we made, to remove */
	ino_t sock_ino;              /* only it at exit */
	int spare_fd;                /* kept to shed a connection at EMFILE */
	size_t max_queue;            /* --max-queue */
	size_t max_line;             /* --max-line */
	char retain[MAX_RETAIN][TYPE_LEN]; /* retained types, output order */
	msg *kept[MAX_RETAIN];       /* the latest of each, or NULL */
	int nretain;                 /* types in retain */
	sub *subs;                   /* live subscribers */
	sub *dead;                   /* closed, to free after the batch */
	unsigned long nsubs;         /* live subscribers */
	unsigned long next_id;       /* id of the next subscriber */
} hub;

static void msg_unref(msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

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
		for (size_t i = 0; i < s->qn; i++)
			msg_unref(s->q[(s->qhead + i) & (s->qcap - 1)]);
		free(s->q);
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
	while (s->qn > 0) {
		struct iovec iov[WRITEV_MAX];
		int n = 0;
		for (size_t i = 0; i < s->qn && n < WRITEV_MAX; i++, n++) {
			msg *m = s->q[(s->qhead + i) & (s->qcap - 1)];
			size_t skip = i == 0 ? s->off : 0;
			iov[n].iov_base = m->data + skip;
			iov[n].iov_len = m->len - skip;
		}
		ssize_t w = writev(s->w.fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				sub_events(s, 1, 0);
				return 0;
			}
			if (errno == EINTR)
				continue;
			if (errno != EPIPE && errno != ECONNRESET)
				log_warn("subscriber %lu: write: %s", s->id,
				         strerror(errno));
			sub_close(s);
			return -1;
		}
		s->queued -= (size_t)w;
		size_t left = (size_t)w;
		while (left > 0) {
			msg *m = s->q[s->qhead];
			size_t rest = m->len - s->off;
			if (left < rest) {
				s->off += left;
				break;
			}
			left -= rest;
			s->off = 0;
			msg_unref(m);
			s->qhead = (s->qhead + 1) & (s->qcap - 1);
			s->qn--;
		}
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
	if (!force && s->queued > 0 && s->queued + m->len > hub.max_queue) {
		log_warn("subscriber %lu cut off: %zu bytes queued, over "
		         "--max-queue %zu (it reads too slowly)",
		         s->id, s->queued, hub.max_queue);
		sub_close(s);
		return -1;
	}
	if (s->qn == s->qcap) {
		size_t cap = s->qcap ? s->qcap * 2 : 8;
		msg **q = malloc(cap * sizeof *q);
		if (!q) {
			log_warn("subscriber %lu cut off: out of memory", s->id);
			sub_close(s);
			return -1;
		}
		for (size_t i = 0; i < s->qn; i++)
			q[i] = s->q[(s->qhead + i) & (s->qcap - 1)];
		free(s->q);
		s->q = q;
		s->qcap = cap;
		s->qhead = 0;
	}
	s->q[(s->qhead + s->qn) & (s->qcap - 1)] = m;
	s->qn++;
	m->refs++;
	s->queued += m->len;
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
	for (int i = 0; i < hub.nretain; i++)
		if (hub.kept[i] && sub_queue(s, hub.kept[i], 1) < 0)
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
		int fd = accept4(hub.lsn.fd, NULL, NULL,
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
					int c = accept(hub.lsn.fd, NULL, NULL);
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

static int retain_slot(const char *type)
{
	for (int i = 0; i < hub.nretain; i++)
		if (!strcmp(hub.retain[i], type))
			return i;
	return -1;
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
	int slot = retain_slot(t->valuestring);
	cJSON_Delete(j);

	msg *m = malloc(sizeof *m + len + 1);
	if (!m) {
		log_warn("stdin line %lu: out of memory, skipped", lineno);
		return;
	}
	m->refs = 1; /* ours until the end of this function */
	m->len = len + 1;
	memcpy(m->data, line, len);
	m->data[len] = '\n';
	if (slot >= 0) {
		msg_unref(hub.kept[slot]);
		hub.kept[slot] = m;
		m->refs++;
	}
	for (sub *s = hub.subs, *next; s; s = next) {
		next = s->next;
		if (s->state != S_SUB)
			continue;
		int was_empty = s->qn == 0;
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

static void parse_retain(const char *list)
{
	hub.nretain = 0;
	/* realtime_update goes first whatever the order given. */
	char copy[1024];
	if (strlen(list) >= sizeof copy)
		log_usage("--retain: list too long");
	for (int pass = 0; pass < 2; pass++) {
		strcpy(copy, list);
		for (char *save, *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			int first = !strcmp(t, "realtime_update");
			if (pass == 0 ? !first : first)
				continue;
			if (strlen(t) >= TYPE_LEN)
				log_usage("--retain: type too long: %s", t);
			if (retain_slot(t) >= 0)
				continue;
			if (hub.nretain == MAX_RETAIN)
				log_usage("--retain: more than %d types",
				          MAX_RETAIN);
			strcpy(hub.retain[hub.nretain++], t);
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

/* mkdir -p for the socket's directory; the ones we create are 0700. */
static void make_dirs(const char *path)
{
	char d[sizeof hub.path];
	snprintf(d, sizeof d, "%s", path);
	char *slash = strrchr(d, '/');
	if (!slash || slash == d)
		return;
	*slash = '\0';
	for (char *p = d + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(d, 0700) < 0 && errno != EEXIST)
				log_die(KL_EXIT_TEMP, "unable to create %s: %s", d,
				        strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
}

static void listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		log_usage("--socket: path too long: %s", path);
	strcpy(sa.sun_path, path);
	snprintf(hub.path, sizeof hub.path, "%s", path);
	make_dirs(path);

	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			log_die(KL_EXIT_USAGE, "%s exists and is not a socket",
			        path);
		/* A socket file: is a hub behind it? */
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof sa) == 0)
			log_die(KL_EXIT_TEMP, "another hub serves %s", path);
		if (c >= 0)
			close(c);
		if (unlink(path) < 0)
			log_die(KL_EXIT_TEMP, "unable to remove stale %s: %s",
			        path, strerror(errno));
	}
	hub.lsn.kind = K_LISTEN;
	hub.lsn.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                    0);
	if (hub.lsn.fd < 0)
		log_die(KL_EXIT_TEMP, "unable to create a socket: %s",
		        strerror(errno));
	if (bind(hub.lsn.fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		log_die(KL_EXIT_TEMP, "unable to bind %s: %s", path,
		        strerror(errno));
	if (stat(path, &st) == 0) {
		hub.sock_dev = st.st_dev;
		hub.sock_ino = st.st_ino;
	}
	if (listen(hub.lsn.fd, SOMAXCONN) < 0)
		log_die(KL_EXIT_TEMP, "unable to listen on %s: %s", path,
		        strerror(errno));
}

/* Remove the socket file, if it is still the one we made. */
static void unlink_socket(void)
{
	struct stat st;
	if (hub.path[0] && stat(hub.path, &st) == 0 &&
	    st.st_dev == hub.sock_dev && st.st_ino == hub.sock_ino)
		unlink(hub.path);
	hub.path[0] = '\0';
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

	char path[sizeof hub.path];
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
	parse_retain(retain);

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
	listen_on(path);
	watch_add(&hub.lsn, hub.lsn.fd, K_LISTEN);

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
				pending = s->qn > 0;
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
				if (hub.lsn.fd >= 0)
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
		if (!input_open && hub.lsn.fd >= 0) {
			/* The feeder is gone: no newcomers; drain and go. */
			close(hub.lsn.fd);
			hub.lsn.fd = -1;
			unlink_socket();
			flush_deadline = clock_mono_ms() + FLUSH_MS;
		}
	}

	unlink_socket();
	while (hub.subs)
		sub_close(hub.subs);
	free_dead();
	for (int i = 0; i < hub.nretain; i++)
		msg_unref(hub.kept[i]);
	ndj_reader_free(&in);
	cfg_free();
	return KL_EXIT_OK;
}
