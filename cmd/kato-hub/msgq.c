/* msgq.c - kato-hub's refcounted messages, output queues and retained
 * messages.  See msgq.h. */
#include "msgq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

msg *msg_new(const char *line, size_t len)
{
	msg *m = malloc(sizeof *m + len + 1);
	if (!m)
		return NULL;
	m->refs = 1;
	m->frame = 0;
	m->len = len + 1;
	memcpy(m->data, line, len);
	m->data[len] = '\n';
	return m;
}

void msg_unref(msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

int msgq_push(msgq *q, msg *m, size_t max, int force)
{
	if (!force && q->queued > 0 && q->queued + m->len > max)
		return MSGQ_OVER;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8;
		msg **ring = malloc(cap * sizeof *ring);
		if (!ring)
			return MSGQ_NOMEM;
		for (size_t i = 0; i < q->n; i++)
			ring[i] = q->ring[(q->head + i) & (q->cap - 1)];
		free(q->ring);
		q->ring = ring;
		q->cap = cap;
		q->head = 0;
	}
	q->ring[(q->head + q->n) & (q->cap - 1)] = m;
	q->n++;
	m->refs++;
	q->queued += m->len;
	return MSGQ_OK;
}

ssize_t msgq_write(msgq *q, int fd, msgq_tally *t)
{
	if (q->n == 0)
		return 0;
	struct iovec iov[MSGQ_IOV];
	int n = 0;
	for (size_t i = 0; i < q->n && n < MSGQ_IOV; i++, n++) {
		msg *m = q->ring[(q->head + i) & (q->cap - 1)];
		size_t skip = i == 0 ? q->off : 0;
		iov[n].iov_base = m->data + skip;
		iov[n].iov_len = m->len - skip;
	}
	ssize_t w = writev(fd, iov, n);
	if (w < 0)
		return -1;
	q->queued -= (size_t)w;
	if (t)
		t->bytes += (unsigned long long)w;
	size_t left = (size_t)w;
	while (left > 0) {
		msg *m = q->ring[q->head];
		size_t rest = m->len - q->off;
		if (left < rest) {
			q->off += left;
			break;
		}
		left -= rest;
		q->off = 0;
		if (t) {
			t->msgs++;
			t->frames += m->frame != 0;
		}
		msg_unref(m);
		q->head = (q->head + 1) & (q->cap - 1);
		q->n--;
	}
	return w;
}

void msgq_drop_unstarted(msgq *q)
{
	size_t keep = q->off > 0 ? 1 : 0;
	for (size_t i = keep; i < q->n; i++) {
		msg *m = q->ring[(q->head + i) & (q->cap - 1)];
		q->queued -= m->len;
		msg_unref(m);
	}
	q->n = keep;
}

void msgq_clear(msgq *q)
{
	for (size_t i = 0; i < q->n; i++)
		msg_unref(q->ring[(q->head + i) & (q->cap - 1)]);
	free(q->ring);
	*q = (msgq){0};
}

int retain_slot(const retain_tab *r, const char *type)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->type[i], type))
			return i;
	return -1;
}

int retain_parse(retain_tab *r, const char *list, char err[RETAIN_ERR_LEN])
{
	r->n = 0;
	char copy[1024];
	if (strlen(list) >= sizeof copy) {
		snprintf(err, RETAIN_ERR_LEN, "list too long");
		return -1;
	}
	/* realtime_update goes first: a newcomer's first line is a whole
	 * picture. */
	for (int pass = 0; pass < 2; pass++) {
		strcpy(copy, list);
		for (char *save, *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			int first = !strcmp(t, "realtime_update");
			if (pass == 0 ? !first : first)
				continue;
			if (strlen(t) >= RETAIN_TYPE_LEN) {
				snprintf(err, RETAIN_ERR_LEN, "type too long: %s", t);
				return -1;
			}
			if (retain_slot(r, t) >= 0)
				continue;
			if (r->n == RETAIN_MAX) {
				snprintf(err, RETAIN_ERR_LEN, "more than %d types",
				         RETAIN_MAX);
				return -1;
			}
			strcpy(r->type[r->n++], t);
		}
	}
	return 0;
}

void retain_keep(retain_tab *r, int slot, msg *m)
{
	msg_unref(r->kept[slot]);
	r->kept[slot] = m;
	m->refs++;
}

void retain_clear(retain_tab *r)
{
	for (int i = 0; i < r->n; i++) {
		msg_unref(r->kept[i]);
		r->kept[i] = NULL;
	}
}
