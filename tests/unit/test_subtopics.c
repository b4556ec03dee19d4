/* test_subtopics.c - the topics (common/topics.c) and kato-sub's parser of
 * browser messages (client_msg_parse): what each message becomes for the
 * hub, and that nothing a client sends is echoed unless printable ASCII. */
#include "../../cmd/kato-sub/clientmsg.c"

#include <stdlib.h>

#include "unit.h"

static const char *text_of(const char *s) { return s; }

/* topics_parse on a subscribe message given as text. */
static int parse(const char *text, unsigned *mask, char *err)
{
	cJSON *j = cJSON_Parse(text);
	int r = topics_parse(j, mask, err);
	cJSON_Delete(j);
	return r;
}

/* client_msg_parse on len bytes of text. */
static const char *cm(const char *text, size_t len)
{
	static char cmd[CLIENTMSG_CMD_LEN];
	size_t n = client_msg_parse(text, len, cmd);
	return n == strlen(cmd) ? cmd : "(length wrong)";
}
#define CM(s) cm(s, sizeof(s) - 1)

/* Every byte of s is printable ASCII. */
static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int main(void)
{
	char out[1024], err[TOPICS_ERR_LEN];
	unsigned all = T_METRICS | T_CONTAINERS | T_SESSIONS | T_EVENTS | T_ALERTS;

	CHECK(topics_of_type("realtime_update") == T_FRAME &&
	          topics_of_type("metrics_update") == T_METRICS &&
	          topics_of_type("session_update") == T_SESSIONS &&
	          topics_of_type("session_event") == T_EVENTS &&
	          topics_of_type("system_alert") == T_ALERTS &&
	          topics_of_type("active_alerts") == T_ALERTS &&
	          topics_of_type("heartbeat") == 0,
	      "each message type belongs to its topic; others to none");
	topics_ascii(out, 8, "a\xff\x01\"b\xc3\xa9zzzz", 100);
	CHECK_STR(text_of(out), "a??\"b??", "topics_ascii replaces non-ASCII, cuts to fit");

	/* client_msg_parse */
	CHECK_STR(CM("ping"), "ping", "text ping");
	CHECK_STR(CM("ping \r"), "ping", "text ping with trailing blanks");
	CHECK_STR(CM("{\"type\":\"ping\"}"), "ping", "JSON ping");
	CHECK_STR(CM("{\"type\":\"subscribe\",\"subscriptions\":[\"metrics\","
	             "\"system_alerts\"]}"),
	          "topics 17", "subscribe becomes a mask");
	CHECK_STR(CM("{\"type\":\"subscribe\",\"subscriptions\":[]}"),
	          "topics 0", "an empty subscribe is mask 0");
	CHECK(!strncmp(CM("hello?"), "error bad_message not JSON", 26),
	      "not JSON: bad_message");
	CHECK(!strncmp(CM("[1,2]"), "error bad_message not a JSON object", 35),
	      "not an object: bad_message");
	CHECK(!strncmp(CM("{\"no\":1}"), "error bad_message no \"type\"", 27),
	      "no type: bad_message");
	CHECK(!strncmp(CM("{\"type\":\"subscribe\",\"subscriptions\":\"metrics\"}"),
	               "error bad_message subscribe needs", 33),
	      "subscribe without a list: bad_message");
	CHECK(!strncmp(CM("{\"type\":\"dance\"}"),
	               "error unknown_type unknown message type \"dance\"", 47),
	      "unknown type: %s", CM("{\"type\":\"dance\"}"));
	const char *c = CM("{\"type\":\"subscribe\",\"subscriptions\":[\"weather\"]}");
	CHECK(!strncmp(c, "error unknown_topic unknown topic \"weather\"", 43),
	      "unknown topic: %s", c);
	c = CM("\x82\x01\xffping");
	CHECK(!strncmp(c, "error bad_message binary data", 29) && ascii(c),
	      "a binary message glued to the next: bad_message: %s", c);
	c = CM("{\"type\":\"subscribe\",\"subscriptions\":[\"\xc3\x28\"]}");
	CHECK(!strncmp(c, "error bad_message binary data", 29),
	      "invalid UTF-8 inside JSON is refused as binary: %s", c);
	c = CM("{\"type\":\"caf\xc3\xa9\\u0000\"}");
	CHECK(!strncmp(c, "error unknown_type", 18) && ascii(c),
	      "valid UTF-8 and escapes are not echoed raw: %s", c);
	c = cm("pi\0ng", 6);
	CHECK(!strncmp(c, "error bad_message", 17), "a NUL inside: bad_message");
	char big[2000];
	memset(big, 'x', sizeof big);
	memcpy(big, "{\"type\":\"", 9);
	memcpy(big + sizeof big - 2, "\"}", 2);
	c = cm(big, sizeof big);
	CHECK(strlen(c) < CLIENTMSG_CMD_LEN && ascii(c) &&
	          !strncmp(c, "error unknown_type", 18),
	      "a long type is cut: %zu bytes", strlen(c));
	char cmd[CLIENTMSG_CMD_LEN];
	client_msg_too_large(cmd);
	CHECK(!strncmp(cmd, "error too_large message over 65536 bytes", 40),
	      "too_large: %s", cmd);

	unsigned m = 99;
	CHECK(parse("{\"subscriptions\":[\"metrics\",\"system_alerts\"]}", &m,
	            err) == 0 &&
	          m == (T_METRICS | T_ALERTS),
	      "a list of names gives their bits");
	CHECK(parse("{\"subscriptions\":[]}", &m, err) == 0 && m == 0,
	      "an empty list is no topic");
	m = 99;
	CHECK(parse("{\"subscriptions\":\"metrics\"}", &m, err) == TOPICS_BAD &&
	          m == 99 &&
	          !strcmp(err, "subscribe needs \"subscriptions\": a list of "
	                       "topics"),
	      "not a list: TOPICS_BAD, mask untouched");
	CHECK(parse("{\"subscriptions\":[\"metrics\",\"cpu\"]}", &m, err) ==
	              TOPICS_UNKNOWN &&
	          m == 99 &&
	          !strcmp(err, "unknown topic \"cpu\" (topics: metrics, containers, "
	                       "sessions, session_events, system_alerts); "
	                       "subscriptions unchanged"),
	      "an unknown name: %s", err);
	CHECK(parse("{\"subscriptions\":[3]}", &m, err) == TOPICS_UNKNOWN &&
	          !strncmp(err, "unknown topic 3 ", 16),
	      "a non-string item is unknown: %s", err);

	cJSON *l = topics_list(all & ~T_CONTAINERS);
	char *s = cJSON_PrintUnformatted(l);
	CHECK(!strcmp(s, "[\"metrics\",\"sessions\",\"session_events\","
	                 "\"system_alerts\"]"),
	      "topics_list names a mask in table order: %s", s);
	cJSON_free(s);
	cJSON_Delete(l);
	return unit_done();
}
