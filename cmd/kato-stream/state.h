/* state.h - what a web node's hub must hold before the stream's next
 * entry: the state that kato-hub keeps for newcomers and that an entry
 * read from the stream cannot rebuild once it has been trimmed or lies
 * before where get starts.
 *
 * put keeps it beside the stream STREAM, in two hashes, each change made
 * before the XADD of the line that makes it (so whatever is in the stream
 * is in the hashes too):
 *   STREAM:retained  type -> the newest line of each type in STATE_TYPES
 *                    ("active_alerts": sent only when the set of firing
 *                    alerts changes, so a late web node may never see one)
 *   STREAM:sessions  session id -> the newest session_update of each
 *                    open session; "removed" deletes its field, "reset"
 *                    (a new kato-sessions) the whole hash
 * Frames (realtime_update) are not kept: one comes every tick, and get
 * --since brings the newest ones from the stream itself.
 *
 * A line put had to drop (its queue full while Redis was away), or Redis
 * losing data (a restart without persistence, a fail-over), would leave
 * the hashes behind: so put keeps its own copy of the state, made from
 * every line it read, dropped or not (state_mem), and writes it whole
 * (state_rewrite) after a drop and after every reconnect.  Newer than the
 * stream is as good as level with it, as below.
 *
 * get --state reads the stream's newest id, then both hashes, writes the
 * retained lines, then the sessions, then goes on after that id (or from
 * --since, if earlier).  The hashes may be newer than the id; the entries
 * replayed after it then bring each changed type and session to the same
 * newest line again, so the reader ends in the state the stream reached,
 * with nothing missed, and no MULTI needed on either side.
 */
#ifndef KS_STATE_H
#define KS_STATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "rconn.h"
#include "smap.h"

#define STATE_TYPES {"active_alerts"}
#define STATE_RETAINED ":retained" /* suffixes of the two hashes' names */
#define STATE_SESSIONS ":sessions"
#define STATE_FIELD_MAX 256        /* longest type or session id kept */
#define STATE_SESSIONS_MAX 100000  /* sessions kept, as kato-hub keeps */

enum state_kind {
	ST_NONE = 0,   /* changes no state */
	ST_RETAIN,     /* HSET STREAM:retained TYPE line */
	ST_SESSION,    /* HSET STREAM:sessions ID line */
	ST_REMOVED,    /* HDEL STREAM:sessions ID */
	ST_RESET,      /* DEL STREAM:sessions */
};

typedef struct state_op {
	enum state_kind kind;
	char field[STATE_FIELD_MAX + 1]; /* the type or the session id */
} state_op;

/* What the message j (one line, parsed) does to the state.  A
 * session_update without a usable session id changes nothing. */
void state_classify(const cJSON *j, state_op *op);

/* Apply op (not ST_NONE) for line to the hashes of the stream key.
 * Returns 0; -1 with err when the connection failed (r closed).  Redis
 * refusing the change (WRONGTYPE, NOPERM) is logged, once until it
 * works again, and is not a failure: the line still goes into the
 * stream. */
int state_put(rconn *r, const char *key, const state_op *op,
              const char *line, size_t len, char err[RC_ERR_LEN]);

/* put's own copy of the state: what the lines read so far make it. */
typedef struct state_mem {
	smap retained;  /* type -> line */
	smap sessions;  /* session id -> line */
	int said_full;  /* the session bound has been logged */
} state_mem;

void state_mem_init(state_mem *s, size_t max_sessions);
void state_mem_free(state_mem *s);

/* Apply op (for line) to s.  Beyond max_sessions a new session is not
 * kept (logged once). */
void state_mem_apply(state_mem *s, const state_op *op, const char *line,
                     size_t len);

/* Replace both hashes with s, each written under a temporary key and
 * RENAMEd over it (DEL when empty), so a reader sees the old or the new.
 * Returns 0; -1 with err when the connection failed (r closed).  Redis
 * refusing a command is logged as for state_put. */
int state_rewrite(rconn *r, const char *key, const state_mem *s,
                  char err[RC_ERR_LEN]);

/* Read the stream's newest id ("0-0" when empty) into id (RS_ID_LEN),
 * then the state, and write the state's lines on stdout: the retained
 * ones, then the sessions.  A value that is not one JSON object is
 * skipped with a warning.  Returns 0, 1 with err (reconnect), -1 when
 * stdout is gone. */
int state_read(rconn *r, const char *key, char id[RS_ID_LEN],
               char err[RC_ERR_LEN]);

#endif
