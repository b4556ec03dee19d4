/* hist.c - the history store.  See hist.h for the layout and contract. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"

#define META_MAGIC "KLHIST1"

/* On-disk records.  Native byte order: a store lives on the machine that
 * wrote it.  Each begins with a checksum of the bytes after it. */
typedef struct meta_rec {
	uint32_t sum;
	uint32_t version;
	char magic[8];
	int64_t fine_step_ms, fine_span_ms, coarse_step_ms, coarse_span_ms;
	uint32_t max_series, max_marks;
	int64_t hour_span_ms;         /* version 2 on: the hour tier */
} meta_rec;

/* A version 1 meta record (before the hour tier) ends here. */
#define META_V1_LEN offsetof(meta_rec, hour_span_ms)

typedef struct series_rec {
	uint32_t sum;
	uint32_t used;
	int64_t last_ms;              /* last time a value came (to the hour) */
	char name[HIST_NAME_MAX + 1]; /* NUL-terminated */
} series_rec;                     /* 128 bytes */

typedef struct fine_row {
	uint32_t sum;
	uint32_t pad;
	int64_t slot;                 /* absolute step number */
	float v[HIST_BLOCK];
} fine_row;

typedef struct coarse_row {         /* also the hour tier's rows */
	uint32_t sum;
	uint32_t frames;              /* fine steps seen in this minute; in
	                               * an hour row, minute rows seen */
	int64_t slot;
	float min[HIST_BLOCK], avg[HIST_BLOCK], max[HIST_BLOCK];
} coarse_row;

typedef struct mark_rec {
	uint32_t sum;
	uint32_t len;
	uint64_t seq;                 /* 1, 2, ...: 0 is an empty record */
	int64_t t_ms;
	char json[512 - 24];
} mark_rec;

_Static_assert(sizeof(series_rec) == 128, "series record size");
_Static_assert(sizeof(meta_rec) == 64 && META_V1_LEN == 56, "meta record size");
_Static_assert(sizeof(mark_rec) == 512, "mark record size");
_Static_assert(HIST_MARK_MAX < sizeof(((mark_rec *)0)->json), "mark room");

/* The minute being aggregated, per column. */
typedef struct acc {
	double sum, min, max;
	uint32_t n;
} acc;

typedef struct col {
	char name[HIST_NAME_MAX + 1];
	int64_t last_ms;      /* last value, in memory */
	int64_t disk_last_ms; /* what the series file says */
	int used;
} col;

struct hist {
	char dir[PATH_MAX - 32];
	hist_cfg cfg;
	int writable;
	int meta_fd, series_fd, marks_fd;
	uint32_t fine_slots, coarse_slots, hour_slots, nblocks;
	uint32_t meta_version;      /* 1: made before the hour tier (a reader
	                             * then has no hour files: hour_slots 0) */
	int *fine_fd, *coarse_fd;   /* per block, -1 when absent */
	int *hour_fd;               /* per block, -1 when absent */
	col *cols;
	uint32_t ncols;             /* 1 + highest column in use */
	int *hash;                  /* open addressing: column or -1 */
	uint32_t hmask;
	int64_t last_slot;          /* newest fine step stored, or -1 */
	int64_t acc_minute;         /* coarse step in acc, or -1 */
	uint32_t acc_frames;
	acc *acc;
	uint64_t mark_seq;          /* newest mark's sequence number */
	float *vals;                /* this frame's values, per column */
};

static void set_err(char err[HIST_ERR_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err(char err[HIST_ERR_LEN], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, HIST_ERR_LEN, fmt, ap);
	va_end(ap);
}

uint32_t hist_sum(const void *p, size_t len)
{
	/* Fletcher's sums over 32-bit words: one add each, so a 7-day query
	 * checks its ~50 MB of rows in a few ms; a row torn by a crash (part
	 * old, part new) fails it, as does an all-zero (never written) one. */
	const unsigned char *q = p;
	uint64_t a = 0, b = 0;
	for (size_t i = 0; i + 4 <= len; i += 4) {
		uint32_t w;
		memcpy(&w, q + i, 4);
		a += w;
		b += a;
	}
	uint32_t r = (uint32_t)(a ^ (a >> 32) ^ (b * 0x9E3779B97F4A7C15ull >> 32));
	return r ? r : 1;
}

/* The checksum of a record: all bytes after its first four. */
#define REC_SUM(r) hist_sum((const char *)(r) + 4, sizeof *(r) - 4)

void hist_cfg_defaults(hist_cfg *c)
{
	c->fine_step_ms = 3000;
	c->fine_span_ms = 3600 * 1000;
	c->coarse_step_ms = 60 * 1000;
	c->coarse_span_ms = (int64_t)7 * 24 * 3600 * 1000;
	c->max_series = 1024;
	c->max_marks = 4096;
	c->hour_span_ms = (int64_t)90 * 24 * HIST_HOUR_MS;
}

int hist_cfg_check(const hist_cfg *c, char err[HIST_ERR_LEN])
{
	if (c->fine_step_ms <= 0 || c->coarse_step_ms <= 0 ||
	    c->coarse_step_ms % c->fine_step_ms || HIST_HOUR_MS % c->coarse_step_ms) {
		set_err(err, "the coarse step (%lld ms) must be a multiple of the fine "
		        "step (%lld ms) and divide an hour", (long long)c->coarse_step_ms,
		        (long long)c->fine_step_ms);
		return -1;
	}
	if (c->fine_span_ms < c->coarse_step_ms || c->fine_span_ms % c->fine_step_ms ||
	    c->fine_span_ms / c->fine_step_ms > 10000000) {
		set_err(err, "the fine span (%lld ms) must be a multiple of its step, at "
		        "least one coarse step, at most 10^7 steps",
		        (long long)c->fine_span_ms);
		return -1;
	}
	if (c->coarse_span_ms < c->coarse_step_ms ||
	    c->coarse_span_ms % c->coarse_step_ms ||
	    c->coarse_span_ms / c->coarse_step_ms > 10000000) {
		set_err(err, "the coarse span (%lld ms) must be a multiple of its step, "
		        "at most 10^7 steps", (long long)c->coarse_span_ms);
		return -1;
	}
	if (c->hour_span_ms < c->coarse_span_ms || c->hour_span_ms % HIST_HOUR_MS ||
	    c->hour_span_ms / HIST_HOUR_MS > 10000000) {
		set_err(err, "the hour span (%lld s) must be whole hours, at least the "
		        "coarse span (%lld s)", (long long)c->hour_span_ms / 1000,
		        (long long)c->coarse_span_ms / 1000);
		return -1;
	}
	if (c->max_series < HIST_BLOCK || c->max_series % HIST_BLOCK ||
	    c->max_series > 64 * HIST_BLOCK * 16) {
		set_err(err, "most series (%u) must be a multiple of %d from %d to %d",
		        c->max_series, HIST_BLOCK, HIST_BLOCK, 64 * HIST_BLOCK * 16);
		return -1;
	}
	if (c->max_marks < 16 || c->max_marks > 1000000) {
		set_err(err, "marks kept (%u) must be from 16 to 1000000", c->max_marks);
		return -1;
	}
	return 0;
}

int hist_default_dir(char *buf, size_t len)
{
	const char *e = getenv("KATO_LIVE_HISTORY_DIR");
	int n;
	if (e && *e)
		n = snprintf(buf, len, "%s", e);
	else if ((e = getenv("STATE_DIRECTORY")) && *e)
		n = snprintf(buf, len, "%.*s/history", (int)strcspn(e, ":"), e);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/var/lib/kato-live/history");
	else if ((e = getenv("XDG_STATE_HOME")) && *e == '/')
		n = snprintf(buf, len, "%s/kato-live/history", e);
	else if ((e = getenv("HOME")) && *e == '/')
		n = snprintf(buf, len, "%s/.local/state/kato-live/history", e);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* --- files ---------------------------------------------------------------- */

static int full_pread(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	while (len) {
		ssize_t r = pread(fd, p, len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				memset(p, 0, len); /* a short file reads as empty records */
			return r < 0 ? -1 : 0;
		}
		p += r, len -= (size_t)r, off += r;
	}
	return 0;
}

static int full_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t r = pwrite(fd, p, len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r, len -= (size_t)r, off += r;
	}
	return 0;
}

static int mkdir_p(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir(path, 0755);
		*s = '/';
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void file_path(const hist *h, char *buf, size_t len, const char *name,
                      int block)
{
	if (block < 0)
		snprintf(buf, len, "%s/%s", h->dir, name);
	else
		snprintf(buf, len, "%s/%s.%03d", h->dir, name, block);
}

/* Make a file of size bytes, all zero (every record in it empty) but
 * for its first headlen bytes, head, under its name at once: written as
 * NAME.tmp, synced, renamed.  A crash leaves either no file, the old one,
 * or a whole new one.  Returns an fd open read-write, or -1. */
static int create_file(hist *h, const char *name, int block, off_t size,
                       const void *head, size_t headlen, char err[HIST_ERR_LEN])
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	file_path(h, path, sizeof path, name, block);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		set_err(err, "unable to create %s: %s", tmp, strerror(errno));
		return -1;
	}
	int r = posix_fallocate(fd, 0, size);
	if (r == EOPNOTSUPP || r == EINVAL)
		r = ftruncate(fd, size) < 0 ? errno : 0;
	if (!r && headlen && full_pwrite(fd, head, headlen, 0) < 0)
		r = errno;
	if (r || fsync(fd) < 0 || rename(tmp, path) < 0) {
		set_err(err, "unable to make %s (%lld bytes): %s", path,
		        (long long)size, strerror(r ? r : errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return fd;
}

/* Open an existing file, or (writer, create) make it; -1 with err when it
 * cannot be had; -2 when a reader finds it absent. */
static int open_file(hist *h, const char *name, int block, off_t size,
                     int create, char err[HIST_ERR_LEN])
{
	char path[PATH_MAX];
	file_path(h, path, sizeof path, name, block);
	int fd = open(path, (h->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_size != size) {
			set_err(err, "%s: %lld bytes, want %lld: not this store's file",
			        path, (long long)st.st_size, (long long)size);
			close(fd);
			return -1;
		}
		return fd;
	}
	if (errno != ENOENT) {
		set_err(err, "unable to open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!h->writable || !create)
		return -2;
	return create_file(h, name, block, size, NULL, 0, err);
}

static off_t fine_size(const hist *h) { return (off_t)h->fine_slots * sizeof(fine_row); }
static off_t coarse_size(const hist *h) { return (off_t)h->coarse_slots * sizeof(coarse_row); }
static off_t hour_size(const hist *h) { return (off_t)h->hour_slots * sizeof(coarse_row); }

/* The block files of block b: open (or make) them.  Returns 0, 1 if a
 * reader finds them absent, -1 with err.  The hour file may be absent for
 * a reader (a store made before the hour tier): its fd stays -1; a writer
 * makes it beside the others. */
static int open_block(hist *h, uint32_t b, int create, char err[HIST_ERR_LEN])
{
	if (h->fine_fd[b] >= 0)
		return 0;
	int f = open_file(h, "fine", (int)b, fine_size(h), create, err);
	if (f == -1)
		return -1;
	int c = open_file(h, "coarse", (int)b, coarse_size(h), create, err);
	if (c == -1 || (f == -2) != (c == -2)) {
		if (c == -2 || f == -2)
			set_err(err, "%s: block %u has one of its two files only", h->dir, b);
		if (f >= 0)
			close(f);
		if (c >= 0)
			close(c);
		return -1;
	}
	if (f == -2)
		return 1;
	int o = -2;
	if (h->hour_slots &&
	    (o = open_file(h, "hour", (int)b, hour_size(h), h->writable, err)) == -1) {
		close(f);
		close(c);
		return -1;
	}
	h->fine_fd[b] = f;
	h->coarse_fd[b] = c;
	h->hour_fd[b] = o >= 0 ? o : -1;
	return 0;
}

/* --- the series table --------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t x = 2166136261u;
	while (*s)
		x = (x ^ (unsigned char)*s++) * 16777619u;
	return x;
}

static void hash_insert(hist *h, const char *name, int id)
{
	uint32_t i = name_hash(name) & h->hmask;
	while (h->hash[i] >= 0)
		i = (i + 1) & h->hmask;
	h->hash[i] = id;
}

static void hash_rebuild(hist *h)
{
	for (uint32_t i = 0; i <= h->hmask; i++)
		h->hash[i] = -1;
	for (uint32_t i = 0; i < h->ncols; i++)
		if (h->cols[i].used)
			hash_insert(h, h->cols[i].name, (int)i);
}

int hist_find(const hist *h, const char *name)
{
	uint32_t i = name_hash(name) & h->hmask;
	for (; h->hash[i] >= 0; i = (i + 1) & h->hmask) {
		const col *c = &h->cols[h->hash[i]];
		if (c->used && !strcmp(c->name, name))
			return h->hash[i];
	}
	return -1;
}

uint32_t hist_nseries(const hist *h) { return h->ncols; }

const char *hist_series_name(const hist *h, uint32_t i)
{
	return i < h->ncols && h->cols[i].used ? h->cols[i].name : NULL;
}

const hist_cfg *hist_config(const hist *h) { return &h->cfg; }

static int write_series(hist *h, uint32_t id, int sync, char err[HIST_ERR_LEN])
{
	series_rec r;
	memset(&r, 0, sizeof r);
	r.used = (uint32_t)h->cols[id].used;
	r.last_ms = h->cols[id].last_ms;
	snprintf(r.name, sizeof r.name, "%s", h->cols[id].name);
	r.sum = REC_SUM(&r);
	if (full_pwrite(h->series_fd, &r, sizeof r, (off_t)id * sizeof r) < 0 ||
	    (sync && fdatasync(h->series_fd) < 0)) {
		set_err(err, "unable to write %s/series: %s", h->dir, strerror(errno));
		return -1;
	}
	h->cols[id].disk_last_ms = r.last_ms;
	return 0;
}

static int load_series(hist *h, char err[HIST_ERR_LEN])
{
	size_t len = (size_t)h->cfg.max_series * sizeof(series_rec);
	series_rec *all = malloc(len);
	if (!all) {
		set_err(err, "out of memory");
		return -1;
	}
	if (full_pread(h->series_fd, all, len, 0) < 0) {
		set_err(err, "unable to read %s/series: %s", h->dir, strerror(errno));
		free(all);
		return -1;
	}
	h->ncols = 0;
	for (uint32_t i = 0; i < h->cfg.max_series; i++) {
		series_rec *r = &all[i];
		col *c = &h->cols[i];
		memset(c, 0, sizeof *c);
		r->name[HIST_NAME_MAX] = '\0';
		if (r->sum != REC_SUM(r) || !r->used || !r->name[0])
			continue; /* empty, or torn by a crash: the column is free */
		c->used = 1;
		c->last_ms = c->disk_last_ms = r->last_ms;
		memcpy(c->name, r->name, sizeof c->name);
		h->ncols = i + 1;
	}
	free(all);
	hash_rebuild(h);
	return 0;
}

/* --- open / close ----------------------------------------------------------- */

/* The meta record for cfg (version 2). */
static void meta_fill(meta_rec *m, const hist_cfg *c)
{
	memset(m, 0, sizeof *m);
	m->version = 2;
	memcpy(m->magic, META_MAGIC, sizeof m->magic);
	m->fine_step_ms = c->fine_step_ms;
	m->fine_span_ms = c->fine_span_ms;
	m->coarse_step_ms = c->coarse_step_ms;
	m->coarse_span_ms = c->coarse_span_ms;
	m->max_series = c->max_series;
	m->max_marks = c->max_marks;
	m->hour_span_ms = c->hour_span_ms;
	m->sum = REC_SUM(m);
}

static int meta_load_or_make(hist *h, const hist_cfg *want, char err[HIST_ERR_LEN])
{
	char path[PATH_MAX];
	file_path(h, path, sizeof path, "meta", -1);
	meta_rec m;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno != ENOENT || !h->writable)) {
		set_err(err, "unable to open %s: %s", path,
		        errno == ENOENT ? "no history store there" : strerror(errno));
		return -1;
	}
	if (fd < 0) {
		meta_fill(&m, want);
		fd = create_file(h, "meta", -1, sizeof m, &m, sizeof m, err);
		if (fd < 0)
			return -1;
	} else if (full_pread(fd, &m, sizeof m, 0) < 0 ||
	           memcmp(m.magic, META_MAGIC, sizeof m.magic) ||
	           (m.version == 1 ? m.sum != hist_sum((char *)&m + 4, META_V1_LEN - 4)
	                           : m.version != 2 || m.sum != REC_SUM(&m))) {
		set_err(err, "%s: not a kato-history store (or damaged)", path);
		close(fd);
		return -1;
	}
	h->meta_fd = fd;
	h->meta_version = m.version;
	hist_cfg got = {m.fine_step_ms, m.fine_span_ms, m.coarse_step_ms,
	                m.coarse_span_ms, m.max_series, m.max_marks, m.hour_span_ms};
	if (m.version == 1) {
		/* Made before the hour tier: a writer adds it with its own span
		 * (hist_open records it); a reader has none. */
		if (want)
			got.hour_span_ms = want->hour_span_ms;
		else
			got.hour_span_ms = got.coarse_span_ms + HIST_HOUR_MS - 1 -
			                   (got.coarse_span_ms + HIST_HOUR_MS - 1) % HIST_HOUR_MS;
	}
	if (hist_cfg_check(&got, err) < 0)
		return -1;
	if (h->writable && memcmp(&got, want, sizeof got)) {
		set_err(err, "%s was made with other tiers or bounds (fine %llds for "
		        "%llds, coarse %llds for %llds, hours for %llds, %u series, "
		        "%u marks): use those, another folder, or remove it",
		        h->dir, (long long)got.fine_step_ms / 1000,
		        (long long)got.fine_span_ms / 1000,
		        (long long)got.coarse_step_ms / 1000,
		        (long long)got.coarse_span_ms / 1000,
		        (long long)got.hour_span_ms / 1000, got.max_series,
		        got.max_marks);
		return -1;
	}
	h->cfg = got;
	return 0;
}

/* A version 1 store (before the hour tier), opened by its locked writer:
 * meta becomes version 2 with the hour span.  The new record is written
 * whole beside the old one and renamed over it, then locked in turn: a
 * second writer finds one or the other locked. */
static int meta_upgrade(hist *h, char err[HIST_ERR_LEN])
{
	meta_rec m;
	meta_fill(&m, &h->cfg);
	int fd = create_file(h, "meta", -1, sizeof m, &m, sizeof m, err);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		set_err(err, "%s: %s", h->dir, errno == EWOULDBLOCK
		        ? "another kato-history writes there" : strerror(errno));
		close(fd);
		return -1;
	}
	close(h->meta_fd);
	h->meta_fd = fd;
	h->meta_version = 2;
	return 0;
}

/* The newest valid fine step in the store, or -1. */
static int64_t newest_slot(hist *h)
{
	int64_t best = -1;
	fine_row r;
	for (uint32_t b = 0; b < h->nblocks; b++) {
		if (h->fine_fd[b] < 0)
			continue;
		for (uint32_t i = 0; i < h->fine_slots; i++) {
			if (full_pread(h->fine_fd[b], &r, sizeof r, (off_t)i * sizeof r) < 0)
				break;
			if (r.slot > best && r.sum == REC_SUM(&r))
				best = r.slot;
		}
	}
	return best;
}

static uint64_t newest_mark(hist *h)
{
	uint64_t best = 0;
	mark_rec r;
	for (uint32_t i = 0; i < h->cfg.max_marks; i++) {
		if (full_pread(h->marks_fd, &r, sizeof r, (off_t)i * sizeof r) < 0)
			break;
		if (r.seq > best && r.sum == REC_SUM(&r))
			best = r.seq;
	}
	return best;
}

/* --- the hour tier ------------------------------------------------------- */

/* floor(a / b) for b > 0 */
static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t minutes_per_hour(const hist *h)
{
	return HIST_HOUR_MS / h->cfg.coarse_step_ms;
}

/* The hour a fine step falls in. */
static int64_t hour_of_slot(const hist *h, int64_t slot)
{
	return floordiv(slot * h->cfg.fine_step_ms, HIST_HOUR_MS);
}

/* Is the row at p (len bytes) the valid row of step slot? */
static int row_valid(const void *p, size_t len, int64_t slot)
{
	int64_t rs;
	uint32_t sum;
	memcpy(&sum, p, sizeof sum);
	memcpy(&rs, (const char *)p + 8, sizeof rs);
	return rs == slot && sum == hist_sum((const char *)p + 4, len - 4);
}

/* The hour row of hour made from one block's minute rows, read from map
 * (the coarse file mapped) or, when map is NULL, from fd: the min of
 * their mins, the mean of their averages, the max of their maxes, per
 * column; frames is the number of minute rows found.  Returns it (0: no
 * minute of that hour is stored, *out is not a row). */
static uint32_t hour_build(const hist *h, const char *map, int fd, int64_t hour,
                           coarse_row *out)
{
	acc a[HIST_BLOCK];
	memset(a, 0, sizeof a);
	uint32_t rows = 0;
	int64_t per = minutes_per_hour(h);
	coarse_row r;
	for (int64_t m = hour * per; m < (hour + 1) * per; m++) {
		off_t off = (off_t)(m % h->coarse_slots) * (off_t)sizeof r;
		if (map) {
			/* the slot first: over hours the minute ring no longer
			 * (or never) held, a query reads 8 bytes a minute, not
			 * the whole row */
			int64_t slot;
			memcpy(&slot, map + off + offsetof(coarse_row, slot), sizeof slot);
			if (slot != m)
				continue;
			memcpy(&r, map + off, sizeof r);
		}
		else if (full_pread(fd, &r, sizeof r, off) < 0)
			continue;
		if (!row_valid(&r, sizeof r, m))
			continue;
		rows++;
		for (int k = 0; k < HIST_BLOCK; k++) {
			if (isnan(r.avg[k]))
				continue;
			if (!a[k].n || r.min[k] < a[k].min)
				a[k].min = r.min[k];
			if (!a[k].n || r.max[k] > a[k].max)
				a[k].max = r.max[k];
			a[k].sum += r.avg[k];
			a[k].n++;
		}
	}
	if (!rows)
		return 0;
	out->frames = rows;
	out->slot = hour;
	for (int k = 0; k < HIST_BLOCK; k++) {
		if (a[k].n) {
			out->min[k] = (float)a[k].min;
			out->avg[k] = (float)(a[k].sum / a[k].n);
			out->max[k] = (float)a[k].max;
		} else {
			out->min[k] = out->avg[k] = out->max[k] = NAN;
		}
	}
	out->sum = REC_SUM(out);
	return rows;
}

/* Write the hour rows of hour from the minute rows, in every block (when
 * missing: only where the hour file lacks a valid row of that hour).
 * Returns 0, or -1 with err. */
static int hour_close(hist *h, int64_t hour, int missing, char err[HIST_ERR_LEN])
{
	off_t off = (off_t)(hour % h->hour_slots) * (off_t)sizeof(coarse_row);
	for (uint32_t b = 0; b < h->nblocks; b++) {
		coarse_row r;
		if (h->coarse_fd[b] < 0 || h->hour_fd[b] < 0)
			continue;
		if (missing && full_pread(h->hour_fd[b], &r, sizeof r, off) == 0 &&
		    row_valid(&r, sizeof r, hour))
			continue;
		if (hour_build(h, NULL, h->coarse_fd[b], hour, &r) &&
		    full_pwrite(h->hour_fd[b], &r, sizeof r, off) < 0) {
			set_err(err, "unable to write %s/hour.%03u: %s", h->dir, b,
			        strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* On opening for writing: the hours before the newest one stored that
 * the minute tier holds and the hour tier lacks (a crash before an hour
 * was closed, or a store made before the hour tier) get their rows. */
static int hours_fill(hist *h, char err[HIST_ERR_LEN])
{
	if (h->last_slot < 0)
		return 0;
	int64_t last = hour_of_slot(h, h->last_slot);
	int64_t last_minute = floordiv(h->last_slot * h->cfg.fine_step_ms,
	                               h->cfg.coarse_step_ms);
	int64_t from = floordiv(last_minute - h->coarse_slots + 1, minutes_per_hour(h));
	if (from < last - (int64_t)h->hour_slots + 1)
		from = last - (int64_t)h->hour_slots + 1;
	if (from < 0)
		from = 0;
	for (int64_t hr = from; hr < last; hr++)
		if (hour_close(h, hr, 1, err) < 0)
			return -1;
	return 0;
}

hist *hist_open(const char *dir, const hist_cfg *cfg, int writable,
                char err[HIST_ERR_LEN])
{
	if (writable && (!cfg || hist_cfg_check(cfg, err) < 0)) {
		if (!cfg)
			set_err(err, "no configuration to make a store with");
		return NULL;
	}
	hist *h = calloc(1, sizeof *h);
	if (!h) {
		set_err(err, "out of memory");
		return NULL;
	}
	h->meta_fd = h->series_fd = h->marks_fd = -1;
	h->writable = writable;
	h->last_slot = -1;
	h->acc_minute = -1;
	if (!*dir || strlen(dir) >= sizeof h->dir) {
		set_err(err, "history folder name empty or too long");
		goto fail;
	}
	snprintf(h->dir, sizeof h->dir, "%s", dir);
	if (writable && mkdir_p(h->dir) < 0) {
		set_err(err, "unable to make %s: %s", h->dir, strerror(errno));
		goto fail;
	}
	if (meta_load_or_make(h, cfg, err) < 0)
		goto fail;
	if (writable && flock(h->meta_fd, LOCK_EX | LOCK_NB) < 0) {
		set_err(err, "%s: %s", h->dir, errno == EWOULDBLOCK
		        ? "another kato-history writes there" : strerror(errno));
		goto fail;
	}
	const hist_cfg *c = &h->cfg;
	/* One minute (fine) and one hour (coarse) over the spans, so that a
	 * query for exactly the last span finds every step of it. */
	h->fine_slots = (uint32_t)((c->fine_span_ms + c->coarse_step_ms) / c->fine_step_ms);
	h->coarse_slots = (uint32_t)((c->coarse_span_ms + 3600000 + c->coarse_step_ms - 1) /
	                             c->coarse_step_ms);
	/* and one day over the hour span; none when a reader opens a store
	 * made before the hour tier */
	if (writable || h->meta_version >= 2)
		h->hour_slots = (uint32_t)(c->hour_span_ms / HIST_HOUR_MS + 24);
	if (writable && h->meta_version == 1 && meta_upgrade(h, err) < 0)
		goto fail;
	h->nblocks = c->max_series / HIST_BLOCK;
	uint32_t hsize = 1;
	while (hsize < 2 * c->max_series)
		hsize <<= 1;
	h->hmask = hsize - 1;
	h->fine_fd = malloc(h->nblocks * sizeof(int));
	h->coarse_fd = malloc(h->nblocks * sizeof(int));
	h->hour_fd = malloc(h->nblocks * sizeof(int));
	h->cols = calloc(c->max_series, sizeof(col));
	h->hash = malloc(hsize * sizeof(int));
	h->acc = calloc(c->max_series, sizeof(acc));
	h->vals = malloc(c->max_series * sizeof(float));
	if (!h->fine_fd || !h->coarse_fd || !h->hour_fd || !h->cols || !h->hash || !h->acc || !h->vals) {
		set_err(err, "out of memory");
		goto fail;
	}
	for (uint32_t b = 0; b < h->nblocks; b++)
		h->fine_fd[b] = h->coarse_fd[b] = h->hour_fd[b] = -1;
	int sfd = open_file(h, "series", -1,
	                    (off_t)c->max_series * sizeof(series_rec), 1, err);
	if (sfd == -2)
		set_err(err, "%s/series: missing", h->dir);
	if (sfd < 0)
		goto fail;
	h->series_fd = sfd;
	int mfd = open_file(h, "marks", -1, (off_t)c->max_marks * sizeof(mark_rec), 1, err);
	if (mfd == -2)
		set_err(err, "%s/marks: missing", h->dir);
	if (mfd < 0)
		goto fail;
	h->marks_fd = mfd;
	if (load_series(h, err) < 0)
		goto fail;
	for (uint32_t b = 0; b * HIST_BLOCK < h->ncols; b++)
		if (open_block(h, b, writable, err) < 0)
			goto fail;
	if (writable) {
		h->last_slot = newest_slot(h);
		h->mark_seq = newest_mark(h);
		if (hours_fill(h, err) < 0)
			goto fail;
	}
	return h;
fail:
	hist_close(h);
	return NULL;
}

void hist_close(hist *h)
{
	if (!h)
		return;
	for (uint32_t b = 0; h->fine_fd && b < h->nblocks; b++) {
		if (h->fine_fd[b] >= 0)
			close(h->fine_fd[b]);
		if (h->coarse_fd[b] >= 0)
			close(h->coarse_fd[b]);
		if (h->hour_fd[b] >= 0)
			close(h->hour_fd[b]);
	}
	if (h->meta_fd >= 0)
		close(h->meta_fd);
	if (h->series_fd >= 0)
		close(h->series_fd);
	if (h->marks_fd >= 0)
		close(h->marks_fd);
	free(h->fine_fd);
	free(h->coarse_fd);
	free(h->hour_fd);
	free(h->cols);
	free(h->hash);
	free(h->acc);
	free(h->vals);
	free(h);
}

/* --- writing ---------------------------------------------------------------- */

/* A column for name: its own, a free one, or one whose series has had no
 * value within the spans (the hour span, the longest, plus the fine span
 * and the hour series records may lag), so that no row of any tier still
 * holds the old series.  -1 if none.  New and reused columns are recorded
 * (synced) before use. */
static int column_for(hist *h, const char *name, int64_t t_ms, char err[HIST_ERR_LEN])
{
	int id = hist_find(h, name);
	if (id >= 0)
		return id;
	int64_t horizon = t_ms - h->cfg.hour_span_ms - 24 * HIST_HOUR_MS -
	                  h->cfg.fine_span_ms - 7200000;
	int pick = -1;
	for (uint32_t i = 0; i < h->cfg.max_series; i++) {
		if (!h->cols[i].used) {
			pick = (int)i;
			break;
		}
		if (h->cols[i].last_ms < horizon &&
		    (pick < 0 || h->cols[i].last_ms < h->cols[pick].last_ms))
			pick = (int)i;
	}
	if (pick < 0)
		return -1;
	uint32_t b = (uint32_t)pick / HIST_BLOCK;
	if (open_block(h, b, 1, err) < 0)
		return -2;
	col *c = &h->cols[pick];
	c->used = 1;
	c->last_ms = t_ms;
	snprintf(c->name, sizeof c->name, "%s", name);
	memset(&h->acc[pick], 0, sizeof h->acc[pick]);
	if ((uint32_t)pick >= h->ncols)
		h->ncols = (uint32_t)pick + 1;
	hash_rebuild(h);
	if (write_series(h, (uint32_t)pick, 1, err) < 0)
		return -2;
	return pick;
}

static void acc_add(acc *a, double v)
{
	if (a->n == 0 || v < a->min)
		a->min = v;
	if (a->n == 0 || v > a->max)
		a->max = v;
	a->sum += v;
	a->n++;
}

/* Start the coarse step minute: empty, then fed the fine steps of that
 * minute already stored before step slot (after a restart mid-minute). */
static void acc_start(hist *h, int64_t minute, int64_t slot)
{
	memset(h->acc, 0, h->cfg.max_series * sizeof(acc));
	h->acc_minute = minute;
	h->acc_frames = 0;
	int64_t per = h->cfg.coarse_step_ms / h->cfg.fine_step_ms;
	fine_row r;
	for (int64_t s = minute * per; s < slot; s++) {
		int seen = 0;
		for (uint32_t b = 0; b * HIST_BLOCK < h->ncols; b++) {
			if (h->fine_fd[b] < 0 ||
			    full_pread(h->fine_fd[b], &r, sizeof r,
			               (off_t)(s % h->fine_slots) * sizeof r) < 0 ||
			    r.slot != s || r.sum != REC_SUM(&r))
				continue;
			seen = 1;
			for (int k = 0; k < HIST_BLOCK; k++)
				if (!isnan(r.v[k]))
					acc_add(&h->acc[b * HIST_BLOCK + (uint32_t)k], r.v[k]);
		}
		h->acc_frames += (uint32_t)seen;
	}
}

enum hist_put_status hist_put(hist *h, int64_t t_ms, const hist_point *pts,
                              size_t n, unsigned long *dropped,
                              char err[HIST_ERR_LEN])
{
	if (t_ms < 0) {
		set_err(err, "a time before 1970");
		return HIST_FAIL;
	}
	if (!h->writable) {
		set_err(err, "store opened read-only");
		return HIST_FAIL;
	}
	const hist_cfg *c = &h->cfg;
	int64_t slot = (t_ms + c->fine_step_ms / 2) / c->fine_step_ms;
	enum hist_put_status ok = HIST_STORED;
	if (slot == h->last_slot)
		return HIST_SAME;
	if (slot < h->last_slot - (int64_t)h->fine_slots)
		ok = HIST_BACK; /* one bad clock must not blind the store for long */
	else if (slot < h->last_slot)
		return HIST_OLD;
	for (uint32_t i = 0; i < h->cfg.max_series; i++)
		h->vals[i] = NAN;
	for (size_t i = 0; i < n; i++) {
		/* float32 holds up to 3.4e38: a larger value would become inf,
		 * a wrong number; it is stored as missing instead. */
		if (!isfinite((float)pts[i].value) || !pts[i].name[0] ||
		    strlen(pts[i].name) > HIST_NAME_MAX)
			continue;
		int id = column_for(h, pts[i].name, t_ms, err);
		if (id == -2)
			return HIST_FAIL;
		if (id < 0) {
			if (dropped)
				++*dropped;
			continue;
		}
		h->vals[id] = (float)pts[i].value;
		h->cols[id].last_ms = t_ms;
	}
	int64_t minute = slot * c->fine_step_ms / c->coarse_step_ms;
	if (minute != h->acc_minute)
		acc_start(h, minute, slot);
	h->acc_frames++;
	for (uint32_t b = 0; b * HIST_BLOCK < h->ncols; b++) {
		fine_row fr;
		coarse_row cr;
		int have = 0, have_acc = 0;
		fr.pad = 0;
		fr.slot = slot;
		cr.frames = h->acc_frames;
		cr.slot = minute;
		for (uint32_t k = 0; k < HIST_BLOCK; k++) {
			uint32_t id = b * HIST_BLOCK + k;
			float v = id < h->ncols ? h->vals[id] : NAN;
			fr.v[k] = v;
			acc *a = &h->acc[id];
			if (!isnan(v)) {
				have = 1;
				acc_add(a, v);
			}
			if (a->n) {
				have_acc = 1;
				cr.min[k] = (float)a->min;
				cr.max[k] = (float)a->max;
				cr.avg[k] = (float)(a->sum / a->n);
			} else {
				cr.min[k] = cr.avg[k] = cr.max[k] = NAN;
			}
		}
		if (h->fine_fd[b] < 0)
			continue;
		fr.sum = REC_SUM(&fr);
		cr.sum = REC_SUM(&cr);
		if ((have && full_pwrite(h->fine_fd[b], &fr, sizeof fr,
		                         (off_t)(slot % h->fine_slots) * sizeof fr) < 0) ||
		    (have_acc && full_pwrite(h->coarse_fd[b], &cr, sizeof cr,
		                             (off_t)(minute % h->coarse_slots) * sizeof cr) < 0)) {
			set_err(err, "unable to write to %s (block %u): %s", h->dir, b,
			        strerror(errno));
			return HIST_FAIL;
		}
	}
	/* The hour of the step before, when this one is in another, is over:
	 * its row is made from its minutes. */
	if (h->last_slot >= 0 && hour_of_slot(h, h->last_slot) != hour_of_slot(h, slot) &&
	    hour_close(h, hour_of_slot(h, h->last_slot), 0, err) < 0)
		return HIST_FAIL;
	h->last_slot = slot;
	/* The series file learns when each was last seen to the hour: enough
	 * to know, after a restart, which columns may be reused. */
	for (uint32_t i = 0; i < h->ncols; i++)
		if (h->cols[i].used && h->cols[i].last_ms - h->cols[i].disk_last_ms >= 3600000 &&
		    write_series(h, i, 0, err) < 0)
			return HIST_FAIL;
	return ok;
}

int hist_mark(hist *h, int64_t t_ms, const char *json, size_t len,
              char err[HIST_ERR_LEN])
{
	if (!h->writable || len > HIST_MARK_MAX) {
		if (!h->writable) {
			set_err(err, "store opened read-only");
			return -1;
		}
		set_err(err, "mark of %zu bytes: over %d", len, HIST_MARK_MAX);
		return -1;
	}
	mark_rec r;
	memset(&r, 0, sizeof r);
	r.seq = h->mark_seq + 1;
	r.t_ms = t_ms;
	r.len = (uint32_t)len;
	memcpy(r.json, json, len);
	r.sum = REC_SUM(&r);
	if (full_pwrite(h->marks_fd, &r, sizeof r,
	                (off_t)((r.seq - 1) % h->cfg.max_marks) * sizeof r) < 0) {
		set_err(err, "unable to write %s/marks: %s", h->dir, strerror(errno));
		return -1;
	}
	h->mark_seq = r.seq;
	return 0;
}

/* --- reading ---------------------------------------------------------------- */

/* Map one of a block's ring files to read (NULL if absent or empty). */
static const char *map_block(hist *h, uint32_t b, enum hist_tier t, size_t *len)
{
	int r = open_block(h, b, 0, (char[HIST_ERR_LEN]){0});
	if (r != 0)
		return NULL;
	int fd = t == HIST_FINE ? h->fine_fd[b] : t == HIST_MINUTE ? h->coarse_fd[b]
	                                                           : h->hour_fd[b];
	*len = (size_t)(t == HIST_FINE ? fine_size(h) : t == HIST_MINUTE ? coarse_size(h)
	                                                                : hour_size(h));
	if (fd < 0 || !*len)
		return NULL;
	void *p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A tier's step, and the steps its ring holds. */
static int64_t tier_step(const hist *h, enum hist_tier t)
{
	return t == HIST_FINE ? h->cfg.fine_step_ms
	       : t == HIST_MINUTE ? h->cfg.coarse_step_ms : HIST_HOUR_MS;
}

static int64_t tier_slots(const hist *h, enum hist_tier t)
{
	/* A reader knows no hour ring in a store made before the tier: its
	 * hours are made from the minutes, as far back as they go. */
	return t == HIST_FINE ? h->fine_slots
	       : t == HIST_MINUTE ? h->coarse_slots
	       : h->hour_slots ? h->hour_slots : h->coarse_slots / minutes_per_hour(h);
}

/* The tier for q (see hist_read in hist.h). */
static enum hist_tier pick_tier(const hist *h, const hist_query *q)
{
	int reach[3];
	for (int t = 0; t < 3; t++) {
		int64_t res = tier_step(h, (enum hist_tier)t);
		/* (one step of slack: the oldest slot may still hold its row) */
		reach[t] = q->since_ms >=
		           (floordiv(q->now_ms, res) - tier_slots(h, (enum hist_tier)t)) * res;
	}
	for (int t = 2; t >= 0; t--)
		if (tier_step(h, (enum hist_tier)t) <= q->step_ms && reach[t])
			return (enum hist_tier)t;
	for (int t = 0; t < 3; t++)
		if (reach[t])
			return (enum hist_tier)t;
	return HIST_HOUR;
}

int hist_read(hist *h, hist_query *q, char err[HIST_ERR_LEN])
{
	q->values = NULL;
	q->npoints = 0;
	if (q->until_ms < q->since_ms) {
		set_err(err, "until is before since");
		return -1;
	}
	if (q->step_ms < 0) {
		set_err(err, "a negative step");
		return -1;
	}
	enum hist_tier tier = pick_tier(h, q);
	q->tier = tier;
	int64_t ts = tier_step(h, tier), slots = tier_slots(h, tier);
	int64_t step = q->step_ms < ts ? ts : (q->step_ms + ts - 1) / ts * ts;
	int64_t span = q->until_ms - q->since_ms;
	if (span / step + 1 > HIST_MAX_POINTS)
		step = ((span / (HIST_MAX_POINTS - 1) + 1) + ts - 1) / ts * ts;
	int64_t first = floordiv(q->since_ms, step) * step;
	size_t np = (size_t)((q->until_ms - first) / step + 1);
	size_t total = q->n * np;
	double *val = malloc((total ? total : 1) * sizeof *val);
	uint32_t *cnt = calloc(total ? total : 1, sizeof *cnt);
	if (!val || !cnt) {
		free(val);
		free(cnt);
		set_err(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < total; i++)
		val[i] = NAN;

	/* The steps that fall in the points, newest ring round only. */
	int64_t s0 = -floordiv(-first, ts);                  /* ceil */
	int64_t s1 = floordiv(first + (int64_t)np * step - 1, ts);
	if (s1 - s0 + 1 > slots)
		s0 = s1 - slots + 1;
	if (s0 < 0)
		s0 = 0;
	/* The requested columns of each block, so that a row is looked at
	 * for its own columns only. */
	size_t *mine = malloc((q->n ? q->n : 1) * sizeof *mine);
	if (!mine) {
		free(val);
		free(cnt);
		set_err(err, "out of memory");
		return -1;
	}
	for (uint32_t b = 0; b < h->nblocks; b++) {
		size_t nm = 0;
		for (size_t j = 0; j < q->n; j++)
			if (q->cols[j] >= 0 && (uint32_t)q->cols[j] / HIST_BLOCK == b)
				mine[nm++] = j;
		if (!nm)
			continue;
		size_t len = 0, mlen = 0;
		const char *map = map_block(h, b, tier, &len);
		/* the hour tier: the minutes, for hours without an hour row */
		const char *minutes = tier == HIST_HOUR ? map_block(h, b, HIST_MINUTE, &mlen) : NULL;
		if (!map && !minutes)
			continue;
		size_t rowlen = tier == HIST_FINE ? sizeof(fine_row) : sizeof(coarse_row);
		for (int64_t s = s0; s <= s1; s++) {
			const char *row = map ? map + (size_t)(s % slots) * rowlen : NULL;
			coarse_row built;
			if (row && !row_valid(row, rowlen, s))
				row = NULL;
			if (!row && minutes && hour_build(h, minutes, -1, s, &built))
				row = (const char *)&built;
			if (!row)
				continue;
			size_t pt = (size_t)((s * ts - first) / step);
			for (size_t m = 0; m < nm; m++) {
				size_t j = mine[m];
				size_t k = (size_t)q->cols[j] % HIST_BLOCK;
				float v;
				if (tier == HIST_FINE)
					v = ((const fine_row *)row)->v[k];
				else if (q->aggs[j] == HIST_MIN)
					v = ((const coarse_row *)row)->min[k];
				else if (q->aggs[j] == HIST_MAX)
					v = ((const coarse_row *)row)->max[k];
				else
					v = ((const coarse_row *)row)->avg[k];
				if (isnan(v))
					continue;
				size_t at = j * np + pt;
				if (cnt[at] == 0)
					val[at] = v;
				else if (q->aggs[j] == HIST_MIN)
					val[at] = v < val[at] ? v : val[at];
				else if (q->aggs[j] == HIST_MAX)
					val[at] = v > val[at] ? v : val[at];
				else
					val[at] += v;
				cnt[at]++;
			}
		}
		if (map)
			munmap((void *)map, len);
		if (minutes)
			munmap((void *)minutes, mlen);
	}
	free(mine);
	for (size_t j = 0; j < q->n; j++)
		if (q->aggs[j] == HIST_AVG)
			for (size_t p = 0; p < np; p++)
				if (cnt[j * np + p] > 1)
					val[j * np + p] /= cnt[j * np + p];
	free(cnt);
	q->values = val;
	q->npoints = np;
	q->first_ms = first;
	q->step_out_ms = step;
	return 0;
}

static int mark_cmp(const void *a, const void *b)
{
	const hist_mark_rec *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int hist_marks(hist *h, int64_t since_ms, int64_t until_ms,
               hist_mark_rec **out, size_t *n, char err[HIST_ERR_LEN])
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	enum { CHUNK = 256 };
	mark_rec *buf = malloc(CHUNK * sizeof *buf);
	if (!buf) {
		set_err(err, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < h->cfg.max_marks; i += CHUNK) {
		uint32_t m = h->cfg.max_marks - i < CHUNK ? h->cfg.max_marks - i : CHUNK;
		if (full_pread(h->marks_fd, buf, m * sizeof *buf, (off_t)i * sizeof *buf) < 0) {
			set_err(err, "unable to read %s/marks: %s", h->dir, strerror(errno));
			goto fail;
		}
		for (uint32_t k = 0; k < m; k++) {
			mark_rec *r = &buf[k];
			if (!r->seq || r->sum != REC_SUM(r) || r->len > HIST_MARK_MAX ||
			    r->t_ms < since_ms || r->t_ms > until_ms)
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				hist_mark_rec *nb = realloc(*out, cap * sizeof **out);
				if (!nb) {
					set_err(err, "out of memory");
					goto fail;
				}
				*out = nb;
			}
			hist_mark_rec *o = &(*out)[(*n)++];
			o->t_ms = r->t_ms;
			o->seq = r->seq;
			memcpy(o->json, r->json, r->len);
			o->json[r->len] = '\0';
		}
	}
	free(buf);
	if (*n)
		qsort(*out, *n, sizeof **out, mark_cmp);
	return 0;
fail:
	free(buf);
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}
