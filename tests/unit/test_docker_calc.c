/* Unit tests for docker-stats' arithmetic (cmd/docker-stats/calc.c) on
 * recorded and hand-made stats bodies in tests/fixtures/docker/, and for
 * its output objects (report.c). */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../cmd/docker-stats/calc.c"
#include "../../cmd/docker-stats/report.c"
#include "unit.h"

static char fixtures[PATH_MAX];

/* tests/fixtures/docker, found upwards from this binary (build/unit/ or
 * build/asan/unit/), so the test runs from any directory. */
static void find_fixtures(void)
{
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	dir[n > 0 ? n : 0] = '\0';
	for (int up = 0; up < 6; up++) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
		snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/docker", dir);
		if (access(fixtures, R_OK) == 0)
			return;
	}
	snprintf(fixtures, sizeof fixtures, "tests/fixtures/docker");
}

/* A fixture parsed; NULL for an empty file (Podman's stopped answer). */
static cJSON *load(const char *name)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", fixtures, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	static char buf[1 << 16];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	char err[64];
	return len ? js_parse(buf, len, err, sizeof err) : NULL;
}

/* Compute a fixture against a previous sample; returns the stats. */
static ds_stats calc(const char *name, const ds_sample *prev, ds_engine e)
{
	cJSON *j = load(name);
	ds_stats s;
	ds_calc(j, prev, e, &s);
	cJSON_Delete(j);
	return s;
}

static void test_parse_read(void)
{
	int64_t ns = 0;
	CHECK(ds_parse_read("2026-11-25T21:09:38.362847736Z", &ns) == 0 &&
	          ns == 1795640978362847736LL, "read time keeps its nanoseconds");
	CHECK(ds_parse_read("2026-11-25T21:09:38Z", &ns) == 0 &&
	          ns == 1795640978000000000LL, "read time without a fraction");
	CHECK(ds_parse_read("2026-11-25T21:09:38.5+00:00", &ns) == 0 &&
	          ns == 1795640978500000000LL, "+00:00 is UTC");
	CHECK(ds_parse_read("0001-01-01T00:00:00Z", &ns) == -1,
	      "Go's zero time means never read");
	CHECK(ds_parse_read("2026-11-25T21:09:38.1+02:00", &ns) == -1,
	      "other offsets are refused");
	CHECK(ds_parse_read("soon", &ns) == -1 && ds_parse_read(NULL, &ns) == -1,
	      "garbage and NULL are refused");
	CHECK(ds_parse_read("2556-11-25T21:09:37.3612847736Z", &ns) == -1,
	      "a year past 2261 is refused (its nanoseconds overflow; found by fuzzing)");
	CHECK(ds_parse_read("2261-12-31T23:59:59.999999999Z", &ns) == 0 && ns > 0,
	      "the last year that fits is taken");
	CHECK(ds_parse_read("2026-13-01T00:00:00Z", &ns) == -1 &&
	          ds_parse_read("2026-11-25T24:00:00Z", &ns) == -1 &&
	          ds_parse_read("2026-11-00T00:00:00Z", &ns) == -1,
	      "fields out of range are refused, not carried over");
}

static void test_docker_v1(void)
{
	ds_stats a = calc("docker-v1-1.json", NULL, DS_ENGINE_DOCKER);
	CHECK(a.running && !a.have_cpu, "v1: first sample has no CPU%%");
	CHECK(a.have_mem && a.mem_used == 104857600.0,
	      "v1: memory is usage minus total_inactive_file");
	CHECK(a.have_limit && a.mem_limit == 1073741824.0, "v1: limit");
	CHECK(a.have_net && a.rx_bytes == 2097152.0 && a.tx_bytes == 524288.0,
	      "v1: network sums every interface");
	CHECK(a.have_blk && a.read_bytes == 4096000.0 && a.write_bytes == 8192.0,
	      "v1: block I/O counts Read and Write only (not Sync/Async/Total)");
	ds_stats b = calc("docker-v1-2.json", &a.now, DS_ENGINE_DOCKER);
	CHECK(b.have_cpu, "v1: second sample has CPU%%");
	CHECK_NEAR(b.cpu_percent, 50.0, 1e-9,
	           "v1: CPU%% = dtotal/dsystem x len(percpu_usage) x 100 = 50");
	ds_stats g = calc("docker-v1-2.json", &a.now, DS_ENGINE_UNKNOWN);
	CHECK(g.engine == DS_ENGINE_DOCKER && g.have_cpu &&
	          fabs(g.cpu_percent - 50.0) < 1e-9,
	      "v1: an unknown engine's Docker body gets Docker's formula");
}

static void test_docker_v2(void)
{
	ds_stats a = calc("docker-v2-1.json", NULL, DS_ENGINE_DOCKER);
	CHECK(a.have_mem && a.mem_used == 4294967296.0,
	      "v2: memory is usage minus inactive_file, past INT_MAX");
	CHECK(a.have_limit && a.mem_limit == 17179869184.0, "v2: 16 GiB limit");
	CHECK(a.have_net && a.rx_bytes == 3e9 && a.tx_bytes == 2.5e9,
	      "v2: network counters past INT_MAX");
	CHECK(a.have_blk && a.read_bytes == 6442451968.0 &&
	          a.write_bytes == 3221227520.0,
	      "v2: lower-case read/write summed over devices, past INT_MAX");
	CHECK(a.now.cpu_total == 9876543210123.0, "v2: big CPU counter intact");
	ds_stats b = calc("docker-v2-2.json", &a.now, DS_ENGINE_DOCKER);
	CHECK_NEAR(b.cpu_percent, 200.0, 1e-9,
	           "v2: CPU%% = dtotal/dsystem x online_cpus x 100 = 200");
	ds_stats r = calc("docker-v2-restarted.json", &b.now, DS_ENGINE_DOCKER);
	CHECK(r.running && !r.have_cpu, "v2: a counter that went down gives null");
	CHECK(r.now.valid && r.now.cpu_total == 1200000000.0,
	      "v2: after a reset the new counters are kept");
	/* The reading before this one, 3 s earlier, after the restart. */
	ds_sample p = r.now;
	p.cpu_total -= 600000000.0;
	p.cpu_system -= 24e9;
	p.read_ns -= 3000000000LL;
	ds_stats after = calc("docker-v2-restarted.json", &p, DS_ENGINE_DOCKER);
	CHECK(after.have_cpu && fabs(after.cpu_percent - 20.0) < 1e-9,
	      "v2: deltas resume from the first reading after a reset");
	ds_stats same = calc("docker-v2-2.json", &b.now, DS_ENGINE_DOCKER);
	CHECK(!same.have_cpu, "v2: no time passed: null, not 0");
}

static void test_docker_stopped(void)
{
	ds_stats run = calc("docker-v2-1.json", NULL, DS_ENGINE_DOCKER);
	ds_stats s = calc("docker-stopped.json", &run.now, DS_ENGINE_DOCKER);
	CHECK(!s.running && !s.now.valid, "stopped: zero read time, not running");
	CHECK(!s.have_cpu && !s.have_mem && !s.have_limit && !s.have_net &&
	          !s.have_blk, "stopped: everything null, nothing 0");
	ds_stats next = calc("docker-v2-2.json", &s.now, DS_ENGINE_DOCKER);
	CHECK(!next.have_cpu, "started again: first sample after a stop is null");
}

static void test_podman(void)
{
	ds_stats a = calc("podman-running-1.json", NULL, DS_ENGINE_PODMAN);
	CHECK(a.running && !a.have_cpu, "podman: first sample has no CPU%%");
	CHECK(a.have_mem && a.mem_used == 266240.0,
	      "podman: usage is taken as is (inactive file already out)");
	CHECK(a.have_net && a.rx_bytes == 516.0 && a.tx_bytes == 1736.0,
	      "podman: network");
	CHECK(a.have_blk && a.read_bytes == 0 && a.write_bytes == 0,
	      "podman: an empty I/O list is a measured 0");
	ds_stats b = calc("podman-running-2.json", &a.now, DS_ENGINE_PODMAN);
	/* 1010771118 ns of CPU over 1013936432 ns of wall clock */
	CHECK_NEAR(b.cpu_percent, 1010771118.0 / 1013936432.0 * 100, 1e-6,
	           "podman: CPU%% = dtotal / dread x 100 (%.2f)", b.cpu_percent);
	ds_stats g = calc("podman-running-2.json", &a.now, DS_ENGINE_UNKNOWN);
	CHECK(g.engine == DS_ENGINE_PODMAN && fabs(g.cpu_percent - b.cpu_percent) < 1e-9,
	      "podman: recognised from its body when the engine is unknown");
	ds_stats r = calc("podman-running-1.json", &b.now, DS_ENGINE_PODMAN);
	CHECK(r.running && !r.have_cpu, "podman: counter reset gives null");
	ds_stats s = calc("podman-stopped.json", &b.now, DS_ENGINE_PODMAN);
	CHECK(!s.running && !s.have_cpu && !s.have_mem && !s.have_net && !s.have_blk,
	      "podman: empty body of a stopped container: all null");
	cJSON *empty = cJSON_CreateObject();
	ds_calc(empty, &b.now, DS_ENGINE_PODMAN, &s);
	cJSON_Delete(empty);
	CHECK(!s.running && !s.have_mem, "an empty object is not a sample");
}

/* The printed form of a cJSON object, which it frees (for comparing
 * whole outputs).  Four buffers in turn: CHECK_STR reads its argument
 * twice, so print into a variable first. */
static const char *printed(cJSON *j)
{
	static char bufs[4][4096];
	static int next;
	char *buf = bufs[next++ % 4];
	char *p = cJSON_PrintUnformatted(j);
	snprintf(buf, sizeof bufs[0], "%s", p ? p : "(null)");
	free(p);
	cJSON_Delete(j);
	return buf;
}

static void test_report(void)
{
	ds_stats st[3];
	st[0] = calc("docker-stopped.json", NULL, DS_ENGINE_DOCKER);
	const char *out = printed(ds_entry("abc", "kato-redis", NULL, "exited", &st[0], NULL, "T"));
	CHECK_STR(out,
	          "{\"id\":\"abc\",\"name\":\"kato-redis\",\"status\":\"exited\",\"cpu\":null,"
	          "\"memory\":{\"usage_bytes\":null,\"limit_bytes\":null,\"usage_mb\":null,"
	          "\"limit_mb\":null,\"usage_percent\":null},"
	          "\"network\":{\"rx_bytes\":null,\"tx_bytes\":null,\"rx_mb\":null,\"tx_mb\":null,"
	          "\"rx_bytes_per_s\":null,\"tx_bytes_per_s\":null},"
	          "\"block_io\":{\"read_bytes\":null,\"write_bytes\":null,\"read_mb\":null,"
	          "\"write_mb\":null,\"read_bytes_per_s\":null,\"write_bytes_per_s\":null},"
	          "\"timestamp\":\"T\"}",
	          "report: a stopped container's entry is all nulls");
	out = printed(ds_aggregate(st, 1, "T"));
	CHECK_STR(out,
	          "{\"total_cpu_percent\":null,\"total_memory_mb\":null,"
	          "\"total_memory_limit_mb\":null,\"total_memory_percent\":null,"
	          "\"total_rx_bytes_per_s\":null,\"total_tx_bytes_per_s\":null,"
	          "\"total_read_bytes_per_s\":null,\"total_write_bytes_per_s\":null,"
	          "\"container_count\":1,\"running_count\":0,\"timestamp\":\"T\"}",
	          "report: totals of nothing measured are null");
	ds_stats a = calc("docker-v1-1.json", NULL, DS_ENGINE_DOCKER);
	st[1] = calc("docker-v1-2.json", &a.now, DS_ENGINE_DOCKER);
	ds_stats b = calc("docker-v2-1.json", NULL, DS_ENGINE_DOCKER);
	st[2] = calc("docker-v2-2.json", &b.now, DS_ENGINE_DOCKER);
	out = printed(ds_entry("id1", "kato", "host-1", "running", &st[1], "x: y", "T"));
	CHECK_STR(out,
	          "{\"id\":\"id1\",\"name\":\"kato\",\"host\":\"host-1\",\"status\":\"running\",\"cpu\":50,"
	          "\"memory\":{\"usage_bytes\":104857600,\"limit_bytes\":1073741824,"
	          "\"usage_mb\":100,\"limit_mb\":1024,\"usage_percent\":9.77},"
	          "\"network\":{\"rx_bytes\":2097152,\"tx_bytes\":524288,\"rx_mb\":2,\"tx_mb\":0.5,"
	          "\"rx_bytes_per_s\":0,\"tx_bytes_per_s\":0},"
	          "\"block_io\":{\"read_bytes\":4096000,\"write_bytes\":8192,\"read_mb\":3.91,"
	          "\"write_mb\":0.01,\"read_bytes_per_s\":0,\"write_bytes_per_s\":0},"
	          "\"error\":\"x: y\",\"timestamp\":\"T\"}",
	          "report: a running container's entry, MiB and percent rounded");
	out = printed(ds_aggregate(st, 3, "T"));
	CHECK_STR(out,
	          "{\"total_cpu_percent\":250,\"total_memory_mb\":4196,"
	          "\"total_memory_limit_mb\":17408,\"total_memory_percent\":24.1,"
	          "\"total_rx_bytes_per_s\":0,\"total_tx_bytes_per_s\":0,"
	          "\"total_read_bytes_per_s\":0,\"total_write_bytes_per_s\":0,"
	          "\"container_count\":3,\"running_count\":2,\"timestamp\":\"T\"}",
	          "report: totals sum what was measured and skip the nulls");
}

/* Rates from this tool's own deltas; limits the size of the host are none. */
static void test_rates_and_limits(void)
{
	ds_stats a = calc("docker-v1-1.json", NULL, DS_ENGINE_DOCKER);
	CHECK(!a.have_net_rate && !a.have_blk_rate, "rates: none on a first sample");
	/* 3 s later, 3 MiB more received, 1.5 MiB more read */
	ds_sample prev = a.now;
	prev.rx -= 3 * 1048576.0;
	prev.tx -= 300;
	prev.rd -= 1.5 * 1048576.0;
	ds_stats b = calc("docker-v1-2.json", &prev, DS_ENGINE_DOCKER);
	CHECK(b.have_net_rate && b.rx_rate == 1048576.0 && b.tx_rate == 100,
	      "rates: network bytes per second over the engine's read times");
	CHECK(b.have_blk_rate && b.read_rate == 524288.0 && b.write_rate == 0,
	      "rates: block I/O bytes per second");
	prev = a.now;
	prev.rx += 10; /* the counter went down: a restart */
	b = calc("docker-v1-2.json", &prev, DS_ENGINE_DOCKER);
	CHECK(!b.have_net_rate && b.have_blk_rate,
	      "rates: a counter that went down gives null, not a negative rate");

	ds_stats m = calc("docker-v2-1.json", NULL, DS_ENGINE_DOCKER);
	CHECK(m.have_limit, "limits: a 16 GiB limit is read");
	ds_unlimited(&m, 16.0 * 1073741824);
	CHECK(!m.have_limit, "limits: a limit the size of the host is no limit");
	m = calc("docker-v2-1.json", NULL, DS_ENGINE_DOCKER);
	ds_unlimited(&m, 24.0 * 1073741824);
	CHECK(m.have_limit, "limits: a limit under the host's memory is kept");
	ds_unlimited(&m, 0);
	CHECK(m.have_limit, "limits: host memory unknown: kept");
	m.mem_limit = 9223372036854771712.0;
	ds_unlimited(&m, 0);
	CHECK(!m.have_limit, "limits: cgroup's 'max' (2^63) is no limit");
	const char *out = printed(ds_entry("i", "n", NULL, "running", &m, NULL, "T"));
	CHECK(strstr(out, "\"limit_bytes\":null") && strstr(out, "\"usage_percent\":null"),
	      "limits: no limit prints null limit and percent");
}

int main(void)
{
	find_fixtures();
	test_parse_read();
	test_docker_v1();
	test_docker_v2();
	test_docker_stopped();
	test_podman();
	test_report();
	test_rates_and_limits();
	return unit_done();
}
