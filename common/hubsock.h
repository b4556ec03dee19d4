/* hubsock.h - the client side of kato-hub's Unix socket, and its address.
 *
 * Protocol (kept this small so an MQTT broker with retained messages can
 * stand in for the hub):
 *   1. The client connects to the hub's Unix stream socket and writes one
 *      line: "sub\n" (retained messages, then the live stream) or
 *      "snap\n" (the retained messages, then the hub closes).
 *   2. The hub writes NDJSON: first the latest retained message of each
 *      retained type, then (for "sub") every message as it arrives.
 * The hub cuts off a subscriber that falls too far behind; it may connect
 * again.
 */
#ifndef KL_HUBSOCK_H
#define KL_HUBSOCK_H

#include <stddef.h>

#define HUBSOCK_ERR_LEN 256

/* The default socket path: $KATO_HUB_SOCKET if set (in the environment,
 * or in the env file once cfg_init has loaded it), else
 * $XDG_RUNTIME_DIR/kato-live/hub.sock, else /tmp/kato-live-<uid>/hub.sock.
 * Returns 0, or -1 if it does not fit in len. */
int hubsock_default_path(char *buf, size_t len);

/* Connect to the hub at path and send the hello line for mode ("sub" or
 * "snap").  Returns a blocking, close-on-exec fd, or -1 with err filled
 * ("connect to /path: No such file or directory"). */
int hubsock_connect(const char *path, const char *mode,
                    char err[HUBSOCK_ERR_LEN]);

#endif
