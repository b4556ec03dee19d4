/* test_prom.c - kato-snapshot's Prometheus exposition: escaping, numbers,
 * and what is left out (null, stale, in error, duplicated). */
#include "../../cmd/kato-snapshot/prom.c"

#include <stdlib.h>

#include "unit.h"

/* 2026-11-25T18:45:00.000Z */
#define T0 1795632300000LL

#define FRAME(data, extra)                                                  \
	"{\"type\":\"realtime_update\",\"timestamp\":\"2026-11-25T18:45:00.000Z\"," \
	"\"interval_ms\":1000,\"data\":" data ",\"stale\":[" extra "],"             \
	"\"sources\":{\"kato-metrics\":{\"ok\":true,"                               \
	"\"ts\":\"2026-11-25T18:44:59.500Z\",\"age_ms\":500},"                      \
	"\"docker-stats\":{\"ok\":false,\"ts\":null,\"age_ms\":null,"               \
	"\"error\":\"connect: refused\"},"                                          \
	"\"session-summary\":{\"ok\":true,\"ts\":\"2026-11-25T18:44:58.000Z\","     \
	"\"age_ms\":2000}}}"

#define CONTAINERS                                                          \
	"\"containers\":{\"containers\":["                                          \
	"{\"name\":\"/b\",\"status\":\"running\",\"cpu\":12.5,"                     \
	"\"memory\":{\"usage_bytes\":1048576,\"limit_bytes\":null}},"               \
	"{\"name\":\"a\",\"status\":\"exited\",\"cpu\":null},"                      \
	"{\"name\":\"b\",\"status\":\"running\",\"cpu\":99},"                       \
	"{\"name\":\"b\",\"host\":\"h2\",\"cpu\":7},"                               \
	"{\"status\":\"running\",\"cpu\":5}]}"

/* The exposition of the given parts, malloc'd. */
static char *expose(const char *frame, const char *alerts, const char *stats,
                    int hub_up, int64_t now_ms)
{
	cJSON *f = frame ? cJSON_Parse(frame) : NULL;
	cJSON *a = alerts ? cJSON_Parse(alerts) : NULL;
	cJSON *s = stats ? cJSON_Parse(stats) : NULL;
	if ((frame && !f) || (alerts && !a) || (stats && !s)) {
		fprintf(stderr, "test JSON does not parse\n");
		exit(2);
	}
	prom_input in = {hub_up, f, a, s, now_ms};
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc = prom_write(m, &in);
	fclose(m);
	CHECK(rc == 0, "prom_write succeeds");
	cJSON_Delete(f);
	cJSON_Delete(a);
	cJSON_Delete(s);
	return buf;
}

static int has(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* How many lines of text are exactly line. */
static int count(const char *text, const char *line)
{
	size_t n = strlen(line);
	int k = 0;
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			k++;
	return k;
}

static int has_prefix(const char *text, const char *prefix)
{
	for (const char *p = text; (p = strstr(p, prefix)); p++)
		if (p == text || p[-1] == '\n')
			return 1;
	return 0;
}

static void test_label_values(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	prom_label_value(m, "a\\b\"c\nd");
	fputc('|', m);
	prom_label_value(m, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
	fputc('|', m);
	prom_label_value(m, "x\xffy\xc0\x80z\xed\xa0\x80w\xe2\x82");
	fclose(m);
	CHECK_STR(buf,
	          "a\\\\b\\\"c\\nd|caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3|"
	          "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd"
	          "\xef\xbf\xbdw\xef\xbf\xbd\xef\xbf\xbd",
	          "label values: \\ \" newline escaped, UTF-8 kept, bad bytes "
	          "(stray, overlong, surrogate, cut short) become U+FFFD: %s", buf);
	free(buf);
}

static void test_numbers(void)
{
	char b[32];
	CHECK_STR(prom_number(b, 0.1), "0.1", "0.1 stays 0.1");
	CHECK_STR(prom_number(b, 91.2), "91.2", "91.2 stays 91.2");
	CHECK_STR(prom_number(b, 9007199254740992.0), "9007199254740992",
	          "2^53 is written in full, not rounded to 15 digits");
	CHECK_STR(prom_number(b, 1e21), "1e+21", "large counters in e notation");
	CHECK_STR(prom_number(b, 1.0 / 3), "0.33333333333333331",
	          "a value 15 digits cannot hold gets 17");
	CHECK_STR(prom_number(b, -INFINITY), "-Inf", "-Inf");
	CHECK_STR(prom_number(b, 0), "0", "0");
	CHECK_STR(prom_number(b, -0.0), "0", "-0 as 0");
	CHECK_STR(prom_number(b, -42), "-42", "a negative integer");
	CHECK_STR(prom_number(b, 536870912), "536870912", "bytes as an integer");
	CHECK_STR(prom_number(b, 9007199254740993.0 * 4), "36028797018963968",
	          "beyond 2^53: printf's path");
}

static void test_frame(void)
{
	const char *frame = FRAME(
	    "{\"metrics\":{\"timestamp\":1795632299.0,\"uptime_seconds\":99.0,"
	    "\"performance\":{\"total_requests\":1000,\"total_errors\":null,"
	    "\"error_rate\":0.2},\"databases\":{\"redis\":{\"status\":\"down\"}},"
	    "\"error\":null},"
	    "\"health\":{\"status\":\"sideways\",\"issues\":[\"a\",\"b\"]},"
	    CONTAINERS ","
	    "\"sessions\":{\"active_count\":3,\"total_count\":null},"
	    "\"thresholds\":{\"cpu_percent\":80,\"error_rate\":0.05}}",
	    "");
	const char *alerts =
	    "{\"type\":\"active_alerts\",\"alerts\":[{\"level\":\"error\","
	    "\"type\":\"high_error_rate\",\"value\":0.2},{\"level\":\"warning\","
	    "\"type\":\"source_stale\",\"source\":\"docker-stats\"}]}";
	const char *stats =
	    "{\"type\":\"hub_stats\",\"started_at\":\"2026-11-25T18:00:00.000Z\","
	    "\"clients\":2,\"bytes_sent_total\":123456,\"queue_bytes\":null,"
	    "\"cutoffs_total\":{\"too_slow\":1,\"timeout\":0}}";
	char *t = expose(frame, alerts, stats, 1, T0 + 250);

	CHECK(has(t, "kato_live_hub_up 1"), "hub up");
	CHECK(has(t, "kato_live_hub_start_time_seconds 1795629600"),
	      "hub start time from started_at");
	CHECK(has(t, "kato_live_hub_clients 2"), "hub clients");
	CHECK(has(t, "kato_live_hub_sent_bytes_total 123456"), "hub bytes sent");
	CHECK(!has_prefix(t, "kato_live_hub_queue_bytes"), "null queue_bytes left out");
	CHECK(has(t, "kato_live_hub_cutoffs_total{reason=\"too_slow\"} 1"),
	      "cut-offs by reason");
	CHECK(has(t, "# TYPE kato_live_hub_cutoffs_total counter"), "a counter");
	CHECK(!has_prefix(t, "kato_live_merge_"), "no pipeline.merge: no merge series");

	CHECK(has(t, "kato_live_frame_age_seconds 0.25"), "frame age");
	CHECK(has(t, "kato_live_frame_stale 0"), "frame fresh");
	CHECK(has(t, "kato_live_source_up{source=\"docker-stats\"} 0"),
	      "a source in error is down");
	CHECK(has(t, "kato_live_source_age_seconds{source=\"session-summary\"} 2.25"),
	      "source age from its ts to now");
	CHECK(!has_prefix(t, "kato_live_source_age_seconds{source=\"docker-stats\"}"),
	      "no age for a source that never reported");

	CHECK(has(t, "kato_requests_total 1000"), "KATO counter");
	CHECK(!has_prefix(t, "kato_errors_total"), "null counter left out, not 0");
	CHECK(has(t, "kato_error_ratio 0.2"), "error ratio");
	CHECK(has(t, "kato_start_time_seconds 1795632200"), "KATO start time");
	CHECK(has(t, "kato_database_status{database=\"redis\",status=\"down\"} 1"),
	      "database status");
	CHECK(has(t, "kato_health_status{status=\"unknown\"} 1") &&
	          has(t, "kato_health_status{status=\"healthy\"} 0"),
	      "an unknown health status is unknown");
	CHECK(has(t, "kato_health_issues 2"), "health issues");

	CHECK(has(t, "kato_live_containers 3"),
	      "containers: nameless skipped, duplicate name kept once");
	CHECK(has(t, "kato_live_container_cpu_percent{container=\"b\"} 12.5"),
	      "leading / stripped, first of two same names kept");
	CHECK(!has(t, "kato_live_container_cpu_percent{container=\"b\"} 99"),
	      "the duplicate is not a second series");
	CHECK(has(t, "kato_live_container_cpu_percent{container=\"b\",host=\"h2\"} 7"),
	      "host label where known");
	CHECK(!has_prefix(t, "kato_live_container_cpu_percent{container=\"a\"}"),
	      "null CPU left out");
	CHECK(!has_prefix(t, "kato_live_container_memory_limit_bytes"),
	      "null limit left out");
	CHECK(has(t, "kato_live_container_running{container=\"a\"} 0"),
	      "exited container not running");
	CHECK(strstr(t, "kato_live_container_cpu_percent{container=\"a\"") == NULL,
	      "no sample for a");

	CHECK(has(t, "kato_live_sessions_active 3"), "sessions active");
	CHECK(!has_prefix(t, "kato_live_sessions_stored"), "null total left out");
	CHECK(has(t, "kato_live_alert_active{type=\"high_error_rate\",level=\"error\"} 1"),
	      "active alert");
	CHECK(has(t, "kato_live_alert_active{type=\"source_stale\",level=\"warning\","
	             "source=\"docker-stats\"} 1"),
	      "alert with its source");
	CHECK(has(t, "kato_live_alerts_firing 2"), "alerts firing");
	CHECK(has(t, "kato_live_alert_threshold{setting=\"error_rate\"} 0.05"),
	      "thresholds");
	CHECK(!strstr(t, "# TYPE kato_live_merge"), "no empty families");
	free(t);
}

static void test_stale(void)
{
	const char *frame = FRAME("{\"metrics\":{\"uptime_seconds\":5}," CONTAINERS
	                          ",\"sessions\":{\"error\":\"GET /sessions/count: "
	                          "500\"}}",
	                          "\"docker-stats\"");
	char *t = expose(frame, NULL, NULL, 1, T0 + 100);
	CHECK(has(t, "kato_uptime_seconds 5"), "fresh section exposed");
	CHECK(!has_prefix(t, "kato_live_container"), "a stale source's section left out");
	CHECK(has(t, "kato_live_source_stale{source=\"docker-stats\"} 1"),
	      "and said stale");
	CHECK(!has_prefix(t, "kato_live_sessions"), "a section in error left out");
	CHECK(!has_prefix(t, "kato_live_alerts_firing"),
	      "no active_alerts and no thresholds: alert count unknown, not 0");
	free(t);

	/* the frame is 3.5 intervals old: nothing from it is current */
	t = expose(frame, "{\"type\":\"active_alerts\",\"alerts\":[]}", NULL, 1,
	           T0 + 3500);
	CHECK(has(t, "kato_live_frame_stale 1"), "old frame said stale");
	CHECK(has(t, "kato_live_frame_age_seconds 3.5"), "with its age");
	CHECK(has(t, "kato_live_source_stale{source=\"kato-metrics\"} 1"),
	      "every source stale");
	CHECK(!has_prefix(t, "kato_uptime_seconds"), "no KATO values from it");
	CHECK(!has_prefix(t, "kato_live_alerts_firing"), "no alert values from it");
	free(t);

	t = expose(FRAME("{}", ""), "{\"type\":\"active_alerts\",\"alerts\":[]}",
	           NULL, 1, T0);
	CHECK(has(t, "kato_live_alerts_firing 0"), "an empty active_alerts: 0 firing");
	free(t);

	t = expose(FRAME("{}", ""),
	           "{\"type\":\"active_alerts\",\"alerts\":["
	           "{\"type\":\"high_cpu\",\"level\":\"warning\",\"container\":\"a\"},"
	           "{\"type\":\"high_cpu\",\"level\":\"warning\",\"container\":\"b\"},"
	           "{\"type\":\"high_cpu\",\"level\":\"warning\",\"container\":\"a\"},"
	           "{\"type\":\"high_cpu\",\"level\":\"warning\"},"
	           "{\"type\":\"high_cpu\"}]}",
	           NULL, 1, T0);
	CHECK(count(t, "kato_live_alert_active{type=\"high_cpu\",level=\"warning\","
	               "container=\"a\"} 1") == 1,
	      "an alert listed twice is one series");
	CHECK(count(t, "kato_live_alert_active{type=\"high_cpu\",level=\"warning\"} 1") == 1,
	      "one without a container is its own series");
	CHECK(has(t, "kato_live_alerts_firing 3"),
	      "firing counts the series (not a duplicate, nor one without a level)");
	free(t);
}

static void test_pipeline(void)
{
	char *t = expose(
	    "{\"type\":\"realtime_update\",\"timestamp\":\"2026-11-25T18:45:00.000Z\","
	    "\"interval_ms\":3000,\"data\":{},\"pipeline\":{\"merge\":{"
	    "\"started_at\":\"2026-11-25T18:40:00.500Z\",\"records_total\":42,"
	    "\"bad_lines_total\":0,\"frames_total\":null,\"tick_late_ms\":1.5}}}",
	    NULL, NULL, 1, T0);
	CHECK(has(t, "kato_live_merge_start_time_seconds 1795632000.5"),
	      "merge start time from started_at");
	CHECK(has(t, "kato_live_merge_records_total 42") &&
	          has(t, "kato_live_merge_bad_lines_total 0"),
	      "merge counters");
	CHECK(!has_prefix(t, "kato_live_merge_frames_total"), "null left out");
	CHECK(has(t, "kato_live_merge_tick_late_seconds 0.0015"),
	      "tick lateness in seconds");
	CHECK(has(t, "kato_live_frame_interval_seconds 3"), "interval");
	free(t);
}

static void test_no_hub(void)
{
	char *t = expose(NULL, NULL, NULL, 0, T0);
	CHECK_STR(t,
	          "# HELP kato_live_hub_up 1 if kato-hub answered this scrape, else 0.\n"
	          "# TYPE kato_live_hub_up gauge\n"
	          "kato_live_hub_up 0\n",
	          "no hub: only kato_live_hub_up 0");
	free(t);
	t = expose(NULL, NULL, NULL, 1, T0);
	CHECK(has(t, "kato_live_hub_up 1") && !has_prefix(t, "kato_live_frame"),
	      "hub without a frame: up, no frame series");
	free(t);
}

int main(void)
{
	test_label_values();
	test_numbers();
	test_frame();
	test_stale();
	test_pipeline();
	test_no_hub();
	return unit_done();
}
