/* sess.h - KATO's sessions as kato-sessions knows them: reading one from
 * its Redis key and value, the table of all of them, and the records
 * that describe them and their changes.
 *
 * A session key is "kato:session:<session_id>" (ids "session-..."); its
 * value is Python json.dumps output with session_id, node_id, created_at,
 * last_accessed, expires_at, ttl_seconds first and access_count after
 * the (possibly large) accumulators.  kato-sessions reads at most a
 * prefix of the value (GETRANGE): a value cut short gives the leading
 * fields and a null access_count.
 *
 * Pure logic: times come from the caller, nothing prints or exits.
 */
#ifndef KS_SESS_H
#define KS_SESS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define SESS_KEY_PREFIX "kato:session:"
#define SESS_KEY_MATCH "kato:session:session-*" /* SCAN/notification pattern */
#define SESS_ID_MAX 200    /* longest session id accepted, bytes */
#define SESS_NODE_MAX 200  /* longest node id kept, bytes */
#define SESS_ERR_LEN 256

/* One session.  Times are epoch milliseconds, -1 when unknown. */
typedef struct sess {
	char *id;             /* session_id (owned) */
	char *node;           /* node_id (owned), NULL when unknown */
	int64_t created_ms;   /* created_at */
	int64_t accessed_ms;  /* last_accessed */
	int64_t expires_ms;   /* when Redis will expire the key (PTTL), else
	                       * the value's expires_at */
	int64_t ttl_ms;       /* PTTL when read, -1 if none */
	double access_count;  /* access_count, -1 when unknown */
	int bad;              /* the value is not KATO's: kept only so that it
	                       * is warned about once, never listed or counted */
	uint64_t mark;        /* private: the last full scan that saw it */
	struct sess *next;    /* private: hash chain */
} sess;

/* The session id in a Redis key, or NULL if key is not a session key
 * (not "kato:session:session-...", too long, or has bytes outside
 * printable ASCII). */
const char *sess_key_id(const char *key, size_t len);

/* Read a session from its id, the first len bytes of its value (cut
 * says the value was longer), and its PTTL (ms; -1 none) read at now_ms.
 * Fills *out (fields owned: free with sess_clear).  Returns 0, or -1 with
 * err saying why the value is not KATO's ("not JSON", "session_id ... is
 * not the key's", ...). */
int sess_parse(const char *id, const char *val, size_t len, int cut,
               int64_t pttl_ms, int64_t now_ms, sess *out,
               char err[SESS_ERR_LEN]);

/* Free a session's fields. */
void sess_clear(sess *s);

/* Whether a and b differ in anything a client sees (expiry moves of
 * 100 ms or less are read noise, not a change). */
int sess_differs(const sess *a, const sess *b);

/* The table: every session known, by id. */
typedef struct sess_table {
	sess **bucket;   /* hash chains */
	size_t nbucket;  /* power of two */
	size_t n;        /* entries, bad ones included */
	size_t good;     /* entries that are sessions (not bad) */
	size_t max;      /* most entries kept */
} sess_table;

/* Returns 0, or -1 if memory runs out. */
int sess_table_init(sess_table *t, size_t max);
void sess_table_free(sess_table *t);

sess *sess_find(sess_table *t, const char *id);

/* Put s into the table (it takes s's fields; s is left cleared).
 * Returns the entry, or NULL when the table is full or memory runs out
 * (s is then cleared too). */
sess *sess_put(sess_table *t, sess *s);

/* Replace e's contents with s's (fields taken, s cleared). */
void sess_replace(sess_table *t, sess *e, sess *s);

/* Remove and free the entry with id; returns 1 if there was one. */
int sess_remove(sess_table *t, const char *id);

/* Call fn for each entry (fn must not add or remove). */
void sess_each(sess_table *t, void (*fn)(sess *e, void *arg), void *arg);

/* The "session" object of a session record: op "added" | "updated" |
 * "removed", reason "ended" | "expired" (removed only, else NULL).
 * NULL when memory runs out. */
cJSON *sess_json(const sess *s, const char *op, const char *reason);

/* The "event" object of an event record: type "session_created" |
 * "session_destroyed" | "session_expired". */
cJSON *sess_event_json(const char *type, const sess *s, double current,
                       double previous);

#endif
