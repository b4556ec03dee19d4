#include "hubsock.h"

#include "cfg.h"

#include <errno.h>
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

int hubsock_connect(const char *path, const char *mode,
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
	char hello[16];
	int n = snprintf(hello, sizeof hello, "%s\n", mode);
	if (send(fd, hello, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(err, HUBSOCK_ERR_LEN, "write to %s: %s", path,
		         strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
