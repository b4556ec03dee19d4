/* wsload - WebSocket delivery benchmark client (kato-live tests/bench).
 *
 * Opens N WebSocket connections to one server on one epoll thread, reads
 * every text message, and measures how long each benchmark frame took from
 * its producer to each client.  A benchmark frame is any message carrying
 *   "bench_seq":<integer>  and  "bench_t":<CLOCK_MONOTONIC ns at send>
 * (anywhere in the message; the producer stamps it just before writing).
 * The producer and wsload run on the same machine, so their monotonic
 * clocks agree.
 *
 * Measurement: once every client has finished its handshake and --settle
 * seconds have passed, the window opens for --duration seconds.  Frames
 * whose bench_t falls in the window are the measured ones; wsload keeps
 * reading for --grace seconds after the window closes, then reads the
 * producer's log (--sent-log, lines "<seq> <bench_t>") to learn which
 * frames were sent in the window, and counts, per client, the ones that
 * never arrived.  Latency samples come from every measured frame that did
 * arrive.
 *
 * --subscribe-half TEXT sends TEXT (a subscribe message, at most 125
 * bytes) from every other measured client as soon as it is open, so half
 * the clients take other topics than the rest.
 *
 * --stuck K opens K extra connections first, with a tiny SO_RCVBUF: they
 * complete the handshake and then are never read again, so the kernel
 * buffers between them and the server fill up and stay full.  Once they
 * are connected, wsload creates --stuck-file (the harness then makes the
 * producer burst, to fill those buffers quickly) and waits --prefill
 * seconds before the measured clients connect.
 *
 * Output: one JSON object on stdout.  Diagnostics on stderr.
 * Exit: 0 ok, 100 usage, 111 system failure or no client connected.
 *
 * This is a test tool: a minimal RFC 6455 client (no extensions, no TLS),
 * masked client frames, unmasked server frames, fragmented messages
 * reassembled, pings answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEQ   (1u << 16)        /* frames per run we can track */
#define RBUF_INIT 16384             /* per-client read buffer, grows */
#define RBUF_MAX  (4u << 20)        /* largest message we accept */

enum cstate { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };

struct client {
	int fd;
	enum cstate st;
	unsigned char *buf;  /* unread bytes from the socket */
	size_t len, cap;
	unsigned char *msg;  /* fragmented message being reassembled */
	size_t mlen, mcap;
	unsigned char *seen; /* bitmap of bench_seq received */
	uint32_t got;        /* measured frames received */
	uint32_t dup;        /* measured frames received twice */
	int stuck;
};

static const char *prog = "wsload";
static struct client *cl;
static int ncl;
static int64_t win_start = -1, win_end = -1;
static double *lat; /* latency samples, ms */
static size_t nlat, caplat;
static uint64_t msgs_total, bytes_total, closed_by_server, proto_errors;

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: fatal: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void warnx_(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die(111, "unable to allocate %zu bytes: out of memory", n);
	return p;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: wsload --port PORT [--host 127.0.0.1] [--path /] -n CLIENTS\n"
	    "              --sent-log FILE [--duration 10] [--settle 1] [--grace 2]\n"
	    "              [--stuck K] [--prefill 5] [--stuck-file FILE]\n"
	    "              [--ready-file FILE]\n"
	    "              [--connect-timeout 60] [--concurrency 64]\n"
	    "              [--subscribe-half TEXT]\n");
	exit(100);
}

static const char handshake_fmt[] =
    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\nOrigin: http://%s:%d\r\n\r\n";

/* Send a masked client frame; these are tiny (pong, close), so a short
 * write on a loopback socket with room means the peer is gone anyway. */
static void send_frame(struct client *c, int opcode, const unsigned char *p,
                       size_t n)
{
	unsigned char f[2 + 4 + 125];
	size_t i;
	if (n > 125)
		n = 125;
	f[0] = 0x80 | (unsigned char)opcode;
	f[1] = 0x80 | (unsigned char)n;
	memcpy(f + 2, "\x12\x34\x56\x78", 4);
	for (i = 0; i < n; i++)
		f[6 + i] = p[i] ^ f[2 + (i & 3)];
	if (write(c->fd, f, 6 + n) < 0 && errno != EAGAIN)
		c->st = C_CLOSED;
}

/* Find "key": followed by an integer in [p, p+n).  Returns 0 and sets *v. */
static int find_int(const unsigned char *p, size_t n, const char *key,
                    int64_t *v)
{
	size_t kl = strlen(key);
	const unsigned char *q = memmem(p, n, key, kl), *end = p + n;
	int64_t x = 0;
	if (!q)
		return -1;
	q += kl;
	while (q < end && (*q == ' ' || *q == ':'))
		q++;
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9')
		x = x * 10 + (*q++ - '0');
	*v = x;
	return 0;
}

static void on_message(struct client *c, const unsigned char *p, size_t n,
                       int64_t now)
{
	int64_t seq, t;
	msgs_total++;
	bytes_total += n;
	if (win_start < 0 || find_int(p, n, "\"bench_seq\"", &seq) ||
	    find_int(p, n, "\"bench_t\"", &t))
		return;
	if (t < win_start || t >= win_end || seq < 0 || seq >= MAX_SEQ)
		return;
	if (c->seen[seq >> 3] & (1u << (seq & 7))) {
		c->dup++;
		return;
	}
	c->seen[seq >> 3] |= (unsigned char)(1u << (seq & 7));
	c->got++;
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		lat = xrealloc(lat, caplat * sizeof *lat);
	}
	lat[nlat++] = (double)(now - t) / 1e6;
}

/* Parse as many complete frames as the buffer holds. */
static void parse_frames(struct client *c, int64_t now)
{
	size_t off = 0;
	while (c->st == C_OPEN) {
		unsigned char *b = c->buf + off;
		size_t avail = c->len - off, hl = 2;
		uint64_t pl;
		int fin, op;
		if (avail < 2)
			break;
		fin = b[0] & 0x80;
		op = b[0] & 0x0f;
		pl = b[1] & 0x7f;
		if (b[1] & 0x80) { /* servers must not mask */
			proto_errors++;
			c->st = C_CLOSED;
			break;
		}
		if (pl == 126) {
			if (avail < 4)
				break;
			pl = (uint64_t)b[2] << 8 | b[3];
			hl = 4;
		} else if (pl == 127) {
			int i;
			if (avail < 10)
				break;
			pl = 0;
			for (i = 0; i < 8; i++)
				pl = pl << 8 | b[2 + i];
			hl = 10;
		}
		if (pl > RBUF_MAX) {
			proto_errors++;
			c->st = C_CLOSED;
			break;
		}
		if (avail < hl + pl) {
			if (hl + pl > c->cap) {
				c->cap = hl + pl;
				/* move the partial frame to the front first */
				memmove(c->buf, b, avail);
				c->len = avail;
				off = 0;
				c->buf = xrealloc(c->buf, c->cap);
			}
			break;
		}
		b += hl;
		switch (op) {
		case 0x0: case 0x1: case 0x2:
			if (fin && c->mlen == 0) {
				on_message(c, b, pl, now);
			} else {
				if (c->mlen + pl > c->mcap) {
					c->mcap = c->mlen + pl;
					c->msg = xrealloc(c->msg, c->mcap);
				}
				memcpy(c->msg + c->mlen, b, pl);
				c->mlen += pl;
				if (fin) {
					on_message(c, c->msg, c->mlen, now);
					c->mlen = 0;
				}
			}
			break;
		case 0x8:
			send_frame(c, 0x8, b, pl < 2 ? pl : 2);
			closed_by_server++;
			c->st = C_CLOSED;
			break;
		case 0x9:
			send_frame(c, 0xA, b, pl);
			break;
		default:
			break;
		}
		off += hl + pl;
	}
	if (off) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
}

static int open_socket(const struct sockaddr_in *sa, int rcvbuf, int nb)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	                (nb ? SOCK_NONBLOCK : 0), 0);
	int one = 1;
	if (fd < 0)
		die(111, "unable to create socket: %s", strerror(errno));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 &&
	    errno != EINPROGRESS) {
		warnx_("unable to connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void send_handshake(struct client *c, const char *host, int port,
                           const char *path)
{
	char req[1024];
	int n = snprintf(req, sizeof req, handshake_fmt, path, host, port,
	                 host, port);
	if (write(c->fd, req, (size_t)n) != n)
		c->st = C_CLOSED;
	else
		c->st = C_HANDSHAKE;
}

/* Handshake reply complete?  1 yes (101), 0 not yet, -1 refused. */
static int check_handshake(struct client *c)
{
	unsigned char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
	size_t hl;
	if (!e)
		return c->len > 8192 ? -1 : 0;
	if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0)
		return -1;
	hl = (size_t)(e + 4 - c->buf);
	memmove(c->buf, c->buf + hl, c->len - hl);
	c->len -= hl;
	return 1;
}

/* Stuck clients: blocking connect and handshake, then never read again. */
static int open_stuck(struct client *c, const struct sockaddr_in *sa,
                      const char *host, int port, const char *path)
{
	int64_t end = mono_ns() + 10 * 1000000000LL;
	c->fd = open_socket(sa, 1024, 0);
	if (c->fd < 0)
		return -1;
	send_handshake(c, host, port, path);
	/* Read byte by byte so no frame after the reply is consumed. */
	while (mono_ns() < end) {
		unsigned char ch;
		ssize_t r = read(c->fd, &ch, 1);
		if (r <= 0)
			return -1;
		if (c->len == c->cap)
			return -1;
		c->buf[c->len++] = ch;
		if (c->len >= 4 && memcmp(c->buf + c->len - 4, "\r\n\r\n", 4) == 0)
			return check_handshake(c) == 1 ? 0 : -1;
	}
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double p)
{
	size_t i;
	if (!nlat)
		return -1;
	i = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
	return lat[i];
}

static void raise_nofile(int need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need + 16)
		die(111, "unable to open %d sockets: RLIMIT_NOFILE is %lu", need,
		    (unsigned long)rl.rlim_cur);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", 1, 0, 'H'}, {"port", 1, 0, 'p'}, {"path", 1, 0, 'P'},
		{"clients", 1, 0, 'n'}, {"duration", 1, 0, 'd'},
		{"settle", 1, 0, 's'}, {"grace", 1, 0, 'g'},
		{"stuck", 1, 0, 'k'}, {"prefill", 1, 0, 'f'},
		{"sent-log", 1, 0, 'l'}, {"ready-file", 1, 0, 'r'},
		{"connect-timeout", 1, 0, 't'}, {"concurrency", 1, 0, 'c'},
		{"stuck-file", 1, 0, 'S'}, {"subscribe-half", 1, 0, 'B'},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	const char *host = "127.0.0.1", *path = "/", *sent_log = NULL,
	           *ready_file = NULL, *stuck_file = NULL, *sub_half = NULL;
	int port = 0, n = 0, nstuck = 0, conc = 64, o, i, ep, ready = 0,
	    started = 0, inflight = 0, failed = 0;
	double duration = 10, settle = 1, grace = 2, prefill = 5, ctimeout = 60;
	struct sockaddr_in sa;
	struct epoll_event ev, evs[256];
	int64_t t0, settle_at = -1;
	struct rusage ru;

	while ((o = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
		switch (o) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': path = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 's': settle = atof(optarg); break;
		case 'g': grace = atof(optarg); break;
		case 'k': nstuck = atoi(optarg); break;
		case 'f': prefill = atof(optarg); break;
		case 'l': sent_log = optarg; break;
		case 'r': ready_file = optarg; break;
		case 't': ctimeout = atof(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'S': stuck_file = optarg; break;
		case 'B': sub_half = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || port <= 0 || port > 65535 || n <= 0 ||
	    n > 100000 || nstuck < 0 || conc <= 0 || !sent_log || duration <= 0)
		usage();
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die(100, "bad --host %s: not an IPv4 address", host);
	raise_nofile(n + nstuck);

	ncl = n + nstuck;
	cl = calloc((size_t)ncl, sizeof *cl);
	if (!cl)
		die(111, "unable to allocate clients: out of memory");
	for (i = 0; i < ncl; i++) {
		cl[i].fd = -1;
		cl[i].cap = RBUF_INIT;
		cl[i].buf = xrealloc(NULL, RBUF_INIT);
		cl[i].stuck = i >= n;
		if (!cl[i].stuck) {
			cl[i].seen = calloc(MAX_SEQ / 8, 1);
			if (!cl[i].seen)
				die(111, "unable to allocate: out of memory");
		}
	}

	for (i = n; i < ncl; i++)
		if (open_stuck(&cl[i], &sa, host, port, path) < 0)
			die(111, "unable to open stuck client %d", i - n);
	if (nstuck && stuck_file) {
		FILE *f = fopen(stuck_file, "w");
		if (!f || fclose(f) != 0)
			die(111, "unable to create %s: %s", stuck_file, strerror(errno));
	}
	if (nstuck && prefill > 0) {
		struct timespec ts = {(time_t)prefill,
		                      (long)((prefill - (time_t)prefill) * 1e9)};
		nanosleep(&ts, NULL);
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die(111, "unable to create epoll: %s", strerror(errno));
	t0 = mono_ns();
	for (;;) {
		int64_t now = mono_ns();
		int timeout = 100, k;
		/* keep at most conc connections in their handshake */
		while (started < n && inflight < conc) {
			struct client *c = &cl[started++];
			c->fd = open_socket(&sa, 0, 1);
			if (c->fd < 0) {
				c->st = C_CLOSED;
				failed++;
				continue;
			}
			c->st = C_CONNECTING;
			ev.events = EPOLLIN | EPOLLOUT;
			ev.data.u32 = (uint32_t)(c - cl);
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
			inflight++;
		}
		if (win_start < 0) {
			if (settle_at < 0 && started == n && inflight == 0)
				settle_at = now + (int64_t)(settle * 1e9);
			if (settle_at >= 0 && now >= settle_at) {
				win_start = now;
				win_end = now + (int64_t)(duration * 1e9);
				if (ready_file) {
					FILE *f = fopen(ready_file, "w");
					if (f) {
						fprintf(f, "%lld\n", (long long)win_start);
						fclose(f);
					}
				}
			} else if (settle_at < 0 &&
			           now - t0 > (int64_t)(ctimeout * 1e9)) {
				die(111, "unable to connect %d clients in %.0f s "
				    "(%d open, %d failed)", n, ctimeout, ready, failed);
			}
		} else if (now >= win_end + (int64_t)(grace * 1e9)) {
			break;
		}
		k = epoll_wait(ep, evs, 256, timeout);
		if (k < 0 && errno != EINTR)
			die(111, "epoll_wait: %s", strerror(errno));
		for (i = 0; i < k; i++) {
			struct client *c = &cl[evs[i].data.u32];
			int was = c->st;
			now = mono_ns();
			if (c->st == C_CONNECTING) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					c->st = C_CLOSED;
				} else {
					send_handshake(c, host, port, path);
					ev.events = EPOLLIN;
					ev.data.u32 = evs[i].data.u32;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			} else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				for (;;) {
					ssize_t r;
					if (c->cap - c->len < 4096) {
						c->cap *= 2;
						c->buf = xrealloc(c->buf, c->cap);
					}
					r = read(c->fd, c->buf + c->len, c->cap - c->len);
					if (r < 0 && errno == EINTR)
						continue;
					if (r < 0 && errno == EAGAIN)
						break;
					if (r <= 0) {
						c->st = C_CLOSED;
						break;
					}
					now = mono_ns();
					c->len += (size_t)r;
					if (c->st == C_HANDSHAKE) {
						int h = check_handshake(c);
						if (h < 0)
							c->st = C_CLOSED;
						else if (h > 0) {
							c->st = C_OPEN;
							ready++;
							inflight--;
							if (sub_half && !c->stuck &&
							    (c - cl) % 2 == 0)
								send_frame(c, 1,
								    (const unsigned char *)sub_half,
								    strlen(sub_half));
						}
					}
					if (c->st == C_OPEN)
						parse_frames(c, now);
					if (c->st == C_CLOSED)
						break;
				}
			}
			if (c->st == C_CLOSED && was != C_CLOSED) {
				if (was == C_CONNECTING || was == C_HANDSHAKE) {
					inflight--;
					failed++;
				}
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
			}
		}
	}

	/* Which frames were sent inside the window? */
	{
		FILE *f = fopen(sent_log, "r");
		long long s, t;
		uint64_t sent = 0, expected = 0, got = 0, dup = 0, lost = 0;
		int64_t seq_first = -1, seq_last = -1;
		int clients_with_loss = 0, open_at_end = 0;
		if (!f)
			die(111, "unable to open %s: %s", sent_log, strerror(errno));
		for (i = 0; i < n; i++) {
			got += cl[i].got;
			dup += cl[i].dup;
			if (cl[i].st == C_OPEN)
				open_at_end++;
		}
		while (fscanf(f, "%lld %lld", &s, &t) == 2) {
			int lost_here = 0;
			if (t < win_start || t >= win_end || s < 0 || s >= MAX_SEQ)
				continue;
			sent++;
			if (seq_first < 0)
				seq_first = s;
			seq_last = s;
			for (i = 0; i < n; i++)
				if (!(cl[i].seen[s >> 3] & (1u << (s & 7))))
					lost_here++;
			lost += (uint64_t)lost_here;
		}
		fclose(f);
		expected = sent * (uint64_t)n;
		/* clients that lost at least one frame */
		{
			f = fopen(sent_log, "r");
			unsigned char *miss = calloc((size_t)n, 1);
			while (f && miss && fscanf(f, "%lld %lld", &s, &t) == 2) {
				if (t < win_start || t >= win_end || s < 0 ||
				    s >= MAX_SEQ)
					continue;
				for (i = 0; i < n; i++)
					if (!(cl[i].seen[s >> 3] & (1u << (s & 7))))
						miss[i] = 1;
			}
			if (f)
				fclose(f);
			for (i = 0; miss && i < n; i++)
				clients_with_loss += miss[i];
			free(miss);
		}
		qsort(lat, nlat, sizeof *lat, cmp_double);
		getrusage(RUSAGE_SELF, &ru);
		printf("{\"clients\":%d,\"connected\":%d,\"failed\":%d,"
		       "\"open_at_end\":%d,\"stuck\":%d,\"window_s\":%.3f,"
		       "\"frames_sent\":%llu,\"seq_first\":%lld,\"seq_last\":%lld,"
		       "\"expected\":%llu,\"received\":%llu,\"lost\":%llu,"
		       "\"duplicates\":%llu,\"clients_with_loss\":%d,",
		       n, ready, failed, open_at_end, nstuck, duration,
		       (unsigned long long)sent, (long long)seq_first,
		       (long long)seq_last, (unsigned long long)expected,
		       (unsigned long long)got, (unsigned long long)lost,
		       (unsigned long long)dup, clients_with_loss);
		if (nlat)
			printf("\"latency_ms\":{\"samples\":%zu,\"p50\":%.3f,"
			       "\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
			       nlat, pct(50), pct(90), pct(99), lat[nlat - 1]);
		else
			printf("\"latency_ms\":{\"samples\":0,\"p50\":null,"
			       "\"p90\":null,\"p99\":null,\"max\":null},");
		printf("\"messages\":%llu,\"bytes\":%llu,\"closed_by_server\":%llu,"
		       "\"protocol_errors\":%llu,\"client_cpu_s\":%.3f}\n",
		       (unsigned long long)msgs_total,
		       (unsigned long long)bytes_total,
		       (unsigned long long)closed_by_server,
		       (unsigned long long)proto_errors,
		       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	fflush(stdout);
	return ready > 0 ? 0 : 111;
}
