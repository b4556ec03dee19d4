/* msgq.h - kato-hub's messages: refcounted line buffers, the output queue
 * of one subscriber, and the table of retained messages.
 *
 * Each input line is copied once into a msg; every queue and retain slot
 * that holds it takes a reference, and the last one to let go frees it.
 * A queue is bounded by its caller: msgq_push refuses a message that
 * would take it past max bytes (the hub then cuts that subscriber off),
 * so the messages alive at any time are at most the last max bytes of
 * the stream plus the retained ones.
 *
 * Nothing here logs or exits; errors come back as return values (and,
 * for retain_parse, "what: why" text in the caller's err).
 */
#ifndef KH_MSGQ_H
#define KH_MSGQ_H

#include <stddef.h>
#include <sys/types.h>

#define MSGQ_IOV 64         /* messages given to one writev(2) at most */
#define RETAIN_MAX 16       /* retained types at most */
#define RETAIN_TYPE_LEN 64  /* longest type name, '\0' included */
#define RETAIN_ERR_LEN 1100 /* room for the longest list, quoted back */

/* One input line and its '\n', shared by every queue that holds it. */
typedef struct msg {
	unsigned refs; /* queues and retain slots holding it */
	int frame;     /* a realtime_update (counted as a frame when sent) */
	size_t len;    /* bytes in data, '\n' included */
	char data[];   /* the line */
} msg;

/* A new msg holding line[0..len) and '\n', with one reference (the
 * caller's).  NULL when out of memory. */
msg *msg_new(const char *line, size_t len);

/* Drop one reference; the last frees m.  NULL is ignored. */
void msg_unref(msg *m);

/* The messages waiting to go to one subscriber, oldest first.  Zero it
 * (msgq q = {0}) to start; msgq_clear to let it go. */
typedef struct msgq {
	msg **ring;    /* queued messages, a ring */
	size_t cap;    /* slots in ring (0, or a power of two) */
	size_t head;   /* index of the oldest */
	size_t n;      /* messages queued */
	size_t off;    /* bytes of the oldest already written */
	size_t queued; /* bytes still to write */
} msgq;

enum {
	MSGQ_OK = 0,     /* queued */
	MSGQ_OVER = -1,  /* it would pass max: not queued */
	MSGQ_NOMEM = -2, /* no memory to grow the ring: not queued */
};

/* Queue m (taking a reference) unless that would take q past max bytes.
 * An empty queue always takes one message, however long; force (the
 * retained messages for a newcomer) always queues.  Returns MSGQ_OK,
 * MSGQ_OVER or MSGQ_NOMEM. */
int msgq_push(msgq *q, msg *m, size_t max, int force);

/* What went out, summed over writes (the hub's statistics). */
typedef struct msgq_tally {
	unsigned long long bytes;  /* bytes written */
	unsigned long long msgs;   /* messages written whole */
	unsigned long long frames; /* of which frames (msg.frame) */
} msgq_tally;

/* One writev(2) to fd of up to MSGQ_IOV queued messages; what went is
 * taken off the queue (a message partly written stays, with off set) and
 * added to *t (if not NULL).  Returns the bytes written (0 if q is empty),
 * or -1 with errno from writev (EAGAIN on a full non-blocking fd). */
ssize_t msgq_write(msgq *q, int fd, msgq_tally *t);

/* Drop every queued message except one already partly written (whose
 * rest must still go, or the reader gets half a line). */
void msgq_drop_unstarted(msgq *q);

/* Drop every queued message and the ring; q is empty again. */
void msgq_clear(msgq *q);

/* The retained types and the latest message of each. */
typedef struct retain_tab {
	char type[RETAIN_MAX][RETAIN_TYPE_LEN]; /* in output order */
	msg *kept[RETAIN_MAX]; /* the latest of each type, or NULL */
	int n;                 /* types in use */
} retain_tab;

/* Set r's types from a comma-separated list (empty items are skipped,
 * repeats kept once, realtime_update first whatever the order given).
 * r must hold no messages.  Returns 0, or -1 with err filled ("type too
 * long: x", "more than 16 types", "list too long"). */
int retain_parse(retain_tab *r, const char *list, char err[RETAIN_ERR_LEN]);

/* The slot of type in r, or -1 if it is not retained. */
int retain_slot(const retain_tab *r, const char *type);

/* Make m (taking a reference) the latest of slot, dropping the old one. */
void retain_keep(retain_tab *r, int slot, msg *m);

/* Drop every kept message (the types stay). */
void retain_clear(retain_tab *r);

#endif
