/* cmd.c - kato-hub's socket grammar.  See cmd.h. */
#include "cmd.h"

#include <string.h>

static const char *const error_codes[] = {
    "bad_message", "unknown_type", "unknown_topic", "too_large",
};

/* A decimal number without sign or leading zeros, at most max.  Returns
 * 0 with *out set, or -1. */
static int number(const char *s, size_t len, long max, long *out)
{
	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -1;
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* line starts with word and a space: the rest in *rest, *rlen. */
static int arg(const char *line, size_t len, const char *word,
               const char **rest, size_t *rlen)
{
	size_t w = strlen(word);
	if (len <= w || memcmp(line, word, w) || line[w] != ' ')
		return 0;
	*rest = line + w + 1;
	*rlen = len - w - 1;
	return 1;
}

static int is(const char *line, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(line, word, len);
}

int cmd_parse(const char *line, size_t len, hub_cmd *c, const char **why)
{
	const char *a;
	size_t alen;
	long v;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CMD_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	if (memchr(line, '\0', len) || memchr(line, '\n', len)) {
		*why = "NUL or newline inside a line";
		return -1;
	}
	if (is(line, len, "sub")) {
		c->kind = CMD_SUB;
	} else if (is(line, len, "snap")) {
		c->kind = CMD_SNAP;
	} else if (is(line, len, "stats")) {
		c->kind = CMD_STATS;
	} else if (is(line, len, "ping")) {
		c->kind = CMD_PING;
	} else if (arg(line, len, "ws", &a, &alen)) {
		const char *sp = memchr(a, ' ', alen);
		size_t hlen = sp ? (size_t)(sp - a) : alen;
		long sil = 0;
		if (number(a, hlen, CMD_HEARTBEAT_MAX, &v) < 0 ||
		    (sp && number(sp + 1, alen - hlen - 1, CMD_HEARTBEAT_MAX,
		                  &sil) < 0)) {
			*why = "bad heartbeat or silence in ws hello";
			return -1;
		}
		c->kind = CMD_WS;
		c->heartbeat_ms = v;
		c->silence_ms = sil;
	} else if (arg(line, len, "topics", &a, &alen)) {
		if (number(a, alen, 31, &v) < 0) {
			*why = "bad topic mask";
			return -1;
		}
		c->kind = CMD_TOPICS;
		c->mask = (unsigned)v;
	} else if (arg(line, len, "error", &a, &alen)) {
		const char *sp = memchr(a, ' ', alen);
		size_t clen = sp ? (size_t)(sp - a) : alen;
		c->code = NULL;
		for (size_t i = 0; i < sizeof error_codes / sizeof *error_codes; i++)
			if (is(a, clen, error_codes[i]))
				c->code = error_codes[i];
		if (!c->code || !sp) {
			*why = "bad error code";
			return -1;
		}
		const char *t = sp + 1;
		size_t tlen = alen - clen - 1;
		if (tlen == 0 || tlen > CMD_TEXT_MAX) {
			*why = "bad error text length";
			return -1;
		}
		for (size_t i = 0; i < tlen; i++)
			if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e) {
				*why = "error text is not printable ASCII";
				return -1;
			}
		memcpy(c->text, t, tlen);
		c->text[tlen] = '\0';
		c->kind = CMD_ERROR;
	} else {
		*why = "unknown command";
		return -1;
	}
	return 0;
}

int cmd_is_hello(enum cmd_kind k)
{
	return k == CMD_SUB || k == CMD_SNAP || k == CMD_STATS || k == CMD_WS;
}
