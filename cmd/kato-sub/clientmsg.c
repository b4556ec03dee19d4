/* clientmsg.c - a browser's message as a command for the hub.  See
 * clientmsg.h. */
#include "clientmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "topics.h"

static size_t error(char cmd[CLIENTMSG_CMD_LEN], const char *code,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "error CODE TEXT", TEXT cut to CLIENTMSG_TEXT_MAX, printable ASCII. */
static size_t error(char cmd[CLIENTMSG_CMD_LEN], const char *code,
                    const char *fmt, ...)
{
	char text[CLIENTMSG_TEXT_MAX + 1], safe[CLIENTMSG_TEXT_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	topics_ascii(safe, sizeof safe, text, CLIENTMSG_TEXT_MAX);
	int n = snprintf(cmd, CLIENTMSG_CMD_LEN, "error %s %s", code,
	                 safe[0] ? safe : "?");
	return n < 0 ? 0 : (size_t)n;
}

/* 1 if s[0..len) holds bytes a text message cannot: control characters
 * other than tab, or invalid UTF-8 (what a binary message looks like). */
static int binary(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
		                 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (c < 0x20 && c != '\t') || c == 0x7f ||
		    (n == 2 && c < 0xc2) || i + n > len)
			return 1;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 1;
		i += n;
	}
	return 0;
}

size_t client_msg_too_large(char cmd[CLIENTMSG_CMD_LEN])
{
	return error(cmd, "too_large", "message over %d bytes, ignored",
	             CLIENTMSG_MAX_LINE);
}

size_t client_msg_parse(const char *line, size_t len,
                        char cmd[CLIENTMSG_CMD_LEN])
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	                   line[len - 1] == '\r'))
		len--;
	if (len == 4 && !memcmp(line, "ping", 4))
		return (size_t)snprintf(cmd, CLIENTMSG_CMD_LEN, "ping");
	if (binary((const unsigned char *)line, len))
		return error(cmd, "bad_message",
		             "binary data or invalid UTF-8: only text messages "
		             "are understood (a binary message arrives glued to "
		             "the text message after it: both are lost)");
	cJSON *j = cJSON_ParseWithLength(line, len);
	size_t n;
	if (!j || !cJSON_IsObject(j)) {
		n = error(cmd, "bad_message", "%s",
		          j ? "not a JSON object" : "not JSON (or \"ping\")");
		cJSON_Delete(j);
		return n;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
	const char *type = cJSON_IsString(t) ? t->valuestring : NULL;
	if (!type) {
		n = error(cmd, "bad_message", "no \"type\" string in the message");
	} else if (!strcmp(type, "ping")) {
		n = (size_t)snprintf(cmd, CLIENTMSG_CMD_LEN, "ping");
	} else if (!strcmp(type, "subscribe")) {
		char err[TOPICS_ERR_LEN];
		unsigned mask = 0;
		int bad = topics_parse(j, &mask, err);
		if (bad)
			n = error(cmd, bad == TOPICS_BAD ? "bad_message"
			                                  : "unknown_topic",
			          "%s", err);
		else
			n = (size_t)snprintf(cmd, CLIENTMSG_CMD_LEN, "topics %u",
			                     mask);
	} else {
		char q[104];
		topics_ascii(q, sizeof q, type, 100);
		n = error(cmd, "unknown_type",
		          "unknown message type \"%s\" (known: ping, subscribe)",
		          q);
	}
	cJSON_Delete(j);
	return n;
}
