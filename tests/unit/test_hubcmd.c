/* test_hubcmd.c - kato-hub's command parser (cmd_parse), its per-topic-set
 * frame views (built once per set, lazily) and its sessions kept by id. */
#include "../../cmd/kato-hub/cmd.c"
#include "../../cmd/kato-hub/keyed.c"
#include "../../cmd/kato-hub/msgq.c"
#include "../../cmd/kato-hub/views.c"

#include "unit.h"

static const char *text_of(const char *s) { return s; }

static int ok(const char *line, hub_cmd *c)
{
	const char *why = NULL;
	return cmd_parse(line, strlen(line), c, &why) == 0;
}

static const char *bad(const char *line)
{
	hub_cmd c;
	const char *why = NULL;
	return cmd_parse(line, strlen(line), &c, &why) < 0 ? why : NULL;
}

static void test_cmd(void)
{
	hub_cmd c;
	CHECK(ok("sub", &c) && c.kind == CMD_SUB && cmd_is_hello(c.kind), "sub");
	CHECK(ok("snap\r", &c) && c.kind == CMD_SNAP, "snap, with a \\r");
	CHECK(ok("stats", &c) && c.kind == CMD_STATS, "stats");
	CHECK(ok("ws 30000", &c) && c.kind == CMD_WS && c.heartbeat_ms == 30000,
	      "ws with a heartbeat");
	CHECK(ok("ws 0", &c) && c.heartbeat_ms == 0 && c.silence_ms == 0,
	      "ws 0: no heartbeat, no silence limit");
	CHECK(ok("ws 30000 75000", &c) && c.heartbeat_ms == 30000 &&
	          c.silence_ms == 75000,
	      "ws with a heartbeat and a silence limit");
	CHECK(ok("ping", &c) && c.kind == CMD_PING && !cmd_is_hello(c.kind),
	      "ping is a command, not a hello");
	CHECK(ok("topics 31", &c) && c.kind == CMD_TOPICS && c.mask == 31,
	      "topics 31");
	CHECK(ok("topics 0", &c) && c.mask == 0, "topics 0");
	CHECK(ok("error unknown_topic unknown topic \"x\"", &c) &&
	          c.kind == CMD_ERROR && !strcmp(c.code, "unknown_topic") &&
	          !strcmp(c.text, "unknown topic \"x\""),
	      "error with code and text");
	CHECK(bad("topics 32") && bad("topics -1") && bad("topics 01") &&
	          bad("topics ") && bad("topics 3 ") && bad("topics 99999999999"),
	      "masks out of range or malformed are refused");
	CHECK(bad("ws") && bad("ws 86400001") && bad("ws x") && bad("ws  1") &&
	          bad("ws 1 ") && bad("ws 1 x") && bad("ws 1 2 3") &&
	          bad("ws 1 86400001"),
	      "bad ws hellos are refused");
	CHECK(bad("error too_slow you are slow") != NULL,
	      "a code kato-sub may not send is refused");
	CHECK(bad("error bad_message") && bad("error bad_message "),
	      "an error without text is refused");
	CHECK(bad("error bad_message caf\xc3\xa9") != NULL,
	      "error text must be printable ASCII");
	CHECK(bad("PING") && bad("") && bad("sub ") && bad("subscribe"),
	      "anything else is refused");
	char big[CMD_LINE_MAX + 10];
	memset(big, 'a', sizeof big);
	memcpy(big, "error bad_message ", 18);
	const char *why = NULL;
	CHECK(cmd_parse(big, sizeof big, &c, &why) < 0, "a long line is refused");
	CHECK(cmd_parse("ping\0x", 6, &c, &why) < 0, "a NUL inside is refused");
}

#define FRAME                                                               \
	"{\"type\":\"realtime_update\",\"data\":{\"metrics\":{\"a\":1},"          \
	"\"health\":{\"s\":\"ok\"},\"containers\":{\"containers\":[]},"           \
	"\"sessions\":{\"active_count\":2}},\"stale\":[],\"sources\":{}}"

static char *text(msg *m, char *buf)
{
	memcpy(buf, m->data, m->len - 1);
	buf[m->len - 1] = '\0';
	return buf;
}

static void test_views(void)
{
	views v = {0};
	msg *out = NULL;
	char buf[1024];
	CHECK(views_get(&v, T_ALL, &out) == VIEWS_NONE, "no frame yet: none");
	msg *base = msg_new(FRAME, strlen(FRAME));
	views_set(&v, cJSON_Parse(FRAME), base);
	CHECK(v.present == T_FRAME, "the frame has all three sections");
	CHECK(views_get(&v, T_ALL, &out) == VIEWS_OK && out == base &&
	          v.built == 0,
	      "every section wanted: the line itself, nothing printed");
	CHECK(views_get(&v, T_FRAME, &out) == VIEWS_OK && out == base,
	      "topics outside the frame do not matter");
	CHECK(views_get(&v, T_METRICS | T_EVENTS, &out) == VIEWS_OK &&
	          v.built == 1 && out->frame,
	      "metrics only: one view printed");
	CHECK_STR(text(out, buf),
	          "{\"type\":\"realtime_update\",\"data\":{\"metrics\":{\"a\":1},"
	          "\"health\":{\"s\":\"ok\"}},\"stale\":[],\"sources\":{}}",
	          "metrics keeps metrics, health, stale and sources");
	msg *again = NULL;
	CHECK(views_get(&v, T_METRICS, &again) == VIEWS_OK && again == out &&
	          v.built == 1,
	      "the same set again: the same view, not printed twice");
	CHECK(views_get(&v, T_CONTAINERS | T_SESSIONS, &out) == VIEWS_OK &&
	          v.built == 2,
	      "another set: a second view");
	CHECK_STR(text(out, buf),
	          "{\"type\":\"realtime_update\",\"data\":{\"containers\":"
	          "{\"containers\":[]},\"sessions\":{\"active_count\":2}},"
	          "\"stale\":[],\"sources\":{}}",
	          "key order kept when sections are cut");
	CHECK(views_get(&v, T_ALERTS | T_EVENTS, &out) == VIEWS_NONE,
	      "no frame topic: no frame at all");
	CHECK(views_get(&v, T_ALL, &out) == VIEWS_OK && out == base,
	      "the parsed frame is whole again after cutting");
	/* a new frame drops the old views */
	const char *f2 = "{\"type\":\"realtime_update\",\"data\":{\"metrics\":{}}}";
	msg *b2 = msg_new(f2, strlen(f2));
	views_set(&v, cJSON_Parse(f2), b2);
	CHECK(v.present == T_METRICS && v.view[T_METRICS] == NULL,
	      "a new frame: its own sections, no old views");
	CHECK(views_get(&v, T_METRICS, &out) == VIEWS_OK && out == b2 &&
	          v.built == 2,
	      "nothing to cut for metrics: the line itself");
	CHECK(views_get(&v, T_CONTAINERS, &out) == VIEWS_OK && v.built == 3,
	      "containers only, frame without containers: data emptied");
	CHECK_STR(text(out, buf), "{\"type\":\"realtime_update\",\"data\":{}}",
	          "empty data: %s", buf);
	CHECK(base->refs == 1 && b2->refs == 2, "references: views hold one");
	views_clear(&v);
	CHECK(b2->refs == 1, "views_clear lets go");
	msg_unref(base);
	msg_unref(b2);
}

static int collect(msg *m, void *arg)
{
	char *s = arg;
	strncat(s, m->data, m->len - 1);
	strcat(s, ";");
	return 0;
}

static void test_keyed(void)
{
	keyed k;
	keyed_init(&k, 3);
	msg *a = msg_new("A", 1), *b = msg_new("B", 1), *c = msg_new("C", 1),
	    *d = msg_new("D", 1), *a2 = msg_new("A2", 2);
	CHECK(keyed_set(&k, "s1", a) == KEYED_NEW &&
	          keyed_set(&k, "s2", b) == KEYED_NEW &&
	          keyed_set(&k, "s3", c) == KEYED_NEW && k.n == 3,
	      "three keys");
	CHECK(keyed_set(&k, "s1", a2) == KEYED_REPLACED && k.n == 3 &&
	          a->refs == 1 && a2->refs == 2,
	      "a key set again replaces its message");
	char s[256] = "";
	keyed_each(&k, collect, s);
	CHECK_STR(text_of(s), "B;C;A2;", "order: last set last");
	CHECK(keyed_set(&k, "s4", d) == KEYED_EVICTED && k.n == 3,
	      "a fourth key evicts the oldest");
	s[0] = '\0';
	keyed_each(&k, collect, s);
	CHECK_STR(text_of(s), "C;A2;D;", "the oldest went: %s", s);
	CHECK(keyed_del(&k, "s3") == 1 && keyed_del(&k, "s3") == 0 && k.n == 2,
	      "a removed session is forgotten");
	CHECK(keyed_set(&k, "", a) == KEYED_BADKEY, "an empty key is refused");
	char longkey[KEYED_KEY_MAX + 2];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	CHECK(keyed_set(&k, longkey, a) == KEYED_BADKEY, "a long key is refused");
	/* many keys: the buckets grow */
	keyed big;
	keyed_init(&big, 100000);
	int okn = 1;
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "session-%d", i);
		okn &= keyed_set(&big, key, a) == KEYED_NEW;
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof key, "session-%d", i);
		okn &= keyed_del(&big, key) == 1;
	}
	CHECK(okn && big.n == 2500 && a->refs == 2501,
	      "5000 keys in, half removed: %zu kept", big.n);
	keyed_free(&big);
	keyed_free(&k);
	CHECK(a->refs == 1 && a2->refs == 1 && d->refs == 1,
	      "keyed_free lets every message go");
	msg_unref(a);
	msg_unref(b);
	msg_unref(c);
	msg_unref(d);
	msg_unref(a2);
}

int main(void)
{
	test_cmd();
	test_views();
	test_keyed();
	return unit_done();
}
