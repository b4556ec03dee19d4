/* lineout.h - lines to a non-blocking fd that may stop taking them (a
 * WebSocket client behind websocketd), without ever blocking.
 *
 * A line is written at once when nothing is waiting; what does not fit
 * waits in a buffer, in order, until lineout_flush gets it out.  The
 * caller bounds the buffer: it stops producing while lines wait (the
 * stream), or passes a limit past which a line is dropped (replies).
 *
 * Nothing here logs or exits: lineout_put says what happened; the
 * caller decides what to tell whom.
 */
#ifndef KS_LINEOUT_H
#define KS_LINEOUT_H

#include <stddef.h>

#define LINEOUT_KEEP_MAX (64 * 1024) /* a buffer grown past this is given
                                        back once it empties */

typedef struct lineout {
	int fd;        /* where lines go, non-blocking */
	char *pending; /* bytes the reader has not taken yet */
	size_t plen;   /* bytes in pending */
	size_t pcap;   /* bytes allocated */
	int closed;    /* the reader is gone (EPIPE or another write error,
	                  or no memory to hold a line): nothing more goes */
} lineout;

enum {
	LINEOUT_OK = 0,       /* written, or waiting in the buffer */
	LINEOUT_DROPPED = -1, /* more than max was waiting: not sent */
	LINEOUT_NOMEM = -2,   /* no memory to keep it: closed is now set */
	LINEOUT_CLOSED = -3,  /* closed (now or before): not sent */
};

/* Start with nothing pending, writing to fd. */
void lineout_init(lineout *o, int fd);

/* Send line[0..len) and '\n'.  If it cannot all be written now, keep the
 * rest, unless more than max bytes are already waiting (SIZE_MAX: always
 * keep).  Returns a LINEOUT_* code. */
int lineout_put(lineout *o, const char *line, size_t len, size_t max);

/* Write what is waiting, as far as the fd takes it.  Returns 1 when
 * nothing is left waiting, else 0 (including when the reader is gone:
 * see closed). */
int lineout_flush(lineout *o);

/* Free the buffer (what is still waiting is lost). */
void lineout_free(lineout *o);

#endif
