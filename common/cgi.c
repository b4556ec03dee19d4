/* cgi.c - see cgi.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"

#include "pct.h"

int cgi_path(char *buf, size_t len, const char *arg)
{
	const char *sn = getenv("SCRIPT_NAME"), *pi = getenv("PATH_INFO");
	int n;
	if (arg)
		n = snprintf(buf, len, "%.*s", (int)strcspn(arg, "?"), arg);
	else if (!sn || !*sn || !strcmp(sn, "/"))
		n = snprintf(buf, len, "%s", pi ? pi : "");
	else
		n = snprintf(buf, len, "%s%s", sn, pi ? pi : "");
	if (n < 0 || (size_t)n >= len)
		return -1;
	char *w = buf;
	for (const char *r = buf; *r; r++)
		if (*r != '/' || w == buf || w[-1] != '/')
			*w++ = *r;
	while (w > buf + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return 0;
}

const char *cgi_query(const char *arg)
{
	if (arg) {
		const char *q = strchr(arg, '?');
		return q ? q + 1 : NULL;
	}
	return getenv("QUERY_STRING");
}

int cgi_unescape(const char *s, size_t len, char *out, size_t outlen)
{
	return pct_decode(s, len, out, outlen, PCT_FORM);
}

const char *cgi_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Error";
}

int cgi_respond(int status, const char *body, size_t len, int head_only,
                const char *allow)
{
	printf("Status: %d %s\r\n", status, cgi_reason(status));
	if (body)
		printf("Content-Type: application/json\r\nContent-Length: %zu\r\n", len);
	printf("Cache-Control: no-store\r\n"
	       "Access-Control-Allow-Origin: *\r\n"
	       "X-Content-Type-Options: nosniff\r\n");
	if (allow)
		printf("Allow: %s\r\nAccess-Control-Allow-Methods: %s\r\n"
		       "Access-Control-Allow-Headers: Accept, Content-Type\r\n",
		       allow, allow);
	printf("\r\n");
	if (body && !head_only)
		fwrite(body, 1, len, stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}
