/* rconn.h - one Redis connection for kato-stream: its commands, and what
 * makes a stream ours.
 *
 * Where to connect is a parsed REDIS_URL (common/redisurl.h).  A password
 * never appears in any text this module writes: places are named by the
 * URL's display form.
 *
 * Commands wait on the connection and on the tool's signalfd together, so
 * a stop signal ends a blocking XREAD at once.  Nothing here prints or
 * exits: errors come back as -1/NULL with err filled ("what: why").
 *
 * A stream is ours when every entry carries the marker field RS_MARK
 * ("kl") with the value "1" beside the field "line"; anything else under
 * the name (another type, or entries without the marker) is not ours.
 */
#ifndef KS_RCONN_H
#define KS_RCONN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "redisurl.h"

#define RC_ERR_LEN 512
#define RS_MARK "kl"      /* the marker field every entry of ours carries */
#define RS_MARK_VALUE "1" /* its value (a version, should the format change) */
#define RS_LINE "line"    /* the field holding one NDJSON line */
#define RS_PUTSEQ "kp"    /* "<put's name>:<line number>": lets a put that
                           * lost Redis' answer see whether its line landed */
#define RS_ID_LEN 48      /* room for "<ms>-<seq>" and its NUL */

typedef struct rconn {
	redisContext *c; /* NULL while disconnected */
	rurl url;        /* where to connect */
	int sigfd;       /* signalfd watched while waiting, or -1 */
	int timeout_ms;  /* connect and ordinary command timeout */
	int stop;        /* the stop signal that cut a wait short, or 0 */
	const char *where; /* url.display */
} rconn;

/* Set up r (not connected yet). */
void rconn_init(rconn *r, const rurl *u, int sigfd, int timeout_ms);

/* Connect, AUTH and SELECT.  Returns 0, or -1 with err. */
int rconn_open(rconn *r, char err[RC_ERR_LEN]);

/* Drop the connection (r can be opened again). */
void rconn_close(rconn *r);

/* Send one command and wait up to wait_ms for its reply (the command's
 * own time plus timeout_ms for a blocking one).  Returns the reply
 * (freeReplyObject it; it may be a REDIS_REPLY_ERROR, which leaves the
 * connection usable), or NULL with err when the connection failed or
 * timed out (r is then closed) or a stop signal came (r->stop set, err
 * says so). */
redisReply *rconn_cmd(rconn *r, int argc, const char **argv,
                      const size_t *lens, int wait_ms, char err[RC_ERR_LEN]);

/* Same for commands made of NUL-terminated words. */
redisReply *rconn_cmdv(rconn *r, char err[RC_ERR_LEN], int argc, ...);

/* Check that key is ours to use: no key, or a stream whose newest entry
 * carries the marker.  Returns 0; -1 with err on a connection failure;
 * -2 with err when it is not ours (a reason to stop using the key, not
 * to reconnect). */
int rstream_check(rconn *r, const char *key, char err[RC_ERR_LEN]);

/* An entry of a stream reply ([id, [field, value, ...]]): its id and, if
 * it is ours, its line.  Returns 0 with *line set; -2 with *line NULL
 * when the entry lacks the marker or the line; -1 when the reply is not
 * an entry at all (id then ""). */
int rentry(const redisReply *e, char id[RS_ID_LEN], const char **line,
           size_t *len);

/* Nonzero if s is a stream id ("MS" or "MS-SEQ", decimal). */
int rid_valid(const char *s);

#endif
