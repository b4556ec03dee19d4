/* lsock.c - kato-hub's listening socket.  See lsock.h. */
#include "lsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lsock_check_dir(const char *dir, int gid, char err[LSOCK_ERR_LEN])
{
	struct stat st;
	if (lstat(dir, &st) < 0) {
		snprintf(err, LSOCK_ERR_LEN, "unable to look at %s: %s", dir,
		         strerror(errno));
		return LSOCK_ETEMP;
	}
	unsigned mode = st.st_mode & 07777;
	if (S_ISLNK(st.st_mode))
		snprintf(err, LSOCK_ERR_LEN,
		         "refusing %s: a symbolic link, not a directory "
		         "(someone else may control where it points)", dir);
	else if (!S_ISDIR(st.st_mode))
		snprintf(err, LSOCK_ERR_LEN, "refusing %s: not a directory", dir);
	else if (st.st_uid != geteuid())
		snprintf(err, LSOCK_ERR_LEN,
		         "refusing %s: owned by uid %u, not %u (another user "
		         "could serve forged data there)",
		         dir, (unsigned)st.st_uid, (unsigned)geteuid());
	else if (mode == 0700)
		return LSOCK_OK;
	else if (gid >= 0 && (mode == 0750 || mode == 0710) &&
	         st.st_gid == (gid_t)gid)
		return LSOCK_OK;
	else if (gid >= 0)
		snprintf(err, LSOCK_ERR_LEN,
		         "refusing %s: mode %04o group %u, want 0700, or 0750 "
		         "with group %d (KATO_HUB_GROUP)",
		         dir, mode, (unsigned)st.st_gid, gid);
	else
		snprintf(err, LSOCK_ERR_LEN,
		         "refusing %s: mode %04o, want 0700 (or 0750 with "
		         "KATO_HUB_GROUP)", dir, mode);
	return LSOCK_EUSAGE;
}

/* mkdir -p for the socket's directory; the ones we create are 0700, the
 * socket's own 0750 with group gid when gid >= 0. */
static int make_dirs(const char *path, int gid, char err[LSOCK_ERR_LEN])
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
			if (mkdir(d, 0700) == 0) {
				if (!c && gid >= 0 &&
				    (chown(d, (uid_t)-1, (gid_t)gid) < 0 ||
				     chmod(d, 0750) < 0)) {
					snprintf(err, LSOCK_ERR_LEN,
					         "unable to give %s to group %d: %s",
					         d, gid, strerror(errno));
					return -1;
				}
			} else if (errno != EEXIST) {
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

int lsock_open(lsock *l, const char *path, int gid, char err[LSOCK_ERR_LEN])
{
	*l = (lsock){.fd = -1};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, LSOCK_ERR_LEN, "path too long: %s", path);
		return LSOCK_EUSAGE;
	}
	strcpy(sa.sun_path, path);
	snprintf(l->path, sizeof l->path, "%s", path);
	if (make_dirs(path, gid, err) < 0)
		return LSOCK_ETEMP;
	char dir[LSOCK_PATH_LEN];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	int dr = lsock_check_dir(dir, gid, err);
	if (dr != LSOCK_OK)
		return dr;

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
	if (chmod(path, gid >= 0 ? 0660 : 0600) < 0)
		return fail(l, LSOCK_ETEMP, err, "unable to chmod", path);
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
