/* client.h - kato-sub's side of the conversation with its WebSocket
 * client: what goes to it (connected, heartbeat, error, subscribed, and
 * the hub's lines filtered by its topics) and what it sends (ping,
 * subscribe).  Messages are in man/kato-sub.1.
 *
 * Output goes through a lineout (lineout.h), so nothing here blocks: a
 * stream line the client cannot take yet waits (the caller stops reading
 * the hub while c->out.plen > 0); a reply to a client that has not read
 * for PENDING_MAX bytes is dropped.  What goes wrong with the client is
 * said on stderr (log_warn) and, if it ends the conversation, shows as
 * c->out.closed.  Nothing here exits.
 */
#ifndef KS_CLIENT_H
#define KS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "lineout.h"
#include "ndj.h"

#define CLIENT_MAX_LINE (64 * 1024) /* longest client message */

typedef struct client {
	unsigned avail;      /* topics in force (feature flags) */
	unsigned want;       /* topics the client subscribed to, within avail */
	int selective;       /* WEBSOCKET_SELECTIVE_SUBSCRIPTIONS */
	long interval_ms;    /* KATO_LIVE_INTERVAL, for "connected" */
	int64_t last_out_ms; /* when a line last went to the client */
	lineout out;         /* the output, and what the client has not taken */
} client;

/* A client written to on fd (non-blocking), subscribed to every topic in
 * avail. */
void client_init(client *c, int fd, unsigned avail, int selective,
                 long interval_ms);

/* {"type":"connected",...}: the first line. */
void client_connected(client *c);

/* {"type":"heartbeat","timestamp":...}. */
void client_heartbeat(client *c);

/* {"type":"error","timestamp":...,"error":{"code":code,"message":...}}. */
void client_error(client *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line from the hub (without its '\n'), filtered by the topics. */
void client_relay(client *c, const char *line, size_t len);

/* Read what the client sent on r (at most CLIENT_MAX_LINE a message) and
 * answer each message.  Returns 0 when the conversation is over (end of
 * input, a read error, or the output closed), else 1. */
int client_readable(client *c, ndj_reader *r);

/* Free the output buffer. */
void client_free(client *c);

#endif
