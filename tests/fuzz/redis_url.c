/* REDIS_URL (common/redisurl.c), the one parser kato-sessions and
 * kato-stream take their server and password from.  The input is parsed
 * as it is (it must not crash; what parses has a sane port and names a
 * host or a socket path, not both), and then as the rest of a URL that
 * carries a known password: "redis://USER:Kq7zCanary@REST" (or unix://),
 * USER being the input up to its first newline.  Whatever USER and REST
 * are, that password never shows: not in the error text of a refused URL,
 * not in the display form of an accepted one. */
#include "redisurl.h"
#include "fuzz.h"

#define CANARY "Kq7zCanary"

static void check_parsed(const rurl *u)
{
	fuzz_check(u->port >= 1 && u->port <= 65535);
	fuzz_check(u->db >= 0);
	fuzz_check(!u->host[0] != !u->path[0]);
	fuzz_check(strlen(u->display) < sizeof u->display);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	rurl u;
	char err[RURL_ERR_LEN];
	if (rurl_parse(&u, s, err) == 0)
		check_parsed(&u);
	else
		fuzz_check(err[0] && strlen(err) < RURL_ERR_LEN);

	if (!strstr(s, "Canary")) {
		char *nl = strchr(s, '\n');
		const char *user = s, *rest = nl ? nl + 1 : "";
		if (nl)
			*nl = '\0';
		size_t n = strlen(user) + strlen(rest) + sizeof "redis://:" CANARY "@";
		char *url = malloc(n);
		if (url) {
			snprintf(url, n, "%s://%s:" CANARY "@%s",
			         size && (data[0] & 1) ? "unix" : "redis", user, rest);
			err[0] = '\0';
			if (rurl_parse(&u, url, err) == 0) {
				check_parsed(&u);
				fuzz_check(!strstr(u.display, "Canary"));
			} else {
				fuzz_check(!strstr(err, "Canary"));
			}
			free(url);
		}
	}
	free(s);
	return 0;
}
