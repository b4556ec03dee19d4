/* views.h - the latest realtime_update as each topic set sees it, each
 * view built once and shared by every client with that set.
 *
 * A frame's sections map to topics (common/topics.h): metrics and health
 * to T_METRICS, containers to T_CONTAINERS, sessions to T_SESSIONS.  A
 * client wanting every section the frame has gets the input line itself
 * (no serialization at all); one wanting some gets the frame with the
 * others cut, printed once per distinct cut (at most 7), when the first
 * client needing it asks (lazily); one wanting none of the frame topics
 * gets no frame ("stale" and "sources" alone are not a reason to send
 * one).  The parsed frame is kept until the next one replaces it, so a
 * view needs no second parse, and newcomers get views of the retained
 * frame from the same cache.
 *
 * Nothing here logs or exits.
 */
#ifndef KH_VIEWS_H
#define KH_VIEWS_H

#include <cjson/cJSON.h>

#include "msgq.h"

typedef struct views {
	cJSON *frame;          /* the latest frame, parsed; NULL: none */
	msg *base;             /* its line, as received (a reference) */
	unsigned present;      /* the T_FRAME bits of the sections it has */
	msg *view[8];          /* by cut bits (1..7): built views, or NULL */
	unsigned long built;   /* views printed so far (serializations) */
} views;

/* Make frame (parsed, taken over) and base (its line; a reference is
 * taken) the latest, dropping the previous frame and its views. */
void views_set(views *v, cJSON *frame, msg *base);

/* Outcome of views_get. */
enum { VIEWS_NONE = 0, VIEWS_OK = 1, VIEWS_NOMEM = -1 };

/* The latest frame for a client wanting the topics in want: *out is set
 * to a message the views keep (take a reference to hold it) and VIEWS_OK
 * is returned; VIEWS_NONE when there is no frame or want covers none of
 * the frame topics; VIEWS_NOMEM when a view could not be built. */
int views_get(views *v, unsigned want, msg **out);

/* Drop the frame and every view. */
void views_clear(views *v);

#endif
