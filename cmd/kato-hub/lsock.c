/* lsock.c - kato-hub's listening socket.  See lsock.h. */
#include "lsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p for the socket's directory; the ones we create are 0700. */
static int make_dirs(const char *path, char err[LSOCK_ERR_LEN])
{
	char d[LSOCK_PATH_LEN];
	snprintf(d, sizeof d, "%s", path);
	char *slash = strrchr(d, '/');
	if (!slash || slash == d)
		return 0;
	*slash = '\0';
	for (char *p = d + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(d, 0700) < 0 && errno != EEXIST) {
				snprintf(err, LSOCK_ERR_LEN, "unable to create %s: %s",
				         d, strerror(errno));
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int fail(lsock *l, int code, char err[LSOCK_ERR_LEN], const char *what,
                const char *path)
{
	if (what)
		snprintf(err, LSOCK_ERR_LEN, "%s %s: %s", what, path,
		         strerror(errno));
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	return code;
}

int lsock_open(lsock *l, const char *path, char err[LSOCK_ERR_LEN])
{
	*l = (lsock){.fd = -1};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, LSOCK_ERR_LEN, "path too long: %s", path);
		return LSOCK_EUSAGE;
	}
	strcpy(sa.sun_path, path);
	snprintf(l->path, sizeof l->path, "%s", path);
	if (make_dirs(path, err) < 0)
		return LSOCK_ETEMP;

	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, LSOCK_ERR_LEN,
			         "%s exists and is not a socket", path);
			return LSOCK_EUSAGE;
		}
		/* A socket file: is a hub behind it? */
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(c);
			snprintf(err, LSOCK_ERR_LEN, "another hub serves %s", path);
			return LSOCK_ETEMP;
		}
		if (c >= 0)
			close(c);
		if (unlink(path) < 0)
			return fail(l, LSOCK_ETEMP, err, "unable to remove stale",
			            path);
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		snprintf(err, LSOCK_ERR_LEN, "unable to create a socket: %s",
		         strerror(errno));
		return LSOCK_ETEMP;
	}
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return fail(l, LSOCK_ETEMP, err, "unable to bind", path);
	if (stat(path, &st) == 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	if (listen(l->fd, SOMAXCONN) < 0)
		return fail(l, LSOCK_ETEMP, err, "unable to listen on", path);
	return LSOCK_OK;
}

void lsock_close(lsock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	struct stat st;
	if (l->path[0] && stat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->path);
	l->path[0] = '\0';
}
