/* subs.h - kato-hub's connections: accepting them (peer checked), their
 * hello, and then either a plain subscriber ("sub", "snap", "stats": the
 * socket itself is written) or a WebSocket client ("ws": kato-sub handed
 * over the pipe websocketd reads, which the hub alone writes from then
 * on, and sends commands on the socket).  Queueing the retained messages
 * and the stream, writing without ever blocking, and cutting off the
 * ones that fall behind, by size and by time.
 *
 * A WebSocket client gets, in order: connected, the retained messages
 * for its topics (the frame as views.h cuts it for them), the kept
 * session_updates if it takes sessions, then the stream for its topics,
 * and the hub's answers to its commands (heartbeat, subscribed, error),
 * plus a heartbeat when nothing went to it for its heartbeat period.  A
 * client cut off gets an error with code too_slow when that can still be
 * written whole, and both its fds are closed: kato-sub exits and
 * websocketd closes the WebSocket.
 *
 * Closing happens at once (the fds leave the epoll set); the memory goes
 * at subs_reap, after the current batch of epoll events, which may still
 * point at it.  What goes wrong with one connection concerns only it: it
 * is said on stderr (log_warn, "subscriber 3 cut off: ...") and that
 * connection is closed.  Nothing here exits.
 */
#ifndef KH_SUBS_H
#define KH_SUBS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyed.h"
#include "msgq.h"
#include "reply.h"
#include "views.h"

#define SUBS_HELLO_MS 5000 /* a connection that says no hello goes */
#define SUBS_STATS_LEN 1024 /* room for the hub_stats line */

/* What epoll_event.data.ptr points at: every watched fd starts with it. */
enum watch_kind { K_STDIN, K_LISTEN, K_SIG, K_SUB, K_PIPE };
typedef struct watch {
	enum watch_kind kind; /* which of kato-hub's fds */
	int fd;               /* the fd */
} watch;

typedef struct sub sub; /* one connection: its watch comes first */

/* Counters for the hub_stats line. */
typedef struct hub_stats {
	int64_t started_ms;                /* wall clock, at start */
	unsigned long long messages_in;    /* input lines accepted */
	unsigned long long bad_lines;      /* input lines skipped */
	msgq_tally sent;                   /* to clients and subscribers */
	unsigned long long cut_too_slow;   /* took nothing for slow_ms */
	unsigned long long cut_queue_full; /* queue past max_queue */
	unsigned long long cut_timeout;    /* no hello in time */
	unsigned long long cut_protocol;   /* a malformed hello or command */
} hub_stats;

/* The set of connections and what they are served from. */
typedef struct subs {
	int ep;                 /* the epoll set they are watched in */
	int spare_fd;           /* kept to shed a connection at EMFILE */
	size_t max_queue;       /* --max-queue: queued bytes that cut off */
	int64_t slow_ms;        /* --slow-timeout: no progress that cuts off */
	reply_cfg rc;           /* what WebSocket clients are offered */
	const retain_tab *kept; /* what a newcomer gets first */
	const keyed *sessions;  /* then these (session_update by id) */
	views *frames;          /* the latest frame, per topic set */
	hub_stats *st;          /* counters */
	sub *live;              /* live connections */
	sub *dead;              /* closed, to free at subs_reap */
	unsigned long n;        /* live connections */
	unsigned long nsub;     /* of which plain subscribers (sub) */
	unsigned long nws;      /* of which WebSocket clients */
	unsigned long next_id;  /* id of the next connection, for log lines */
	int64_t next_scan;      /* when subs_scan has something to do */
} subs;

/* An empty set watched in ep. */
void subs_init(subs *ss, int ep, size_t max_queue, int64_t slow_ms,
               const reply_cfg *rc, const retain_tab *kept,
               const keyed *sessions, views *frames, hub_stats *st);

/* Accept every connection waiting on the listening socket lfd and check
 * its peer (hubsock_peer_check: others are closed at once, and said so).
 * At the open-file limit one waiting connection is accepted and dropped
 * (with a spare fd) so that lfd does not stay readable and spin the loop. */
void subs_accept(subs *ss, int lfd);

/* Epoll reported events on w, a watch of kind K_SUB or K_PIPE: read the
 * hello or commands, notice hang-ups, write what is queued. */
void subs_event(subs *ss, watch *w, uint32_t events);

/* Send m, of topic (topics_of_type of its type), to every live
 * subscriber and client that takes it (a frame as views.h cuts it for
 * each client's topics; those with nothing queued are written to at
 * once); one that would pass max_queue is cut off. */
void subs_send(subs *ss, msg *m, unsigned topic);

/* Time-driven work due at now (monotonic ms): drop connections with no
 * hello after SUBS_HELLO_MS, cut off those that took nothing for slow_ms,
 * send idle heartbeats.  Returns when it next has work (ss->next_scan). */
int64_t subs_scan(subs *ss, int64_t now);

/* The hub_stats line (without '\n') in buf; returns its length. */
size_t subs_stats_line(const subs *ss, char buf[SUBS_STATS_LEN]);

/* 1 if some live connection still has something queued. */
int subs_pending(const subs *ss);

/* Free the connections closed since the last call. */
void subs_reap(subs *ss);

/* Close and free every connection, and the spare fd. */
void subs_free(subs *ss);

#endif
