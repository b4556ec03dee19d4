/* cmd.h - the lines kato-hub reads on its socket: a hello, then (from a
 * kato-sub) short commands.  The grammar is fixed and small on purpose:
 * the browser's own messages are parsed by kato-sub, one process per
 * connection, and the hub, which serves everyone, only ever parses this.
 *
 *   hello   = "sub" | "snap" | "stats" | "ws " HEARTBEAT_MS [" " SILENCE_MS]
 *   command = "ping" | "topics " MASK | "error " CODE " " TEXT
 *
 *   HEARTBEAT_MS  decimal 0..86400000 (0: no idle heartbeats)
 *   SILENCE_MS    decimal 0..86400000: close a client that sent nothing
 *                 for this long (0, or absent: never)
 *   MASK          decimal 0..31, bits of common/topics.h
 *   CODE          bad_message | unknown_type | unknown_topic | too_large
 *   TEXT          1..CMD_TEXT_MAX bytes of printable ASCII (0x20-0x7e)
 *
 * A line is at most CMD_LINE_MAX bytes before its '\n'; one '\r' before
 * the '\n' is allowed (a person typing into socat).  Numbers have no sign,
 * no leading zeros (but "0"), no spaces around them.  Anything else is
 * malformed, and the hub drops the connection that sent it.
 *
 * Pure: no I/O, no allocation, no global state.  A fuzz target can call
 * cmd_parse on any bytes.
 */
#ifndef KH_CMD_H
#define KH_CMD_H

#include <stddef.h>

#define CMD_LINE_MAX 512     /* longest line, '\n' excluded */
#define CMD_TEXT_MAX 400     /* longest error TEXT */
#define CMD_HEARTBEAT_MAX 86400000L

enum cmd_kind {
	CMD_SUB,    /* hello: retained messages, then the live stream */
	CMD_SNAP,   /* hello: retained messages, then close */
	CMD_STATS,  /* hello: one hub_stats line, then close */
	CMD_WS,     /* hello: a WebSocket's output pipe comes with it */
	CMD_PING,   /* the client pinged: answer with a heartbeat */
	CMD_TOPICS, /* the client subscribed: mask is the new set */
	CMD_ERROR,  /* tell the client its message was bad: code, text */
};

typedef struct hub_cmd {
	enum cmd_kind kind;
	long heartbeat_ms;            /* CMD_WS */
	long silence_ms;              /* CMD_WS (0: none) */
	unsigned mask;                /* CMD_TOPICS */
	const char *code;             /* CMD_ERROR: a static string */
	char text[CMD_TEXT_MAX + 1];  /* CMD_ERROR, NUL-terminated */
} hub_cmd;

/* Parse one line (len bytes, without its '\n'; it need not be
 * NUL-terminated).  Returns 0 with *c filled, or -1 with *why set to a
 * static text saying what is wrong ("unknown command", "bad mask", ...). */
int cmd_parse(const char *line, size_t len, hub_cmd *c, const char **why);

/* 1 if k is a hello (the first line of a connection), else 0. */
int cmd_is_hello(enum cmd_kind k);

#endif
