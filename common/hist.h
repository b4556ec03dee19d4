/* hist.h - the history store: numbers over time in fixed-size ring files.
 *
 * A store is a folder.  Every series (a name such as "host.cpu_percent"
 * or "container.kato.cpu_percent") gets a column; columns come in blocks
 * of HIST_BLOCK, and each block has two ring files of preallocated rows:
 *
 *   fine.NNN    one row per fine step (default 3 s), kept for the fine
 *               span (default 1 h): the value of each column
 *   coarse.NNN  one row per coarse step (60 s), kept for the coarse span
 *               (default 7 days): min, avg and max of each column over
 *               the fine rows in that minute
 *   hour.NNN    one row per hour, kept for the hour span (default 90
 *               days): min, avg and max of each column over the minute
 *               rows of that hour (min of their mins, max of their
 *               maxes, mean of their averages), and how many minute rows
 *               there were.  An hour with one minute row or more gets a
 *               row; an hour with none stays missing.  The row is written
 *               when the hour is over (the first frame of a later hour),
 *               and on opening for hours the minute tier has and the hour
 *               tier lacks (a crash, or a store made before this tier)
 *
 * beside "meta" (the tiers, fixed when the store is made), "series" (the
 * column of each name) and "marks" (a ring of alert and session-event
 * records).  A row carries its absolute step number and a checksum: a
 * slot whose step number is not the one asked for, or whose checksum is
 * wrong (a write torn by a crash), reads as missing.  A missing step is
 * never filled in: it stays a gap.  Values are float32; NaN is missing.
 *
 * The size on disk is fixed by the settings: each block in use costs
 * fine slots * (16 + 4 * HIST_BLOCK) + (coarse slots + hour slots) *
 * (16 + 12 * HIST_BLOCK) bytes, and at most max_series / HIST_BLOCK
 * blocks exist.  Each ring has a little more than its span: fine slots =
 * (fine span + 1 min) / fine step, coarse slots = (coarse span + 1 h) /
 * 60 s, hour slots = (hour span + 1 day) / 1 h.
 *
 * A store made before the hour tier existed (meta version 1) opens: a
 * writer records the hour span in meta, adds the hour files beside the
 * others and fills them from the minute tier; a reader of such a store
 * answers hour steps from the minute rows.
 *
 * One writer per folder (hist_open takes a lock); readers need no lock:
 * a row is written with one pwrite(2) and checked by its checksum.
 * Never prints, never exits: errors fill err ("what: why").
 */
#ifndef KL_HIST_H
#define KL_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_ERR_LEN 256
#define HIST_BLOCK 64        /* columns per block file */
#define HIST_NAME_MAX 111    /* longest series name, bytes */
#define HIST_MARK_MAX 480    /* longest mark (compact JSON), bytes */
#define HIST_MAX_POINTS 20000 /* most time points one query answers */
#define HIST_HOUR_MS 3600000  /* the hour tier's step */

/* Tiers and bounds; fixed when the store is made. */
typedef struct hist_cfg {
	int64_t fine_step_ms;   /* fine tier step (3000) */
	int64_t fine_span_ms;   /* how long fine rows are kept (1 h) */
	int64_t coarse_step_ms; /* coarse tier step (60000) */
	int64_t coarse_span_ms; /* how long coarse rows are kept (7 d) */
	uint32_t max_series;    /* most columns (1024), a multiple of HIST_BLOCK */
	uint32_t max_marks;     /* marks kept (4096) */
	int64_t hour_span_ms;   /* how long hourly rows are kept (90 d), a
	                         * whole number of hours, at least the coarse
	                         * span */
} hist_cfg;

typedef struct hist hist;

/* The default settings above. */
void hist_cfg_defaults(hist_cfg *c);

/* Check a configuration: steps > 0, the coarse step a multiple of the
 * fine one and a divisor of an hour, spans multiples of their steps and
 * at least one coarse step, the hour span at least the coarse one,
 * bounds sane.  Returns 0, or -1 with err. */
int hist_cfg_check(const hist_cfg *c, char err[HIST_ERR_LEN]);

/* The folder used when none is given: $KATO_LIVE_HISTORY_DIR, else
 * $STATE_DIRECTORY/history (systemd's StateDirectory=), else
 * /var/lib/kato-live/history for root, else
 * ${XDG_STATE_HOME:-$HOME/.local/state}/kato-live/history.  Returns 0,
 * or -1 if it does not fit in len or no home is known. */
int hist_default_dir(char *buf, size_t len);

/* Open the store in dir.  Writable: make dir (and its parent) if needed,
 * create the files for cfg, or check that existing ones were made with
 * the same cfg, and lock the folder against a second writer.  Read-only
 * (cfg ignored, may be NULL): the files must exist.  Returns the store,
 * or NULL with err filled. */
hist *hist_open(const char *dir, const hist_cfg *cfg, int writable,
                char err[HIST_ERR_LEN]);

/* Close (NULL is fine). */
void hist_close(hist *h);

/* The store's configuration. */
const hist_cfg *hist_config(const hist *h);

/* One value for hist_put. */
typedef struct hist_point {
	const char *name; /* series name, 1..HIST_NAME_MAX bytes */
	double value;     /* NaN: not measured this step (so is a value
	                   * float32 cannot hold) */
} hist_point;

/* Result of hist_put. */
enum hist_put_status {
	HIST_STORED = 0, /* written */
	HIST_OLD = 1,    /* before the last step stored: skipped */
	HIST_SAME = 2,   /* in the last step stored (frames come faster than
	                  * the fine step): skipped, the first one is kept */
	HIST_BACK = 3,   /* stored, more than the fine span before the last
	                  * step: the clock went back (or a frame came from the
	                  * future); storing goes on from this step */
	HIST_FAIL = -1,  /* an I/O error (err says which) */
};

/* Store the values of one frame taken at t_ms (epoch milliseconds): its
 * fine step is round(t_ms / fine_step); the coarse row of its minute is
 * updated at once, so a reader sees the minute in progress.  A name never
 * seen gets a free column; when none is left (every column seen within
 * the coarse span) the value is not stored and *dropped is incremented.
 * Series of the store absent from pts are missing at this step. */
enum hist_put_status hist_put(hist *h, int64_t t_ms, const hist_point *pts,
                              size_t n, unsigned long *dropped,
                              char err[HIST_ERR_LEN]);

/* Keep a mark (a compact JSON object of at most HIST_MARK_MAX bytes) at
 * t_ms.  The oldest mark is overwritten once max_marks are kept.
 * Returns 0, or -1 with err. */
int hist_mark(hist *h, int64_t t_ms, const char *json, size_t len,
              char err[HIST_ERR_LEN]);

/* --- reading ----------------------------------------------------------- */

/* Number of columns in use, and the name of column i (NULL if free). */
uint32_t hist_nseries(const hist *h);
const char *hist_series_name(const hist *h, uint32_t i);

/* The column of name, or -1. */
int hist_find(const hist *h, const char *name);

/* What a query returns per point. */
enum hist_agg { HIST_AVG = 0, HIST_MIN = 1, HIST_MAX = 2 };

/* The tiers, finest first. */
enum hist_tier { HIST_FINE = 0, HIST_MINUTE = 1, HIST_HOUR = 2 };

/* A query: columns and aggregates in, points out. */
typedef struct hist_query {
	int64_t since_ms, until_ms; /* the time range asked for */
	int64_t step_ms;            /* wished step (0: the tier's own) */
	int64_t now_ms;             /* the clock, to choose the tier */
	size_t n;                   /* columns asked for */
	const int *cols;            /* each a column from hist_find */
	const enum hist_agg *aggs;  /* what each column's points are */
	/* out: */
	int64_t step_out_ms;        /* the step used (a multiple of the tier's) */
	int64_t first_ms;           /* time of point 0 */
	size_t npoints;             /* points per column */
	double *values;             /* n * npoints, column-major, NaN missing;
	                             * malloc'd, the caller frees */
	enum hist_tier tier;        /* the tier that answered */
} hist_query;

/* Answer q from the coarsest tier whose step is at most the wished one
 * and whose ring reaches back to since (counted from now); when none
 * does, the finest tier that reaches since (the step widened to its
 * own); when none reaches it, the hour tier.  A point is the average (or
 * min, or max) of the stored steps in [t, t + step); none stored: NaN.
 * The hour tier takes each hour from its hour row, or, when there is
 * none (the hour in progress, an hour not yet closed, a store made
 * before the tier), from that hour's minute rows, aggregated as an hour
 * row would be: each hour counts once, never twice, and a hour with
 * neither is a gap.  Returns 0, or -1 with err (400-type errors: bad
 * range). */
int hist_read(hist *h, hist_query *q, char err[HIST_ERR_LEN]);

/* A mark as read back. */
typedef struct hist_mark_rec {
	int64_t t_ms;
	uint64_t seq;
	char json[HIST_MARK_MAX + 1];
} hist_mark_rec;

/* The marks with since_ms <= t <= until_ms, oldest first, in *out
 * (malloc'd; the caller frees), their number in *n.  Returns 0 or -1. */
int hist_marks(hist *h, int64_t since_ms, int64_t until_ms,
               hist_mark_rec **out, size_t *n, char err[HIST_ERR_LEN]);

/* Checksum used for rows and records (Fletcher's two sums over 32-bit
 * words; len a multiple of 4; never 0).  Exposed for tests. */
uint32_t hist_sum(const void *p, size_t len);

#endif
