/* reply.h - the messages kato-hub itself writes to a WebSocket client
 * (messages in kato-live(7)): connected, heartbeat, subscribed, error.
 * Each comes back as a new msg (one reference, the caller's), or NULL when
 * memory runs out.  Nothing here logs or exits.
 */
#ifndef KH_REPLY_H
#define KH_REPLY_H

#include "msgq.h"

/* What the hub offers every client: the same for all of them. */
typedef struct reply_cfg {
	unsigned avail;   /* topics in force (the WEBSOCKET_* feature flags) */
	int selective;    /* WEBSOCKET_SELECTIVE_SUBSCRIPTIONS */
	long interval_ms; /* KATO_LIVE_INTERVAL, in connected */
} reply_cfg;

/* {"type":"connected","timestamp","interval_ms","topics",
 *  "selective_subscriptions"}: a client's first line. */
msg *reply_connected(const reply_cfg *c);

/* {"type":"heartbeat","timestamp"}. */
msg *reply_heartbeat(void);

/* {"type":"error","timestamp","error":{"code","message"}}. */
msg *reply_error(const char *code, const char *text);

/* The answer to a subscribe asking for the topics in asked; *want is set
 * to the topics the client now gets (all of avail when subscriptions
 * are not selective). */
msg *reply_subscribed(const reply_cfg *c, unsigned asked, unsigned *want);

#endif
