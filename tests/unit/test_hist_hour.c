/* test_hist_hour.c - the history store's hour tier under a simulated nine
 * days (time injected): hour rows made from minute rows, a missing hour
 * stays missing, a partly missing hour is the aggregate of what exists,
 * the seam with the hour in progress neither doubles nor drops an hour,
 * restarts keep the rows, the files keep their size, and a store made
 * before the hour tier (meta version 1, no hour files) opens and gets it. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"
#include "unit.h"

#define HOUR 3600000LL
#define DAYS 9
#define MINUTES (DAYS * 24 * 60)

static char dir[256];
static const int64_t T0 = 1795629600000; /* an hour boundary */

static void cfg(hist_cfg *c)
{
	hist_cfg_defaults(c);
	c->fine_span_ms = 600 * 1000;
	c->hour_span_ms = 30 * 24 * HOUR;
	c->max_series = 64;
	c->max_marks = 16;
}

static hist *open_rw(void)
{
	hist_cfg c;
	char err[HIST_ERR_LEN];
	cfg(&c);
	hist *h = hist_open(dir, &c, 1, err);
	if (!h)
		fprintf(stderr, "hist_open: %s\n", err);
	return h;
}

/* Minute i of the nine days is stored unless in hours 30-31 (a gap) or in
 * hour 40 past its tenth minute (an hour partly missing).  "m" holds the
 * minute of the hour, "h" the hour. */
static int stored(int i)
{
	int hr = i / 60;
	return !(hr == 30 || hr == 31) && !(hr == 40 && i % 60 >= 10);
}

static int put_minutes(hist *h, int from, int to)
{
	char err[HIST_ERR_LEN];
	for (int i = from; i < to; i++) {
		if (!stored(i))
			continue;
		hist_point p[2] = {{"m", i % 60}, {"h", i / 60}};
		if (hist_put(h, T0 + (int64_t)i * 60000, p, 2, NULL, err) != HIST_STORED) {
			fprintf(stderr, "minute %d: %s\n", i, err);
			return -1;
		}
	}
	return 0;
}

/* Series "m" (avg, min, max) and "h" (avg) from since over n points of
 * step ms, as of now; the tier in *tier.  values: 4 * n, column-major. */
static int query(hist *h, int64_t since, size_t n, int64_t step, int64_t now,
                 double *out, enum hist_tier *tier)
{
	int m = hist_find(h, "m"), hh = hist_find(h, "h");
	int cols[4] = {m, m, m, hh};
	enum hist_agg aggs[4] = {HIST_AVG, HIST_MIN, HIST_MAX, HIST_AVG};
	hist_query q = {.since_ms = since, .until_ms = since + (int64_t)(n - 1) * step,
	                .step_ms = step, .now_ms = now, .n = 4, .cols = cols, .aggs = aggs};
	char err[HIST_ERR_LEN];
	if (hist_read(h, &q, err) < 0 || q.npoints != n || q.step_out_ms != step) {
		fprintf(stderr, "hist_read: %s (%zu points, step %lld)\n", err, q.npoints,
		        (long long)q.step_out_ms);
		free(q.values);
		return -1;
	}
	memcpy(out, q.values, 4 * n * sizeof *out);
	*tier = q.tier;
	free(q.values);
	return 0;
}

/* Do the first upto hours of an answer of n points (avg, min, max of "m"; avg of "h") hold what
 * went in?  Returns the number of hours that do not. */
static int wrong_hours(const double *v, size_t n, size_t upto, int first_hour,
                       int skip_before)
{
	int bad = 0;
	for (size_t k = 0; k < upto; k++) {
		int hr = first_hour + (int)k;
		double avg = v[k], mn = v[n + k], mx = v[2 * n + k], hv = v[3 * n + k];
		if (hr < skip_before)
			continue;
		if (hr == 30 || hr == 31) {
			bad += !(isnan(avg) && isnan(mn) && isnan(mx) && isnan(hv));
		} else if (hr == 40) {
			bad += !(avg == 4.5 && mn == 0 && mx == 9 && hv == 40);
		} else {
			bad += !(avg == 29.5 && mn == 0 && mx == 59 && hv == hr);
			if (!(avg == 29.5 && mn == 0 && mx == 59 && hv == hr) && bad < 4)
				fprintf(stderr, "hour %d: %g %g %g %g\n", hr, avg, mn, mx, hv);
		}
	}
	return bad;
}

static off_t file_size(const char *name)
{
	char p[400];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/kl-test-hour-%d", (int)getpid());
	char err[HIST_ERR_LEN], cmd[400];
	hist_cfg c;
	cfg(&c);
	c.hour_span_ms = 5 * 24 * HOUR;
	CHECK(hist_cfg_check(&c, err) < 0 && strstr(err, "hour span"), "an hour span shorter than the coarse one is refused");
	cfg(&c);
	c.hour_span_ms += 1000;
	CHECK(hist_cfg_check(&c, err) < 0, "an hour span of no whole number of hours is refused");

	/* nine days, with a restart in the middle of hour 83 */
	hist *h = open_rw();
	CHECK(h != NULL, "a new store opens");
	if (!h)
		return unit_done();
	CHECK(put_minutes(h, 0, 5000) == 0, "minutes 0..4999 stored");
	hist_close(h);
	h = open_rw();
	CHECK(h != NULL && put_minutes(h, 5000, MINUTES) == 0, "after a restart, the rest of the nine days stored");
	if (!h)
		return unit_done();

	const size_t nh = DAYS * 24;
	const int64_t now = T0 + (int64_t)MINUTES * 60000;
	double *v = malloc(4 * 3000 * sizeof *v);
	enum hist_tier tier;
	CHECK(query(h, T0, nh, HOUR, now, v, &tier) == 0 && tier == HIST_HOUR,
	      "nine days at 1 h steps come from the hour tier");
	CHECK(wrong_hours(v, nh, nh, 0, 0) == 0,
	      "every hour: min/avg/max of its minutes; hours 30-31 are gaps; hour 40 (10 minutes) is what exists");
	CHECK(!isnan(v[nh - 1]) && v[3 * nh + nh - 1] == nh - 1,
	      "the last hour, not closed yet, comes from its minutes: no hole at the seam");

	/* the seam: two hours per point, one closed (its row), one in
	 * progress (its minutes); then a few minutes of a new hour */
	CHECK(query(h, T0 + (int64_t)(nh - 2) * HOUR, 1, 2 * HOUR, now, v, &tier) == 0 &&
	      v[3] == nh - 1.5 && v[0] == 29.5,
	      "a 2 h point over a closed hour and the one in progress counts each once (h = %g)", v[3]);
	hist_point p[2] = {{"m", 1000}, {"h", 1000}};
	for (int i = 0; i < 5; i++)
		CHECK(hist_put(h, now + i * 60000, p, 2, NULL, err) == HIST_STORED, "minute %d of the new hour stored", i);
	CHECK(query(h, T0 + (int64_t)(nh - 1) * HOUR, 2, HOUR, now + 5 * 60000, v, &tier) == 0 &&
	      v[0] == 29.5 && v[1] == 1000 && v[2] == 0 && v[3] == 1000 && v[4] == 59 && v[5] == 1000,
	      "the hour just closed is its row, the new hour its five minutes so far");

	/* tiers: a 1 min step over two days is the minute tier; over nine days
	 * (past the minute ring) the hour tier, the step widened to its own */
	CHECK(query(h, now - 48 * HOUR, 2880, 60000, now, v, &tier) == 0 && tier == HIST_MINUTE,
	      "two days at 60 s: the minute tier");
	int m = hist_find(h, "m");
	enum hist_agg avg = HIST_AVG;
	hist_query q = {.since_ms = T0, .until_ms = now, .step_ms = 60000, .now_ms = now,
	                .n = 1, .cols = &m, .aggs = &avg};
	CHECK(hist_read(h, &q, err) == 0 && q.tier == HIST_HOUR && q.step_out_ms == HOUR,
	      "nine days at 60 s: only the hour tier reaches back, at 1 h steps");
	free(q.values);
	hist_close(h);

	/* files: fixed sizes, hour ring = 30 days + 1 day */
	CHECK(file_size("hour.000") == (off_t)(31 * 24) * 784, "hour.000 is (30 d + 1 d) x 784 bytes");
	CHECK(file_size("coarse.000") == (off_t)(7 * 1440 + 60) * 784, "coarse.000 keeps its size");

	/* the minute tier lost (as if older than its 7 days): the hour rows
	 * stand alone */
	snprintf(cmd, sizeof cmd, "cp '%s/coarse.000' '%s/coarse.keep' && "
	         "dd if=/dev/zero of='%s/coarse.000' bs=784 count=%d conv=notrunc status=none",
	         dir, dir, dir, 7 * 1440 + 60);
	CHECK(system(cmd) == 0, "the minute rows wiped");
	h = hist_open(dir, NULL, 0, err);
	CHECK(h && query(h, T0, nh, HOUR, now, v, &tier) == 0 && wrong_hours(v, nh, nh - 1, 0, 0) == 0,
	      "a reader gets every closed hour from the hour rows alone");
	hist_close(h);
	snprintf(cmd, sizeof cmd, "mv '%s/coarse.keep' '%s/coarse.000'", dir, dir);
	CHECK(system(cmd) == 0, "the minute rows back");

	/* a store made before the hour tier: meta version 1, no hour files */
	char path[400];
	snprintf(path, sizeof path, "%s/meta", dir);
	unsigned char meta[64];
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0 && pread(fd, meta, 64, 0) == 64, "meta read");
	uint32_t one = 1, sum;
	memcpy(meta + 4, &one, 4);
	sum = hist_sum(meta + 4, 52);
	memcpy(meta, &sum, 4);
	CHECK(pwrite(fd, meta, 56, 0) == 56 && ftruncate(fd, 56) == 0, "meta written as version 1 (56 bytes)");
	close(fd);
	snprintf(cmd, sizeof cmd, "rm '%s/hour.000'", dir);
	CHECK(system(cmd) == 0, "the hour file removed");
	h = hist_open(dir, NULL, 0, err);
	CHECK(h != NULL, "a reader opens the old store");
	/* the minute ring holds 7 d + 1 h back from the newest minute */
	int oldest = (int)nh + 1 - 7 * 24 - 1;
	CHECK(h && query(h, T0, nh + 1, HOUR, now + 5 * 60000, v, &tier) == 0 && tier == HIST_HOUR &&
	      wrong_hours(v, nh + 1, nh, 0, oldest) == 0 && isnan(v[0]),
	      "and answers 1 h steps from its minutes (hours past the minute ring: null)");
	hist_close(h);
	h = open_rw();
	CHECK(h != NULL, "a writer opens the old store");
	hist_close(h);
	CHECK(file_size("hour.000") == (off_t)(31 * 24) * 784 && file_size("meta") == 64,
	      "and adds the hour file beside the others, meta version 2");
	h = open_rw();
	CHECK(h != NULL, "the upgraded store opens again with the same settings");
	hist_close(h);
	snprintf(cmd, sizeof cmd, "dd if=/dev/zero of='%s/coarse.000' bs=784 count=%d conv=notrunc status=none",
	         dir, 7 * 1440 + 60);
	CHECK(system(cmd) == 0, "the minute rows wiped again");
	h = hist_open(dir, NULL, 0, err);
	CHECK(h && query(h, T0, nh + 1, HOUR, now + 5 * 60000, v, &tier) == 0 &&
	      wrong_hours(v, nh + 1, nh, 0, oldest) == 0 && isnan(v[nh]),
	      "the writer made the hour rows from the minutes it found (the hour in progress: none)");
	hist_close(h);

	cfg(&c);
	c.hour_span_ms = 60 * 24 * HOUR;
	CHECK(hist_open(dir, &c, 1, err) == NULL && strstr(err, "other tiers"), "another hour span is refused: %s", err);

	free(v);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "clean up");
	return unit_done();
}
