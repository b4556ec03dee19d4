/* redisurl.h - REDIS_URL: where a Redis server is and how to log in
 * (kato-sessions reads KATO's Redis with it, kato-stream its streams).
 *
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]   TCP (HOST may be [v6])
 *   unix://[[USER]:PASSWORD@]/PATH[?db=DB]       a Unix socket
 *   rediss://...                                 TLS: refused, because
 *                                                Debian 12's hiredis
 *                                                (0.14) has no SSL
 * USER and PASSWORD may be %-encoded.  The password is never part of an
 * error text or of rurl.display.  Pure: never prints, never exits.
 */
#ifndef KL_REDISURL_H
#define KL_REDISURL_H

#define RURL_ERR_LEN 256
#define RURL_HOST_MAX 255
#define RURL_PATH_MAX 107 /* sun_path */
#define RURL_CRED_MAX 255

typedef struct rurl {
	char host[RURL_HOST_MAX + 1]; /* TCP host, without [] ("" for Unix) */
	int port;                     /* TCP port (default 6379) */
	char path[RURL_PATH_MAX + 1]; /* Unix socket path, or "" for TCP */
	int db;                       /* database number (default 0) */
	char user[RURL_CRED_MAX + 1]; /* ACL user, or "" (AUTH PASSWORD) */
	char pass[RURL_CRED_MAX + 1]; /* password, or "" (no AUTH) */
	int has_pass;                 /* a password was given (even empty) */
	char display[512];            /* the URL without its credentials */
} rurl;

/* Parse spec into u.  Returns 0, or -1 with err filled ("bad REDIS_URL
 * <url without credentials>: why"; err never holds the credentials).
 * u->display names the server in every later message. */
int rurl_parse(rurl *u, const char *spec, char err[RURL_ERR_LEN]);

#endif
