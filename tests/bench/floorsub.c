/* floorsub - the per-connection child for floorhub (tests/bench/websocket.sh,
 * server "floor"); not part of kato-live.  Passes its stdout (websocketd's
 * pipe) to the hub, closes its own copy, drains stdin until websocketd
 * closes it.  Linked statically: this is the least a child can be.
 *
 * usage: floorsub  (the hub's socket in $KATO_HUB_SOCKET)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void)
{
	const char *path = getenv("KATO_HUB_SOCKET");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (!path || strlen(path) >= sizeof a.sun_path) {
		fprintf(stderr, "floorsub: KATO_HUB_SOCKET unset or too long\n");
		return 100;
	}
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("floorsub: connect");
		return 111;
	}
	char b = 's';
	struct iovec io = {&b, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1,
	                   .msg_control = u.space, .msg_controllen = sizeof u.space};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	int out = STDOUT_FILENO;
	memcpy(CMSG_DATA(h), &out, sizeof out);
	if (sendmsg(s, &m, 0) != 1) {
		perror("floorsub: sendmsg");
		return 111;
	}
	close(STDOUT_FILENO);
	char buf[4096];
	while (read(STDIN_FILENO, buf, sizeof buf) > 0)
		;
	return 0; /* the hub drops its copy when a write to it fails */
}
