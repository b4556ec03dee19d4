/* test_ksessions.c - kato-sessions' pure parts: REDIS_URL parsing and
 * redaction, reading KATO's session values, the session table. */
#include "redisurl.h"
#include "redact.h"
#include "../../cmd/kato-sessions/sess.c"

#include <stdlib.h>

#include "unit.h"

static void urls(void)
{
	rurl u;
	char err[RURL_ERR_LEN];
	CHECK(rurl_parse(&u, "redis://kato-redis:6380/2", err) == 0 &&
	          !strcmp(u.host, "kato-redis") && u.port == 6380 && u.db == 2 &&
	          !u.has_pass && !u.path[0],
	      "redis://host:port/db");
	CHECK(rurl_parse(&u, "redis://localhost", err) == 0 && u.port == 6379 &&
	          u.db == 0,
	      "defaults: port 6379, db 0");
	CHECK(rurl_parse(&u, "redis://ro%40x:p%2Fw%3A1@[::1]:7000/0", err) == 0 &&
	          !strcmp(u.user, "ro@x") && !strcmp(u.pass, "p/w:1") &&
	          !strcmp(u.host, "::1") && u.port == 7000,
	      "%%-encoded user and password, IPv6 host");
	CHECK(!strcmp(u.display, "redis://[::1]:7000/0"), "display has no credentials");
	CHECK(rurl_parse(&u, "redis://:s3cret@h", err) == 0 && !u.user[0] &&
	          !strcmp(u.pass, "s3cret") && u.has_pass,
	      ":password@ is a password without a user");
	CHECK(rurl_parse(&u, "redis://s3cret@h", err) == 0 && !u.user[0] &&
	          !strcmp(u.pass, "s3cret"),
	      "a lone word before @ is a password, as redis-cli reads it");
	CHECK(rurl_parse(&u, "unix:///run/redis/redis.sock?db=3", err) == 0 &&
	          !strcmp(u.path, "/run/redis/redis.sock") && u.db == 3,
	      "unix socket with db");
	CHECK(rurl_parse(&u, "unix://:pw@/run/r.sock", err) == 0 &&
	          !strcmp(u.pass, "pw") && !strcmp(u.path, "/run/r.sock") &&
	          !strcmp(u.display, "unix:///run/r.sock"),
	      "unix socket with a password");
	CHECK(rurl_parse(&u, "unix://u:p@ss@/run/r.sock", err) == 0 &&
	          !strcmp(u.pass, "p@ss") && !strcmp(u.path, "/run/r.sock"),
	      "unix socket: a password with an @, as redis:// takes it");
	CHECK(rurl_parse(&u, "unix:///run/a@b.sock", err) == 0 && !u.has_pass &&
	          !strcmp(u.path, "/run/a@b.sock"),
	      "unix socket: an @ in the path without userinfo");
	CHECK(rurl_parse(&u, "rediss://u:topsecret@h:6380", err) < 0 &&
	          strstr(err, "no SSL") && !strstr(err, "topsecret"),
	      "rediss:// refused without the password in the message");
	const char *bad[] = {"http://h", "redis://", "redis://h:0", "redis://h:70000",
	                     "redis://h/x", "redis://h:1/2/3", "redis://:%zz@h",
	                     "unix://relative", "redis://h h"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(rurl_parse(&u, bad[i], err) < 0, "refused: %s (%s)", bad[i], err);
	CHECK(rurl_parse(&u, "redis://u:pw/with/slash@h:1", err) < 0 &&
	          !strstr(err, "pw/with"),
	      "an unencoded / in a password is refused and not shown");
	char out[128];
	redact_url("redis://a:b@c:1/0", out, sizeof out);
	CHECK(!strcmp(out, "redis://c:1/0"), "redact");
	redact_url("redis://a:b/c@d@e:1", out, sizeof out);
	CHECK(!strcmp(out, "redis://e:1"), "redact cuts at the last @");
	redact_url("unix:///x.sock", out, sizeof out);
	CHECK(!strcmp(out, "unix:///x.sock"), "nothing to redact");
}

#define VAL                                                                  \
	"{\"session_id\": \"session-abc-1\", \"node_id\": \"node-1\", "          \
	"\"created_at\": \"2026-12-02T03:00:00.123456+00:00\", "                 \
	"\"last_accessed\": \"2026-12-02T03:10:00+00:00\", "                     \
	"\"expires_at\": \"2026-12-02T04:10:00+00:00\", \"ttl_seconds\": 3600, " \
	"\"stm\": [[\"a\"]], \"metadata_accumulator\": {\"k\": \"v\"}, "         \
	"\"access_count\": 7, \"session_config\": {}}"

static void values(void)
{
	sess s;
	char err[SESS_ERR_LEN];
	int64_t now = 1796180000000;
	CHECK(sess_parse("session-abc-1", VAL, strlen(VAL), 0, 5000, now, &s, err) == 0,
	      "KATO's value parses");
	CHECK(s.node && !strcmp(s.node, "node-1") && s.access_count == 7 &&
	          s.created_ms % 1000 == 123 && s.ttl_ms == 5000 &&
	          s.expires_ms == now + 5000,
	      "fields: node, access_count, created ms, expiry from PTTL");
	sess_clear(&s);
	CHECK(sess_parse("session-abc-1", VAL, strlen(VAL), 0, -1, now, &s, err) == 0 &&
	          s.ttl_ms == -1 && s.expires_ms > now,
	      "no TTL: expiry from the value");
	sess_clear(&s);
	/* cut after last_accessed: the leading fields, access_count unknown */
	size_t cut = (size_t)(strstr(VAL, "\"expires_at\"") - VAL);
	CHECK(sess_parse("session-abc-1", VAL, cut, 1, 1000, now, &s, err) == 0 &&
	          !strcmp(s.node, "node-1") && s.access_count == -1 &&
	          s.accessed_ms > 0 && s.expires_ms == now + 1000,
	      "a value cut short gives the leading fields");
	sess_clear(&s);
	CHECK(sess_parse("session-other", VAL, strlen(VAL), 0, 1, now, &s, err) < 0 &&
	          strstr(err, "not the key's"),
	      "a session_id other than the key's is refused");
	CHECK(sess_parse("session-x", "nope", 4, 0, 1, now, &s, err) < 0 &&
	          strstr(err, "not JSON"),
	      "not JSON");
	CHECK(sess_parse("session-x", "[1]", 3, 0, 1, now, &s, err) < 0,
	      "not an object");
	CHECK(sess_parse("session-x", "{\"node_id\": \"n\"}", 16, 0, 1, now, &s, err) < 0,
	      "no session_id");
	const char *v2 = "{\"session_id\": \"session-x\", \"created_at\": \"yesterday\", \"access_count\": -3}";
	CHECK(sess_parse("session-x", v2, strlen(v2), 0, 1, now, &s, err) == 0 &&
	          s.created_ms == -1 && s.access_count == -1 && !s.node,
	      "bad fields are unknown (null), not made up");
	sess_clear(&s);

	const char *k = "kato:session:session-abc-1";
	CHECK(sess_key_id(k, strlen(k)) && !strcmp(sess_key_id(k, strlen(k)), "session-abc-1"),
	      "key to id");
	const char *nk = "kato:session:node:node-1:active";
	CHECK(!sess_key_id(nk, strlen(nk)), "the node key is not a session");
	CHECK(!sess_key_id("kato:session:session-a\nb", 24), "control bytes refused");
}

static void table(void)
{
	sess_table t;
	CHECK(sess_table_init(&t, 300) == 0, "table");
	char id[32];
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "session-%d", i);
		sess s = {.id = strdup(id), .expires_ms = -1, .created_ms = -1,
		          .accessed_ms = -1, .ttl_ms = -1, .access_count = -1,
		          .bad = i % 100 == 0};
		sess_put(&t, &s);
	}
	CHECK(t.n == 300 && t.good == 297 && t.nbucket >= 256, "300 in, 3 bad");
	sess extra = {.id = strdup("session-more")};
	CHECK(!sess_put(&t, &extra) && !extra.id, "full: refused, freed");
	CHECK(sess_find(&t, "session-150") && !sess_find(&t, "session-x"), "find");
	CHECK(sess_remove(&t, "session-150") && !sess_find(&t, "session-150") &&
	          t.n == 299 && t.good == 296,
	      "remove");
	sess *e = sess_find(&t, "session-100");
	sess n = {.id = strdup("session-100"), .node = strdup("n"), .expires_ms = 5,
	          .created_ms = -1, .accessed_ms = -1, .ttl_ms = -1, .access_count = -1};
	int d = sess_differs(e, &n);
	sess_replace(&t, e, &n);
	CHECK(d && t.good == 297 && !strcmp(e->node, "n") && sess_find(&t, "session-100") == e,
	      "replace a bad entry with a good one");
	sess a = *e, b = *e;
	b.expires_ms = e->expires_ms + 80;
	CHECK(!sess_differs(&a, &b), "an expiry 80 ms off is noise");
	b.expires_ms = e->expires_ms + 500;
	CHECK(sess_differs(&a, &b), "an expiry 500 ms off is a change");
	cJSON *j = sess_json(e, "removed", "expired");
	char *txt = cJSON_PrintUnformatted(j);
	CHECK(txt && strstr(txt, "\"op\":\"removed\"") && strstr(txt, "\"reason\":\"expired\"") &&
	          strstr(txt, "\"created_at\":null") && strstr(txt, "\"access_count\":null"),
	      "record: unknowns are null (%s)", txt);
	free(txt);
	cJSON_Delete(j);
	sess_table_free(&t);
}

int main(void)
{
	urls();
	values();
	table();
	return unit_done();
}
