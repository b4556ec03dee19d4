/* splice.c - see splice.h. */
#include "splice.h"

#include <string.h>

static size_t ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Past the string whose '"' is at s[i], or n when it does not end. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

/* Past the value that starts at s[i] (strings, numbers, literals, nested
 * objects and arrays), or n when it does not end. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return n;
	if (s[i] == '"')
		return skip_string(s, n, i);
	if (s[i] != '{' && s[i] != '[') {
		while (i < n && !strchr(",}] \t\r\n", s[i]))
			i++;
		return i;
	}
	size_t depth = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			i = skip_string(s, n, i) - 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return n;
}

long splice_open(const char *s, size_t n, const char *key)
{
	size_t klen = strlen(key);
	size_t i = ws(s, n, 0);
	if (i >= n || s[i] != '{')
		return -1;
	i = ws(s, n, i + 1);
	while (i < n && s[i] == '"') {
		size_t kend = skip_string(s, n, i);
		/* an escaped name may decode to key: a parser would then take
		 * another member than this scan; say no, and the frame is
		 * printed again */
		if (memchr(s + i, '\\', kend - i))
			return -1;
		int match = kend - i == klen + 2 && !memcmp(s + i + 1, key, klen);
		i = ws(s, n, kend);
		if (i >= n || s[i] != ':')
			return -1;
		i = ws(s, n, i + 1);
		if (match)
			return i < n && s[i] == '{' ? (long)(i + 1) : -1;
		i = ws(s, n, skip_value(s, n, i));
		if (i >= n || s[i] != ',')
			return -1;
		i = ws(s, n, i + 1);
	}
	return -1;
}

size_t splice_member(char *out, const char *s, size_t n, long at,
                     const char *name, const char *value)
{
	size_t a = (size_t)at, o = 0;
	size_t nl = strlen(name), vl = strlen(value);
	memcpy(out, s, a);
	o = a;
	out[o++] = '"';
	memcpy(out + o, name, nl);
	o += nl;
	out[o++] = '"';
	out[o++] = ':';
	memcpy(out + o, value, vl);
	o += vl;
	size_t k = ws(s, n, a);
	if (k < n && s[k] != '}')
		out[o++] = ',';
	memcpy(out + o, s + a, n - a);
	return o + n - a;
}
