/* lineout.c - non-blocking line output with a waiting buffer.  See
 * lineout.h. */
#include "lineout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

void lineout_init(lineout *o, int fd)
{
	*o = (lineout){.fd = fd};
}

static int pending_add(lineout *o, const char *a, size_t alen, const char *b,
                       size_t blen)
{
	size_t need = o->plen + alen + blen;
	if (need > o->pcap) {
		size_t cap = o->pcap ? o->pcap : 4096;
		while (cap < need)
			cap *= 2;
		char *p = realloc(o->pending, cap);
		if (!p)
			return -1;
		o->pending = p;
		o->pcap = cap;
	}
	memcpy(o->pending + o->plen, a, alen);
	memcpy(o->pending + o->plen + alen, b, blen);
	o->plen = need;
	return 0;
}

int lineout_flush(lineout *o)
{
	while (o->plen > 0 && !o->closed) {
		ssize_t w = write(o->fd, o->pending, o->plen);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			o->closed = 1; /* EPIPE: the reader is gone */
			return 0;
		}
		memmove(o->pending, o->pending + w, o->plen - (size_t)w);
		o->plen -= (size_t)w;
	}
	if (o->pcap > LINEOUT_KEEP_MAX) { /* give a big buffer back */
		free(o->pending);
		o->pending = NULL;
		o->pcap = 0;
	}
	return o->plen == 0;
}

int lineout_put(lineout *o, const char *line, size_t len, size_t max)
{
	if (o->closed)
		return LINEOUT_CLOSED;
	size_t done = 0;
	if (o->plen == 0) {
		struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
		for (;;) {
			ssize_t w = writev(o->fd, iov, 2);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				o->closed = 1;
				return LINEOUT_CLOSED;
			}
			done = w < 0 ? 0 : (size_t)w;
			break;
		}
		if (done == len + 1)
			return LINEOUT_OK;
	}
	if (o->plen > max)
		return LINEOUT_DROPPED;
	const char *rest = done < len ? line + done : "";
	size_t rlen = done < len ? len - done : 0;
	if (pending_add(o, rest, rlen, "\n", done <= len ? 1 : 0) < 0) {
		o->closed = 1;
		return LINEOUT_NOMEM;
	}
	return LINEOUT_OK;
}

void lineout_free(lineout *o)
{
	free(o->pending);
	o->pending = NULL;
	o->plen = o->pcap = 0;
}
