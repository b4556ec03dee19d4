/* subs.h - kato-hub's subscribers: accepting them, reading their hello,
 * queueing them the retained messages and then the stream, writing
 * without ever blocking, and cutting off the ones that fall behind.
 *
 * A subscriber connects, writes "sub\n" or "snap\n" (common/hubsock.h),
 * gets the retained messages and then, for "sub", every message that
 * subs_send is given, until it hangs up or its queue would pass
 * max_queue bytes.  Closing happens at once (the fd leaves the epoll
 * set); the memory goes at subs_reap, after the current batch of epoll
 * events, which may still point at it.
 *
 * What goes wrong with one subscriber concerns only that subscriber: it is
 * said on stderr (log_warn, "subscriber 3 cut off: ...") and the
 * subscriber is closed.  Nothing here exits.
 */
#ifndef KH_SUBS_H
#define KH_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "msgq.h"

/* What epoll_event.data.ptr points at: every watched fd starts with it. */
enum watch_kind { K_STDIN, K_LISTEN, K_SIG, K_SUB };
typedef struct watch {
	enum watch_kind kind; /* which of kato-hub's fds */
	int fd;               /* the fd */
} watch;

typedef struct sub sub; /* one subscriber: its watch comes first */

/* The set of subscribers. */
typedef struct subs {
	int ep;                 /* the epoll set subscribers are watched in */
	int spare_fd;           /* kept to shed a connection at EMFILE */
	size_t max_queue;       /* --max-queue: queued bytes that cut off */
	const retain_tab *kept; /* what a newcomer gets first */
	sub *live;              /* live subscribers */
	sub *dead;              /* closed, to free at subs_reap */
	unsigned long n;        /* live subscribers */
	unsigned long next_id;  /* id of the next subscriber, for log lines */
} subs;

/* An empty set watched in ep.  Newcomers get kept's messages first. */
void subs_init(subs *ss, int ep, size_t max_queue, const retain_tab *kept);

/* Accept every connection waiting on the listening socket lfd.  At the
 * open-file limit one waiting connection is accepted and dropped (with a
 * spare fd) so that lfd does not stay readable and spin the loop. */
void subs_accept(subs *ss, int lfd);

/* Epoll reported events on w, a watch of kind K_SUB: read the hello,
 * notice hang-ups, write what is queued. */
void subs_event(subs *ss, watch *w, uint32_t events);

/* Queue m to every live "sub" subscriber (those with nothing queued
 * are written to at once); a subscriber that would pass max_queue is cut
 * off. */
void subs_send(subs *ss, msg *m);

/* 1 if some live subscriber still has something queued. */
int subs_pending(const subs *ss);

/* Free the subscribers closed since the last call. */
void subs_reap(subs *ss);

/* Close and free every subscriber, and the spare fd. */
void subs_free(subs *ss);

#endif
