/* subs.c - kato-hub's connections.  See subs.h. */
#include "subs.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "hubsock.h"
#include "log.h"
#include "topics.h"

#define MAX_FDS 8 /* room for fds in one recvmsg: more is a protocol error */
#define CLOSING_MS 10000 /* how long a client cut off has to take its error */

enum substate {
	S_HELLO, /* waiting for the hello */
	S_SUB,   /* retained, then live */
	S_SNAP,  /* retained, then close */
	S_WS,    /* a WebSocket client: its pipe is written */
};

struct sub {
	watch w;              /* kind K_SUB and the socket */
	watch pw;             /* kind K_PIPE and the client's pipe (or -1) */
	subs *set;            /* the set it belongs to */
	unsigned long id;     /* for log lines */
	enum substate state;  /* see above */
	char line[CMD_LINE_MAX + 2]; /* the command line so far */
	size_t line_len;      /* bytes in line */
	msgq q;               /* messages still to write to it */
	int out_fd;           /* where q goes: the socket, or the pipe */
	int want_out;         /* EPOLLOUT is armed on out_fd */
	int rd_eof;           /* it shut down its sending side */
	int dead;             /* closed; freed at subs_reap */
	unsigned want;        /* S_WS: the topics it gets */
	int64_t hb_ms;        /* S_WS: idle heartbeat period (0: none) */
	int64_t silence_ms;   /* S_WS: close after this long unheard (0: no) */
	int64_t heard_ms;     /* S_WS: when its last command came */
	int64_t born_ms;      /* when it connected */
	int64_t last_out_ms;  /* when something was last queued to it */
	int64_t progress_ms;  /* when its queue last moved or was empty */
	int64_t closing_at;   /* cut off: closed once its error is written,
	                         or at this time at the latest (0: not) */
	struct sub *prev, *next; /* list of live connections */
	struct sub *next_dead;   /* list of connections to free */
};

void subs_init(subs *ss, int ep, size_t max_queue, int64_t slow_ms,
               const reply_cfg *rc, const retain_tab *kept,
               const keyed *sessions, views *frames, hub_stats *st)
{
	*ss = (subs){.ep = ep, .max_queue = max_queue, .slow_ms = slow_ms,
	             .rc = *rc, .kept = kept, .sessions = sessions,
	             .frames = frames, .st = st};
	ss->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Stop watching s and close it; memory goes at the end of the batch. */
static void sub_close(sub *s)
{
	if (s->dead)
		return;
	s->dead = 1;
	close(s->w.fd); /* also leaves the epoll set */
	if (s->pw.fd >= 0)
		close(s->pw.fd);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->set->live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next_dead = s->set->dead;
	s->set->dead = s;
	s->set->n--;
	if (s->state == S_SUB)
		s->set->nsub--;
	else if (s->state == S_WS)
		s->set->nws--;
}

void subs_reap(subs *ss)
{
	while (ss->dead) {
		sub *s = ss->dead;
		ss->dead = s->next_dead;
		msgq_clear(&s->q);
		free(s);
	}
}

/* Watch s's socket for input (until it has shut its side) and, if out
 * and the queue goes there, for room to write; a client's pipe for room
 * to write (and always for errors: its reader went away). */
static void sub_events(sub *s, int out, int force)
{
	if (s->want_out == out && !force)
		return;
	int on_pipe = s->state == S_WS;
	struct epoll_event ev = {
	    .events = (s->rd_eof ? 0u : EPOLLIN | EPOLLRDHUP) |
	              (out && !on_pipe ? EPOLLOUT : 0u),
	    .data.ptr = &s->w};
	epoll_ctl(s->set->ep, EPOLL_CTL_MOD, s->w.fd, &ev);
	if (on_pipe) {
		struct epoll_event pev = {.events = out ? EPOLLOUT : 0u,
		                          .data.ptr = &s->pw};
		epoll_ctl(s->set->ep, EPOLL_CTL_MOD, s->pw.fd, &pev);
	}
	s->want_out = out;
}

/* Write what is queued until done or the fd is full.  A snapshot
 * subscriber is closed once it has it all.  Returns -1 if s was closed. */
static int sub_flush(sub *s)
{
	while (s->q.n > 0) {
		ssize_t w = msgq_write(&s->q, s->out_fd, &s->set->st->sent);
		if (w > 0) {
			s->progress_ms = clock_mono_ms();
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			sub_events(s, 1, 0);
			return 0;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EPIPE && errno != ECONNRESET)
			log_warn("subscriber %lu: write: %s", s->id, strerror(errno));
		sub_close(s);
		return -1;
	}
	s->progress_ms = clock_mono_ms();
	sub_events(s, 0, 0);
	if (s->state == S_SNAP || s->closing_at) {
		sub_close(s);
		return -1;
	}
	return 0;
}

/* Room left in a pipe, or -1 if it cannot be told. */
/* Cut s off, counted in *counter.  A WebSocket client is told why (an
 * error with code, and text): what is queued goes, except the rest of a
 * line already begun, the error follows it, and the client is closed
 * once it has taken that, or after CLOSING_MS.  Nothing else is sent to
 * it meanwhile, so what it gets is whole lines and the reason. */
static void sub_cutoff_code(sub *s, unsigned long long *counter,
                            const char *code, const char *text,
                            const char *why)
{
	(*counter)++;
	log_warn("subscriber %lu cut off: %s", s->id, why);
	if (s->state != S_WS || s->closing_at) {
		sub_close(s);
		return;
	}
	msgq_drop_unstarted(&s->q);
	msg *e = reply_error(code, text);
	int r = e ? msgq_push(&s->q, e, SIZE_MAX, 1) : MSGQ_NOMEM;
	msg_unref(e);
	if (r != MSGQ_OK) {
		sub_close(s);
		return;
	}
	s->closing_at = clock_mono_ms() + CLOSING_MS;
	if (s->set->next_scan > s->closing_at)
		s->set->next_scan = s->closing_at;
	sub_flush(s);
}

/* Cut s off for falling behind (error too_slow). */
static void sub_cutoff(sub *s, unsigned long long *counter, const char *why)
{
	char text[300];
	snprintf(text, sizeof text, "you fell behind (%s); reconnect", why);
	sub_cutoff_code(s, counter, "too_slow", text, why);
}

/* Queue m to s, or cut s off if that would pass the bound (a subscriber
 * with nothing queued always takes one message, however long; force: the
 * retained messages for a newcomer, which always go).  Returns -1 if s
 * was closed. */
static int sub_queue(sub *s, msg *m, int force)
{
	if (s->q.n == 0)
		s->progress_ms = clock_mono_ms();
	int r = msgq_push(&s->q, m, s->set->max_queue, force);
	if (r == MSGQ_OK) {
		s->last_out_ms = clock_mono_ms();
		return 0;
	}
	char why[160];
	if (r == MSGQ_OVER) {
		snprintf(why, sizeof why,
		         "%zu bytes queued, over --max-queue %zu (it reads too "
		         "slowly)", s->q.queued, s->set->max_queue);
		sub_cutoff(s, &s->set->st->cut_queue_full, why);
	} else {
		log_warn("subscriber %lu cut off: out of memory", s->id);
		sub_close(s);
	}
	return -1;
}

/* Queue a message of ours (a reply) and let go of it.  Returns -1 if s
 * was closed. */
static int sub_reply(sub *s, msg *m)
{
	if (!m) {
		log_warn("subscriber %lu: out of memory: a reply was lost", s->id);
		return 0;
	}
	int r = sub_queue(s, m, 0);
	msg_unref(m);
	return r;
}

/* What of m (of topic) goes to s: m itself, a view of it, or nothing. */
static msg *sub_pick(sub *s, msg *m, unsigned topic)
{
	if (s->state != S_WS)
		return m;
	if (topic == T_FRAME) {
		msg *v = NULL;
		int r = m == s->set->frames->base
		            ? views_get(s->set->frames, s->want, &v)
		            : VIEWS_NONE;
		if (r == VIEWS_NOMEM)
			log_warn("out of memory: a frame view was lost");
		return r == VIEWS_OK ? v : NULL;
	}
	return topic == 0 || (s->want & topic) ? m : NULL;
}

static int queue_keyed(msg *m, void *arg)
{
	sub *s = arg;
	return sub_pick(s, m, T_SESSIONS) && sub_queue(s, m, 1) < 0 ? 1 : 0;
}

/* A newcomer: the retained messages, then the kept session_updates. */
static int sub_queue_retained(sub *s)
{
	const retain_tab *k = s->set->kept;
	for (int i = 0; i < k->n; i++) {
		msg *m = k->kept[i];
		msg *p = m ? sub_pick(s, m, topics_of_type(k->type[i])) : NULL;
		if (p && sub_queue(s, p, 1) < 0)
			return -1;
	}
	return keyed_each(s->set->sessions, queue_keyed, s) ? -1 : 0;
}

/* The hub_stats line into s's queue. */
static int sub_stats(sub *s)
{
	char line[SUBS_STATS_LEN];
	size_t n = subs_stats_line(s->set, line);
	msg *m = msg_new(line, n);
	if (!m) {
		sub_close(s);
		return -1;
	}
	int r = sub_queue(s, m, 1);
	msg_unref(m);
	return r;
}

/* Take the pipe fd handed over with a ws hello: it must be a pipe or a
 * socket open for writing.  Returns 0, or -1 (fd closed) with *why set. */
static int take_pipe(sub *s, int fd, const char **why)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || fl < 0) {
		*why = "cannot fstat the fd handed over";
	} else if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
		*why = "the fd handed over is neither a pipe nor a socket";
	} else if ((fl & O_ACCMODE) == O_RDONLY) {
		*why = "the fd handed over is not open for writing";
	} else if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		*why = "cannot make the fd handed over non-blocking";
	} else {
		s->pw.kind = K_PIPE;
		s->pw.fd = fd;
		s->out_fd = fd;
		struct epoll_event ev = {.events = 0, .data.ptr = &s->pw};
		if (epoll_ctl(s->set->ep, EPOLL_CTL_ADD, fd, &ev) == 0)
			return 0;
		*why = "cannot watch the fd handed over";
		s->pw.fd = -1;
	}
	close(fd);
	return -1;
}

/* A malformed hello or command: drop s. */
static void sub_protocol(sub *s, const char *why)
{
	s->set->st->cut_protocol++;
	log_warn("subscriber %lu: %s: closing it", s->id, why);
	sub_close(s);
}

/* One complete line from s (without '\n'); fd is the one handed over
 * with it, or -1.  Returns -1 if s was closed. */
static int sub_line(sub *s, const char *line, size_t len, int fd)
{
	hub_cmd c;
	const char *why = NULL;
	if (cmd_parse(line, len, &c, &why) < 0) {
		if (fd >= 0)
			close(fd);
		sub_protocol(s, why);
		return -1;
	}
	if (s->state == S_HELLO) {
		if (!cmd_is_hello(c.kind) || (fd >= 0) != (c.kind == CMD_WS)) {
			if (fd >= 0)
				close(fd);
			sub_protocol(s, !cmd_is_hello(c.kind)
			                    ? "bad hello (want sub, snap or stats)"
			                    : fd >= 0 ? "an fd came with a hello "
			                                "other than ws"
			                              : "ws hello without an fd");
			return -1;
		}
		switch (c.kind) {
		case CMD_SUB:
			s->state = S_SUB;
			s->set->nsub++;
			break;
		case CMD_SNAP:
			s->state = S_SNAP;
			break;
		case CMD_STATS:
			s->state = S_SNAP; /* one line, then close */
			if (sub_stats(s) < 0)
				return -1;
			return sub_flush(s);
		default: /* CMD_WS */
			if (take_pipe(s, fd, &why) < 0) {
				sub_protocol(s, why);
				return -1;
			}
			s->state = S_WS;
			s->set->nws++;
			s->want = s->set->rc.avail;
			s->hb_ms = c.heartbeat_ms;
			s->silence_ms = c.silence_ms;
			s->heard_ms = clock_mono_ms();
			if (s->hb_ms > 0 &&
			    s->set->next_scan > clock_mono_ms() + s->hb_ms)
				s->set->next_scan = clock_mono_ms() + s->hb_ms;
			if (sub_reply(s, reply_connected(&s->set->rc)) < 0)
				return -1;
			sub_events(s, 0, 1);
			break;
		}
		if (sub_queue_retained(s) < 0)
			return -1;
		return sub_flush(s);
	}
	if (fd >= 0) {
		close(fd);
		sub_protocol(s, "an fd came after the hello");
		return -1;
	}
	if (s->state != S_WS || s->closing_at)
		return 0; /* nothing more is expected: ignore it */
	s->heard_ms = clock_mono_ms();
	unsigned want;
	switch (c.kind) {
	case CMD_PING:
		if (sub_reply(s, reply_heartbeat()) < 0)
			return -1;
		break;
	case CMD_TOPICS:
		if (sub_reply(s, reply_subscribed(&s->set->rc, c.mask, &want)) < 0)
			return -1;
		s->want = want;
		break;
	case CMD_ERROR:
		if (sub_reply(s, reply_error(c.code, c.text)) < 0)
			return -1;
		break;
	default:
		sub_protocol(s, "a second hello");
		return -1;
	}
	return s->q.n ? sub_flush(s) : 0;
}

/* Close every fd a recvmsg brought. */
static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void sub_readable(sub *s)
{
	for (;;) {
		char buf[1024];
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		} u;
		struct iovec io = {.iov_base = buf, .iov_len = sizeof buf};
		struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1,
		                    .msg_control = u.space,
		                    .msg_controllen = sizeof u.space};
		ssize_t r = recvmsg(s->w.fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		int fds[MAX_FDS], nfd = 0, other = 0;
		if (r >= 0)
			for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h;
			     h = CMSG_NXTHDR(&mh, h)) {
				if (h->cmsg_level != SOL_SOCKET ||
				    h->cmsg_type != SCM_RIGHTS) {
					other = 1;
					continue;
				}
				size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < k && nfd < MAX_FDS; i++)
					memcpy(&fds[nfd++],
					       CMSG_DATA(h) + i * sizeof(int),
					       sizeof(int));
			}
		if (r >= 0 && ((mh.msg_flags & MSG_CTRUNC) || other || nfd > 1)) {
			close_fds(fds, nfd);
			sub_protocol(s, mh.msg_flags & MSG_CTRUNC
			                    ? "ancillary data cut short (too many "
			                      "fds, or none left to us)"
			                    : other ? "unexpected ancillary data"
			                            : "more than one fd handed over");
			return;
		}
		if (r == 0 && s->state != S_HELLO && s->state != S_WS) {
			/* It has said all it had to say (printf 'sub\n' |
			 * socat ...): keep sending; a full hang-up shows as
			 * EPOLLHUP or a failed write. */
			s->rd_eof = 1;
			sub_events(s, s->want_out, 1);
			return;
		}
		if (r <= 0) {
			close_fds(fds, nfd);
			sub_close(s); /* it hung up (a kato-sub: its client left) */
			return;
		}
		if (s->state == S_SUB || s->state == S_SNAP) {
			close_fds(fds, nfd);
			if (nfd) {
				sub_protocol(s, "an fd came after the hello");
				return;
			}
			continue; /* nothing more is expected: ignore it */
		}
		int fd = nfd ? fds[0] : -1;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (s->line_len == CMD_LINE_MAX + 1) {
					if (fd >= 0)
						close(fd);
					sub_protocol(s, "line too long");
					return;
				}
				s->line[s->line_len++] = buf[i];
				continue;
			}
			size_t len = s->line_len;
			s->line_len = 0;
			int give = fd;
			fd = -1;
			if (sub_line(s, s->line, len, give) < 0)
				return;
			if (s->state == S_SUB || s->state == S_SNAP)
				break; /* bytes after the hello are ignored */
		}
		if (fd >= 0) {
			/* An fd with no complete line: it belongs with the
			 * hello, which must come in the same piece. */
			close(fd);
			sub_protocol(s, "an fd came without a whole hello");
			return;
		}
	}
}

void subs_accept(subs *ss, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: take the connection with
				 * the spare one and drop it, or the listening
				 * socket stays readable and the loop spins. */
				log_warn("accept: %s: refusing a connection "
				         "(%lu connected)", strerror(errno), ss->n);
				if (ss->spare_fd >= 0) {
					close(ss->spare_fd);
					int c = accept(lfd, NULL, NULL);
					if (c >= 0)
						close(c);
					ss->spare_fd = open("/dev/null",
					                    O_RDONLY | O_CLOEXEC);
				}
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		char why[HUBSOCK_ERR_LEN];
		if (hubsock_peer_check(fd, why) < 0) {
			log_warn("refusing a connection: %s", why);
			close(fd);
			continue;
		}
		sub *s = calloc(1, sizeof *s);
		if (!s) {
			log_warn("refusing a connection: out of memory");
			close(fd);
			continue;
		}
		s->w.kind = K_SUB;
		s->w.fd = fd;
		s->pw.kind = K_PIPE;
		s->pw.fd = -1;
		s->out_fd = fd;
		s->set = ss;
		s->id = ++ss->next_id;
		s->born_ms = s->last_out_ms = s->progress_ms = clock_mono_ms();
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
		                         .data.ptr = &s->w};
		if (epoll_ctl(ss->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl: %s: refusing a connection",
			         strerror(errno));
			close(fd);
			free(s);
			continue;
		}
		s->next = ss->live;
		if (ss->live)
			ss->live->prev = s;
		ss->live = s;
		ss->n++;
		if (ss->next_scan > s->born_ms + SUBS_HELLO_MS || !ss->next_scan)
			ss->next_scan = s->born_ms + SUBS_HELLO_MS;
	}
}

void subs_event(subs *ss, watch *w, uint32_t e)
{
	(void)ss;
	if (w->kind == K_PIPE) {
		sub *s = (sub *)((char *)w - offsetof(sub, pw));
		if (s->dead)
			return;
		if (e & (EPOLLERR | EPOLLHUP))
			sub_close(s); /* websocketd closed the connection */
		else if (e & EPOLLOUT)
			sub_flush(s);
		return;
	}
	sub *s = (sub *)w;
	if (s->dead)
		return;
	if ((e & (EPOLLHUP | EPOLLERR)) && s->state != S_WS) {
		sub_close(s); /* gone both ways */
		return;
	}
	if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		sub_readable(s);
	if (!s->dead && (e & EPOLLOUT))
		sub_flush(s);
}

void subs_send(subs *ss, msg *m, unsigned topic)
{
	for (sub *s = ss->live, *next; s; s = next) {
		next = s->next;
		if ((s->state != S_SUB && s->state != S_WS) || s->closing_at)
			continue;
		msg *p = sub_pick(s, m, topic);
		if (!p)
			continue;
		int was_empty = s->q.n == 0;
		if (sub_queue(s, p, 0) == 0 && was_empty)
			sub_flush(s);
	}
}

int64_t subs_scan(subs *ss, int64_t now)
{
	int64_t next = now + 1000;
	for (sub *s = ss->live, *nx; s; s = nx) {
		nx = s->next;
		if (s->state == S_HELLO) {
			int64_t at = s->born_ms + SUBS_HELLO_MS;
			if (now >= at) {
				ss->st->cut_timeout++;
				log_warn("subscriber %lu: no hello within %d ms: "
				         "closing it", s->id, SUBS_HELLO_MS);
				sub_close(s);
				continue;
			}
			if (at < next)
				next = at;
			continue;
		}
		if (s->closing_at) {
			if (now >= s->closing_at) {
				log_warn("subscriber %lu: closed without taking "
				         "its error", s->id);
				sub_close(s);
			} else if (s->closing_at < next) {
				next = s->closing_at;
			}
			continue;
		}
		if (s->q.n > 0) {
			int64_t at = s->progress_ms + ss->slow_ms;
			if (now >= at) {
				char why[160];
				snprintf(why, sizeof why,
				         "took nothing for %lld ms (%zu bytes "
				         "waiting)", (long long)(now - s->progress_ms),
				         s->q.queued);
				sub_cutoff(s, &ss->st->cut_too_slow, why);
				continue;
			}
			if (at < next)
				next = at;
		}
		if (s->state == S_WS && s->silence_ms > 0) {
			int64_t at = s->heard_ms + s->silence_ms;
			if (now >= at) {
				char why[160];
				snprintf(why, sizeof why,
				         "the client sent nothing for %lld ms "
				         "(the page pings every 30 s)",
				         (long long)(now - s->heard_ms));
				sub_cutoff_code(s, &ss->st->cut_timeout, "timeout",
				                why, why);
				continue;
			}
			if (at < next)
				next = at;
		}
		if (s->state == S_WS && s->hb_ms > 0) {
			int64_t at = s->last_out_ms + s->hb_ms;
			if (now >= at) {
				int was_empty = s->q.n == 0;
				if (sub_reply(s, reply_heartbeat()) < 0)
					continue;
				if (was_empty && sub_flush(s) < 0)
					continue;
				at = s->last_out_ms + s->hb_ms;
			}
			if (at < next)
				next = at;
		}
	}
	ss->next_scan = next;
	return next;
}

size_t subs_stats_line(const subs *ss, char buf[SUBS_STATS_LEN])
{
	char now[CLOCK_ISO_LEN], started[CLOCK_ISO_LEN];
	unsigned long long queued = 0;
	uint32_t sets = 0; /* one bit per topic mask in use */
	for (const sub *s = ss->live; s; s = s->next) {
		queued += s->q.queued;
		if (s->state == S_WS)
			sets |= 1u << (s->want & T_ALL);
	}
	const hub_stats *st = ss->st;
	int n = snprintf(
	    buf, SUBS_STATS_LEN,
	    "{\"type\":\"hub_stats\",\"timestamp\":\"%s\",\"started_at\":\"%s\","
	    "\"clients\":%lu,\"subscribers\":%lu,\"messages_in_total\":%llu,"
	    "\"bad_lines_total\":%llu,\"frames_sent_total\":%llu,"
	    "\"messages_sent_total\":%llu,\"bytes_sent_total\":%llu,"
	    "\"serializations_total\":%lu,\"topic_sets\":%d,"
	    "\"queue_bytes\":%llu,\"cutoffs_total\":{\"too_slow\":%llu,"
	    "\"queue_full\":%llu,\"timeout\":%llu,\"protocol\":%llu}}",
	    clock_iso_now(now), clock_iso_ms(started, st->started_ms), ss->nws,
	    ss->nsub, st->messages_in, st->bad_lines, st->sent.frames,
	    st->sent.msgs, st->sent.bytes, ss->frames->built,
	    __builtin_popcount(sets), queued, st->cut_too_slow,
	    st->cut_queue_full, st->cut_timeout, st->cut_protocol);
	return n < 0 ? 0 : (size_t)n < SUBS_STATS_LEN ? (size_t)n
	                                              : SUBS_STATS_LEN - 1;
}

int subs_pending(const subs *ss)
{
	for (const sub *s = ss->live; s; s = s->next)
		if (s->q.n > 0)
			return 1;
	return 0;
}

void subs_free(subs *ss)
{
	while (ss->live)
		sub_close(ss->live);
	subs_reap(ss);
	if (ss->spare_fd >= 0)
		close(ss->spare_fd);
	ss->spare_fd = -1;
}
