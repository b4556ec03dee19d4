/* clientmsg.h - one message from a WebSocket client (a browser: untrusted)
 * turned into one command for kato-hub, in the hub's fixed grammar
 * (cmd/kato-hub/cmd.h):
 *
 *   "ping" or {"type":"ping"}               ->  ping
 *   {"type":"subscribe","subscriptions":[...]}  ->  topics MASK
 *   anything else                            ->  error CODE TEXT
 *
 * CODE is bad_message (not JSON, not an object, no type, a subscribe
 * without a list, binary data), unknown_type or unknown_topic; TEXT is
 * printable ASCII, at most CLIENTMSG_TEXT_MAX bytes: what the client sent
 * is quoted with every other byte replaced by '?', so invalid UTF-8 is
 * never echoed.
 *
 * This is the parser of browser input, kept apart so that it runs in the
 * process that owns one connection (kato-sub), never in the hub, and so
 * that a fuzz target can call it on any bytes.  Pure: no I/O, no global
 * state; it allocates only inside cJSON and frees what it allocates.
 */
#ifndef KS_CLIENTMSG_H
#define KS_CLIENTMSG_H

#include <stddef.h>

#define CLIENTMSG_MAX_LINE (64 * 1024) /* longest client message */
#define CLIENTMSG_TEXT_MAX 400         /* longest error text */
#define CLIENTMSG_CMD_LEN 512          /* room for any command and NUL */

/* Turn the client message line[0..len) (without its '\n'; it may hold
 * any bytes, NUL included) into a command, written NUL-terminated and
 * without '\n' into cmd.  Returns the command's length. */
size_t client_msg_parse(const char *line, size_t len,
                        char cmd[CLIENTMSG_CMD_LEN]);

/* The command for a message over CLIENTMSG_MAX_LINE (error too_large). */
size_t client_msg_too_large(char cmd[CLIENTMSG_CMD_LEN]);

#endif
