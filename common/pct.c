/* pct.c - see pct.h. */
#include "pct.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pct_decode(const char *s, size_t n, char *out, size_t cap, int flags)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '+' && (flags & PCT_FORM)) {
			c = ' ';
		} else if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0 || o + 1 >= cap)
			return -1;
		if ((flags & PCT_FORM) && (c < 0x20 || c == 0x7f))
			return -1;
		out[o++] = (char)c;
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return 0;
}
