/* watch.h - kato-sessions' view of KATO's Redis: connections, the full
 * list by SCAN, and changes from keyspace notifications.
 *
 * Two connections: "cmd" for reads (SCAN, GETRANGE, PTTL, PING, CONFIG
 * GET) and "sub" for PSUBSCRIBE __keyspace@DB__:kato:session:session-*.
 * Subscribing comes before the first SCAN, so nothing that changes
 * during the scan is missed.  Every change found becomes records on
 * stdout through collector_emit: a "session" record (added, updated,
 * removed) and, once the first list is out (announce), an "event"
 * record (session_created, session_destroyed, session_expired).
 *
 * Only read-only commands are sent, except CONFIG SET
 * notify-keyspace-events when w->enable_notif asks for it.
 */
#ifndef KS_WATCH_H
#define KS_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "redisurl.h"
#include "sess.h"

#define WATCH_ERR_LEN 512

enum notif {
	NOTIF_UNKNOWN = 0, /* CONFIG GET refused: subscribed, and SCAN too */
	NOTIF_ON = 1,      /* notifications cover set, expire, del, expired */
	NOTIF_OFF = 2,     /* off (or partial): SCAN diff every tick */
};

typedef struct watch {
	const rurl *url;      /* where Redis is */
	int timeout_ms;       /* connect and command timeout */
	size_t max_value;     /* bytes of a value read at most */
	int enable_notif;     /* --enable-notifications */
	int quiet;            /* say nothing about notifications (--once) */
	collector *out;       /* records go out through collector_emit */
	sess_table tab;       /* every session known */
	enum notif notif;     /* what this connection has */
	int connected;        /* both connections are up (sub: if wanted) */
	int listed;           /* the first full list has gone out */
	int said_notif;       /* the notification state has been logged */
	enum notif said_state; /* ... as this */
	int said_limit;       /* the table limit has been logged */
	double scan_ms;       /* how long the last full scan took, -1 none */
	uint64_t gen;         /* private: full scans so far */
	uint64_t ticks;       /* private: ticks so far */
	void *cmd, *sub;      /* private: redisContext pointers */
} watch;

/* Set up w (table of at most max sessions).  Returns 0, or -1 if memory
 * runs out. */
int watch_init(watch *w, const rurl *url, size_t max, collector *out);
void watch_free(watch *w);

/* Connect, log in, choose the database, find out whether notifications
 * are on (turning them on if w->enable_notif), subscribe (unless
 * subscribe is 0), then list every session (announce: events for what
 * changed since the last list).  Returns 0; -1 with err ("connect to
 * redis://h:p: Connection refused"), the connections dropped; -2 when
 * stdout closed. */
int watch_connect(watch *w, int subscribe, char err[WATCH_ERR_LEN]);

/* Say that the list starts afresh: a "session" record {"op":"reset"},
 * which tells whoever keeps a list of sessions from earlier records (a
 * kato-hub fed by an earlier kato-sessions) to forget it.  The whole list
 * follows as "added" records once Redis answers.  Returns 0, or -2 when
 * stdout closed. */
int watch_reset(watch *w);

/* Drop both connections (the table stays, now stale). */
void watch_drop(watch *w);

/* A tick: a SCAN diff when notifications are not known to be on, else a
 * PING (and every 100th tick a check that they are still on and a SCAN
 * diff, for anything a subscriber missed).  Returns 0, -1 with err (connections dropped), -2 stdout closed. */
int watch_tick(watch *w, char err[WATCH_ERR_LEN]);

/* The subscription's descriptor to poll, or -1. */
int watch_sub_fd(const watch *w);

/* The subscription is readable: take the notifications and apply them.
 * Returns as watch_tick. */
int watch_notified(watch *w, char err[WATCH_ERR_LEN]);

#endif
