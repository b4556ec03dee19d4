/* test_lineout.c - kato-sub's non-blocking line output: lines wait in
 * order when the reader is slow, replies are dropped past the limit, a
 * reader that goes away closes it. */
#include "../../cmd/kato-sub/lineout.c"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>

#include "unit.h"

static size_t drain(int fd)
{
	char buf[4096];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, buf, sizeof buf)) > 0)
		n += (size_t)r;
	return n;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe");
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096, "a pipe of one page");
	lineout o;
	lineout_init(&o, p[1]);
	char line[3000];
	memset(line, 'x', sizeof line);

	CHECK(lineout_put(&o, line, sizeof line, SIZE_MAX) == LINEOUT_OK &&
	          o.plen == 0,
	      "a line that fits is written at once");
	/* A pipe takes a write of up to PIPE_BUF whole or not at all, so
	 * how much waits depends on the kernel: at most the whole line. */
	CHECK(lineout_put(&o, line, sizeof line, SIZE_MAX) == LINEOUT_OK &&
	          o.plen > 0 && o.plen <= 3001,
	      "what does not fit waits (%zu bytes)", o.plen);
	size_t waiting = o.plen;
	CHECK(lineout_put(&o, "r", 1, 10) == LINEOUT_DROPPED && o.plen == waiting,
	      "a reply past the limit is dropped, nothing else changes");
	CHECK(lineout_put(&o, "s", 1, SIZE_MAX) == LINEOUT_OK &&
	          o.plen == waiting + 2,
	      "a stream line waits behind the others, with its newline");
	CHECK(lineout_flush(&o) == 0, "flush into a full pipe: some still waits");
	size_t got = 0;
	for (int i = 0; i < 10 && o.plen > 0; i++) {
		got += drain(p[0]);
		lineout_flush(&o);
	}
	got += drain(p[0]);
	CHECK(got == 6004 && o.plen == 0 && lineout_flush(&o) == 1,
	      "flush gets everything out once the reader reads (%zu bytes)", got);

	close(p[0]);
	CHECK(lineout_put(&o, "y", 1, SIZE_MAX) == LINEOUT_CLOSED && o.closed,
	      "a reader gone (EPIPE) closes the output");
	CHECK(lineout_put(&o, "y", 1, SIZE_MAX) == LINEOUT_CLOSED,
	      "and nothing more is sent");
	lineout_free(&o);
	close(p[1]);
	return unit_done();
}
