/* ndj.h - newline-delimited JSON: writing records and reading bounded lines.
 *
 * Output: one compact JSON object per line, '\n'-terminated, flushed at
 * once (stdout to a pipe is fully buffered otherwise).
 *
 * Input: a reader over a file descriptor (blocking or not) that hands out
 * complete lines.  A line longer than the reader's limit is never cut into
 * a wrong record: it is discarded up to its newline and reported once as
 * NDJ_TOOLONG, with its line number, so the caller can say so and go on.
 */
#ifndef KL_NDJ_H
#define KL_NDJ_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* The longest line any stage reads or writes, '\n' excluded: room for 3,000 containers. */
#define NDJ_LINE_MAX (16u << 20)

/* Write obj as one compact line to f and flush.  Returns 0, or -1 with
 * errno set (EPIPE: the reader went away). */
int ndj_write(FILE *f, const cJSON *obj);

/* Write a line of text (without its '\n') the same way. */
int ndj_write_line(FILE *f, const char *line, size_t len);

/* What ndj_next() found. */
enum ndj_status {
	NDJ_LINE = 0,    /* line and len hold one line, without '\n', NUL-ended */
	NDJ_AGAIN = 1,   /* no complete line buffered: call ndj_fill() */
	NDJ_TOOLONG = 2, /* a line over the limit was skipped (r->lineno is it) */
	NDJ_EOF = 3,     /* end of input (a final line without '\n' was given) */
};

typedef struct ndj_reader {
	int fd;          /* where bytes come from */
	char *buf;       /* owned; max_line + 1 bytes plus room for the NUL */
	size_t cap;      /* allocated size of buf */
	size_t max_line; /* longest line accepted, in bytes, without '\n' */
	size_t start;    /* first unconsumed byte in buf */
	size_t end;      /* one past the last byte read into buf */
	int skipping;    /* inside an overlong line: drop bytes up to '\n' */
	int eof;         /* the fd reported end of file */
	unsigned long lineno; /* number of the line last returned (1-based) */
	size_t chunk;    /* if nonzero, ndj_fill reads at most this many bytes
	                  * at once: a reader with a large max_line then only
	                  * touches (keeps resident) what its lines need */
} ndj_reader;

/* Set up r to read fd, accepting lines up to max_line bytes.  Returns 0,
 * or -1 if memory runs out. */
int ndj_reader_init(ndj_reader *r, int fd, size_t max_line);

/* Start over on fd (a new connection), keeping the buffer and settings:
 * buffered bytes are dropped and line numbers restart. */
void ndj_reader_reset(ndj_reader *r, int fd);

/* Free the reader's buffer (the fd is the caller's to close). */
void ndj_reader_free(ndj_reader *r);

/* read(2) once from the fd into the buffer.  Returns the byte count,
 * 0 at end of file, -1 with errno set (EAGAIN for a non-blocking fd with
 * nothing to read). */
long ndj_fill(ndj_reader *r);

/* Take the next line out of the buffer.  The line stays valid until the
 * next call on r.  See enum ndj_status. */
enum ndj_status ndj_next(ndj_reader *r, char **line, size_t *len);

/* Blocking convenience: fill as needed until a line, an overlong line or
 * end of input.  Returns NDJ_LINE, NDJ_TOOLONG, NDJ_EOF, or -1 on a read
 * error (errno set; EINTR is retried). */
int ndj_getline(ndj_reader *r, char **line, size_t *len);

#endif
