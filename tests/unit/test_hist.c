/* test_hist.c - the history store (common/hist): rows read back, a torn
 * row and a stale ring slot read as missing, restarts, the coarse tier. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hist.h"
#include "unit.h"

static char dir[256];

static hist *open_rw(void)
{
	hist_cfg c;
	char err[HIST_ERR_LEN];
	hist_cfg_defaults(&c);
	c.fine_span_ms = 600 * 1000; /* 10 min: 220 slots with the margin */
	c.max_series = 64;
	c.max_marks = 16;
	hist *h = hist_open(dir, &c, 1, err);
	if (!h)
		fprintf(stderr, "hist_open: %s\n", err);
	return h;
}

/* The fine values of series name over [since, since + n*3 s). */
static void read_fine(hist *h, const char *name, int64_t since, size_t n, double *out)
{
	int col = hist_find(h, name);
	enum hist_agg agg = HIST_AVG;
	hist_query q = {.since_ms = since, .until_ms = since + (int64_t)(n - 1) * 3000,
	                .step_ms = 3000, .now_ms = since + 60000, .n = 1, .cols = &col,
	                .aggs = &agg};
	char err[HIST_ERR_LEN];
	for (size_t i = 0; i < n; i++)
		out[i] = -1;
	if (hist_read(h, &q, err) == 0 && q.npoints == n)
		memcpy(out, q.values, n * sizeof *out);
	free(q.values);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/kl-test-hist-%d", (int)getpid());
	char err[HIST_ERR_LEN];
	double v[5];
	hist_cfg bad;
	hist_cfg_defaults(&bad);
	bad.fine_step_ms = 7000;
	CHECK(hist_cfg_check(&bad, err) < 0 && strstr(err, "multiple"), "a coarse step that is not a multiple of the fine one is refused");
	CHECK(hist_sum("\0\0\0\0\0\0\0\0", 8) != 0, "the checksum of zeros is not zero (a never-written row fails it)");

	hist *h = open_rw();
	CHECK(h != NULL, "a new store opens");
	if (!h)
		return unit_done();
	const int64_t t0 = 1795632300000; /* a minute boundary */
	for (int i = 0; i < 5; i++) {
		if (i == 2)
			continue; /* a missing tick */
		hist_point p[2] = {{"a", i * 10.0}, {"b", i == 3 ? NAN : 1.5}};
		CHECK(hist_put(h, t0 + i * 3000 + (i == 4 ? 1400 : -1400), p, 2, NULL, err) == HIST_STORED,
		      "frame %d stored (times off the step by 1.4 s round to it)", i);
	}
	hist_point big[2] = {{"a", 50}, {"b", 1e300}};
	CHECK(hist_put(h, t0 + 5 * 3000, big, 2, NULL, err) == HIST_STORED, "a frame with a value float32 cannot hold is stored");
	read_fine(h, "b", t0 + 5 * 3000, 1, v);
	CHECK(isnan(v[0]), "and that value is missing, not inf");
	hist_point p0 = {"a", 99};
	CHECK(hist_put(h, t0 + 5 * 3000, &p0, 1, NULL, err) == HIST_SAME, "a second frame in the same step is skipped");
	CHECK(hist_put(h, t0, &p0, 1, NULL, err) == HIST_OLD, "an older frame is skipped");
	read_fine(h, "a", t0, 5, v);
	CHECK(v[0] == 0 && v[1] == 10 && isnan(v[2]) && v[3] == 30 && v[4] == 40, "values read back, the missing tick is missing");
	read_fine(h, "b", t0, 5, v);
	CHECK(v[0] == 1.5 && isnan(v[3]), "a NaN value is missing");
	hist_close(h);

	/* tear the row of step 1 (a crash in the middle of its write) */
	char path[300];
	snprintf(path, sizeof path, "%s/fine.000", dir);
	int fd = open(path, O_RDWR);
	int64_t slot1 = t0 / 3000 + 1;
	off_t at = (off_t)(slot1 % 220) * 272 + 16 + 4 * 0; /* column 0: series "a" */
	float torn = 12345;
	CHECK(fd >= 0 && pwrite(fd, &torn, sizeof torn, at) == sizeof torn, "row of step 1 changed behind the store's back");
	close(fd);

	h = open_rw();
	CHECK(h != NULL, "the store opens again (a restart)");
	if (!h)
		return unit_done();
	read_fine(h, "a", t0, 5, v);
	CHECK(isnan(v[1]) && v[0] == 0 && v[4] == 40, "the torn row reads as missing, the others survive the restart");
	CHECK(hist_put(h, t0 + 5 * 3000, &p0, 1, NULL, err) == HIST_SAME, "after a restart the last step stored is known");

	/* the coarse tier: the minute so far, min/avg/max over what is valid */
	int col = hist_find(h, "a");
	enum hist_agg aggs[3] = {HIST_MIN, HIST_AVG, HIST_MAX};
	int cols[3] = {col, col, col};
	hist_query q = {.since_ms = t0, .until_ms = t0, .step_ms = 60000, .now_ms = t0,
	                .n = 3, .cols = cols, .aggs = aggs};
	CHECK(hist_read(h, &q, err) == 0 && q.tier == HIST_MINUTE && q.npoints == 1, "a 60 s step is answered from the coarse tier");
	CHECK(q.values && q.values[0] == 0 && q.values[1] == 26 && q.values[2] == 50,
	      "the minute's min, avg, max (0, 26, 50)");
	free(q.values);

	/* a frame from the future, then the right time again: after more than
	 * the fine span back, storing goes on */
	hist_point fut = {"a", 7};
	CHECK(hist_put(h, t0 + 86400000, &fut, 1, NULL, err) == HIST_STORED, "a frame a day ahead is stored");
	CHECK(hist_put(h, t0 + 6 * 3000, &fut, 1, NULL, err) == HIST_BACK, "the next right frame is stored, said as the clock going back");
	read_fine(h, "a", t0 + 6 * 3000, 1, v);
	CHECK(v[0] == 7, "and reads back");
	CHECK(hist_put(h, t0 + 5 * 3000, &fut, 1, NULL, err) == HIST_OLD, "within the span, older is still older");

	/* marks */
	CHECK(hist_mark(h, t0 + 500, "{\"kind\":\"alert\"}", 16, err) == 0, "a mark is kept");
	hist_mark_rec *m;
	size_t n;
	CHECK(hist_marks(h, t0, t0 + 1000, &m, &n, err) == 0 && n == 1 && !strcmp(m[0].json, "{\"kind\":\"alert\"}"),
	      "and read back");
	free(m);
	hist_close(h);

	/* a second store with other tiers in the same folder: refused */
	hist_cfg other;
	hist_cfg_defaults(&other);
	CHECK(hist_open(dir, &other, 1, err) == NULL && strstr(err, "other tiers"), "other tiers are refused: %s", err);

	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "clean up");
	return unit_done();
}
