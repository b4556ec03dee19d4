/* redisurl.c - see redisurl.h. */
#include "redisurl.h"

#include "pct.h"
#include "redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number lo..hi made of n digits of s. */
static int number(const char *s, size_t n, long lo, long hi, int *out)
{
	if (n == 0 || n > 9)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* "user:pass" (n bytes) into u. */
static int creds(rurl *u, const char *s, size_t n, char err[RURL_ERR_LEN])
{
	const char *colon = memchr(s, ':', n);
	size_t ul = colon ? (size_t)(colon - s) : n;
	if (pct_decode(s, ul, u->user, sizeof u->user, 0) < 0)
		goto bad;
	if (colon) {
		if (pct_decode(colon + 1, n - ul - 1, u->pass, sizeof u->pass, 0) < 0)
			goto bad;
		u->has_pass = 1;
	} else if (ul) {
		/* redis://secret@host: one word is the password, as redis-cli
		 * and redis-py read it */
		memcpy(u->pass, u->user, sizeof u->pass);
		u->user[0] = '\0';
		u->has_pass = 1;
	}
	return 0;
bad:
	snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: user or password too long "
	         "or badly %%-encoded", u->display);
	return -1;
}

int rurl_parse(rurl *u, const char *spec, char err[RURL_ERR_LEN])
{
	memset(u, 0, sizeof *u);
	u->port = 6379;
	redact_url(spec, u->display, sizeof u->display); /* one rule for all tools */
	const char *rest;
	int is_unix = 0;
	if (!strncmp(spec, "redis://", 8)) {
		rest = spec + 8;
	} else if (!strncmp(spec, "unix://", 7)) {
		rest = spec + 7;
		is_unix = 1;
	} else if (!strncmp(spec, "rediss://", 9)) {
		snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: rediss:// (TLS) is "
		         "not supported: this hiredis has no SSL (reach a TLS Redis "
		         "through a local stunnel, or use a Unix socket)", u->display);
		return -1;
	} else {
		snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: want redis://[USER:"
		         "PASSWORD@]HOST[:PORT][/DB] or unix:///PATH[?db=DB]",
		         u->display);
		return -1;
	}
	/* userinfo: up to the last '@' before the host's end (TCP), or the
	 * first '@' that the path's '/' follows (Unix: a password may hold
	 * an '@', but "@/" only %-encoded; a path given without userinfo
	 * may hold anything) */
	const char *at = NULL;
	if (is_unix) {
		if (*rest != '/')
			at = strstr(rest, "@/");
	} else {
		const char *end = rest + strcspn(rest, "/?#");
		for (const char *p = rest; p < end; p++)
			if (*p == '@')
				at = p;
	}
	if (at) {
		if (creds(u, rest, (size_t)(at - rest), err) < 0)
			return -1;
		rest = at + 1;
	}

	if (is_unix) {
		size_t pl = strcspn(rest, "?#");
		if (pl == 0 || rest[0] != '/' || pl > RURL_PATH_MAX) {
			snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: want unix:///PATH "
			         "with an absolute path of at most %d bytes",
			         u->display, RURL_PATH_MAX);
			return -1;
		}
		memcpy(u->path, rest, pl);
		u->path[pl] = '\0';
		rest += pl;
		if (*rest == '?') {
			rest++;
			if (strncmp(rest, "db=", 3) ||
			    number(rest + 3, strlen(rest + 3), 0, 1000000, &u->db) < 0) {
				snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: the only query "
				         "is db=NUMBER", u->display);
				return -1;
			}
			rest += strlen(rest);
		}
	} else {
		const char *hend;
		if (*rest == '[') {
			hend = strchr(rest, ']');
			if (!hend || hend - rest - 1 > RURL_HOST_MAX || hend == rest + 1)
				goto badhost;
			memcpy(u->host, rest + 1, (size_t)(hend - rest - 1));
			hend++;
		} else {
			hend = rest + strcspn(rest, ":/?#");
			if (hend == rest || hend - rest > RURL_HOST_MAX)
				goto badhost;
			memcpy(u->host, rest, (size_t)(hend - rest));
		}
		for (const char *p = u->host; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == '@' || *p == '%')
				goto badhost;
		rest = hend;
		if (*rest == ':') {
			size_t n = strcspn(rest + 1, "/?#");
			if (number(rest + 1, n, 1, 65535, &u->port) < 0) {
				snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: port must be "
				         "1 to 65535", u->display);
				return -1;
			}
			rest += 1 + n;
		}
		if (*rest == '/') {
			size_t n = strcspn(rest + 1, "?#");
			if (n && number(rest + 1, n, 0, 1000000, &u->db) < 0) {
				snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: database must "
				         "be a number", u->display);
				return -1;
			}
			rest += 1 + n;
		}
	}
	if (*rest) {
		/* not quoted: what follows '?' may hold a password */
		snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: unexpected '%c...' "
		         "(the only query is db=NUMBER, for unix://)", u->display,
		         *rest == '#' ? '#' : '?');
		return -1;
	}
	return 0;
badhost:
	snprintf(err, RURL_ERR_LEN, "bad REDIS_URL %s: bad host", u->display);
	return -1;
}
