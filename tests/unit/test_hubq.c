/* test_hubq.c - kato-hub's refcounted messages, output queue (bound,
 * writev, partial writes) and retained-message table. */
#include "../../cmd/kato-hub/msgq.c"

#include <fcntl.h>
#include <unistd.h>

#include "unit.h"

/* Everything readable on fd (non-blocking), '\0'-terminated. */
static char *drain(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

static void test_queue(void)
{
	msg *a = msg_new("{\"type\":\"a\"}", 12);
	msg *b = msg_new("{\"type\":\"b\"}", 12);
	CHECK(a && a->refs == 1 && a->len == 13 && a->data[12] == '\n',
	      "msg_new copies the line, adds '\\n', one reference");

	msgq q = {0};
	CHECK(msgq_push(&q, a, 20, 0) == MSGQ_OK && q.queued == 13 && a->refs == 2,
	      "push takes a reference and counts the bytes");
	CHECK(msgq_push(&q, b, 20, 0) == MSGQ_OVER && q.n == 1 && b->refs == 1,
	      "a push past the bound is refused and takes nothing");
	CHECK(msgq_push(&q, b, 20, 1) == MSGQ_OK && q.n == 2 && b->refs == 2,
	      "force (retained for a newcomer) passes the bound");
	msgq_clear(&q);
	CHECK(q.n == 0 && q.ring == NULL && a->refs == 1 && b->refs == 1,
	      "clear drops every reference");

	msg *big = msg_new("0123456789012345678901234567890123456789", 40);
	CHECK(msgq_push(&q, big, 20, 0) == MSGQ_OK,
	      "an empty queue takes one message, however long");
	msgq_clear(&q);

	/* Past 8 slots the ring grows, and keeps order across a wrap. */
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe");
	for (int i = 0; i < 5; i++)
		msgq_push(&q, a, 1 << 20, 0);
	CHECK(msgq_write(&q, p[1], NULL) == 65 && q.n == 0 && q.queued == 0 &&
	          a->refs == 1,
	      "writev sends the whole queue and lets go of what went");
	char buf[8192];
	drain(p[0], buf, sizeof buf);
	for (int i = 0; i < 20; i++) {
		char line[32];
		int n = snprintf(line, sizeof line, "%d", i);
		msg *m = msg_new(line, (size_t)n);
		msgq_push(&q, m, 1 << 20, 0);
		msg_unref(m);
	}
	CHECK(q.cap == 32 && q.n == 20, "the ring grows by doubling");
	while (q.n > 0 && msgq_write(&q, p[1], NULL) > 0)
		;
	drain(p[0], buf, sizeof buf);
	CHECK(!strcmp(buf, "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n"
	               "16\n17\n18\n19\n"),
	      "messages go out in order");
	CHECK(msgq_write(&q, p[1], NULL) == 0, "an empty queue writes nothing");

	/* A full pipe takes part of a message: the rest stays queued. */
	int cap = fcntl(p[1], F_SETPIPE_SZ, 4096);
	char chunk[3000];
	memset(chunk, 'x', sizeof chunk);
	msg *c = msg_new(chunk, sizeof chunk);
	msgq_push(&q, c, 1 << 20, 0);
	msgq_push(&q, c, 1 << 20, 0);
	msg_unref(c);
	ssize_t w = msgq_write(&q, p[1], NULL);
	CHECK(cap >= 4096 && w == cap && q.n == 1 && q.off == (size_t)cap - 3001 &&
	          q.queued == 6002 - (size_t)cap,
	      "a partial write leaves the rest of the message, with its offset");
	errno = 0;
	CHECK(msgq_write(&q, p[1], NULL) == -1 && errno == EAGAIN && q.n == 1,
	      "a full pipe: -1, EAGAIN, nothing lost");
	size_t got = strlen(drain(p[0], buf, sizeof buf));
	while (q.n > 0 && msgq_write(&q, p[1], NULL) > 0)
		got += strlen(drain(p[0], buf, sizeof buf));
	got += strlen(drain(p[0], buf, sizeof buf));
	CHECK(got == 6002 && q.queued == 0 && q.off == 0,
	      "the rest goes on the next write");
	msgq_clear(&q);
	close(p[0]);
	close(p[1]);
	msg_unref(a);
	msg_unref(b);
	msg_unref(big);
}

static void test_retain(void)
{
	retain_tab r = {0};
	char err[RETAIN_ERR_LEN];
	CHECK(retain_parse(&r, "active_alerts,,realtime_update,metrics_update,"
	                       "active_alerts",
	                   err) == 0 &&
	          r.n == 3,
	      "empty items and repeats are skipped");
	CHECK_STR(r.type[0], "realtime_update", "realtime_update goes first");
	CHECK_STR(r.type[1], "active_alerts", "then the order given");
	CHECK(retain_slot(&r, "metrics_update") == 2 &&
	          retain_slot(&r, "session_event") == -1,
	      "retain_slot finds a type, -1 for others");

	msg *m1 = msg_new("1", 1), *m2 = msg_new("2", 1);
	retain_keep(&r, 1, m1);
	CHECK(r.kept[1] == m1 && m1->refs == 2, "kept with a reference");
	retain_keep(&r, 1, m2);
	CHECK(r.kept[1] == m2 && m1->refs == 1 && m2->refs == 2,
	      "a newer message replaces the old and lets it go");
	retain_clear(&r);
	CHECK(r.kept[1] == NULL && m2->refs == 1 && r.n == 3,
	      "clear lets go of the messages and keeps the types");
	msg_unref(m1);
	msg_unref(m2);

	char t[200];
	memset(t, 'a', 70);
	t[70] = '\0';
	CHECK(retain_parse(&r, t, err) < 0 && !strncmp(err, "type too long: aaa", 18),
	      "a type of 64 bytes or more: %s", err);
	strcpy(t, "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
	CHECK(retain_parse(&r, t, err) < 0 && !strcmp(err, "more than 16 types"),
	      "more than 16 types: %s", err);
	char longl[1100];
	memset(longl, 'a', sizeof longl - 1);
	longl[sizeof longl - 1] = '\0';
	CHECK(retain_parse(&r, longl, err) < 0 && !strcmp(err, "list too long"),
	      "a list of 1024 bytes or more: %s", err);
}

int main(void)
{
	test_queue();
	test_retain();
	return unit_done();
}
