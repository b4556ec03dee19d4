/* hubsock.c - kato-hub's socket: address, client side, peer checks.  See
 * hubsock.h. */
#include "hubsock.h"

#include "cfg.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int hubsock_default_path(char *buf, size_t len)
{
	const char *p = cfg_get("KATO_HUB_SOCKET");
	int n;
	if (p && *p)
		n = snprintf(buf, len, "%s", p);
	else if ((p = getenv("XDG_RUNTIME_DIR")) && *p)
		n = snprintf(buf, len, "%s/kato-live/hub.sock", p);
	else
		n = snprintf(buf, len, "/tmp/kato-live-%u/hub.sock",
		             (unsigned)getuid());
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int hubsock_group(gid_t *gid, char err[HUBSOCK_ERR_LEN])
{
	const char *g = cfg_get("KATO_HUB_GROUP");
	if (!g || !*g)
		return 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(g, &end, 10);
	if (!errno && !*end && *g >= '0' && *g <= '9' && v < (gid_t)-1) {
		*gid = (gid_t)v;
		return 1;
	}
	struct group *gr = getgrnam(g);
	if (!gr) {
		snprintf(err, HUBSOCK_ERR_LEN, "KATO_HUB_GROUP: no group named %.64s",
		         g);
		return -1;
	}
	*gid = gr->gr_gid;
	return 1;
}

int hubsock_peer_check(int fd, char err[HUBSOCK_ERR_LEN])
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		snprintf(err, HUBSOCK_ERR_LEN, "SO_PEERCRED: %s", strerror(errno));
		return -1;
	}
	if (cr.uid == geteuid())
		return 0;
	gid_t g;
	char gerr[HUBSOCK_ERR_LEN];
	int have = hubsock_group(&g, gerr);
	if (have == 1) {
		if (cr.gid == g)
			return 0;
		gid_t groups[1024];
		socklen_t glen = sizeof groups;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
			for (size_t i = 0; i < glen / sizeof *groups; i++)
				if (groups[i] == g)
					return 0;
		snprintf(err, HUBSOCK_ERR_LEN,
		         "uid %u (gid %u) is neither uid %u nor in group %u",
		         (unsigned)cr.uid, (unsigned)cr.gid, (unsigned)geteuid(),
		         (unsigned)g);
		return -1;
	}
	snprintf(err, HUBSOCK_ERR_LEN, "uid %u is not uid %u%s",
	         (unsigned)cr.uid, (unsigned)geteuid(),
	         have < 0 ? " (and KATO_HUB_GROUP names no group)" : "");
	return -1;
}

/* Connect, check the hub, send hello and '\n' (with pass attached if it
 * is not -1). */
static int connect_hello(const char *path, const char *hello, int pass,
                         char err[HUBSOCK_ERR_LEN])
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, HUBSOCK_ERR_LEN, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, HUBSOCK_ERR_LEN, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(err, HUBSOCK_ERR_LEN, "connect to %s: %s", path,
		         strerror(errno));
		close(fd);
		return -1;
	}
	char why[HUBSOCK_ERR_LEN];
	if (hubsock_peer_check(fd, why) < 0) {
		snprintf(err, HUBSOCK_ERR_LEN, "%s: not our hub: %s", path, why);
		close(fd);
		return -1;
	}
	char line[64];
	int n = snprintf(line, sizeof line, "%s\n", hello);
	if (n < 0 || (size_t)n >= sizeof line) {
		snprintf(err, HUBSOCK_ERR_LEN, "hello too long");
		close(fd);
		return -1;
	}
	struct iovec io = {.iov_base = line, .iov_len = (size_t)n};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
	if (pass >= 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.space;
		m.msg_controllen = sizeof u.space;
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &pass, sizeof pass);
	}
	ssize_t w;
	while ((w = sendmsg(fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (w != n) {
		snprintf(err, HUBSOCK_ERR_LEN, "write to %s: %s", path,
		         w < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	return fd;
}

int hubsock_connect(const char *path, const char *mode,
                    char err[HUBSOCK_ERR_LEN])
{
	return connect_hello(path, mode, -1, err);
}

int hubsock_connect_pass(const char *path, const char *hello, int pass,
                         char err[HUBSOCK_ERR_LEN])
{
	return connect_hello(path, hello, pass, err);
}
