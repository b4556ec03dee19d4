/* test_dhosts.c - kato-merge's Docker hosts: the newest record per host,
 * the sum over the fresh ones, stale hosts marked, the bound. */
#include "../../cmd/kato-merge/dhosts.c"

#include <stdlib.h>

#include "unit.h"

/* Take a record of host h (ok with data text d, or failed with error e)
 * stamped ts, arrived at monotonic mono; returns what dhosts_take says. */
static int take(dhosts *dh, const char *h, const char *d, const char *e,
                int64_t ts, int64_t mono)
{
	char err[256];
	cJSON *data = d ? cJSON_Parse(d) : NULL;
	int r = dhosts_take(dh, h, d != NULL, data, e, ts, ts, mono, 0, err,
	                    sizeof err);
	cJSON_Delete(data);
	return r;
}

/* jq-like: the value at dotted path of the section, printed. */
static char *at(const char *sec, const char *path)
{
	static char buf[4096];
	cJSON *j = cJSON_Parse(sec);
	const cJSON *v = js_path(j, path);
	char *t = v ? cJSON_PrintUnformatted(v) : NULL;
	snprintf(buf, sizeof buf, "%s", t ? t : "(none)");
	free(t);
	cJSON_Delete(j);
	return buf;
}

#define REC(cpu, mem, lim, pct, n)                                              \
	"{\"containers\":[{\"name\":\"kato\",\"cpu\":" #cpu "}],"                   \
	"\"aggregated\":{\"total_cpu_percent\":" #cpu ",\"total_memory_mb\":" #mem \
	",\"total_memory_limit_mb\":" #lim ",\"total_memory_percent\":" #pct         \
	",\"container_count\":" #n ",\"running_count\":" #n                         \
	",\"timestamp\":\"T\"},\"engine\":\"docker\",\"api_version\":\"1.43\"}"

int main(void)
{
	dhosts dh = {0};
	const int64_t stale = 9000;
	CHECK(take(&dh, "b", REC(30, 300, 1000, 30, 1), NULL, 2000, 100) == DH_KEPT, "a host's first record is kept");
	CHECK(take(&dh, "a", REC(10, 100, 1000, 10, 1), NULL, 2000, 100) == DH_KEPT, "another host's too");
	CHECK(dh.n == 2 && !strcmp(dh.h[0].name, "a") && !strcmp(dh.h[1].name, "b"), "hosts are kept in name order");
	CHECK(take(&dh, "a", REC(99, 1, 1, 1, 1), NULL, 1000, 200) == DH_OLDER, "an older record of a host is ignored");

	char *s = dhosts_section(&dh, 1000, stale);
	CHECK_STR(at(s, "containers"), "[{\"name\":\"kato\",\"cpu\":10,\"host\":\"a\"},{\"name\":\"kato\",\"cpu\":30,\"host\":\"b\"}]",
	          "every host's containers, each with its host");
	CHECK_STR(at(s, "aggregated.total_cpu_percent"), "40", "CPU summed over the hosts");
	CHECK_STR(at(s, "aggregated.total_memory_percent"), "20", "memory percent weighted by each host's limit");
	CHECK_STR(at(s, "aggregated.container_count"), "2", "containers counted over the hosts");
	CHECK_STR(at(s, "hosts.a.engine"), "\"docker\"", "each host's engine in its block");
	free(s);

	/* b stops; a goes on */
	CHECK(take(&dh, "a", REC(12, 100, 1000, 10, 1), NULL, 12000, 11000) == DH_KEPT, "a newer record of a");
	s = dhosts_section(&dh, 11500, stale);
	cJSON *j = cJSON_Parse(s);
	const cJSON *c1 = cJSON_GetArrayItem(js_path(j, "containers"), 1);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c1, "stale")), "a stopped host's container is marked stale");
	CHECK(!cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(js_path(j, "containers"), 0), "stale"),
	      "a fresh host's container is not");
	cJSON_Delete(j);
	CHECK_STR(at(s, "aggregated"), "{\"total_cpu_percent\":12,\"total_memory_mb\":100,\"total_memory_limit_mb\":1000,"
	          "\"total_memory_percent\":10,\"container_count\":1,\"running_count\":1,\"timestamp\":\"T\"}",
	          "with one fresh host, its own aggregated as it said it");
	CHECK_STR(at(s, "hosts.b.stale"), "true", "the stopped host says stale in its block");
	free(s);

	/* b's engine fails: its last containers stay, marked; its block has the error */
	CHECK(take(&dh, "b", NULL, "GET /_ping: Connection refused", 12000, 11000) == DH_KEPT, "a failed record is kept");
	s = dhosts_section(&dh, 11500, stale);
	CHECK_STR(at(s, "hosts.b.error"), "\"GET /_ping: Connection refused\"", "a failing host's error in its block");
	CHECK_STR(at(s, "hosts.b.aggregated.total_cpu_percent"), "30", "and its last good totals");
	CHECK_STR(at(s, "aggregated.total_cpu_percent"), "12", "not summed as live");
	free(s);

	/* a stale while b fails (recent): nothing fresh to sum, and a's old
	 * figures are not shown as current */
	CHECK(take(&dh, "b", NULL, "GET /_ping: Connection refused", 16000, 15000) == DH_KEPT, "b still failing");
	s = dhosts_section(&dh, 11000 + stale + 1, stale);
	CHECK_STR(at(s, "hosts.a.stale"), "true", "a is stale");
	CHECK_STR(at(s, "aggregated.total_cpu_percent"), "null", "no fresh host: the sum is unknown, not a's old figure");
	CHECK_STR(at(s, "aggregated.timestamp"), "null", "and has no time");
	free(s);

	/* every host failing: the section is the newest error, with the hosts */
	CHECK(take(&dh, "a", NULL, "GET /_ping: timeout", 17000, 16000) == DH_KEPT, "a fails too");
	s = dhosts_section(&dh, 16500, stale);
	CHECK_STR(at(s, "error"), "\"GET /_ping: timeout\"", "no host ok: the newest error");
	CHECK_STR(at(s, "hosts.a.ok"), "false", "with the hosts block");
	free(s);
	dhosts_free(&dh);

	/* the bound */
	char name[8];
	int refused = 0;
	for (int i = 0; i < DHOSTS_MAX + 1; i++) {
		snprintf(name, sizeof name, "h%03d", i);
		refused += take(&dh, name, "{\"containers\":[]}", NULL, 1000, 100) == DH_BAD;
	}
	CHECK(dh.n == DHOSTS_MAX && refused == 1, "at most %d hosts: one more is refused", DHOSTS_MAX);
	CHECK(take(&dh, "h000", "{\"containers\":{}}", NULL, 2000, 200) == DH_BAD, "containers that are not an array: refused");
	CHECK(take(&dh, "h000", "{\"containers\":[1]}", NULL, 2000, 200) == DH_BAD, "an entry that is not an object: refused");
	dhosts_free(&dh);
	return unit_done();
}
