/* lsock.h - kato-hub's listening Unix socket: made with its directories,
 * taken over from a dead hub, removed at exit only if it is still ours.
 *
 * Nothing here logs or exits: errors come back as an LSOCK_E* code, which
 * says whose fault it is, with "what: why" in the caller's err.
 */
#ifndef KH_LSOCK_H
#define KH_LSOCK_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define LSOCK_ERR_LEN 512
#define LSOCK_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)

typedef struct lsock {
	int fd;                    /* listening, non-blocking; -1 when shut */
	char path[LSOCK_PATH_LEN]; /* the socket file; "" once removed */
	dev_t dev;                 /* the file bind(2) made, so that only */
	ino_t ino;                 /* it is removed (not a newer hub's) */
} lsock;

enum {
	LSOCK_OK = 0,
	LSOCK_EUSAGE = -1, /* the path is unusable: too long, or not a socket */
	LSOCK_ETEMP = -2,  /* the system said no (another hub serves the path,
	                      mkdir, bind, ...): worth retrying later */
};

/* Listen on path: create its missing directories (mode 0700; the
 * socket's own 0750 and of group gid when gid >= 0), check the socket's
 * directory (lsock_check_dir), remove a socket file no hub answers on,
 * bind, listen; the socket file is 0600 (0660 with a group).  l is filled
 * either way (fd -1 on failure; on failure after bind the file is left,
 * and the next hub removes it as stale).  Returns LSOCK_OK or an LSOCK_E*
 * code with err filled ("unable to bind /x: Permission denied", "another
 * hub serves /x", "refusing /d: mode 0755, not 0700"). */
int lsock_open(lsock *l, const char *path, int gid, char err[LSOCK_ERR_LEN]);

/* Is dir fit to hold the hub's socket, so that no one else can take it
 * over?  It must be a directory itself (not a symlink to one), owned by
 * our effective uid, with mode 0700; or, when gid >= 0 (KATO_HUB_GROUP),
 * 0750 or 0710 with group gid.  Returns 0, or LSOCK_EUSAGE with err
 * filled ("refusing /tmp/kato-live-0: owned by uid 1001, not 0"), or
 * LSOCK_ETEMP when it cannot be looked at. */
int lsock_check_dir(const char *dir, int gid, char err[LSOCK_ERR_LEN]);

/* Stop listening (the fd is closed, -1 after) and remove the socket file
 * if it is still the one lsock_open made.  Safe to call again. */
void lsock_close(lsock *l);

#endif
