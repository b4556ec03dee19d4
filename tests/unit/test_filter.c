/* test_filter.c - common/filter: every line handed on in order, a final
 * line without '\n', an overlong line skipped and said, a callback that
 * says stop (its errno kept), ticks while no input comes, and a stop
 * signal. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "unit.h"

typedef struct seen {
	char text[256];
	int lines, longs, ticks, stop_at, stop_ticks, raise_at;
} seen;

static int on_line(void *ctx, char *line, size_t len, unsigned long lineno)
{
	seen *s = ctx;
	char one[64];
	snprintf(one, sizeof one, "%lu:%.*s;", lineno, (int)len, line);
	strncat(s->text, one, sizeof s->text - strlen(s->text) - 1);
	if (++s->lines == s->stop_at) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static int on_long(void *ctx, unsigned long lineno)
{
	seen *s = ctx;
	s->longs++;
	char one[32];
	snprintf(one, sizeof one, "%lu:LONG;", lineno);
	strncat(s->text, one, sizeof s->text - strlen(s->text) - 1);
	return 0;
}

static int on_tick(void *ctx)
{
	seen *s = ctx;
	s->ticks++;
	if (s->ticks == s->raise_at)
		raise(SIGTERM); /* blocked by filter_run: arrives on its signalfd */
	if (s->ticks == s->stop_ticks) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

/* A pipe holding text, its write end closed when close_it. */
static int feed(const char *text, int close_it, int *wfd)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	if (close_it)
		close(p[1]);
	else
		*wfd = p[1];
	return p[0];
}

int main(void)
{
	char err[FILTER_ERR_LEN];
	seen s = {0};
	filter_ops ops = {.line = on_line, .too_long = on_long, .ctx = &s, .line_max = 8};
	int fd = feed("a\nbb\n0123456789\nccc\nlast", 1, NULL);
	CHECK(filter_run(fd, &ops, err) == FILTER_EOF, "end of input ends the loop");
	CHECK_STR(s.text, "1:a;2:bb;3:LONG;4:ccc;5:last;", "every line in order, the long one said, the last without '\\n' too: %s", s.text);
	close(fd);

	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	fd = feed("a\nb\nc\n", 1, NULL);
	CHECK(filter_run(fd, &ops, err) == FILTER_STOPPED && errno == EPIPE, "a callback's stop ends the loop with its errno");
	CHECK_STR(s.text, "1:a;2:b;", "no line after it: %s", s.text);
	close(fd);

	/* no input for a while: ticks, then the tick says stop */
	int wfd;
	memset(&s, 0, sizeof s);
	s.stop_ticks = 3;
	filter_ops tk = {.line = on_line, .tick = on_tick, .tick_ms = 10, .ctx = &s, .line_max = 64};
	fd = feed("x\n", 0, &wfd);
	CHECK(filter_run(fd, &tk, err) == FILTER_STOPPED && errno == ETIMEDOUT && s.ticks == 3,
	      "ticks come while the input is silent (%d), and a tick can stop the loop", s.ticks);
	CHECK_STR(s.text, "1:x;", "the line before them was handed on");

	/* a stop signal */
	memset(&s, 0, sizeof s);
	s.raise_at = 2;
	s.stop_ticks = 1000;
	CHECK(filter_run(fd, &tk, err) == FILTER_SIGNAL && s.ticks == 2, "SIGTERM stops the loop (after %d ticks)", s.ticks);
	close(fd);
	close(wfd);
	return unit_done();
}
