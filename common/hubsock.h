/* hubsock.h - the client side of kato-hub's Unix socket, its address,
 * and who may be at either end of it.
 *
 * Protocol (kept this small so an MQTT broker with retained messages can
 * stand in for the hub for plain subscribers):
 *   1. The client connects to the hub's Unix stream socket and writes one
 *      hello line:
 *        "sub\n"   the retained messages, then the live stream;
 *        "snap\n"  the retained messages, then the hub closes;
 *        "stats\n" one {"type":"hub_stats",...} line, then the hub closes;
 *        "ws MS\n" (kato-sub only) sent with one file descriptor attached
 *                  (SCM_RIGHTS): the pipe websocketd reads, which the hub
 *                  writes from then on; MS is the idle heartbeat period
 *                  in milliseconds (0: none).
 *   2. For sub and snap, the hub writes NDJSON: the latest retained
 *      message of each retained type, then every kept session_update
 *      (one per session), then (sub) every message as it arrives.
 *   3. After "ws", the client writes only commands (cmd/kato-hub/cmd.h:
 *      "ping", "topics MASK", "error CODE TEXT") and the hub writes
 *      nothing on the socket; closing it ends the connection either way.
 * Both ends check each other with SO_PEERCRED (hubsock_peer_check).  The
 * hub cuts off a subscriber that falls too far behind or takes nothing
 * for too long; it may connect again.
 */
#ifndef KL_HUBSOCK_H
#define KL_HUBSOCK_H

#include <stddef.h>
#include <sys/types.h>

#define HUBSOCK_ERR_LEN 256

/* The default socket path: $KATO_HUB_SOCKET if set (in the environment,
 * or in the env file once cfg_init has loaded it), else
 * $XDG_RUNTIME_DIR/kato-live/hub.sock, else /tmp/kato-live-<uid>/hub.sock.
 * Returns 0, or -1 if it does not fit in len. */
int hubsock_default_path(char *buf, size_t len);

/* Connect to the hub at path, check it (hubsock_peer_check) and send the
 * hello line for mode ("sub", "snap" or "stats").  Returns a blocking,
 * close-on-exec fd, or -1 with err filled ("connect to /path: No such
 * file or directory", "/path: the hub runs as uid 1001, not as uid 0 nor
 * in group kato"). */
int hubsock_connect(const char *path, const char *mode,
                    char err[HUBSOCK_ERR_LEN]);

/* The same with the line hello (without '\n') sent together with the
 * file descriptor pass (SCM_RIGHTS), as kato-sub hands over its
 * output.  Returns the connected fd as above. */
int hubsock_connect_pass(const char *path, const char *hello, int pass,
                         char err[HUBSOCK_ERR_LEN]);

/* The group named by KATO_HUB_GROUP (a name or a number), allowed on the
 * socket besides our own uid.  Returns 1 with *gid set, 0 when the
 * setting is unset or empty, -1 with err filled when no such group. */
int hubsock_group(gid_t *gid, char err[HUBSOCK_ERR_LEN]);

/* May the process at the other end of the connected Unix socket fd talk
 * to us?  Yes if it runs as our effective uid, or if KATO_HUB_GROUP names
 * a group that is its group or one of its supplementary groups
 * (SO_PEERCRED, SO_PEERGROUPS).  Returns 0 if so, else -1 with err filled
 * ("uid 1001 (gid 1001) is neither uid 0 nor in group kato"). */
int hubsock_peer_check(int fd, char err[HUBSOCK_ERR_LEN]);

#endif
