/* client.c - kato-sub's WebSocket client.  See client.h. */
#include "client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "js.h"
#include "log.h"
#include "topics.h"

#define PENDING_MAX (256 * 1024) /* replies held for a stuck client */

void client_init(client *c, int fd, unsigned avail, int selective,
                 long interval_ms)
{
	*c = (client){.avail = avail, .want = avail, .selective = selective,
	              .interval_ms = interval_ms,
	              .last_out_ms = clock_mono_ms()};
	lineout_init(&c->out, fd);
}

void client_free(client *c)
{
	lineout_free(&c->out);
}

/* --- output ----------------------------------------------------------- */

/* Send one line to the client.  A stream line (from the hub) always goes
 * into the buffer when it cannot be written (the caller stops reading the
 * hub until it drains); a reply is dropped rather than let a client that
 * never reads grow our memory. */
static void out_line(client *c, const char *line, size_t len, int is_reply)
{
	if (c->out.closed)
		return;
	c->last_out_ms = clock_mono_ms();
	int r = lineout_put(&c->out, line, len,
	                    is_reply ? PENDING_MAX : SIZE_MAX);
	if (r == LINEOUT_DROPPED)
		log_warn("client not reading: reply dropped");
	else if (r == LINEOUT_NOMEM)
		log_warn("out of memory: closing the connection");
}

static void out_json(client *c, cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	if (s)
		out_line(c, s, strlen(s), 1);
	else
		log_warn("out of memory: a message to the client was lost");
	cJSON_free(s);
	cJSON_Delete(j);
}

/* A new {"type":type,"timestamp":now} object. */
static cJSON *message(const char *type)
{
	char ts[CLOCK_ISO_LEN];
	cJSON *j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "type", type);
		cJSON_AddStringToObject(j, "timestamp", clock_iso_now(ts));
	}
	return j;
}

void client_error(client *c, const char *code, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	cJSON *j = message("error");
	cJSON *e = cJSON_AddObjectToObject(j, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", text);
	out_json(c, j);
}

void client_heartbeat(client *c) { out_json(c, message("heartbeat")); }

void client_connected(client *c)
{
	cJSON *j = message("connected");
	cJSON_AddNumberToObject(j, "interval_ms", (double)c->interval_ms);
	cJSON_AddItemToObject(j, "topics", topics_list(c->avail));
	cJSON_AddBoolToObject(j, "selective_subscriptions", c->selective);
	out_json(c, j);
}

/* --- the stream ---------------------------------------------------------- */

/* One line from the hub to the client, filtered by topic if need be. */
void client_relay(client *c, const char *line, size_t len)
{
	/* A topic a feature flag turned off is cut here, not upstream, so
	 * that the hub (and the HTTP fallback) still has it. */
	if (c->want == T_ALL) {
		out_line(c, line, len, 0); /* verbatim */
		return;
	}
	char *edited = NULL;
	switch (topics_filter(line, len, c->want, &edited)) {
	case TOPICS_PASS: out_line(c, line, len, 0); break;
	case TOPICS_DROP: break;
	case TOPICS_EDITED: out_line(c, edited, strlen(edited), 0); break;
	case TOPICS_NOMEM: log_warn("out of memory: a frame was lost"); break;
	}
	cJSON_free(edited);
}

/* --- client messages ----------------------------------------------------- */

static void subscribe(client *c, const cJSON *j)
{
	char err[TOPICS_ERR_LEN];
	unsigned mask = 0;
	int bad = topics_parse(j, &mask, err);
	if (bad) {
		client_error(c,
		             bad == TOPICS_BAD ? "bad_message" : "unknown_topic",
		             "%s", err);
		return;
	}
	cJSON *r = message("subscribed");
	if (c->selective) {
		c->want = mask & c->avail;
		cJSON_AddItemToObject(r, "topics", topics_list(c->want));
		if (mask & ~c->avail)
			cJSON_AddItemToObject(r, "unavailable",
			                      topics_list(mask & ~c->avail));
	} else {
		cJSON_AddItemToObject(r, "topics", topics_list(c->avail));
		cJSON_AddBoolToObject(r, "selective_subscriptions", 0);
		cJSON_AddStringToObject(r, "message",
		                        "selective subscriptions are off: "
		                        "every topic stays on");
	}
	out_json(c, r);
}

static void client_line(client *c, char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	                   line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len == 4 && !memcmp(line, "ping", 4)) {
		client_heartbeat(c);
		return;
	}
	char why[64];
	cJSON *j = js_parse(line, len, why, sizeof why);
	if (!j || !cJSON_IsObject(j)) {
		client_error(c, "bad_message", "%s",
		             j ? "not a JSON object" : "not JSON (or \"ping\")");
		cJSON_Delete(j);
		return;
	}
	const char *type = js_str(j, "type");
	if (!type)
		client_error(c, "bad_message",
		             "no \"type\" string in the message");
	else if (!strcmp(type, "ping"))
		client_heartbeat(c);
	else if (!strcmp(type, "subscribe"))
		subscribe(c, j);
	else
		client_error(c, "unknown_type",
		           "unknown message type \"%.100s\" (known: ping, "
		           "subscribe)", type);
	cJSON_Delete(j);
}

/* Returns 0 at end of input. */
int client_readable(client *c, ndj_reader *r)
{
	long n = ndj_fill(r);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return 0;
	for (;;) {
		char *line;
		size_t len;
		enum ndj_status st = ndj_next(r, &line, &len);
		if (st == NDJ_LINE)
			client_line(c, line, len);
		else if (st == NDJ_TOOLONG)
			client_error(c, "too_large",
			           "message over %d bytes, ignored",
			           CLIENT_MAX_LINE);
		else if (st == NDJ_EOF)
			return 0;
		else
			return !r->eof;
		if (c->out.closed)
			return 0;
	}
}
