/* floorhub - the floor under WebSocket delivery through websocketd, for
 * tests/bench/websocket.sh (server "floor"); not part of kato-live.
 *
 * A hub that does the least any design could: each connection's child
 * (floorsub) hands it its stdout, the pipe websocketd reads, over a Unix
 * socket (SCM_RIGHTS), and every line read on stdin is written straight
 * into every such pipe.  No per-message wake-up of a child, no queue, no
 * retained state.  A pipe that is full misses the line, and one with
 * a little room may get part of it: fine for measuring clients that read,
 * which is all the floor is for.  A new connection is read blocking: its
 * child sends the pipe as soon as it connects.
 *
 * usage: floorhub --socket PATH < frames
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_SUBS 8192

static int pipes[MAX_SUBS], conns[MAX_SUBS], nsubs;

/* Take the pipe a new connection passes, if it passes one. */
static void take(int c)
{
	char b;
	struct iovec io = {&b, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1,
	                   .msg_control = u.space, .msg_controllen = sizeof u.space};
	struct cmsghdr *h;
	int fd;
	if (nsubs == MAX_SUBS || recvmsg(c, &m, MSG_CMSG_CLOEXEC) != 1 ||
	    !(h = CMSG_FIRSTHDR(&m)) || h->cmsg_type != SCM_RIGHTS) {
		close(c);
		return;
	}
	memcpy(&fd, CMSG_DATA(h), sizeof fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pipes[nsubs] = fd;
	conns[nsubs++] = c;
}

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--socket") != 0) {
		fprintf(stderr, "usage: floorhub --socket PATH < frames\n");
		return 100;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(argv[2]) >= sizeof a.sun_path) {
		fprintf(stderr, "floorhub: socket path too long\n");
		return 100;
	}
	strcpy(a.sun_path, argv[2]);
	unlink(argv[2]);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) {
		fprintf(stderr, "floorhub: %s: %s\n", argv[2], strerror(errno));
		return 111;
	}
	static char buf[1 << 20];
	size_t have = 0;
	for (;;) {
		struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = l, .events = POLLIN}};
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents) {
			int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				take(c); /* the pipe comes with the first byte */
		}
		if (!p[0].revents)
			continue;
		ssize_t n = read(0, buf + have, sizeof buf - have);
		if (n <= 0)
			return 0;
		have += (size_t)n;
		char *s = buf, *nl;
		while ((nl = memchr(s, '\n', have - (size_t)(s - buf)))) {
			size_t len = (size_t)(nl - s) + 1;
			for (int i = 0; i < nsubs; i++)
				if (pipes[i] >= 0 && write(pipes[i], s, len) < 0 && errno != EAGAIN) {
					close(pipes[i]); /* the connection is gone */
					close(conns[i]);
					pipes[i] = -1;
				}
			s = nl + 1;
		}
		have -= (size_t)(s - buf);
		memmove(buf, s, have);
		if (have == sizeof buf)
			have = 0; /* a line over 1 MB: dropped */
	}
}
