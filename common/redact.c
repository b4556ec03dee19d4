#include "redact.h"

#include <ctype.h>
#include <string.h>

/* Appends to a bounded buffer; text past the end is dropped. */
typedef struct {
	char *p;
	size_t len, n;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
	if (b->len == 0)
		return;
	size_t room = b->len - 1 - b->n;
	if (n > room)
		n = room;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int redact_secret_name(const char *name, size_t n)
{
	static const char *const words[] = {
	    "token", "key", "pass", "pwd", "secret", "auth",
	    "sig", "credential", "cookie", "session",
	};
	char low[128];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < sizeof low; i++) {
		int c = (unsigned char)name[i];
		int h1, h2;
		if (c == '%' && i + 2 < n &&
		    (h1 = hexval((unsigned char)name[i + 1])) >= 0 &&
		    (h2 = hexval((unsigned char)name[i + 2])) >= 0) {
			c = h1 * 16 + h2;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		low[j++] = (char)tolower(c);
	}
	low[j] = '\0';
	for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
		if (strstr(low, words[w]))
			return 1;
	/* A name too long to look at whole is not shown either. */
	return j + 1 >= sizeof low && n > j;
}

/* Does the value (n bytes) hold an '@', plain or escaped: a URL with
 * credentials ("next=http://u:pw@host"), or an address worth keeping to
 * the server? */
static int holds_at(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == '@' || (v[i] == '%' && i + 2 < n && v[i + 1] == '4' &&
		                    v[i + 2] == '0'))
			return 1;
	return 0;
}

/* Copy "name=value&name=value..." (s, n bytes), with the value of every
 * parameter named like a secret, or holding an '@', replaced; a parameter
 * whose name holds an '@' ("?u:pw@host", a mistyped address) is replaced
 * whole. */
static void put_params(sbuf *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && s[end] != '&' && s[end] != ';')
			end++;
		const char *eq = memchr(s + i, '=', end - i);
		size_t nl = eq ? (size_t)(eq - (s + i)) : end - i;
		if (holds_at(s + i, nl)) {
			put(b, REDACT_MARK, sizeof REDACT_MARK - 1);
		} else if (eq && (redact_secret_name(s + i, nl) ||
		                  holds_at(eq + 1, (size_t)(s + end - eq - 1)))) {
			put(b, s + i, nl + 1);
			put(b, REDACT_MARK, sizeof REDACT_MARK - 1);
		} else {
			put(b, s + i, end - i);
		}
		if (end < n)
			put(b, s + end, 1);
		i = end + 1;
	}
}

char *redact_url(const char *url, char *out, size_t len)
{
	sbuf b = {out, len, 0};
	if (len)
		out[0] = '\0';
	if (!url)
		return out;
	size_t n = strlen(url);

	/* scheme "://", if there is one */
	size_t start = 0;
	const char *sep = strstr(url, "://");
	if (sep && sep > url) {
		const char *c = url;
		int ok = isalpha((unsigned char)*c);
		for (; ok && c < sep; c++)
			ok = isalnum((unsigned char)*c) || *c == '+' || *c == '-' ||
			     *c == '.';
		if (ok)
			start = (size_t)(sep - url) + 3;
	}

	/* The query or fragment starts at the first '?' or '#'. */
	size_t q = start + strcspn(url + start, "?#");
	/* The userinfo ends at the last '@' before it. */
	size_t host = start;
	for (size_t i = start; i < q; i++)
		if (url[i] == '@')
			host = i + 1;
	/* No '@' there, but one further on and no path: a password with an
	 * unescaped '?' or '#' ("user:p?ss@host").  Cut up to the last '@'
	 * and say so, rather than show what might be half a password. */
	int cut = 0;
	if (host == start && q < n && !memchr(url + start, '/', q - start) &&
	    memchr(url + start, ':', q - start) && strchr(url + q, '@')) {
		host = (size_t)(strrchr(url, '@') - url) + 1;
		q = host + strcspn(url + host, "?#");
		cut = 1;
	}
	put(&b, url, start);
	if (cut)
		put(&b, REDACT_MARK "@", sizeof REDACT_MARK);
	put(&b, url + host, q - host);

	/* "?query" then "#fragment", parameters redacted in both. */
	while (q < n) {
		size_t end = q + 1;
		if (url[q] == '?')
			end += strcspn(url + end, "#");
		else
			end = n;
		put(&b, url + q, 1);
		put_params(&b, url + q + 1, end - q - 1);
		q = end;
	}
	return out;
}
