#include "ndj.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ndj_write_line(FILE *f, const char *line, size_t len)
{
	if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF ||
	    fflush(f) == EOF) {
		if (errno == 0)
			errno = EIO;
		clearerr(f);
		return -1;
	}
	return 0;
}

int ndj_write(FILE *f, const cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	int r = ndj_write_line(f, s, strlen(s));
	int saved = errno;
	cJSON_free(s);
	errno = saved;
	return r;
}

int ndj_reader_init(ndj_reader *r, int fd, size_t max_line)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->max_line = max_line;
	/* A full line, its '\n' and the NUL we write over the '\n'. */
	r->cap = max_line + 2;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -1;
}

void ndj_reader_reset(ndj_reader *r, int fd)
{
	r->fd = fd;
	r->start = r->end = 0;
	r->skipping = 0;
	r->eof = 0;
	r->lineno = 0;
}

void ndj_reader_free(ndj_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

long ndj_fill(ndj_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end >= r->cap - 1) {
		/* The buffer holds max_line+1 bytes and no newline: the line is
		 * too long.  Drop it; ndj_next reports it. */
		r->skipping = 1;
		r->end = 0;
	}
	size_t room = r->cap - 1 - r->end;
	if (r->chunk > 0 && room > r->chunk)
		room = r->chunk;
	ssize_t n = read(r->fd, r->buf + r->end, room);
	if (n > 0)
		r->end += (size_t)n;
	else if (n == 0)
		r->eof = 1;
	return (long)n;
}

enum ndj_status ndj_next(ndj_reader *r, char **line, size_t *len)
{
	for (;;) {
		char *base = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(base, '\n', avail);
		if (r->skipping) {
			if (!nl) {
				r->start = r->end = 0;
				if (r->eof) {
					r->skipping = 0;
					r->lineno++;
					return NDJ_TOOLONG;
				}
				return NDJ_AGAIN;
			}
			r->start += (size_t)(nl - base) + 1;
			r->skipping = 0;
			r->lineno++;
			return NDJ_TOOLONG;
		}
		if (nl) {
			size_t l = (size_t)(nl - base);
			r->start += l + 1;
			if (l > r->max_line) {
				r->lineno++;
				return NDJ_TOOLONG;
			}
			*nl = '\0';
			if (l > 0 && base[l - 1] == '\r')
				base[--l] = '\0';
			r->lineno++;
			*line = base;
			*len = l;
			return NDJ_LINE;
		}
		if (avail > r->max_line) {
			r->skipping = 1;
			r->start = r->end = 0;
			continue;
		}
		if (r->eof) {
			if (avail == 0)
				return NDJ_EOF;
			/* A last line without its newline still counts. */
			base[avail] = '\0';
			r->start = r->end;
			r->lineno++;
			*line = base;
			*len = avail;
			return NDJ_LINE;
		}
		return NDJ_AGAIN;
	}
}

int ndj_getline(ndj_reader *r, char **line, size_t *len)
{
	for (;;) {
		enum ndj_status s = ndj_next(r, line, len);
		if (s != NDJ_AGAIN)
			return (int)s;
		if (ndj_fill(r) < 0 && errno != EINTR)
			return -1;
	}
}
