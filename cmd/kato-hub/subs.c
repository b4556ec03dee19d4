/* subs.c - kato-hub's subscribers.  See subs.h. */
#include "subs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

enum substate {
	S_HELLO, /* waiting for "sub\n" or "snap\n" */
	S_SUB,   /* retained, then live */
	S_SNAP,  /* retained, then close */
};

struct sub {
	watch w;              /* kind K_SUB and the connection */
	subs *set;            /* the set it belongs to */
	unsigned long id;     /* for log lines */
	enum substate state;  /* see above */
	char hello[8];        /* the hello line so far */
	size_t hello_len;     /* bytes in hello */
	msgq q;               /* messages still to write to it */
	int want_out;         /* EPOLLOUT is armed */
	int rd_eof;           /* it shut down its sending side */
	int dead;             /* closed; freed at subs_reap */
	struct sub *prev, *next; /* list of live subscribers */
	struct sub *next_dead;   /* list of subscribers to free */
};

void subs_init(subs *ss, int ep, size_t max_queue, const retain_tab *kept)
{
	*ss = (subs){.ep = ep, .max_queue = max_queue, .kept = kept};
	ss->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
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
		s->set->live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next_dead = s->set->dead;
	s->set->dead = s;
	s->set->n--;
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

/* Watch s for input (until it has shut its side) and, if out, for room
 * to write. */
static void sub_events(sub *s, int out, int force)
{
	if (s->want_out == out && !force)
		return;
	struct epoll_event ev = {.events = (s->rd_eof ? 0u : EPOLLIN | EPOLLRDHUP) |
	                                   (out ? EPOLLOUT : 0u),
	                         .data.ptr = s};
	if (epoll_ctl(s->set->ep, EPOLL_CTL_MOD, s->w.fd, &ev) == 0)
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
	int r = msgq_push(&s->q, m, s->set->max_queue, force);
	if (r == MSGQ_OVER)
		log_warn("subscriber %lu cut off: %zu bytes queued, over "
		         "--max-queue %zu (it reads too slowly)",
		         s->id, s->q.queued, s->set->max_queue);
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
	const retain_tab *k = s->set->kept;
	for (int i = 0; i < k->n; i++)
		if (k->kept[i] && sub_queue(s, k->kept[i], 1) < 0)
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

void subs_accept(subs *ss, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL,
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
				         ss->n);
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
		sub *s = calloc(1, sizeof *s);
		if (!s) {
			log_warn("refusing a subscriber: out of memory");
			close(fd);
			continue;
		}
		s->w.kind = K_SUB;
		s->set = ss;
		s->w.fd = fd;
		s->id = ++ss->next_id;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
		                         .data.ptr = s};
		if (epoll_ctl(ss->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl: %s: refusing a subscriber",
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
	}
}


void subs_event(subs *ss, watch *w, uint32_t e)
{
	(void)ss;
	sub *s = (sub *)w;
	if (s->dead)
		return;
	if (e & (EPOLLHUP | EPOLLERR)) {
		sub_close(s); /* gone both ways */
		return;
	}
	if (e & (EPOLLIN | EPOLLRDHUP))
		sub_readable(s);
	if (!s->dead && (e & EPOLLOUT))
		sub_flush(s);
}

void subs_send(subs *ss, msg *m)
{
	for (sub *s = ss->live, *next; s; s = next) {
		next = s->next;
		if (s->state != S_SUB)
			continue;
		int was_empty = s->q.n == 0;
		if (sub_queue(s, m, 0) == 0 && was_empty)
			sub_flush(s);
	}
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
